/**
 * Retry policy for Atlas calls: which failures are retried, how long to wait, and when to stop.
 *
 * - Retryable: 429, every 5xx, network errors (refused, reset, dropped), per-request timeouts.
 * - Wait: `Retry-After` when Atlas sends it (plus up to 10 % jitter, never less than the header asks);
 *   otherwise exponential backoff with full jitter: `random() * min(maxDelayMs, baseDelayMs * 2^n)`.
 * - Stop: after `maxAttempts`, or as soon as the next wait would end past the deadline (the configured
 *   `budgetMs` from the first attempt, or an absolute deadline such as the Lambda's remaining time).
 */

export interface RetryOptions {
  /** Total attempts, the first one included. @default 5 */
  readonly maxAttempts?: number;
  /** First backoff ceiling. @default 250 */
  readonly baseDelayMs?: number;
  /** Largest backoff ceiling. @default 8000 */
  readonly maxDelayMs?: number;
  /** Wall-clock budget for one call, retries and waits included. @default 30000 */
  readonly budgetMs?: number;
}

export const DEFAULT_RETRY: Required<RetryOptions> = {
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 8000,
  budgetMs: 30_000,
};

export function resolveRetryOptions(options: RetryOptions = {}): Required<RetryOptions> {
  const merged = { ...DEFAULT_RETRY, ...stripUndefined(options) };
  for (const [key, value] of Object.entries(merged)) {
    if (!Number.isFinite(value) || value < 0) throw new RangeError(`retry.${key} must be a number >= 0`);
  }
  if (merged.maxAttempts < 1) throw new RangeError('retry.maxAttempts must be >= 1');
  return merged;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Full-jitter exponential backoff before retry number `retry` (0 for the wait after the first attempt).
 * Always within [0, min(maxDelayMs, baseDelayMs * 2^retry)).
 */
export function backoffDelay(retry: number, options: Required<RetryOptions>, random: () => number): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(retry, 30));
  return Math.floor(clamp01(random()) * ceiling);
}

/** Wait before the next attempt: Retry-After (with a little jitter on top) or backoff. */
export function nextDelay(
  retry: number,
  retryAfterMs: number | undefined,
  options: Required<RetryOptions>,
  random: () => number,
): number {
  if (retryAfterMs !== undefined) return retryAfterMs + Math.floor(clamp01(random()) * 0.1 * retryAfterMs);
  return backoffDelay(retry, options, random);
}

function clamp01(x: number): number {
  if (!Number.isFinite(x) || x < 0) return 0;
  return x >= 1 ? 0.999_999 : x;
}

/**
 * Parses `Retry-After` (delta-seconds or an HTTP-date) into milliseconds from `now`.
 * Returns undefined when absent or unreadable (then the caller backs off instead).
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // An HTTP-date always names the weekday and month; anything else (e.g. "-5") is not one.
  if (!/[a-z]{3}/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** HTTP statuses worth retrying. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/**
 * Statuses after which a non-idempotent request certainly did not take effect: Atlas's rate limiter and
 * its unavailable gate answer before the request is processed. Other 5xx may come after a write.
 */
export function isUnprocessedStatus(status: number): boolean {
  return status === 429 || status === 503;
}

/** Network error codes raised before the request could reach a server (safe to resend anything). */
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Codes undici raises for a request it refused to build (e.g. `invalid authorization header`): nothing was
 * sent, and sending it again cannot help, so these are not network failures.
 */
const REQUEST_REFUSED_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

export type NetworkFailureKind = 'connect' | 'dropped' | 'timeout';

/** Classifies an error thrown by fetch (or while reading the body); undefined if it is not a network error. */
export function classifyNetworkError(error: unknown): NetworkFailureKind | undefined {
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'TimeoutError') return 'timeout';
  if (error.name === 'AbortError') return 'timeout';
  const code = errorCode(error) ?? errorCode((error as { cause?: unknown }).cause);
  if (code !== undefined && REQUEST_REFUSED_CODES.has(code)) return undefined;
  if (code !== undefined && CONNECT_ERROR_CODES.has(code)) return 'connect';
  if (error instanceof TypeError && error.message === 'fetch failed') return 'dropped';
  if (code !== undefined && (code.startsWith('UND_ERR') || code.startsWith('ECONN') || code === 'EPIPE')) {
    return 'dropped';
  }
  return undefined;
}

function errorCode(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const code = (value as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}
