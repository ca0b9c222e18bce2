import { describe, expect, it } from 'vitest';
import {
  ApiKeyCredentials,
  isBearerToken,
  redactCredentials,
  ServiceAccountCredentials,
} from '../../lambdas/atlas/auth.ts';
import { lambdaDeadline, normalizeBaseUrl } from '../../lambdas/atlas/client.ts';
import {
  AtlasApiError,
  apiErrorOf,
  isAtlasStatus,
  parseErrorBody,
  toWorkflowError,
} from '../../lambdas/atlas/errors.ts';
import { ErrorNames } from '../../lambdas/core/errors.ts';

const api = (status: number, errorCode?: string) =>
  new AtlasApiError({
    operation: 'getPrivateEndpointService',
    status,
    errorCode,
    detail: 'd',
    parameters: ['p', 1],
  });

describe('mapping Atlas answers onto the workflow errors', () => {
  it.each([
    [401, ErrorNames.AtlasAuthFailed],
    [403, ErrorNames.AtlasAuthFailed],
    [404, ErrorNames.AtlasNotFound],
    [410, ErrorNames.AtlasApiGone],
    [400, ErrorNames.AtlasRequestRejected],
    [402, ErrorNames.AtlasRequestRejected],
    [406, ErrorNames.AtlasRequestRejected],
    [409, ErrorNames.AtlasRequestRejected],
    [429, ErrorNames.AtlasTransientError],
    [500, ErrorNames.AtlasTransientError],
    [503, ErrorNames.AtlasTransientError],
  ])('%i -> %s', (status, name) => {
    const error = toWorkflowError(api(status, 'SOME_CODE'));
    expect(error.name).toBe(name);
    expect(error.details).toMatchObject({
      operation: 'getPrivateEndpointService',
      status,
      errorCode: 'SOME_CODE',
      detail: 'd',
      parameters: ['p', 1],
    });
    expect(apiErrorOf(error)?.status).toBe(status);
    expect(isAtlasStatus(error, status, 'SOME_CODE')).toBe(true);
    expect(isAtlasStatus(error, status, 'OTHER')).toBe(false);
    expect(error.message).toContain(`answered ${status} SOME_CODE`);
  });

  it('finds no AtlasApiError behind unrelated errors', () => {
    expect(apiErrorOf(new Error('x'))).toBeUndefined();
    expect(apiErrorOf(undefined)).toBeUndefined();
    expect(isAtlasStatus(new Error('x'), 404)).toBe(false);
  });
});

describe('error bodies', () => {
  it('reads the Atlas ApiError shape', () => {
    const body = parseErrorBody(
      JSON.stringify({
        detail: 'Rate limit exceeded.',
        error: 429,
        errorCode: 'RATE_LIMITED_TOKEN_BUCKET',
        parameters: ['api/atlas/v2/orgs', 55, 10, { nested: 'dropped' }],
        reason: 'Too Many Requests',
      }),
    );
    expect(body).toEqual({
      errorCode: 'RATE_LIMITED_TOKEN_BUCKET',
      detail: 'Rate limit exceeded.',
      reason: 'Too Many Requests',
      parameters: ['api/atlas/v2/orgs', 55, 10],
    });
  });

  it('reads the OAuth error shape', () => {
    expect(parseErrorBody('{"error":"invalid_client","error_description":"bad client"}')).toEqual({
      errorCode: 'invalid_client',
      detail: 'bad client',
    });
  });

  it('never echoes a body it does not understand, and clips long details', () => {
    expect(parseErrorBody('<html>secret-looking page</html>')).toEqual({});
    expect(parseErrorBody('[1,2]')).toEqual({});
    expect(parseErrorBody(JSON.stringify({ errorCode: 'X', detail: 'y'.repeat(2000) })).detail?.length).toBe(
      501,
    );
  });
});

