/**
 * The EC2 client factory the handlers use (one client per module, built at cold start).
 *
 * Nothing here reads the environment at import time; `createEc2Client()` reads it when called.
 *
 * Endpoint: the SDK itself honours `AWS_ENDPOINT_URL_EC2` (then `AWS_ENDPOINT_URL`) from the
 * process environment when no `endpoint` is configured (checked with @aws-sdk/client-ec2 3.1169:
 * `@smithy/core` endpoints `getEndpointUrlConfig('EC2')`; test/aws proves it against the simulator).
 * That is how `npm start` points the unchanged handlers at the simulated EC2 front. Setting
 * `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true` turns that off.
 *
 * Retries: SDK "standard" mode, 3 attempts (1 + 2 retries) with exponential backoff and jitter for
 * throttling, 5xx and network errors. The state machine retries `AwsTransientError` on top of that
 * with longer waits, so the in-Lambda budget is kept short.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { ConfigurationError } from '#core/errors';

/** In-Lambda attempts per EC2 call (SDK standard retry mode). */
export const DEFAULT_EC2_MAX_ATTEMPTS = 3;
/** Milliseconds to establish the TCP/TLS connection. */
export const DEFAULT_EC2_CONNECTION_TIMEOUT_MS = 3_000;
/** Milliseconds for one request/response exchange; past it the attempt fails with a TimeoutError. */
export const DEFAULT_EC2_REQUEST_TIMEOUT_MS = 10_000;

export interface Ec2ClientOptions {
  /** @default env AWS_REGION, then AWS_DEFAULT_REGION */
  readonly region?: string;
  /** Where to read AWS_REGION from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** @default DEFAULT_EC2_MAX_ATTEMPTS */
  readonly maxAttempts?: number;
  /** @default DEFAULT_EC2_CONNECTION_TIMEOUT_MS */
  readonly connectionTimeoutMs?: number;
  /** @default DEFAULT_EC2_REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  /** Overrides the retry strategy (tests use short backoff). @default SDK standard strategy */
  readonly retryStrategy?: EC2ClientConfig['retryStrategy'];
  /** @default the SDK default credential chain (the Lambda role in AWS) */
  readonly credentials?: EC2ClientConfig['credentials'];
  /** Explicit endpoint URL. @default SDK resolution (AWS_ENDPOINT_URL_EC2, else the regional endpoint) */
  readonly endpoint?: string;
  /**
   * Waits between the SDK's attempts on this clock instead of the SDK's own timer (the local engine passes the
   * simulated world's, so a retried EC2 call costs virtual time, as the rest of a Lambda there does).
   * @default the SDK standard retry strategy, waiting in real time
   */
  readonly sleep?: (ms: number) => Promise<void>;
}

type RetryStrategy = NonNullable<EC2ClientConfig['retryStrategy']>;
type RetryToken = { getRetryCount(): number; getRetryDelay(): number };

/**
 * The SDK's standard retry policy (retry throttling, 5xx and network errors; exponential backoff with full
 * jitter from 100 ms, 500 ms for throttling, capped at 20 s) with its waits on `sleep`: each wait happens
 * before the token is handed back, which then asks the SDK to wait no longer.
 */
export function clockRetryStrategy(
  maxAttempts: number,
  sleep: (ms: number) => Promise<void>,
  random: () => number = Math.random,
): RetryStrategy {
  const token = (count: number): RetryToken => ({ getRetryCount: () => count, getRetryDelay: () => 0 });
  return {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (previous: RetryToken, info: { errorType: string }) => {
      const retries = previous.getRetryCount();
      if (info.errorType === 'CLIENT_ERROR' || retries + 1 >= maxAttempts) {
        throw new Error('No retry token available');
      }
      const base = info.errorType === 'THROTTLING' ? 500 : 100;
      await sleep(Math.floor(random() * Math.min(20_000, base * 2 ** retries)));
      return token(retries + 1);
    },
    recordSuccess: () => undefined,
  } as RetryStrategy;
}

const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** Builds the EC2 client. Throws ConfigurationError when no valid region is configured. */
export function createEc2Client(options: Ec2ClientOptions = {}): EC2Client {
  const env = options.env ?? process.env;
  const region = options.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  if (region === undefined) {
    throw new ConfigurationError('AWS_REGION is not set: the EC2 client needs a region', {
      details: { variable: 'AWS_REGION' },
    });
  }
  if (!REGION_PATTERN.test(region)) {
    throw new ConfigurationError(`AWS_REGION "${region}" is not an AWS region name (e.g. us-east-1)`, {
      details: { variable: 'AWS_REGION', value: region },
    });
  }
  const maxAttempts = options.maxAttempts ?? DEFAULT_EC2_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new ConfigurationError(`EC2 maxAttempts must be an integer >= 1, got ${maxAttempts}`);
  }
  const config: EC2ClientConfig = {
    region,
    maxAttempts,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? DEFAULT_EC2_CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_EC2_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  };
  if (options.retryStrategy !== undefined) config.retryStrategy = options.retryStrategy;
  else if (options.sleep !== undefined) config.retryStrategy = clockRetryStrategy(maxAttempts, options.sleep);
  if (options.credentials !== undefined) config.credentials = options.credentials;
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  return new EC2Client(config);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** In-Lambda attempts per DynamoDB call (the lease table; SDK standard retry mode). */
export const DEFAULT_DYNAMODB_MAX_ATTEMPTS = 3;

/**
 * The DynamoDB client of the lease table, in the function's own region (the table is the deployment's, not
 * the request's). The SDK honours `AWS_ENDPOINT_URL_DYNAMODB` like `AWS_ENDPOINT_URL_EC2` (the simulator).
 * Throws ConfigurationError when no valid region is configured.
 */
export function createDynamoDbClient(
  options: Pick<Ec2ClientOptions, 'env' | 'region' | 'credentials' | 'endpoint' | 'sleep'> = {},
): DynamoDBClient {
  const env = options.env ?? process.env;
  const region = options.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
  if (region === undefined || !REGION_PATTERN.test(region)) {
    throw new ConfigurationError(
      'AWS_REGION is not set to an AWS region name: the DynamoDB client needs one',
      {
        details: { variable: 'AWS_REGION' },
      },
    );
  }
  return new DynamoDBClient({
    region,
    maxAttempts: DEFAULT_DYNAMODB_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: DEFAULT_EC2_CONNECTION_TIMEOUT_MS,
      requestTimeout: DEFAULT_EC2_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.sleep === undefined
      ? {}
      : { retryStrategy: clockRetryStrategy(DEFAULT_DYNAMODB_MAX_ATTEMPTS, options.sleep) }),
  });
}
