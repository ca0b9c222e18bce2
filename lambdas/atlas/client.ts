/**
 * The Atlas Admin API client: Node's fetch, versioned media types, authentication, retries, deadlines.
 *
 * One `request()` = one Atlas operation. For each attempt it authenticates (bearer token or Digest),
 * sends with a per-attempt timeout, follows same-origin redirects only (credentials never go to another
 * host), and reads the answer. Failures are retried as described in `retry.ts`, within the call's
 * deadline: `retry.budgetMs` from the first attempt, or the client's absolute deadline (`withDeadline`,
 * e.g. the Lambda's remaining time minus a margin), whichever comes first.
 *
 * POST and PATCH are not idempotent at Atlas (a second create makes a second endpoint; a second PATCH of
 * a linked serverless endpoint is rejected). They are resent only when the failure proves Atlas did not
 * act on them: 429, 503, a connection that could not be opened, or an authentication challenge. After
 * an ambiguous failure (another 5xx, a dropped connection, a timeout) the caller's `converge` look-up
 * runs before the next attempt, and also before giving up when the attempts or the time run out (if any
 * time is left); its result is used when it finds the resource. Without a `converge`, or when it finds
 * nothing, the call fails with AtlasTransientError (details.ambiguous = true) and the workflow's next
 * attempt converges by looking up what exists before creating anything.
 *
 * Header values are checked before sending: one fetch would refuse (e.g. from a malformed token) fails
 * the call with a ConfigurationError naming the header, never quoting its value.
 *
 * Errors are the workflow's named errors (`#core/errors`) with an `AtlasApiError` cause (see
 * `errors.ts`). Logs carry operation, method, path, status, attempt, errorCode and timings; never
 * headers, tokens, credentials or bodies.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  AtlasRequestRejectedError,
  AtlasTransientError,
  ConfigurationError,
  type ErrorDetails,
  type WorkflowError,
} from '#core/errors';
import {
  type AtlasAuthKind,
  type AtlasCredentials,
  type Authenticator,
  digestAuthenticator,
  type IssuedToken,
  isBearerToken,
  serviceAccountAuthenticator,
} from './auth.ts';
import { AtlasApiError, parseErrorBody, toWorkflowError } from './errors.ts';
import {
  classifyNetworkError,
  isRetryableStatus,
  isUnprocessedStatus,
  type NetworkFailureKind,
  nextDelay,
  parseRetryAfter,
  type RetryOptions,
  resolveRetryOptions,
} from './retry.ts';
import type { TokenShare } from './token-share.ts';

export const DEFAULT_ATLAS_BASE_URL = 'https://cloud.mongodb.com';
export const ATLAS_GOV_BASE_URL = 'https://cloud.mongodbgov.com';
/** Path prefix of every v2 operation. */
export const API_V2 = '/api/atlas/v2';
/** The OAuth token endpoint, relative to the base URL. */
export const OAUTH_TOKEN_PATH = '/api/oauth/token';
export const DEFAULT_TIMEOUT_MS = 10_000;

/** The logger methods the client uses; a Powertools `Logger` fits. */
export type AtlasLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** `application/vnd.atlas.<version>+json` */
export function atlasMediaType(version: string): string {
  return `application/vnd.atlas.${version}+json`;
}

/** One Atlas operation to perform. */
export interface AtlasRequest<T> {
  /** Atlas operationId override, for logs and errors (e.g. `getPrivateEndpointService`). */
  readonly operation: string;
  readonly method: HttpMethod;
  /** Path from the base URL, starting with `/api/atlas/v2/`; path parameters already encoded. */
  readonly path: string;
  /** Resource version date for Accept (and Content-Type), e.g. `2023-01-01`. */
  readonly version: string;
  readonly body?: unknown;
  /** Whether resending after an ambiguous failure is harmless. @default GET and DELETE: true; POST and PATCH: false */
  readonly idempotent?: boolean;
  /**
   * For non-idempotent requests: after an ambiguous failure, find out whether the first send took effect.
   * A value means yes (it becomes the result); undefined means no (the request is sent again).
   */
  readonly converge?: () => Promise<T | undefined>;
}

