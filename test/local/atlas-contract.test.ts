/**
 * The contract validator itself: it must reject bodies that break the spec (or it proves nothing), and it
 * must skip cleanly when the spec file is absent.
 */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  type AtlasContract,
  contractSkippedMessage,
  loadContract,
  type ResponseInfo,
  resetContractWarning,
} from '../support/contract.ts';

const contract = loadContract();
const V2023 = 'application/vnd.atlas.2023-01-01+json';
const V2024 = 'application/vnd.atlas.2024-08-05+json';

function info(
  operation: string,
  status: number,
  body: unknown,
  contentType: string | null = V2023,
): ResponseInfo {
  const method = /^(get|list)/.test(operation)
    ? 'GET'
    : operation.startsWith('delete')
      ? 'DELETE'
      : operation.startsWith('update')
        ? 'PATCH'
        : 'POST';
  return { operation, method, path: '/x', status, contentType, body };
}

const validService = {
  cloudProvider: 'AWS',
  endpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0',
  errorMessage: null,
  id: '5f7cac1adf5d6c6306f4b283',
  interfaceEndpoints: ['vpce-0123456789abcdef0'],
  regionName: 'US_EAST_1',
  status: 'AVAILABLE',
};

describe.skipIf(!contract)('Atlas contract validator', () => {
  const c = contract as AtlasContract;

  it('accepts a faithful EndpointService and selects the AWS schema by discriminator', () => {
    expect(c.validate(info('getPrivateEndpointService', 200, validService)).verdict).toBe('valid');
    // AWSPrivateLinkConnection requires interfaceEndpoints: only the mapped schema knows that.
    const { interfaceEndpoints: _ie, ...withoutList } = validService;
    const missing = c.validate(info('getPrivateEndpointService', 200, withoutList));
    expect(missing.verdict).toBe('invalid');
    expect(missing.errors.join()).toMatch(/interfaceEndpoints/);
    expect(
      c.validate(info('getPrivateEndpointService', 200, { ...validService, status: 'READY' })).verdict,
    ).toBe('invalid');
    expect(
      c.validate(info('getPrivateEndpointService', 200, { ...validService, endpointServiceName: 'svc-1' }))
        .verdict,
    ).toBe('invalid');
  });

  it('checks interface endpoints and serverless endpoints field by field', () => {
    const ie = {
      cloudProvider: 'AWS',
      connectionStatus: 'PENDING_ACCEPTANCE',
      deleteRequested: false,
      errorMessage: null,
      interfaceEndpointId: 'vpce-0123456789abcdef0',
    };
    expect(c.validate(info('getPrivateEndpoint', 200, ie)).verdict).toBe('valid');
    expect(c.validate(info('getPrivateEndpoint', 200, { ...ie, connectionStatus: 'WAITING' })).verdict).toBe(
      'invalid',
    );
    expect(c.validate(info('getPrivateEndpoint', 200, { ...ie, deleteRequested: 'no' })).verdict).toBe(
      'invalid',
    );
    expect(c.validate(info('getPrivateEndpoint', 200, { connectionStatus: 'PENDING' })).verdict).toBe(
      'invalid',
    );

    const sl = {
      _id: '5f7cac1adf5d6c6306f4b283',
      endpointServiceName: null,
      providerName: 'AWS',
      status: 'RESERVED',
    };
    expect(c.validate(info('getServerlessPrivateEndpoint', 200, sl)).verdict).toBe('valid');
    expect(c.validate(info('getServerlessPrivateEndpoint', 200, { ...sl, _id: 'abc' })).verdict).toBe(
      'invalid',
    );
    expect(
      c.validate(info('getServerlessPrivateEndpoint', 200, { ...sl, cloudProviderEndpointId: 'vpce-1' }))
        .verdict,
    ).toBe('invalid');
    expect(c.validate(info('listServerlessPrivateEndpoint', 200, [sl, sl])).verdict).toBe('valid');
    expect(c.validate(info('listServerlessPrivateEndpoint', 200, { results: [sl] })).verdict).toBe('invalid');
  });

  it('checks media types, statuses and error bodies', () => {
    expect(c.validate(info('getPrivateEndpointService', 200, validService, 'application/json')).verdict).toBe(
      'invalid',
    );
    expect(c.validate(info('getCluster', 200, { name: 'x' }, V2023)).verdict).toBe('valid'); // LegacyAtlasCluster
    expect(c.validate(info('getCluster', 200, { name: 'bad name!' }, V2024)).verdict).toBe('invalid');
    expect(c.validate(info('createServerlessPrivateEndpoint', 200, {})).verdict).toBe('invalid'); // 201 in the spec
    const notFound = {
      error: 404,
      errorCode: 'RESOURCE_NOT_FOUND',
      detail: 'x',
      parameters: ['a'],
      reason: 'Not Found',
    };
    expect(c.validate(info('getPrivateEndpoint', 404, notFound, 'application/json')).verdict).toBe('valid');
    expect(c.validate(info('getPrivateEndpoint', 404, { error: 404 }, 'application/json')).verdict).toBe(
      'invalid',
    );
    expect(
      c.validate(info('getPrivateEndpoint', 410, { ...notFound, error: 410 }, 'application/json')).verdict,
    ).toBe('undeclared-status');
    const unauth = {
      error: 401,
      reason: 'Unauthorized',
      detail: 'You are not authorized for this resource.',
    };
    expect(c.validate(info('getPrivateEndpoint', 401, unauth, 'application/json')).verdict).toBe(
      'known-deviation',
    );
    expect(c.validate(info('deletePrivateEndpoint', 204, undefined)).verdict).toBe('valid');
    expect(c.validate(info('deletePrivateEndpoint', 204, { x: 1 })).verdict).toBe('invalid');
    expect(c.validate(info('oauthToken', 200, {})).verdict).toBe('not-in-spec');
    expect(c.validate({ ...info('getPrivateEndpoint', 200, {}), method: 'POST' }).verdict).toBe('invalid');
  });
});

describe('contract loading', () => {
  it('prints one line and returns undefined when the spec is absent', () => {
    const absent = join('no', 'such', 'spec.yaml');
    // Whether or not the real spec was found at module load, start from "nothing printed yet".
    resetContractWarning();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      expect(loadContract(absent)).toBeUndefined();
      expect(loadContract(absent)).toBeUndefined();
      expect(warn.mock.calls).toEqual([[contractSkippedMessage(absent)]]);
      expect(contractSkippedMessage(absent)).toMatch(/contract validation skipped: .*no.such.spec\.yaml/);
    } finally {
      warn.mockRestore();
    }
  });
});
