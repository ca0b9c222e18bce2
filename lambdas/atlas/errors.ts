/**
 * Atlas API errors and their mapping onto the workflow's named errors.
 *
 * The client never throws an `AtlasApiError` on its own: it throws the workflow error Step Functions
 * matches on (`AtlasNotFound`, `AtlasAuthFailed`, …) with the `AtlasApiError` as its `cause`, so callers
 * that need the HTTP facts (404 -> gone, 409 -> adopt) read them with `apiErrorOf(error)`.
 * Nothing here carries headers, tokens, credentials or response bodies: only the status, Atlas's
 * `errorCode`, `detail` and `parameters` (ids and region names), and the operation name.
 */
import {
  AtlasApiGoneError,
  AtlasAuthFailedError,
  AtlasNotFoundError,
  AtlasRequestRejectedError,
  AtlasTransientError,
  type ErrorDetails,
  type WorkflowError,
} from '#core/errors';

/** The documented Atlas error body (`ApiError`), plus the OAuth form the token endpoint may use. */
export interface AtlasErrorBody {
  readonly errorCode?: string;
  readonly detail?: string;
  readonly reason?: string;
  readonly parameters?: readonly unknown[];
}

/** One HTTP error answer from Atlas (or the token endpoint). */
export class AtlasApiError extends Error {
  override readonly name = 'AtlasApiError';
  /** The Atlas operation (operationId override), e.g. `getPrivateEndpointService`, `oauthToken`. */
  readonly operation: string;
  readonly status: number;
  readonly errorCode: string | undefined;
  readonly detail: string | undefined;
  readonly parameters: readonly unknown[] | undefined;
  /** Seconds from `Retry-After`, when Atlas sent one. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: {
    operation: string;
    status: number;
    errorCode?: string | undefined;
    detail?: string | undefined;
    parameters?: readonly unknown[] | undefined;
    retryAfterSeconds?: number | undefined;
  }) {
    const code = init.errorCode ? ` ${init.errorCode}` : '';
    const detail = init.detail ? `: ${init.detail}` : '';
    super(`Atlas ${init.operation} answered ${init.status}${code}${detail}`);
    this.operation = init.operation;
    this.status = init.status;
    this.errorCode = init.errorCode;
    this.detail = init.detail;
    this.parameters = init.parameters;
    this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /** Structured, secret-free facts for logs and workflow error details. */
  details(): ErrorDetails {
    return {
      operation: this.operation,
      status: this.status,
      errorCode: this.errorCode ?? null,
      detail: this.detail ?? null,
      parameters: this.parameters ?? [],
    };
  }
}

const MAX_DETAIL = 500;

function clip(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  return value.length > MAX_DETAIL ? `${value.slice(0, MAX_DETAIL)}…` : value;
}

/**
 * Reads an error body. Accepts the Atlas `ApiError` shape and the OAuth error shape
 * (`{ error: "invalid_client", error_description }`); anything else (an HTML page from a proxy) gives
 * an empty result: a body is never echoed.
 */
export function parseErrorBody(text: string): AtlasErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  const body = parsed as Record<string, unknown>;
  const out: {
    errorCode?: string;
    detail?: string;
    reason?: string;
    parameters?: readonly unknown[];
  } = {};
  const errorCode = clip(body.errorCode) ?? (typeof body.error === 'string' ? clip(body.error) : undefined);
  if (errorCode !== undefined) out.errorCode = errorCode;
  const detail = clip(body.detail) ?? clip(body.error_description);
  if (detail !== undefined) out.detail = detail;
  const reason = clip(body.reason);
  if (reason !== undefined) out.reason = reason;
  if (Array.isArray(body.parameters)) {
    out.parameters = body.parameters.filter(
      (p) => typeof p === 'string' || typeof p === 'number' || typeof p === 'boolean',
    );
  }
  return out;
}

/**
 * Maps a non-retryable Atlas answer onto the workflow's named error:
 * 401/403 -> AtlasAuthFailed, 404 -> AtlasNotFound, 410 -> AtlasApiGone, other 4xx -> AtlasRequestRejected.
 * Retryable statuses (429, 5xx) map to AtlasTransientError (used once retries ran out).
 */
export function toWorkflowError(error: AtlasApiError, extra: ErrorDetails = {}): WorkflowError {
  const details = { ...error.details(), ...extra };
  const options = { details, cause: error };
  const { status } = error;
  if (status === 401 || status === 403) return new AtlasAuthFailedError(error.message, options);
  if (status === 404) return new AtlasNotFoundError(error.message, options);
  if (status === 410) return new AtlasApiGoneError(error.message, options);
  if (status === 429 || status >= 500) return new AtlasTransientError(error.message, options);
  return new AtlasRequestRejectedError(error.message, options);
}

/** The `AtlasApiError` behind an error the client threw, if it came from an HTTP answer. */
export function apiErrorOf(error: unknown): AtlasApiError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    if (current instanceof AtlasApiError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** True when the client's error is an Atlas answer with this status (and errorCode, when given). */
export function isAtlasStatus(error: unknown, status: number, errorCode?: string): boolean {
  const api = apiErrorOf(error);
  return (
    api !== undefined && api.status === status && (errorCode === undefined || api.errorCode === errorCode)
  );
}