describe('base URL rules', () => {
  it('accepts https anywhere and http on loopback only', () => {
    expect(normalizeBaseUrl('https://cloud.mongodb.com/')).toBe('https://cloud.mongodb.com');
    expect(normalizeBaseUrl('https://cloud.mongodbgov.com')).toBe('https://cloud.mongodbgov.com');
    expect(normalizeBaseUrl('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(normalizeBaseUrl('http://127.9.8.7:1/')).toBe('http://127.9.8.7:1');
    expect(normalizeBaseUrl('http://localhost:3000')).toBe('http://localhost:3000');
    expect(normalizeBaseUrl('http://[::1]:3000')).toBe('http://[::1]:3000');
    expect(normalizeBaseUrl('https://proxy.example.com/atlas/')).toBe('https://proxy.example.com/atlas');
  });

  it.each([
    ['http://cloud.mongodb.com', /must use https for cloud\.mongodb\.com/],
    ['http://10.0.0.1:8080', /must use https/],
    ['http://128.0.0.1', /must use https/],
    ['http://localhost.example.com', /must use https/],
    ['ftp://cloud.mongodb.com', /must use https/],
    ['not a url', /not a valid absolute URL/],
    ['https://user:pw@cloud.mongodb.com', /must not embed credentials/],
    ['https://cloud.mongodb.com/?x=1', /query or fragment/],
  ])('rejects %s with a ConfigurationError', (raw, message) => {
    expect(() => normalizeBaseUrl(raw)).toThrow(message);
    expect(() => normalizeBaseUrl(raw)).toThrow(expect.objectContaining({ name: 'ConfigurationError' }));
  });

  it('does not echo embedded credentials', () => {
    let error: unknown;
    try {
      normalizeBaseUrl('http://user:hunter2@example.com');
    } catch (caught) {
      error = caught;
    }
    // Outside the try: a call that does not throw fails here instead of being swallowed.
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('ConfigurationError');
    expect((error as Error).message).toMatch(/must not embed credentials/);
    expect(JSON.stringify(error)).not.toContain('hunter2');
    expect(String(error)).not.toContain('hunter2');
    expect((error as Error).stack ?? '').not.toContain('hunter2');
  });
});

describe('credentials objects', () => {
  it('keep secrets out of JSON, String and inspection', async () => {
    const { inspect } = await import('node:util');
    const sa = new ServiceAccountCredentials('mdb_sa_id_abc', 'mdb_sa_sk_TOPSECRET');
    const key = new ApiKeyCredentials('PUBKEY', 'PRIVATE-KEY-VALUE');
    for (const text of [JSON.stringify({ sa, key }), inspect({ sa, key }, { depth: 5 }), String(sa)]) {
      expect(text).not.toContain('TOPSECRET');
      expect(text).not.toContain('PRIVATE-KEY-VALUE');
    }
    expect(JSON.stringify(sa)).toContain('mdb_sa_id_abc');
    expect(sa.revealSecret()).toBe('mdb_sa_sk_TOPSECRET');
  });
});

describe('lambdaDeadline', () => {
  it('is the remaining time minus a margin, never before now', () => {
    const context = (ms: number) => ({ getRemainingTimeInMillis: () => ms });
    expect(lambdaDeadline(context(60_000), 3000, () => 1000)).toBe(58_000);
    expect(lambdaDeadline(context(1000), 3000, () => 1000)).toBe(1000);
  });
});

describe('bearer tokens and credential redaction', () => {
  it('isBearerToken accepts the RFC 6750 b64token charset only', () => {
    for (const ok of ['abc', 'AZaz09-._~+/', 'eyJhbGciOi.eyJzdWIi.sig_-', 'abc==', 'a=']) {
      expect(isBearerToken(ok), ok).toBe(true);
    }
    for (const bad of ['', '=', '==abc', 'a=b', 'a b', 'a\nb', 'a\u0000b', 'a"b', 'a,b', 'tøken', 'a\tb']) {
      expect(isBearerToken(bad), JSON.stringify(bad)).toBe(false);
    }
  });

  it('redactCredentials masks what follows a scheme name, including fetch\u2019s invalid-header message', () => {
    const undici = 'Headers.append: "Bearer abc\nSECRET-REST" is an invalid header value.';
    const masked = redactCredentials(undici);
    expect(masked).toBe('Headers.append: "Bearer [redacted]" is an invalid header value.');
    const stack = `TypeError: ${undici}\n    at Headers.append (node:internal/deps/undici:1:1)`;
    expect(redactCredentials(stack)).not.toContain('SECRET');
    expect(redactCredentials(stack)).toContain('at Headers.append');
    expect(redactCredentials('authorization: Basic dXNlcjpwYXNz')).toBe('authorization: Basic [redacted]');
    expect(redactCredentials('Digest username="u", response="0123abcd"\nnext line')).toBe(
      'Digest [redacted]\nnext line',
    );
    expect(redactCredentials('nothing to hide here')).toBe('nothing to hide here');
  });
});
