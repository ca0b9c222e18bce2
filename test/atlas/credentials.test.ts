import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { ApiKeyCredentials, ServiceAccountCredentials } from '../../lambdas/atlas/auth.ts';
import { loadAtlasCredentials, parseCredentialSecret } from '../../lambdas/atlas/credentials.ts';

process.env.AWS_REGION ??= 'us-east-1';

const sm = mockClient(SecretsManagerClient);
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:atlas-abc';
const CLIENT_SECRET = 'mdb_sa_sk_never-show-me-0123456789';
const PRIVATE_KEY = '5c6a1c2e-private-key-never-show';

function secret(value: unknown) {
  sm.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: JSON.stringify(value) });
}

async function configError(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => expect.unreachable('expected a rejection'),
    (e: unknown) => e as Error,
  );
  expect(error.name).toBe('ConfigurationError');
  for (const text of [error.message, JSON.stringify(error)]) {
    expect(text).not.toContain(CLIENT_SECRET);
    expect(text).not.toContain(PRIVATE_KEY);
  }
  return error;
}

describe('loadAtlasCredentials from Secrets Manager', () => {
  beforeEach(() => sm.reset());
  const load = (extra: Record<string, string> = {}) =>
    loadAtlasCredentials({ env: { ATLAS_SECRET_ARN: ARN, ...extra }, secrets: new SecretsProvider() });

  it('reads our service-account format (secret id from ATLAS_SECRET_ARN)', async () => {
    secret({ clientId: 'mdb_sa_id_1', clientSecret: CLIENT_SECRET });
    const loaded = await load();
    expect(loaded.source).toBe('secret');
    expect(loaded.baseUrl).toBe('https://cloud.mongodb.com');
    expect(loaded.auth).toBeInstanceOf(ServiceAccountCredentials);
    expect(loaded.auth.kind === 'service-account' && loaded.auth.clientId).toBe('mdb_sa_id_1');
    expect(loaded.auth.revealSecret()).toBe(CLIENT_SECRET);
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: ARN });
  });

  it('reads our API key format with a base URL', async () => {
    secret({ publicKey: 'abcdefgh', privateKey: PRIVATE_KEY, baseUrl: 'https://cloud.mongodbgov.com/' });
    const loaded = await load();
    expect(loaded.auth).toBeInstanceOf(ApiKeyCredentials);
    expect(loaded.auth.kind === 'api-key' && loaded.auth.publicKey).toBe('abcdefgh');
    expect(loaded.baseUrl).toBe('https://cloud.mongodbgov.com');
  });

  it("reads MongoDB's CloudFormation profile format and prefers the service account", async () => {
    secret({
      PublicKey: 'abcdefgh',
      PrivateKey: PRIVATE_KEY,
      ClientID: 'mdb_sa_id_cfn',
      ClientSecret: CLIENT_SECRET,
      BaseUrl: 'https://cloud.mongodb.com',
    });
    const loaded = await load();
    expect(loaded.auth.kind).toBe('service-account');
    expect(loaded.auth.kind === 'service-account' && loaded.auth.clientId).toBe('mdb_sa_id_cfn');
  });

  it('reads a CloudFormation profile with API keys only', async () => {
    secret({ PublicKey: 'abcdefgh', PrivateKey: PRIVATE_KEY });
    expect((await load()).auth.kind).toBe('api-key');
  });

  it('uses a complete API key when the service-account pair is incomplete', async () => {
    secret({ ClientID: 'mdb_sa_id_cfn', PublicKey: 'abcdefgh', PrivateKey: PRIVATE_KEY });
    expect((await load()).auth.kind).toBe('api-key');
  });

  it('takes the base URL from MONGODB_ATLAS_BASE_URL when the secret has none', async () => {
    secret({ clientId: 'id', clientSecret: CLIENT_SECRET });
    expect((await load({ MONGODB_ATLAS_BASE_URL: 'http://127.0.0.1:9999' })).baseUrl).toBe(
      'http://127.0.0.1:9999',
    );
  });

  it('caches the secret (one GetSecretValue for many loads within maxAge) unless forced', async () => {
    secret({ clientId: 'id', clientSecret: CLIENT_SECRET });
    const provider = new SecretsProvider();
    for (let i = 0; i < 3; i++) await loadAtlasCredentials({ secretId: ARN, env: {}, secrets: provider });
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    await loadAtlasCredentials({ secretId: ARN, env: {}, secrets: provider, forceFetch: true });
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  it('works with the default module-level provider', async () => {
    secret({ clientId: 'id-default', clientSecret: CLIENT_SECRET });
    const loaded = await loadAtlasCredentials({ secretId: ARN, env: {} });
    expect(loaded.auth.kind === 'service-account' && loaded.auth.clientId).toBe('id-default');
  });

  it('names the missing fields without echoing values', async () => {
    secret({ clientId: 'mdb_sa_id_1', privateKey: PRIVATE_KEY });
    const error = await configError(load());
    expect(error.message).toContain('clientSecret (or ClientSecret) is missing');
    expect(error.message).toContain('publicKey (or PublicKey) is missing');
    expect(error.message).toContain(ARN);
  });

  it('names the CloudFormation field that is missing', async () => {
    secret({ ClientSecret: CLIENT_SECRET });
    const error = await configError(load());
    expect(error.message).toContain('clientId (or ClientID) is missing');
  });

  it('rejects an empty object, wrong types, non-JSON and non-objects', async () => {
    secret({});
    expect((await configError(load())).message).toMatch(/No usable Atlas credentials.*Expected clientId/);
    sm.reset();
    secret({ publicKey: 42, privateKey: PRIVATE_KEY });
    expect((await configError(load())).message).toContain('publicKey must be a non-empty string');
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretString: `clientSecret=${CLIENT_SECRET}` });
    expect((await configError(load())).message).toContain('is not a JSON object');
    sm.reset();
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify([CLIENT_SECRET]) });
    expect((await configError(load())).message).toContain('is not a JSON object');
  });

  it('rejects a non-https base URL for a remote host', async () => {
    secret({ clientId: 'id', clientSecret: CLIENT_SECRET, baseUrl: 'http://cloud.mongodb.com' });
    expect((await configError(load())).message).toContain('must use https');
  });

  it('reports a missing secret as ConfigurationError and throttling as AwsTransientError', async () => {
    sm.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: 'nope', $metadata: {} }));
    const missing = await configError(load());
    expect(missing.message).toContain('ResourceNotFoundException');
    sm.reset();
    sm.on(GetSecretValueCommand).rejects(
      new SecretsManagerServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        message: 'Rate exceeded',
        $metadata: {},
      }),
    );
    await expect(load()).rejects.toMatchObject({ name: 'AwsTransientError' });
  });

  it('reads a binary secret', async () => {
    sm.on(GetSecretValueCommand).resolves({
      SecretBinary: new TextEncoder().encode(JSON.stringify({ publicKey: 'k', privateKey: PRIVATE_KEY })),
    });
    expect((await load()).auth.kind).toBe('api-key');
  });
});

