/**
 * Where Atlas credentials come from.
 *
 * In Lambda: a Secrets Manager secret (id from `ATLAS_SECRET_ARN`), read through Powertools Parameters
 * and cached for `maxAgeSeconds` (default 300) per container. The secret is a JSON object in either form:
 *
 * - ours:     `{ "clientId": "mdb_sa_id_…", "clientSecret": "mdb_sa_sk_…" }`
 *             and/or `{ "publicKey": "abcdefgh", "privateKey": "…" }`, optional `"baseUrl"`;
 * - MongoDB's CloudFormation profile (secret `cfn/atlas/profile/<name>`):
 *             `{ "PublicKey": "…", "PrivateKey": "…", "ClientID": "…", "ClientSecret": "…", "BaseUrl": "…" }`
 *             (any complete pair is enough),
 *
 * so one secret can serve both this workflow and MongoDB's CloudFormation resources. When both a service
 * account and an API key are present, the service account is used (MongoDB's recommendation).
 *
 * Locally (no secret id): the variables MongoDB's Terraform provider reads, `MONGODB_ATLAS_CLIENT_ID`,
 * `MONGODB_ATLAS_CLIENT_SECRET`, `MONGODB_ATLAS_PUBLIC_KEY`, `MONGODB_ATLAS_PRIVATE_KEY`,
 * `MONGODB_ATLAS_BASE_URL`.
 *
 * Base URL: the secret's `baseUrl`/`BaseUrl`, else `MONGODB_ATLAS_BASE_URL`, else https://cloud.mongodb.com.
 * Problems raise ConfigurationError naming the missing fields; values are never echoed.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { AwsTransientError, ConfigurationError } from '#core/errors';
import { ApiKeyCredentials, type AtlasCredentials, ServiceAccountCredentials } from './auth.ts';
import { DEFAULT_ATLAS_BASE_URL, normalizeBaseUrl } from './client.ts';

export interface LoadedAtlasCredentials {
  readonly auth: AtlasCredentials;
  /** Normalized base URL (https, or http on loopback only). */
  readonly baseUrl: string;
  readonly source: 'secret' | 'env';
}

/** The part of a Powertools SecretsProvider this module uses (tests may pass their own provider). */
export interface SecretSource {
  get(name: string, options?: { maxAge?: number; forceFetch?: boolean }): Promise<unknown>;
}

export interface LoadAtlasCredentialsOptions {
  /** Secret name or ARN. @default env.ATLAS_SECRET_ARN */
  readonly secretId?: string;
  /** @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default a module-level Powertools SecretsProvider */
  readonly secrets?: SecretSource;
  /** Cache lifetime of the secret value. @default 300 */
  readonly maxAgeSeconds?: number;
  /** Bypass the cache (e.g. after Atlas rejected the cached credentials, to pick up a rotation). @default false */
  readonly forceFetch?: boolean;
}

export const ENV = {
  secretArn: 'ATLAS_SECRET_ARN',
  clientId: 'MONGODB_ATLAS_CLIENT_ID',
  clientSecret: 'MONGODB_ATLAS_CLIENT_SECRET',
  publicKey: 'MONGODB_ATLAS_PUBLIC_KEY',
  privateKey: 'MONGODB_ATLAS_PRIVATE_KEY',
  baseUrl: 'MONGODB_ATLAS_BASE_URL',
} as const;

let defaultSecrets: SecretsProvider | undefined;

function secretsProvider(): SecretsProvider {
  defaultSecrets ??= new SecretsProvider();
  return defaultSecrets;
}

export async function loadAtlasCredentials(
  options: LoadAtlasCredentialsOptions = {},
): Promise<LoadedAtlasCredentials> {
  const env = options.env ?? process.env;
  const secretId = options.secretId ?? nonEmpty(env[ENV.secretArn]);
  if (secretId !== undefined) {
    const text = await readSecret(secretId, options.secrets ?? secretsProvider(), {
      maxAge: options.maxAgeSeconds ?? 300,
      forceFetch: options.forceFetch ?? false,
    });
    const parsed = parseCredentialSecret(text, secretId);
    return {
      auth: parsed.auth,
      baseUrl: normalizeBaseUrl(parsed.baseUrl ?? nonEmpty(env[ENV.baseUrl]) ?? DEFAULT_ATLAS_BASE_URL),
      source: 'secret',
    };
  }
  const auth = pickCredentials(
    {
      clientId: env[ENV.clientId],
      clientSecret: env[ENV.clientSecret],
      publicKey: env[ENV.publicKey],
      privateKey: env[ENV.privateKey],
    },
    {
      where: `the environment (no ${ENV.secretArn} set)`,
      names: {
        clientId: ENV.clientId,
        clientSecret: ENV.clientSecret,
        publicKey: ENV.publicKey,
        privateKey: ENV.privateKey,
      },
    },
  );
  return {
    auth,
    baseUrl: normalizeBaseUrl(nonEmpty(env[ENV.baseUrl]) ?? DEFAULT_ATLAS_BASE_URL),
    source: 'env',
  };
}