export interface AtlasClientOptions {
  /** @default https://cloud.mongodb.com (Atlas for Government: https://cloud.mongodbgov.com) */
  readonly baseUrl?: string;
  readonly auth: AtlasCredentials;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Per-attempt timeout (connect, headers and body). @default 10000 */
  readonly timeoutMs?: number;
  readonly retry?: RetryOptions;
  /** Absolute deadline for every call, epoch ms in the `now()` time base (see also `withDeadline`). */
  readonly deadline?: number;
  readonly logger?: AtlasLogger;
  /** Clock for deadlines and token expiry. @default Date.now */
  readonly now?: () => number;
  /** How to wait between attempts. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Stop using an OAuth token this long before it expires. @default 60000 */
  readonly tokenRefreshMarginMs?: number;
  /**
   * Share the OAuth token with the deployment's other containers (./token-share.ts). @default - none: this
   * container's own token
   */
  readonly tokenShare?: TokenShare;
  /** Digest client nonce source (tests). */
  readonly cnonce?: () => string;
  /** @default atlas-private-endpoint-workflow */
  readonly userAgent?: string;
}

export interface AtlasClient {
  /** Normalized base URL (no trailing slash). */
  readonly baseUrl: string;
  readonly authKind: AtlasAuthKind;
  /** Performs one operation; resolves to the parsed JSON body (undefined for an empty answer). */
  request<T>(request: AtlasRequest<T>): Promise<T>;
  /** The same client (shared caches) with an absolute deadline for every call; undefined removes it. */
  withDeadline(deadline: number | undefined): AtlasClient;
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]', '::1']);

function isLoopbackHost(hostname: string): boolean {
  if (LOOPBACK_HOSTS.has(hostname.toLowerCase())) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}

/**
 * Checks and normalizes a base URL: https for every host, plain http only for loopback
 * (127.0.0.0/8, ::1, localhost) such as the simulator. No credentials, query or fragment.
 */