describe('loadAtlasCredentials from the environment (Terraform provider variables)', () => {
  beforeEach(() => sm.reset());

  it('reads a service account, preferring it over an API key', async () => {
    const loaded = await loadAtlasCredentials({
      env: {
        MONGODB_ATLAS_CLIENT_ID: 'mdb_sa_id_env',
        MONGODB_ATLAS_CLIENT_SECRET: CLIENT_SECRET,
        MONGODB_ATLAS_PUBLIC_KEY: 'abcdefgh',
        MONGODB_ATLAS_PRIVATE_KEY: PRIVATE_KEY,
        MONGODB_ATLAS_BASE_URL: 'http://localhost:8080/',
      },
    });
    expect(loaded).toMatchObject({ source: 'env', baseUrl: 'http://localhost:8080' });
    expect(loaded.auth.kind).toBe('service-account');
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
  });

  it('reads an API key', async () => {
    const loaded = await loadAtlasCredentials({
      env: { MONGODB_ATLAS_PUBLIC_KEY: 'abcdefgh', MONGODB_ATLAS_PRIVATE_KEY: PRIVATE_KEY },
    });
    expect(loaded.auth.kind).toBe('api-key');
    expect(loaded.baseUrl).toBe('https://cloud.mongodb.com');
  });

  it('names the variables that are missing', async () => {
    const error = await configError(
      loadAtlasCredentials({ env: { MONGODB_ATLAS_PRIVATE_KEY: PRIVATE_KEY } }),
    );
    expect(error.message).toContain('MONGODB_ATLAS_PUBLIC_KEY is missing');
    expect(error.message).toContain('no ATLAS_SECRET_ARN set');
    const none = await configError(loadAtlasCredentials({ env: {} }));
    expect(none.message).toContain('MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET');
  });
});

describe('parseCredentialSecret', () => {
  it('returns the base URL unvalidated for the caller to check', () => {
    const parsed = parseCredentialSecret(
      JSON.stringify({ clientId: 'a', clientSecret: 'b', BaseUrl: 'x' }),
      's',
    );
    expect(parsed.baseUrl).toBe('x');
  });
  it('rejects a non-string base URL', () => {
    expect(() =>
      parseCredentialSecret(JSON.stringify({ clientId: 'a', clientSecret: 'b', baseUrl: 1 }), 's'),
    ).toThrow(/baseUrl .* must be a URL string/);
  });
});