async function readSecret(
  secretId: string,
  secrets: SecretSource,
  cache: { maxAge: number; forceFetch: boolean },
): Promise<string> {
  let value: unknown;
  try {
    value = await secrets.get(secretId, cache);
  } catch (error) {
    const name = awsErrorName(error);
    const message = `Could not read the Atlas credential secret ${secretId} (${name})`;
    const details = { secretId, awsError: name };
    if (TRANSIENT_AWS_ERRORS.has(name)) throw new AwsTransientError(message, { details, cause: error });
    throw new ConfigurationError(message, { details, cause: error });
  }
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  throw new ConfigurationError(`The Atlas credential secret ${secretId} has no value`, {
    details: { secretId },
  });
}

const TRANSIENT_AWS_ERRORS = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'InternalServiceError',
  'InternalServiceErrorException',
  'ServiceUnavailable',
  'RequestTimeout',
  'TimeoutError',
]);

/** The AWS error name behind a Powertools GetParameterError (its `cause`), or the error's own name. */
function awsErrorName(error: unknown): string {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  const inner = cause instanceof Error ? cause : error;
  if (inner instanceof Error) {
    const code = (inner as { code?: unknown }).code;
    if (inner.name === 'Error' && typeof code === 'string') return code;
    return inner.name;
  }
  return 'UnknownError';
}

/**
 * Reads our JSON format or MongoDB's CloudFormation profile format. Exported for tests and tools.
 * Throws ConfigurationError naming what is missing; never includes a value.
 */
export function parseCredentialSecret(
  text: string,
  secretId: string,
): { auth: AtlasCredentials; baseUrl: string | undefined } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // JSON.parse messages quote the input: never pass them on.
    throw new ConfigurationError(`The Atlas credential secret ${secretId} is not a JSON object`, {
      details: { secretId },
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigurationError(`The Atlas credential secret ${secretId} is not a JSON object`, {
      details: { secretId },
    });
  }
  const body = parsed as Record<string, unknown>;
  const field = (...names: string[]): { value: unknown; name: string } => {
    for (const name of names) if (body[name] !== undefined) return { value: body[name], name };
    return { value: undefined, name: names[0] as string };
  };
  const clientId = field('clientId', 'ClientID', 'ClientId');
  const clientSecret = field('clientSecret', 'ClientSecret');
  const publicKey = field('publicKey', 'PublicKey');
  const privateKey = field('privateKey', 'PrivateKey');
  const baseUrl = field('baseUrl', 'BaseUrl');
  const auth = pickCredentials(
    {
      clientId: clientId.value,
      clientSecret: clientSecret.value,
      publicKey: publicKey.value,
      privateKey: privateKey.value,
    },
    {
      where: `the Atlas credential secret ${secretId}`,
      names: {
        clientId: clientId.value === undefined ? 'clientId (or ClientID)' : clientId.name,
        clientSecret: clientSecret.value === undefined ? 'clientSecret (or ClientSecret)' : clientSecret.name,
        publicKey: publicKey.value === undefined ? 'publicKey (or PublicKey)' : publicKey.name,
        privateKey: privateKey.value === undefined ? 'privateKey (or PrivateKey)' : privateKey.name,
      },
      secretId,
    },
  );
  if (baseUrl.value !== undefined && (typeof baseUrl.value !== 'string' || baseUrl.value.trim() === '')) {
    throw new ConfigurationError(
      `${baseUrl.name} in the Atlas credential secret ${secretId} must be a URL string`,
      {
        details: { secretId, field: baseUrl.name },
      },
    );
  }
  return { auth, baseUrl: nonEmpty(baseUrl.value as string | undefined) };
}

type Fields = 'clientId' | 'clientSecret' | 'publicKey' | 'privateKey';

function pickCredentials(
  values: Record<Fields, unknown>,
  context: { where: string; names: Record<Fields, string>; secretId?: string },
): AtlasCredentials {
  const state = (key: Fields): 'ok' | 'absent' | 'invalid' => {
    const value = values[key];
    if (value === undefined || value === null || value === '') return 'absent';
    return typeof value === 'string' && value.trim() !== '' ? 'ok' : 'invalid';
  };
  const sa = [state('clientId'), state('clientSecret')] as const;
  const key = [state('publicKey'), state('privateKey')] as const;
  if (sa[0] === 'ok' && sa[1] === 'ok') {
    return new ServiceAccountCredentials(values.clientId as string, values.clientSecret as string);
  }
  if (key[0] === 'ok' && key[1] === 'ok') {
    return new ApiKeyCredentials(values.publicKey as string, values.privateKey as string);
  }
  const problems: string[] = [];
  const describe = (fields: readonly [Fields, Fields]) => {
    for (const f of fields) {
      const s = state(f);
      if (s === 'absent') problems.push(`${context.names[f]} is missing`);
      if (s === 'invalid') problems.push(`${context.names[f]} must be a non-empty string`);
    }
  };
  const saTouched = sa.some((s) => s !== 'absent');
  const keyTouched = key.some((s) => s !== 'absent');
  if (saTouched) describe(['clientId', 'clientSecret']);
  if (keyTouched) describe(['publicKey', 'privateKey']);
  const missing = problems.length > 0 ? `: ${problems.join('; ')}` : '';
  const expected =
    `${context.names.clientId} and ${context.names.clientSecret} (service account), ` +
    `or ${context.names.publicKey} and ${context.names.privateKey} (API key)`;
  throw new ConfigurationError(
    `No usable Atlas credentials in ${context.where}${missing}. Expected ${expected}`,
    {
      details: {
        ...(context.secretId === undefined ? {} : { secretId: context.secretId }),
        problems,
      },
    },
  );
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
