/**
 * Pure helpers of lambdas/aws, and the few AWS answer shapes the simulator does not produce
 * (per-id delete failures other than NotFound, other services' throttling codes, empty or looping
 * answers). Those use aws-sdk-client-mock on one client instance.
 */
import { createHash } from 'node:crypto';
import {
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  EC2ServiceException,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { awsErrorCode, isVpcEndpointNotFound, toAwsWorkflowError } from '../../lambdas/aws/errors.ts';
import {
  CLIENT_TOKEN_MAX_LENGTH,
  clientTokenFor,
  Ec2VpcEndpoints,
  endpointTags,
  normalizeState,
  serviceNameRegion,
} from '../../lambdas/aws/vpc-endpoints.ts';
import { AwsRequestRejectedError, AwsTransientError } from '../../lambdas/core/errors.ts';
import { TAG_ATLAS_CREATED, TAG_MANAGED_BY, WORKFLOW_TAG_KEYS } from '../../lambdas/core/tags.ts';
import { createInput } from './harness.ts';

describe('clientTokenFor', () => {
  const SVC = 'com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718';
  const OTHER = 'com.amazonaws.vpce.us-east-1.vpce-svc-0f1e2d3c4b5a69788';
  const sha = (requestId: string, serviceName: string) =>
    createHash('sha256')
      .update(JSON.stringify([requestId, serviceName]), 'utf8')
      .digest('hex');

  it('is "<request id>:<service id>" when that is at most 64 printable ASCII characters', () => {
    expect(clientTokenFor('exec-1', SVC)).toBe('exec-1:vpce-svc-0a1b2c3d4e5f60718');
    expect(clientTokenFor('a b~!', SVC)).toBe('a b~!:vpce-svc-0a1b2c3d4e5f60718');
    const fits = 'x'.repeat(CLIENT_TOKEN_MAX_LENGTH - ':vpce-svc-0a1b2c3d4e5f60718'.length);
    expect(clientTokenFor(fits, SVC)).toBe(`${fits}:vpce-svc-0a1b2c3d4e5f60718`);
    expect(clientTokenFor(fits, SVC)).toHaveLength(CLIENT_TOKEN_MAX_LENGTH);
  });

  it('differs per endpoint service for the same request id, and per request id for the same service', () => {
    expect(clientTokenFor('exec-1', OTHER)).not.toBe(clientTokenFor('exec-1', SVC));
    expect(clientTokenFor('exec-2', SVC)).not.toBe(clientTokenFor('exec-1', SVC));
    const long = 'x'.repeat(CLIENT_TOKEN_MAX_LENGTH);
    expect(clientTokenFor(long, OTHER)).not.toBe(clientTokenFor(long, SVC));
  });

  it('hashes longer or non-ASCII combinations into 64 hex characters, deterministically and distinctly', () => {
    const long = 'x'.repeat(CLIENT_TOKEN_MAX_LENGTH - ':vpce-svc-0a1b2c3d4e5f60718'.length + 1);
    expect(clientTokenFor(long, SVC)).toBe(sha(long, SVC));
    expect(clientTokenFor(long, SVC)).toMatch(/^[0-9a-f]{64}$/);
    expect(clientTokenFor(long, SVC)).toBe(clientTokenFor(long, SVC));
    expect(clientTokenFor(`${long}y`, SVC)).not.toBe(clientTokenFor(long, SVC));
    expect(clientTokenFor('exécution', SVC)).toBe(sha('exécution', SVC));
    expect(clientTokenFor('tab\there', SVC)).toMatch(/^[0-9a-f]{64}$/);
    // A service name of another shape is never shortened: it is hashed whole.
    expect(clientTokenFor('exec-1', 'com.example.service')).toBe(sha('exec-1', 'com.example.service'));
  });

  it('refuses an empty request id or service name', () => {
    expect(() => clientTokenFor('', SVC)).toThrow(RangeError);
    expect(() => clientTokenFor('exec-1', '')).toThrow(RangeError);
  });
});

describe('view helpers', () => {
  it('normalizes EC2 states whatever their casing', () => {
    expect(normalizeState('PendingAcceptance')).toBe('pendingAcceptance');
    expect(normalizeState('pendingAcceptance')).toBe('pendingAcceptance');
    expect(normalizeState('Available')).toBe('available');
    expect(normalizeState(undefined)).toBe('unknown');
  });

  it('reads the region of an endpoint service name', () => {
    expect(serviceNameRegion('com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718')).toBe('us-east-1');
    expect(serviceNameRegion('com.amazonaws.vpce.ap-southeast-2.vpce-svc-0a1b2c3d')).toBe('ap-southeast-2');
    expect(serviceNameRegion('com.amazonaws.us-east-1.s3')).toBeUndefined();
  });

  it('builds the tag set: workflow tags last and authoritative, any key kept as data', () => {
    const requested = Object.fromEntries([
      ['__proto__', 'odd but legal'],
      [TAG_MANAGED_BY, 'x'],
      [TAG_ATLAS_CREATED, 'forged'],
    ]);
    const tags = endpointTags(createInput({ tags: requested }));
    expect(Object.hasOwn(tags, '__proto__')).toBe(true);
    expect(tags[TAG_MANAGED_BY]).toBe(createInput().managedBy);
    expect(tags[TAG_ATLAS_CREATED]).toBe('true');
    expect(endpointTags(createInput({ atlas: { ...createInput().atlas, created: false } }))).toMatchObject({
      [TAG_ATLAS_CREATED]: 'false',
    });
    expect(Object.keys(tags).slice(-WORKFLOW_TAG_KEYS.length)).toEqual([...WORKFLOW_TAG_KEYS]);
  });
});

describe('toAwsWorkflowError classification', () => {
  const context = { operation: 'DescribeVpcEndpoints' };

  it('returns bugs unchanged', () => {
    const bug = new TypeError('x is not a function');
    expect(toAwsWorkflowError(bug, context)).toBe(bug);
    expect(toAwsWorkflowError('text', context)).toBe('text');
  });

  it('finds a socket error code in the cause chain of an error without an HTTP answer', () => {
    const error = new Error('fetch failed', {
      cause: Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
    });
    const mapped = toAwsWorkflowError(error, context);
    expect(mapped).toBeInstanceOf(AwsTransientError);
    expect((mapped as AwsTransientError).details.networkError).toBe('ECONNRESET');
    expect((mapped as AwsTransientError).cause).toBe(error);
  });

  it('a 5xx answer without a parseable code is transient; a 4xx one is rejected', () => {
    const html502 = Object.assign(new Error('Bad Gateway'), {
      name: 'Error',
      $metadata: { httpStatusCode: 502 },
    });
    expect(toAwsWorkflowError(html502, context)).toBeInstanceOf(AwsTransientError);
    const html400 = Object.assign(new Error('Bad Request'), {
      name: 'Error',
      $metadata: { httpStatusCode: 400 },
    });
    expect(toAwsWorkflowError(html400, context)).toBeInstanceOf(AwsRequestRejectedError);
  });

  it('recognises both NotFound spellings EC2 uses for VPC endpoints', () => {
    expect(isVpcEndpointNotFound({ Code: 'InvalidVpcEndpointId.NotFound' })).toBe(true);
    expect(isVpcEndpointNotFound({ Code: 'InvalidVpcEndpoint.NotFound' })).toBe(true);
    expect(isVpcEndpointNotFound({ Code: 'InvalidVpcEndpointId.Malformed' })).toBe(false);
    expect(awsErrorCode({ name: 'TimeoutError', $metadata: { attempts: 3 } })).toBeUndefined();
  });
});

describe('AWS answer shapes the simulator does not model (aws-sdk-client-mock)', () => {
  function mocked() {
    const ec2 = new EC2Client({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    return { ec2, mock: mockClient(ec2), ops: new Ec2VpcEndpoints(ec2) };
  }

  it('a per-id delete failure other than NotFound is a rejection naming the code', async () => {
    const { mock, ops } = mocked();
    mock.on(DeleteVpcEndpointsCommand).resolves({
      Unsuccessful: [
        {
          ResourceId: 'vpce-0123456789abcdef0',
          Error: { Code: 'OperationNotPermitted', Message: 'The endpoint is managed by another service' },
        },
      ],
    });
    const error = await ops.deleteVpcEndpoint('vpce-0123456789abcdef0').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsRequestRejectedError);
    expect((error as AwsRequestRejectedError).details).toMatchObject({
      operation: 'DeleteVpcEndpoints',
      vpcEndpointId: 'vpce-0123456789abcdef0',
      awsCode: 'OperationNotPermitted',
      awsMessage: 'The endpoint is managed by another service',
    });
  });

  it('a per-id throttling failure on delete is transient', async () => {
    const { mock, ops } = mocked();
    mock.on(DeleteVpcEndpointsCommand).resolves({
      Unsuccessful: [
        {
          ResourceId: 'vpce-0123456789abcdef0',
          Error: { Code: 'RequestLimitExceeded', Message: 'slow down' },
        },
      ],
    });
    await expect(ops.deleteVpcEndpoint('vpce-0123456789abcdef0')).rejects.toBeInstanceOf(AwsTransientError);
  });

  it("the generic 'Throttling' code is transient", async () => {
    const { mock, ops } = mocked();
    mock.on(DescribeVpcEndpointsCommand).rejects(
      new EC2ServiceException({
        name: 'Throttling',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
    );
    const error = await ops.describeVpcEndpoint('vpce-0123456789abcdef0').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsTransientError);
    expect((error as AwsTransientError).details.awsCode).toBe('Throttling');
  });

  it('a create answer without a VPC endpoint is transient (the ClientToken makes a retry safe)', async () => {
    const { mock, ops } = mocked();
    mock.on(CreateVpcEndpointCommand).resolves({});
    await expect(ops.createInterfaceEndpoint(createInput())).rejects.toBeInstanceOf(AwsTransientError);
  });

  it('stops when a server repeats a NextToken, and drops endpoints outside the asked VPC and service', async () => {
    const { mock, ops } = mocked();
    const endpoint = (id: string, vpcId: string, serviceName: string) => ({
      VpcEndpointId: id,
      VpcId: vpcId,
      ServiceName: serviceName,
      State: 'Available' as const,
      VpcEndpointType: 'Interface' as const,
    });
    mock
      .on(DescribeVpcEndpointsCommand)
      .resolvesOnce({ VpcEndpoints: [endpoint('vpce-1', 'vpc-0a1b2c3d', 'svc-a')], NextToken: 't1' })
      .resolvesOnce({ VpcEndpoints: [endpoint('vpce-2', 'vpc-99999999', 'svc-a')], NextToken: 't1' })
      .resolves({ VpcEndpoints: [endpoint('vpce-3', 'vpc-0a1b2c3d', 'svc-b')] });
    const found = await ops.findVpcEndpoints({ vpcId: 'vpc-0a1b2c3d', serviceName: 'svc-a' });
    expect(found.map((v) => v.vpcEndpointId)).toEqual(['vpce-1']);
    expect(found[0]?.state).toBe('available');
    expect(mock.commandCalls(DescribeVpcEndpointsCommand)).toHaveLength(2);
  });
});