export function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigurationError('Atlas base URL is not a valid absolute URL', {
      details: { field: 'baseUrl' },
    });
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigurationError('Atlas base URL must not embed credentials', {
      details: { field: 'baseUrl' },
    });
  }
  const where = { baseUrl: `${url.protocol}//${url.host}` };
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(`Atlas base URL must use https (got ${url.protocol})`, { details: where });
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new ConfigurationError(
      `Atlas base URL must use https for ${url.hostname}; plain http is allowed only for loopback hosts`,
      { details: where },
    );
  }
  if (url.search !== '' || url.hash !== '') {
    throw new ConfigurationError('Atlas base URL must not have a query or fragment', { details: where });
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * An absolute deadline for `withDeadline` from a Lambda context: the invocation's remaining time minus a
 * margin, so retries stop early enough for the handler to report the error before Lambda kills it.
 */
export function lambdaDeadline(
  context: { getRemainingTimeInMillis(): number },
  marginMs = 3000,
  now: () => number = Date.now,
): number {
  return now() + Math.max(0, context.getRemainingTimeInMillis() - marginMs);
}

/** Percent-encodes one path parameter. */
export function pathParam(value: string): string {
  return encodeURIComponent(value);
}

// ---------------------------------------------------------------------------------------------------

interface WireRequest {
  readonly operation: string;
  readonly method: HttpMethod;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly idempotent: boolean;
  readonly authenticator: Authenticator | undefined;
}

interface WireAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

interface Failure {
  /** The error to throw if this failure is final. */
  readonly error: WorkflowError;
  readonly retryable: boolean;
  /** The request may have taken effect (matters for non-idempotent requests only). */
  readonly ambiguous: boolean;
  readonly retryAfterMs: number | undefined;
  readonly status: number | undefined;
  readonly errorCode: string | undefined;
  readonly reason: 'status' | NetworkFailureKind;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const MAX_AUTH_RETRIES = 3;

interface ClientCore {
  readonly baseUrl: string;
  readonly authenticator: Authenticator;
  readonly fetch: typeof fetch;
  readonly timeoutMs: number;
  readonly retry: Required<RetryOptions>;
  readonly logger: AtlasLogger | undefined;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly userAgent: string;
}

export function createAtlasClient(options: AtlasClientOptions): AtlasClient {
  const baseUrl = normalizeBaseUrl(options.baseUrl ?? DEFAULT_ATLAS_BASE_URL);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs must be a number > 0');
  const now = options.now ?? Date.now;
  const partial = {
    baseUrl,
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    timeoutMs,
    retry: resolveRetryOptions(options.retry),
    logger: options.logger,
    now,
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
    userAgent: options.userAgent ?? 'atlas-private-endpoint-workflow',
  };
  const { auth } = options;
  let authenticator: Authenticator;
  if (auth.kind === 'service-account') {
    const basic = Buffer.from(`${auth.clientId}:${auth.revealSecret()}`, 'utf8').toString('base64');
    authenticator = serviceAccountAuthenticator({
      baseUrl,
      credentials: auth,
      now,
      ...(options.tokenRefreshMarginMs === undefined
        ? {}
        : { refreshMarginMs: options.tokenRefreshMarginMs }),
      issueToken: (stopAt) => issueToken({ ...partial, authenticator: undefined }, basic, stopAt),
      ...(options.tokenShare === undefined ? {} : { share: options.tokenShare }),
      sleep: partial.sleep,
      random: partial.random,
    });
  } else {
    authenticator = digestAuthenticator({
      baseUrl,
      credentials: auth,
      ...(options.cnonce === undefined ? {} : { cnonce: options.cnonce }),
    });
  }
  return makeClient({ ...partial, authenticator }, options.deadline);
}

function makeClient(core: ClientCore, deadline: number | undefined): AtlasClient {
  return {
    baseUrl: core.baseUrl,
    authKind: core.authenticator.kind,
    request: <T>(request: AtlasRequest<T>) => performRequest(core, request, deadline),
    withDeadline: (next) => makeClient(core, next),
  };
}

async function performRequest<T>(
  core: ClientCore,
  request: AtlasRequest<T>,
  deadline: number | undefined,
): Promise<T> {
  const mediaType = atlasMediaType(request.version);
  const headers: Record<string, string> = { accept: mediaType, 'user-agent': core.userAgent };
  let body: string | undefined;
  if (request.body !== undefined) {
    headers['content-type'] = mediaType;
    body = JSON.stringify(request.body);
  }
  const wire: WireRequest = {
    operation: request.operation,
    method: request.method,
    url: new URL(`${core.baseUrl}${request.path}`),
    headers,
    body,
    idempotent: request.idempotent ?? (request.method === 'GET' || request.method === 'DELETE'),
    authenticator: core.authenticator,
  };
  const stopAt = Math.min(core.now() + core.retry.budgetMs, deadline ?? Number.POSITIVE_INFINITY);
  return execute(core, wire, stopAt, (answer) => parseJson<T>(answer, request.operation), request.converge);
}

async function issueToken(
  core: Omit<ClientCore, 'authenticator'> & { authenticator: undefined },
  basic: string,
  stopAt: number,
): Promise<IssuedToken> {
  const wire: WireRequest = {
    operation: 'oauthToken',
    method: 'POST',
    url: new URL(`${core.baseUrl}${OAUTH_TOKEN_PATH}`),
    headers: {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${basic}`,
      'user-agent': core.userAgent,
    },
    body: 'grant_type=client_credentials',
    // Minting an extra token is harmless (it only expires), so every retryable failure is retried.
    idempotent: true,
    authenticator: undefined,
  };
  return execute(
    core,
    wire,
    stopAt,
    (answer) => {
      const parsed = parseJson<Record<string, unknown> | undefined>(answer, 'oauthToken');
      const accessToken = parsed?.access_token;
      const expiresIn = parsed?.expires_in;
      if (typeof accessToken !== 'string' || accessToken === '') {
        throw new AtlasTransientError('Atlas oauthToken answered without an access_token', {
          details: { operation: 'oauthToken', status: answer.status, errorCode: 'INVALID_TOKEN_RESPONSE' },
        });
      }
      if (!isBearerToken(accessToken)) {
        // Never quote it: whatever came back may be a working credential.
        throw new AtlasTransientError(
          'Atlas oauthToken answered with an access_token that is not a valid bearer token (RFC 6750 b64token)',
          {
            details: { operation: 'oauthToken', status: answer.status, errorCode: 'INVALID_TOKEN_RESPONSE' },
          },
        );
      }
      const expiresInSeconds =
        typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : 3600;
      return { accessToken, expiresInSeconds };
    },
    undefined,
  );
}

function parseJson<T>(answer: WireAnswer, operation: string): T {
  if (answer.text.trim() === '') return undefined as T;
  try {
    return JSON.parse(answer.text) as T;
  } catch {
    throw new AtlasTransientError(
      `Atlas ${operation} answered ${answer.status} with a body that is not JSON`,
      {
        details: { operation, status: answer.status, errorCode: 'INVALID_RESPONSE_BODY' },
      },
    );
  }
}

/** The retry loop shared by API calls and token requests. */
async function execute<T>(
  core: Omit<ClientCore, 'authenticator'>,
  wire: WireRequest,
  stopAt: number,
  parse: (answer: WireAnswer) => T,
  converge: (() => Promise<T | undefined>) | undefined,
): Promise<T> {
  const { operation } = wire;
  const path = wire.url.pathname;
  /**
   * Before giving up after a failure that may have taken effect: one last converge look-up, if there is
   * one and time remains, so a request that did succeed is not reported as failed.
   */
  const finalLookUp = async (
    failure: Failure,
    attempts: number,
    why: 'attempts' | 'deadline',
  ): Promise<T> => {
    if (converge !== undefined && failure.ambiguous && !wire.idempotent && stopAt - core.now() > 0) {
      const found = await converge();
      if (found !== undefined) {
        core.logger?.info('Atlas request converged on the existing result', {
          operation,
          attempts,
          lastLookUp: why,
        });
        return found;
      }
    }
    throw giveUp(core, wire, attempts, failure, why);
  };
  let last: Failure | undefined;
  for (let attempt = 1; ; attempt++) {
    if (attempt > 1 && last?.ambiguous && !wire.idempotent && converge !== undefined) {
      const found = await converge();
      if (found !== undefined) {
        core.logger?.info('Atlas request converged on the existing result', { operation, attempt });
        return found;
      }
    }
    const remaining = stopAt - core.now();
    if (remaining <= 0) throw giveUp(core, wire, attempt - 1, last, 'deadline');
    const started = core.now();
    let failure: Failure;
    try {
      const answer = await sendAttempt(core, wire, Math.min(core.timeoutMs, remaining), stopAt);
      if (answer.status >= 200 && answer.status < 300) {
        core.logger?.debug('Atlas request succeeded', {
          operation,
          method: wire.method,
          path,
          status: answer.status,
          attempt,
          durationMs: core.now() - started,
        });
        return parse(answer);
      }
      failure = statusFailure(wire, answer, core.now());
    } catch (error) {
      const kind = classifyNetworkError(error);
      if (kind === undefined) throw error;
      failure = {
        error: new AtlasTransientError(`Atlas ${operation}: ${describeNetwork(kind)}`, {
          details: { operation, reason: kind },
          cause: error,
        }),
        retryable: true,
        ambiguous: kind !== 'connect',
        retryAfterMs: undefined,
        status: undefined,
        errorCode: undefined,
        reason: kind,
      };
    }
    last = failure;
    const logFields = {
      operation,
      method: wire.method,
      path,
      attempt,
      status: failure.status,
      errorCode: failure.errorCode,
      reason: failure.reason,
    };
    if (!failure.retryable) {
      core.logger?.warn('Atlas request failed', logFields);
      throw failure.error;
    }
    if (failure.ambiguous && !wire.idempotent && converge === undefined) {
      core.logger?.warn(
        'Atlas request failed; not resending a request that may have taken effect',
        logFields,
      );
      throw giveUp(core, wire, attempt, failure, 'ambiguous');
    }
    if (attempt >= core.retry.maxAttempts) return finalLookUp(failure, attempt, 'attempts');
    const delayMs = nextDelay(attempt - 1, failure.retryAfterMs, core.retry, core.random);
    if (core.now() + delayMs >= stopAt) return finalLookUp(failure, attempt, 'deadline');
    core.logger?.warn('Atlas request failed; retrying', { ...logFields, delayMs });
    await core.sleep(delayMs);
  }
}

function describeNetwork(kind: NetworkFailureKind): string {
  if (kind === 'timeout') return 'no answer within the request timeout';
  if (kind === 'connect') return 'could not connect';
  return 'the connection dropped before an answer';
}

function statusFailure(wire: WireRequest, answer: WireAnswer, now: number): Failure {
  const body = parseErrorBody(answer.text);
  const retryAfterMs = parseRetryAfter(answer.headers.get('retry-after'), now);
  const apiError = new AtlasApiError({
    operation: wire.operation,
    status: answer.status,
    errorCode: body.errorCode,
    detail: body.detail,
    parameters: body.parameters,
    retryAfterSeconds: retryAfterMs === undefined ? undefined : retryAfterMs / 1000,
  });
  const retryable = isRetryableStatus(answer.status);
  return {
    error: toWorkflowError(apiError),
    retryable,
    ambiguous: retryable && !isUnprocessedStatus(answer.status),
    retryAfterMs,
    status: answer.status,
    errorCode: body.errorCode,
    reason: 'status',
  };
}

function giveUp(
  core: Omit<ClientCore, 'authenticator'>,
  wire: WireRequest,
  attempts: number,
  last: Failure | undefined,
  why: 'deadline' | 'attempts' | 'ambiguous',
): WorkflowError {
  const lastDetails: ErrorDetails = last === undefined ? {} : last.error.details;
  const reasonText = {
    deadline: 'the retry deadline was reached',
    attempts: 'the attempts ran out',
    ambiguous: 'the request may have taken effect and is not resent blindly',
  }[why];
  const lastText = last === undefined ? '' : `; last: ${last.error.message}`;
  const details: ErrorDetails = {
    ...lastDetails,
    operation: wire.operation,
    attempts,
    gaveUp: why,
    ambiguous: last?.ambiguous ?? false,
    retryAfterSeconds: last?.retryAfterMs === undefined ? null : last.retryAfterMs / 1000,
  };
  core.logger?.warn('Atlas request gave up', {
    operation: wire.operation,
    method: wire.method,
    path: wire.url.pathname,
    attempts,
    gaveUp: why,
    status: last?.status,
    errorCode: last?.errorCode,
    reason: last?.reason,
  });
  return new AtlasTransientError(
    `Atlas ${wire.operation} failed after ${attempts} attempt(s): ${reasonText}${lastText}`,
    {
      details,
      cause: last?.error,
    },
  );
}

/**
 * One attempt: authenticate, send, follow same-origin redirects, answer auth challenges, read the body.
 * `timeoutMs` bounds the attempt's time on the wire, all hops together (a redirect or a 401 hop gets what
 * is left, never a fresh allowance), and no hop runs past `stopAt`.
 */
async function sendAttempt(
  core: Omit<ClientCore, 'authenticator'>,
  wire: WireRequest,
  timeoutMs: number,
  stopAt: number,
): Promise<WireAnswer> {
  const auth = wire.authenticator?.begin();
  let url = wire.url;
  let authRetries = 0;
  /** Real milliseconds spent on the wire so far (the timeout signals count real time, whatever `now()` is). */
  let spentMs = 0;
  for (let hops = 0; ; ) {
    const headers: Record<string, string> = { ...wire.headers };
    if (auth !== undefined) {
      const value = await auth.header(wire.method, url, { stopAt });
      if (value !== undefined) headers.authorization = value;
    }
    const hopTimeoutMs = Math.min(timeoutMs - spentMs, stopAt - core.now());
    if (hopTimeoutMs <= 0) throw timeoutError();
    const init: RequestInit = {
      method: wire.method,
      headers: checkedHeaders(wire, headers),
      ...(wire.body === undefined ? {} : { body: wire.body }),
      redirect: 'manual',
      signal: AbortSignal.timeout(Math.max(1, Math.ceil(hopTimeoutMs))),
    };
    const hopStarted = performance.now();
    let response: Response;
    let text: string;
    try {
      response = await core.fetch(url, init);
      text = await response.text();
    } catch (error) {
      throw sanitizeSendError(wire, error);
    } finally {
      spentMs += performance.now() - hopStarted;
    }
    if (response.status === 401 && auth !== undefined && authRetries < MAX_AUTH_RETRIES) {
      if (auth.retryAfterUnauthorized(response.headers.get('www-authenticate'))) {
        authRetries += 1;
        core.logger?.debug('Atlas asked to authenticate again', { operation: wire.operation, authRetries });
        continue;
      }
    }
    if (REDIRECT_STATUSES.has(response.status)) {
      url = redirectTarget(wire, url, response.status, response.headers.get('location'));
      hops += 1;
      if (hops > MAX_REDIRECTS) throw redirectRefused(wire, response.status, 'too many redirects', url);
      continue;
    }
    return { status: response.status, headers: response.headers, text };
  }
}

/** Visible ASCII, space, tab and obs-text (0x80-0xFF): what an HTTP field value may hold. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** What an expired attempt timeout looks like (classified as `timeout`, like the signal's own error). */
function timeoutError(): Error {
  return new DOMException('The attempt ran out of time before the next hop', 'TimeoutError');
}

/**
 * The headers as fetch will see them. A value fetch refuses (e.g. a token with a control character) would
 * make fetch throw an error quoting the whole header, secret included; this reports the header's name only.
 */
function checkedHeaders(wire: WireRequest, headers: Readonly<Record<string, string>>): Headers {
  const checked = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    try {
      // RFC 9110 field-value characters; fetch's own check lets control characters through to the socket
      // layer, which then fails with an error that looks like a dropped connection.
      if (!FIELD_VALUE.test(value)) throw new TypeError('invalid header value');
      checked.append(name, value);
    } catch {
      throw new ConfigurationError(
        `Atlas ${wire.operation}: could not build the request: the ${name} header value is not a valid HTTP header value`,
        { details: { operation: wire.operation, header: name, errorCode: 'INVALID_REQUEST_HEADER' } },
      );
    }
  }
  return checked;
}

/**
 * Network failures pass through (the retry loop classifies them). Anything else fetch throws is a request
 * it refused to send; its message may quote headers, so it is replaced, and its cause dropped.
 */
function sanitizeSendError(wire: WireRequest, error: unknown): unknown {
  if (classifyNetworkError(error) !== undefined) return error;
  const kind = error instanceof Error ? error.name : typeof error;
  return new ConfigurationError(`Atlas ${wire.operation}: the request could not be sent (${kind})`, {
    details: { operation: wire.operation, errorCode: 'REQUEST_NOT_SENT' },
  });
}

function redirectTarget(wire: WireRequest, from: URL, status: number, location: string | null): URL {
  if (location === null) throw redirectRefused(wire, status, 'redirect without a Location', undefined);
  let target: URL;
  try {
    target = new URL(location, from);
  } catch {
    throw redirectRefused(wire, status, 'redirect to an invalid Location', undefined);
  }
  if (target.origin !== from.origin) {
    throw redirectRefused(
      wire,
      status,
      'redirect to another origin (credentials are never forwarded)',
      target,
    );
  }
  const keepsMethod = status === 307 || status === 308;
  if (!keepsMethod && wire.method !== 'GET') {
    throw redirectRefused(wire, status, `a ${status} redirect would turn ${wire.method} into GET`, target);
  }
  return target;
}

function redirectRefused(
  wire: WireRequest,
  status: number,
  why: string,
  target: URL | undefined,
): WorkflowError {
  return new AtlasRequestRejectedError(`Atlas ${wire.operation}: refused to follow a ${status}: ${why}`, {
    details: {
      operation: wire.operation,
      status,
      errorCode: 'REDIRECT_REFUSED',
      redirectOrigin: target?.origin ?? null,
    },
  });
}
