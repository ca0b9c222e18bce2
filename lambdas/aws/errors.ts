/**
 * Maps what the EC2 client (and the DynamoDB client of the lease table) throws onto the workflow's named errors.
 *
 * - Throttling, 5xx and network failures that survived the SDK's own retries -> AwsTransientError
 *   (the state machine retries it with backoff).
 * - Every other EC2 error answer (bad ids, limits, unknown service, idempotency mismatch, missing
 *   permission, …) -> AwsRequestRejectedError, keeping the AWS code and message in `details`.
 * - The SDK failing to find credentials -> ConfigurationError.
 * - Anything that is not an AWS/network failure (a bug) is returned unchanged.
 * The original error is always kept as `cause`.
 */
import {
  AwsRequestRejectedError,
  AwsTransientError,
  ConfigurationError,
  type ErrorDetails,
  WorkflowError,
} from '#core/errors';

/** EC2 error codes that mean "slow down / try again later". */
export const TRANSIENT_EC2_CODES: ReadonlySet<string> = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'EC2ThrottledException',
  'SlowDown',
  'PriorRequestNotComplete',
  'BandwidthLimitExceeded',
  'ServiceUnavailable',
  'Unavailable',
  'InternalError',
  'InternalFailure',
  'ServerInternal',
  'RequestTimeout',
  'RequestTimeoutException',
  'IDPCommunicationError',
  // DynamoDB's names for the same (the lease table).
  'ProvisionedThroughputExceededException',
  'InternalServerError',
  'TransactionInProgressException',
]);

/** EC2 codes that say a VPC endpoint id does not exist (Describe uses the first, Delete the second). */
export const VPC_ENDPOINT_NOT_FOUND_CODES: ReadonlySet<string> = new Set([
  'InvalidVpcEndpointId.NotFound',
  'InvalidVpcEndpoint.NotFound',
]);

/** Node/undici socket error codes: the request may not have reached EC2, retrying is safe. */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EPROTO',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_HTTP2_STREAM_ERROR',
]);

/** Error names the SDK's HTTP layer uses for timeouts and aborted connections. */
const NETWORK_ERROR_NAMES: ReadonlySet<string> = new Set(['TimeoutError', 'RequestTimeout', 'AbortError']);

/** What was being done when the error happened; copied into `details`. */
export interface AwsErrorContext {
  /** The service, as messages name it. @default 'EC2' */
  readonly service?: string;
  /** The action, e.g. `CreateVpcEndpoint`. */
  readonly operation: string;
  readonly vpcEndpointId?: string;
  readonly serviceName?: string;
  readonly vpcId?: string;
}

interface AwsErrorLike {
  readonly name?: unknown;
  readonly message?: unknown;
  readonly code?: unknown;
  readonly Code?: unknown;
  readonly $fault?: unknown;
  readonly $retryable?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly requestId?: string; attempts?: number };
}

/**
 * The AWS error code of an SDK service exception, if `error` is one (an answer from EC2: it has an
 * HTTP status or a fault side). Network errors also carry `$metadata`, but no status, and are not.
 */
export function awsErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as AwsErrorLike;
  if (typeof e.Code === 'string' && e.Code !== '') return e.Code;
  const answered =
    e.$metadata?.httpStatusCode !== undefined || e.$fault === 'client' || e.$fault === 'server';
  if (answered && typeof e.name === 'string' && e.name !== '' && e.name !== 'Error') return e.name;
  return undefined;
}

/** True when `error` is EC2 saying "no such VPC endpoint". */
export function isVpcEndpointNotFound(error: unknown): boolean {
  const code = awsErrorCode(error);
  return code !== undefined && VPC_ENDPOINT_NOT_FOUND_CODES.has(code);
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const e = current as AwsErrorLike & { cause?: unknown };
    if (typeof e.code === 'string' && NETWORK_ERROR_CODES.has(e.code)) return e.code;
    if (typeof e.name === 'string' && NETWORK_ERROR_NAMES.has(e.name)) return e.name;
    current = e.cause;
  }
  return undefined;
}

function isCredentialsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const name = (error as AwsErrorLike).name;
  return name === 'CredentialsProviderError' || name === 'TokenProviderError';
}

function serviceOf(context: AwsErrorContext): string {
  return context.service ?? 'EC2';
}

function contextDetails(context: AwsErrorContext): Record<string, string> {
  const details: Record<string, string> = { operation: context.operation };
  if (context.vpcEndpointId !== undefined) details.vpcEndpointId = context.vpcEndpointId;
  if (context.serviceName !== undefined) details.serviceName = context.serviceName;
  if (context.vpcId !== undefined) details.vpcId = context.vpcId;
  return details;
}

/** Builds the rejection for an EC2 error reported per resource (e.g. DeleteVpcEndpoints `Unsuccessful`). */
export function rejectedByAws(
  context: AwsErrorContext,
  awsCode: string,
  awsMessage: string,
  cause?: unknown,
): WorkflowError {
  const details: ErrorDetails = { ...contextDetails(context), awsCode, awsMessage };
  if (TRANSIENT_EC2_CODES.has(awsCode)) {
    return new AwsTransientError(
      `${serviceOf(context)} ${context.operation} was throttled or failed (${awsCode}): ${awsMessage}`,
      {
        details,
        cause,
      },
    );
  }
  return new AwsRequestRejectedError(
    `${serviceOf(context)} ${context.operation} was rejected (${awsCode}): ${awsMessage}`,
    {
      details,
      cause,
    },
  );
}

/**
 * Converts an error thrown by the EC2 client into a workflow error. Errors that are already workflow
 * errors, and errors that come neither from AWS nor from the network (bugs), are returned unchanged.
 */
export function toAwsWorkflowError(error: unknown, context: AwsErrorContext): unknown {
  if (error instanceof WorkflowError) return error;
  if (typeof error !== 'object' || error === null) return error;
  const e = error as AwsErrorLike;
  const status = e.$metadata?.httpStatusCode;
  const attempts = e.$metadata?.attempts;
  const code = awsErrorCode(error);
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(code ?? 'unknown');

  if (code !== undefined) {
    const details: ErrorDetails = {
      ...contextDetails(context),
      awsCode: code,
      awsMessage: message,
      httpStatus: status,
      awsRequestId: e.$metadata?.requestId,
      attempts,
    };
    const transient =
      TRANSIENT_EC2_CODES.has(code) ||
      (status !== undefined && status >= 500) ||
      e.$fault === 'server' ||
      (typeof e.$retryable === 'object' && e.$retryable !== null);
    if (transient) {
      return new AwsTransientError(
        `${serviceOf(context)} ${context.operation} was throttled or failed (${code}): ${message}`,
        {
          details,
          cause: error,
        },
      );
    }
    return new AwsRequestRejectedError(
      `${serviceOf(context)} ${context.operation} was rejected (${code}): ${message}`,
      {
        details,
        cause: error,
      },
    );
  }

  if (status !== undefined && status >= 500) {
    return new AwsTransientError(
      `${serviceOf(context)} ${context.operation} answered HTTP ${status}: ${message}`,
      {
        details: { ...contextDetails(context), httpStatus: status, attempts },
        cause: error,
      },
    );
  }

  if (status === undefined) {
    const netCode = networkCode(error);
    if (netCode !== undefined) {
      return new AwsTransientError(
        `${serviceOf(context)} ${context.operation} failed on the network (${netCode}): ${message}`,
        {
          details: { ...contextDetails(context), networkError: netCode, attempts },
          cause: error,
        },
      );
    }
  }

  if (isCredentialsError(error)) {
    return new ConfigurationError(
      `${serviceOf(context)} ${context.operation}: no AWS credentials could be loaded: ${message}`,
      {
        details: contextDetails(context),
        cause: error,
      },
    );
  }

  if (status !== undefined) {
    // An answer without a parseable EC2 error code (e.g. an HTML page from a proxy).
    return new AwsRequestRejectedError(
      `${serviceOf(context)} ${context.operation} answered HTTP ${status}: ${message}`,
      {
        details: { ...contextDetails(context), httpStatus: status },
        cause: error,
      },
    );
  }
  return error;
}
