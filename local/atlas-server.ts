/**
 * HTTP front of the simulated Atlas Admin API (node:http, no framework).
 *
 * Serves the real v2 paths under `/api/atlas/v2`, versioned media types, Atlas `ApiError` bodies, service
 * account OAuth tokens (`/api/oauth/token`, `/api/oauth/revoke`) and API-key HTTP Digest auth, per-project
 * token-bucket rate limits, and HTTP-level faults from the fault plan. Every request is recorded in the
 * request log (never with credentials).
 *
 * Order of checks for an API request: route -> authentication (401) -> path parameters (400) -> project
 * membership (401 NOT_IN_GROUP) -> retired serverless API (410) -> Accept version (406) -> rate limit (429)
 * -> fault plan -> request body (415/400) -> model. Faults therefore count only authenticated, well-routed
 * requests, so a digest client's unauthenticated first round trip never consumes a fault occurrence.
 *
 * Choices where the sources are silent or where the world deliberately differs (all documented here):
 * - `getCluster` serves only `application/vnd.atlas.2024-08-05+json`; 2023-01-01/2023-02-01 answer 406
 *   (real Atlas still serves them until their 2027-07-01 sunset) so clients stay on the current version.
 * - Request bodies may be sent as `application/json` or as the operation's versioned media type; anything
 *   else is 415 (ASSUMED code UNSUPPORTED_MEDIA_TYPE).
 * - Authentication failures answer `{error: 401, reason, detail}` without `errorCode`, as observed from Atlas
 *   (the spec's ApiError requires errorCode; see test/support/contract.ts KNOWN_DEVIATIONS). Every API 401
 *   carries a fresh Digest challenge.
 * - Malformed path parameters answer 400 PATH_PARAM_PARSE_ERROR (the code observed for a bad endpointServiceId);
 *   body schema violations 400 VALIDATION_ERROR with `badRequestDetail.fields`; unknown body attributes 400
 *   INVALID_ATTRIBUTE; unparsable JSON 400 INVALID_JSON (ASSUMED).
 * - A `slow-response` fault handles the request at once and delays only the answer, so a client that times out
 *   and retries a POST meets the resource its first attempt created.
 * - A `drop-after-commit` fault handles the request, then destroys the socket instead of answering (the
 *   answer is lost after Atlas acted); the request log records the status the answer would have had.
 *   `drop-connection` destroys the socket before anything is done (log status 0).
 * - `envelope=true` is ignored; `pretty=true` indents the JSON.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import {
  AtlasApiError,
  type AtlasModel,
  type AtlasRateLimitSet,
  type BadRequestField,
  type Principal,
  type RateLimitConfig,
  type RateLimitDecision,
  TOKEN_REQUESTS_PER_MINUTE,
} from './cloud/atlas-model.ts';
import type { VirtualClock } from './cloud/clock.ts';
import type { FaultEffect, FaultPlan } from './cloud/faults.ts';
import type { AuthKind, RequestLog } from './cloud/request-log.ts';
import { type HttpFront, listen } from './ec2-server.ts';

export type { HttpFront } from './ec2-server.ts';

export type AtlasResponseHook = (info: {
  operation: string;
  method: string;
  path: string;
  status: number;
  contentType: string | null;
  body: unknown;
}) => void;

export interface AtlasServerOptions {
  readonly model: AtlasModel;
  readonly clock: VirtualClock;
  readonly faults: FaultPlan;
  readonly log: RequestLog;
  /** @default 0 (ephemeral) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** Called with every response the server sends (not for dropped connections). Token values are redacted. */
  readonly onResponse?: AtlasResponseHook;
  /**
   * Served as JSON at `GET /__simulator` (outside the Atlas API's paths) when set: `npm run simulator` uses it
   * to publish its time scale and inventory to the CLI. Must not hold secrets.
   */
  readonly describe?: () => unknown;
}

/** Where a standalone simulator describes itself (see AtlasServerOptions.describe). */
export const SIMULATOR_INFO_PATH = '/__simulator';

/** `http-error` fault effects may carry a Retry-After (seconds) for 503; see FAULT_CATALOG. */
export type AtlasHttpErrorEffect = Extract<FaultEffect, { kind: 'http-error' }> & {
  readonly retryAfterSeconds?: number;
};

export const DIGEST_REALM = 'MMS Public API';
export const API_PREFIX = '/api/atlas/v2';
const MAX_BODY_BYTES = 1024 * 1024;
const SERVERLESS_PE_SUNSET = 'Thu, 22 Jan 2026 00:00:00 GMT';
const SERVERLESS_INSTANCE_SUNSET = 'Mon, 18 Jan 2027 00:00:00 GMT';

const HEX24 = /^([a-f0-9]{24})$/;
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9-]*$/;
const VPCE = /^vpce-[0-9a-f]{17}$/;

// ---------------------------------------------------------------------------------------------------------
// Routes

interface RequestContext {
  readonly params: Readonly<Record<string, string>>;
  /** Parsed JSON body (already checked by the route's `body` validator). */
  readonly body: unknown;
}

interface RouteResult {
  readonly status: number;
  readonly body?: unknown;
}

interface Route {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly segments: readonly string[];
  readonly operation: string;
  readonly versions: readonly string[];
  readonly rateLimit: AtlasRateLimitSet;
  /** Serverless private endpoint operation (410 when the world runs with serverlessRetired). */
  readonly serverlessPe?: boolean;
  readonly sunset?: string;
  readonly body?: (body: unknown, params: Readonly<Record<string, string>>) => void;
  readonly handle: (model: AtlasModel, ctx: RequestContext) => RouteResult;
}

const PARAM_PATTERNS: Readonly<Record<string, RegExp>> = {
  groupId: HEX24,
  instanceName: NAME,
  name: NAME,
  clusterName: NAME,
  endpointId: HEX24,
  endpointServiceId: HEX24,
  cloudProvider: /^(AWS|AZURE|GCP)$/,
  interfaceEndpointId: VPCE,
};

const V2023 = ['2023-01-01'] as const;
const SERVERLESS_EP = '/groups/{groupId}/privateEndpoint/serverless/instance/{instanceName}/endpoint';
const SERVICE = '/groups/{groupId}/privateEndpoint/{cloudProvider}/endpointService/{endpointServiceId}';

function seg(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

type Json = Record<string, unknown>;
const asJson = (body: unknown) => body as Json;

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** What every serverless private endpoint operation shares. */
const SERVERLESS_PE_ROUTE = {
  versions: V2023,
  rateLimit: 'serverlessPrivateEndpoints',
  serverlessPe: true,
  sunset: SERVERLESS_PE_SUNSET,
} as const satisfies Partial<Route>;

/** What every private endpoint service (dedicated) operation shares. */
const ENDPOINT_SERVICE_ROUTE = {
  versions: V2023,
  rateLimit: 'privateEndpointServices',
} as const satisfies Partial<Route>;

const ROUTES: readonly Route[] = [
  {
    method: 'GET',
    segments: seg(SERVERLESS_EP),
    operation: 'listServerlessPrivateEndpoint',
    ...SERVERLESS_PE_ROUTE,
    handle: (m, { params: p }) => ({
      status: 200,
      body: m.listServerlessEndpoints(p.groupId ?? '', p.instanceName ?? ''),
    }),
  },
  {
    method: 'POST',
    segments: seg(SERVERLESS_EP),
    operation: 'createServerlessPrivateEndpoint',
    ...SERVERLESS_PE_ROUTE,
    body: validateServerlessCreate,
    handle: (m, { params: p, body }) => ({
      status: 201,
      body: m.createServerlessEndpoint(p.groupId ?? '', p.instanceName ?? '', {
        ...(str(asJson(body).comment) === undefined ? {} : { comment: str(asJson(body).comment) }),
      }),
    }),
  },
  {
    method: 'GET',
    segments: seg(`${SERVERLESS_EP}/{endpointId}`),
    operation: 'getServerlessPrivateEndpoint',
    ...SERVERLESS_PE_ROUTE,
    handle: (m, { params: p }) => ({
      status: 200,
      body: m.getServerlessEndpoint(p.groupId ?? '', p.instanceName ?? '', p.endpointId ?? ''),
    }),
  },
  {
    method: 'PATCH',
    segments: seg(`${SERVERLESS_EP}/{endpointId}`),
    operation: 'updateServerlessPrivateEndpoint',
    ...SERVERLESS_PE_ROUTE,
    body: validateServerlessUpdate,
    handle: (m, { params: p, body }) => {
      const b = asJson(body);
      const cloudProviderEndpointId = str(b.cloudProviderEndpointId);
      const comment = str(b.comment);
      return {
        status: 200,
        body: m.updateServerlessEndpoint(p.groupId ?? '', p.instanceName ?? '', p.endpointId ?? '', {
          providerName: str(b.providerName) ?? '',
          ...(cloudProviderEndpointId === undefined ? {} : { cloudProviderEndpointId }),
          ...(comment === undefined ? {} : { comment }),
        }),
      };
    },
  },
  {
    method: 'DELETE',
    segments: seg(`${SERVERLESS_EP}/{endpointId}`),
    operation: 'deleteServerlessPrivateEndpoint',
    ...SERVERLESS_PE_ROUTE,
    handle: (m, { params: p }) => {
      m.deleteServerlessEndpoint(p.groupId ?? '', p.instanceName ?? '', p.endpointId ?? '');
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    segments: seg('/groups/{groupId}/privateEndpoint/endpointService'),
    operation: 'createPrivateEndpointService',
    ...ENDPOINT_SERVICE_ROUTE,
    body: validateServiceCreate,
    handle: (m, { params: p, body }) => ({
      status: 200,
      body: m.createEndpointService(p.groupId ?? '', {
        providerName: str(asJson(body).providerName) ?? '',
        region: str(asJson(body).region) ?? '',
      }),
    }),
  },
  {
    // Facts §10 ("multi-region clusters") and §5 (the Private Endpoint Services set includes regionalMode):
    // whether the project uses regionalized private endpoints. Not in the OpenAPI subset; the shape
    // `{ "enabled": boolean }` is the documented v2 response (getGroupPrivateEndpointRegionalMode).
    method: 'GET',
    segments: seg('/groups/{groupId}/privateEndpoint/regionalMode'),
    operation: 'getRegionalizedPrivateEndpointSetting',
    ...ENDPOINT_SERVICE_ROUTE,
    handle: (m, { params: p }) => ({
      status: 200,
      body: m.getRegionalizedPrivateEndpointSetting(p.groupId ?? ''),
    }),
  },
  {
    method: 'GET',
    segments: seg('/groups/{groupId}/privateEndpoint/{cloudProvider}/endpointService'),
    operation: 'listPrivateEndpointService',
    ...ENDPOINT_SERVICE_ROUTE,
    handle: (m, { params: p }) => ({
      status: 200,
      body: m.listEndpointServices(p.groupId ?? '', p.cloudProvider ?? ''),
    }),
  },
  {
    method: 'GET',
    segments: seg(SERVICE),
    operation: 'getPrivateEndpointService',
    ...ENDPOINT_SERVICE_ROUTE,
    handle: (m, { params: p }) => ({
      status: 200,
      body: m.getEndpointService(p.groupId ?? '', p.cloudProvider ?? '', p.endpointServiceId ?? ''),
    }),
  },
  {
    method: 'DELETE',
    segments: seg(SERVICE),
    operation: 'deletePrivateEndpointService',
    ...ENDPOINT_SERVICE_ROUTE,
    handle: (m, { params: p }) => {
      m.deleteEndpointService(p.groupId ?? '', p.cloudProvider ?? '', p.endpointServiceId ?? '');
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    segments: seg(`${SERVICE}/endpoint`),
    operation: 'createPrivateEndpoint',
    ...ENDPOINT_SERVICE_ROUTE,
    body: validateInterfaceCreate,
    handle: (m, { params: p, body }) => ({
      status: 200,
      body: m.createInterfaceEndpoint(p.groupId ?? '', p.cloudProvider ?? '', p.endpointServiceId ?? '', {
        id: str(asJson(body).id) ?? '',
      }),
    }),
  },
  {
    method: 'GET',
    segments: seg(`${SERVICE}/endpoint/{interfaceEndpointId}`),
    operation: 'getPrivateEndpoint',
    ...ENDPOINT_SERVICE_ROUTE,
    handle: (m, { params: p }) => ({
      status: 200,
      body: m.getInterfaceEndpoint(
        p.groupId ?? '',
        p.cloudProvider ?? '',
        p.endpointServiceId ?? '',
        p.interfaceEndpointId ?? '',
      ),
    }),
  },
  {
    method: 'DELETE',
    segments: seg(`${SERVICE}/endpoint/{interfaceEndpointId}`),
    operation: 'deletePrivateEndpoint',
    ...ENDPOINT_SERVICE_ROUTE,
    handle: (m, { params: p }) => {
      m.deleteInterfaceEndpoint(
        p.groupId ?? '',
        p.cloudProvider ?? '',
        p.endpointServiceId ?? '',
        p.interfaceEndpointId ?? '',
      );
      return { status: 204 };
    },
  },
  {
    method: 'GET',
    segments: seg('/groups/{groupId}/serverless/{name}'),
    operation: 'getServerlessInstance',
    versions: V2023,
    rateLimit: 'serverlessInstances',
    sunset: SERVERLESS_INSTANCE_SUNSET,
    handle: (m, { params: p }) => ({
      status: 200,
      body: m.getServerlessInstance(p.groupId ?? '', p.name ?? ''),
    }),
  },
  {
    method: 'GET',
    segments: seg('/groups/{groupId}/clusters/{clusterName}'),
    operation: 'getCluster',
    versions: ['2024-08-05'],
    rateLimit: 'clusters',
    handle: (m, { params: p }) => ({ status: 200, body: m.getCluster(p.groupId ?? '', p.clusterName ?? '') }),
  },
];

/** Every Atlas operation name the front serves (RequestLog `operation`, HTTP fault names). */
export const ATLAS_OPERATIONS: readonly string[] = [
  ...ROUTES.map((r) => r.operation),
  'oauthToken',
  'oauthRevoke',
];

function matchRoute(
  pathSegments: readonly string[],
): { routes: Route[]; params: Record<string, string> } | undefined {
  let found: { routes: Route[]; params: Record<string, string> } | undefined;
  for (const route of ROUTES) {
    if (route.segments.length !== pathSegments.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < route.segments.length; i++) {
      const pattern = route.segments[i] ?? '';
      const actual = pathSegments[i] ?? '';
      if (pattern.startsWith('{')) params[pattern.slice(1, -1)] = actual;
      else if (pattern !== actual) {
        ok = false;
        break;
      }
    }
    if (!ok) continue;
    if (!found) found = { routes: [route], params };
    else if (route.segments.join('/') === found.routes[0]?.segments.join('/')) found.routes.push(route);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------
// Request body validation (the spec's request schemas, including the discriminator-mapped child schemas
// that generic mock servers skip)

function badBody(fields: BadRequestField[]): AtlasApiError {
  return new AtlasApiError(
    400,
    'VALIDATION_ERROR',
    `The request body is invalid: ${fields.map((f) => `${f.field} ${f.description}`).join('; ')}.`,
    fields.map((f) => f.field),
    fields,
  );
}

function requireObject(body: unknown): Json {
  if (body === undefined) throw badBody([{ field: 'body', description: 'is required' }]);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badBody([{ field: 'body', description: 'must be a JSON object' }]);
  }
  return body as Json;
}

function rejectUnknown(body: Json, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw new AtlasApiError(400, 'INVALID_ATTRIBUTE', `Invalid attribute ${key} specified.`, [key]);
    }
  }
}

function checkComment(body: Json, fields: BadRequestField[]): void {
  if (body.comment === undefined) return;
  if (typeof body.comment !== 'string') fields.push({ field: 'comment', description: 'must be a string' });
  else if (body.comment.length > 80) {
    fields.push({ field: 'comment', description: 'must be at most 80 characters' });
  }
}

function validateServerlessCreate(raw: unknown): void {
  const body = requireObject(raw);
  rejectUnknown(body, ['comment']);
  const fields: BadRequestField[] = [];
  checkComment(body, fields);
  if (fields.length > 0) throw badBody(fields);
}

function validateServerlessUpdate(raw: unknown): void {
  const body = requireObject(raw);
  const fields: BadRequestField[] = [];
  if (body.providerName === undefined) fields.push({ field: 'providerName', description: 'is required' });
  else if (body.providerName !== 'AWS' && body.providerName !== 'AZURE') {
    fields.push({ field: 'providerName', description: 'must be one of AWS, AZURE' });
  }
  if (fields.length > 0) throw badBody(fields);
  rejectUnknown(
    body,
    body.providerName === 'AZURE'
      ? ['providerName', 'comment', 'cloudProviderEndpointId', 'privateEndpointIpAddress']
      : ['providerName', 'comment', 'cloudProviderEndpointId'],
  );
  checkComment(body, fields);
  if (body.cloudProviderEndpointId !== undefined) {
    if (typeof body.cloudProviderEndpointId !== 'string') {
      fields.push({ field: 'cloudProviderEndpointId', description: 'must be a string' });
    } else if (body.providerName === 'AWS' && !VPCE.test(body.cloudProviderEndpointId)) {
      fields.push({ field: 'cloudProviderEndpointId', description: 'must match ^vpce-[0-9a-f]{17}$' });
    }
  }
  if (fields.length > 0) throw badBody(fields);
}

function validateServiceCreate(raw: unknown): void {
  const body = requireObject(raw);
  rejectUnknown(body, ['providerName', 'region', 'portMappingEnabled', 'supportedRemoteRegions']);
  const fields: BadRequestField[] = [];
  if (body.providerName === undefined) fields.push({ field: 'providerName', description: 'is required' });
  else if (
    !['AWS', 'AZURE', 'GCP'].includes(String(body.providerName)) ||
    typeof body.providerName !== 'string'
  ) {
    fields.push({ field: 'providerName', description: 'must be one of AWS, AZURE, GCP' });
  }
  if (body.region === undefined) fields.push({ field: 'region', description: 'is required' });
  else if (typeof body.region !== 'string') fields.push({ field: 'region', description: 'must be a string' });
  if (body.portMappingEnabled !== undefined && typeof body.portMappingEnabled !== 'boolean') {
    fields.push({ field: 'portMappingEnabled', description: 'must be a boolean' });
  }
  const remote = body.supportedRemoteRegions;
  if (
    remote !== undefined &&
    remote !== null &&
    (!Array.isArray(remote) || remote.length > 35 || remote.some((r) => typeof r !== 'string'))
  ) {
    fields.push({ field: 'supportedRemoteRegions', description: 'must be an array of at most 35 strings' });
  }
  if (fields.length > 0) throw badBody(fields);
}

function validateInterfaceCreate(raw: unknown, params: Readonly<Record<string, string>>): void {
  const body = requireObject(raw);
  const fields: BadRequestField[] = [];
  if (body.cloudProvider !== undefined && body.cloudProvider !== params.cloudProvider) {
    fields.push({
      field: 'cloudProvider',
      description: `must be ${params.cloudProvider ?? 'the path provider'}`,
    });
  }
  if (params.cloudProvider !== 'AWS') {
    if (fields.length > 0) throw badBody(fields);
    return; // the model answers for non-AWS providers
  }
  rejectUnknown(body, ['cloudProvider', 'id']);
  if (body.id === undefined) fields.push({ field: 'id', description: 'is required' });
  else if (typeof body.id !== 'string' || !VPCE.test(body.id)) {
    fields.push({ field: 'id', description: 'must match ^vpce-[0-9a-f]{17}$' });
  }
  if (fields.length > 0) throw badBody(fields);
}

// ---------------------------------------------------------------------------------------------------------
// Small HTTP helpers

function md5(value: string): string {
  return createHash('md5').update(value).digest('hex');
}

/** Parses `key=value, key="quoted value"` auth parameters. */
export function parseAuthParams(input: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))/g;
  for (const m of input.matchAll(re)) {
    const key = (m[1] ?? '').toLowerCase();
    out[key] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return out;
}

function authKindOf(header: string | undefined): AuthKind {
  const scheme = header?.trim().split(/\s+/, 1)[0]?.toLowerCase();
  if (scheme === 'bearer') return 'bearer';
  if (scheme === 'digest') return 'digest';
  if (scheme === 'basic') return 'basic';
  return 'none';
}

function mediaTypeOf(header: string | undefined): string | undefined {
  return header?.split(';', 1)[0]?.trim().toLowerCase() || undefined;
}

function acceptedVersion(accept: string | undefined, versions: readonly string[]): string | undefined {
  if (!accept) return undefined;
  for (const part of accept.split(',')) {
    const type = mediaTypeOf(part);
    const m = type ? /^application\/vnd\.atlas\.(\d{4}-\d{2}-\d{2})\+json$/.exec(type) : null;
    if (m?.[1] && versions.includes(m[1])) return m[1];
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

interface Outgoing {
  status: number;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  errorCode?: string;
}

function apiError(
  status: number,
  errorCode: string | undefined,
  detail: string,
  parameters: readonly unknown[] = [],
  extra: { headers?: Record<string, string>; badRequestFields?: readonly BadRequestField[] } = {},
): Outgoing {
  const body: Json = { detail, error: status };
  if (errorCode !== undefined) {
    body.errorCode = errorCode;
    body.parameters = parameters;
  }
  body.reason = STATUS_CODES[status] ?? 'Error';
  if (extra.badRequestFields && extra.badRequestFields.length > 0) {
    body.badRequestDetail = { fields: extra.badRequestFields.map((f) => ({ ...f })) };
  }
  return {
    status,
    body,
    contentType: 'application/json',
    ...(extra.headers ? { headers: extra.headers } : {}),
    ...(errorCode ? { errorCode } : {}),
  };
}

function noResourceAt(path: string): Outgoing {
  return apiError(404, 'RESOURCE_NOT_FOUND', `There is no resource at ${path}.`, [path]);
}

function fromModelError(err: AtlasApiError): Outgoing {
  return apiError(err.status, err.errorCode, err.detail, err.parameters, {
    ...(err.badRequestFields ? { badRequestFields: err.badRequestFields } : {}),
  });
}

function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return { 'RateLimit-Limit': String(decision.limit), 'RateLimit-Remaining': String(decision.remaining) };
}

/** 429 from the token endpoint (observed shape: errorCode RATE_LIMITED, params [path, limit, minutes]). */
function tokenRateLimited(headers: Record<string, string>): Outgoing {
  return apiError(
    429,
    'RATE_LIMITED',
    `Resource /api/oauth/token is limited to ${TOKEN_REQUESTS_PER_MINUTE} requests every 1 minutes.`,
    ['/api/oauth/token', TOKEN_REQUESTS_PER_MINUTE, 1],
    { headers },
  );
}

/**
 * 429 from an exhausted token bucket (or a `rate-limit` fault) on `path`; `wait` is the Retry-After in seconds,
 * when there is one.
 */
function tokenBucketLimited(path: string, limit: RateLimitConfig, wait: number | undefined): Outgoing {
  const where = path.replace(/^\//, '');
  const retry = wait === undefined ? '' : ` Please retry after ${wait} seconds.`;
  return apiError(
    429,
    'RATE_LIMITED_TOKEN_BUCKET',
    `Rate limit exceeded for ${where}.${retry} Request capacity: ${limit.capacity}. Refill rate: ${limit.refillRate} per ${limit.refillIntervalSeconds} seconds.`,
    [where, wait ?? null, limit.capacity, limit.refillRate, limit.refillIntervalSeconds],
    {
      headers: {
        'RateLimit-Limit': String(limit.capacity),
        'RateLimit-Remaining': '0',
        ...(wait === undefined ? {} : { 'Retry-After': String(wait) }),
      },
    },
  );
}

const HTTP_FAULT_ERRORS: Readonly<Record<number, { code: string; detail: string }>> = {
  500: { code: 'UNEXPECTED_ERROR', detail: 'Unexpected error.' },
  502: { code: 'BAD_GATEWAY', detail: 'The upstream service did not answer correctly.' },
  503: { code: 'SERVICE_UNAVAILABLE', detail: 'The service is temporarily unavailable. Try again later.' },
  504: { code: 'GATEWAY_TIMEOUT', detail: 'The upstream service did not answer in time.' },
};

// ---------------------------------------------------------------------------------------------------------
// The server

export async function startAtlasServer(options: AtlasServerOptions): Promise<HttpFront> {
  const { model, clock, faults, log } = options;
  const timers = new Set<NodeJS.Timeout>();

  interface Served {
    operation: string;
    method: string;
    path: string;
    auth: AuthKind;
    fault?: string;
  }

  const respond = (res: ServerResponse, served: Served, out: Outgoing, pretty: boolean, delayMs = 0) => {
    const entryAt = clock.now();
    log.record({
      at: entryAt,
      service: 'atlas',
      operation: served.operation,
      method: served.method,
      path: served.path,
      status: out.status,
      auth: served.auth,
      ...(out.errorCode ? { errorCode: out.errorCode } : {}),
      ...(served.fault ? { fault: served.fault } : {}),
    });
    if (served.fault === 'drop-after-commit') {
      res.destroy();
      return;
    }
    const send = () => {
      if (res.destroyed || res.writableEnded) return;
      const headers: Record<string, string> = { ...(out.headers ?? {}) };
      let payload: string | undefined;
      if (out.body !== undefined && out.status !== 204) {
        payload = pretty ? JSON.stringify(out.body, null, 2) : JSON.stringify(out.body);
        headers['Content-Type'] = out.contentType ?? 'application/json';
        headers['Content-Length'] = String(Buffer.byteLength(payload));
      } else if (out.contentType) {
        headers['Content-Type'] = out.contentType;
      }
      res.writeHead(out.status, headers);
      res.end(payload);
      if (options.onResponse) {
        let body: unknown = out.body;
        if (body && typeof body === 'object' && 'access_token' in body) {
          body = { ...(body as Json), access_token: '[redacted]' };
        }
        options.onResponse({
          operation: served.operation,
          method: served.method,
          path: served.path,
          status: out.status,
          contentType: out.contentType ?? null,
          body,
        });
      }
    };
    if (delayMs <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      send();
    }, delayMs);
    timers.add(timer);
  };

  const drop = (req: IncomingMessage, served: Served) => {
    log.record({
      at: clock.now(),
      service: 'atlas',
      operation: served.operation,
      method: served.method,
      path: served.path,
      status: 0,
      auth: served.auth,
      fault: 'drop-connection',
    });
    req.socket.destroy();
  };

  /** Applies an HTTP fault; returns true when the request was answered (or dropped) by the fault. */
  const applyFault = (
    req: IncomingMessage,
    res: ServerResponse,
    served: Served,
    effect: FaultEffect | undefined,
    pretty: boolean,
    path: string,
    decision: RateLimitDecision | undefined,
  ): { handled: boolean; delayMs: number } => {
    if (!effect) return { handled: false, delayMs: 0 };
    served.fault = effect.kind;
    switch (effect.kind) {
      case 'http-error': {
        const e = effect as AtlasHttpErrorEffect;
        const spec = HTTP_FAULT_ERRORS[e.status] ?? { code: 'UNEXPECTED_ERROR', detail: 'Unexpected error.' };
        const headers: Record<string, string> =
          e.retryAfterSeconds !== undefined ? { 'Retry-After': String(e.retryAfterSeconds) } : {};
        respond(res, served, apiError(e.status, spec.code, spec.detail, [], { headers }), pretty);
        return { handled: true, delayMs: 0 };
      }
      case 'rate-limit': {
        if (served.operation === 'oauthToken' || served.operation === 'oauthRevoke') {
          const headers: Record<string, string> =
            effect.retryAfterSeconds !== undefined ? { 'Retry-After': String(effect.retryAfterSeconds) } : {};
          respond(res, served, tokenRateLimited(headers), pretty);
          return { handled: true, delayMs: 0 };
        }
        const limit = decision?.config ?? model.rateLimits.limits.privateEndpointServices;
        respond(res, served, tokenBucketLimited(path, limit, effect.retryAfterSeconds), pretty);
        return { handled: true, delayMs: 0 };
      }
      case 'drop-connection':
        drop(req, served);
        return { handled: true, delayMs: 0 };
      case 'slow-response':
        return { handled: false, delayMs: effect.delayMs };
      case 'drop-after-commit':
        // Handled as usual; `respond` then drops the connection instead of answering.
        return { handled: false, delayMs: 0 };
      default:
        // ec2-error / lifecycle effects do not apply to Atlas HTTP operations.
        served.fault = undefined;
        return { handled: false, delayMs: 0 };
    }
  };

  const challenge = (stale: boolean): Record<string, string> => ({
    'WWW-Authenticate': `Digest realm="${DIGEST_REALM}", domain="", nonce="${model.access.newNonce()}", algorithm=MD5, qop="auth", stale=${stale ? 'true' : 'false'}`,
  });

  const unauthorized = (stale = false, detail = 'You are not authorized for this resource.'): Outgoing => ({
    status: 401,
    body: { error: 401, reason: 'Unauthorized', detail },
    contentType: 'application/json',
    headers: challenge(stale),
  });

  /** Authenticates an API request: a principal, or the 401 answer to send. */
  const authenticate = (req: IncomingMessage, method: string): Principal | Outgoing => {
    const header = req.headers.authorization;
    const kind = authKindOf(header);
    if (!header || kind === 'none' || kind === 'basic') return unauthorized();
    const credentials = header.trim().slice(header.trim().indexOf(' ') + 1);
    if (kind === 'bearer') {
      const resolved = model.access.resolveBearer(credentials.trim());
      if (resolved === 'expired') return unauthorized(false, 'The access token has expired.');
      if (!resolved) return unauthorized();
      return resolved;
    }
    const p = parseAuthParams(credentials);
    const username = p.username;
    const nonce = p.nonce;
    const uri = p.uri;
    const response = p.response;
    if (response) model.access.noteDigestResponse(response);
    const qop = p.qop;
    const nc = p.nc;
    const cnonce = p.cnonce;
    if (!username || !nonce || !uri || !response || qop !== 'auth' || !nc || !cnonce) return unauthorized();
    if (p.realm !== DIGEST_REALM) return unauthorized();
    if (p.algorithm !== undefined && p.algorithm.toUpperCase() !== 'MD5') return unauthorized();
    let uriPath = uri;
    if (/^https?:\/\//i.test(uri)) {
      try {
        const u = new URL(uri);
        uriPath = u.pathname + u.search;
      } catch {
        return unauthorized();
      }
    }
    if (uriPath !== req.url) return unauthorized();
    const key = model.access.apiKey(username);
    if (!key) return unauthorized();
    const ha1 = md5(`${username}:${DIGEST_REALM}:${key.privateKey}`);
    const ha2 = md5(`${method}:${uri}`);
    const expected = md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`);
    if (expected !== response.toLowerCase()) return unauthorized();
    const state = model.access.nonceState(nonce);
    if (state === 'unknown') return unauthorized();
    if (state === 'stale') return unauthorized(true);
    if (!model.access.useNonceCount(nonce, nc)) return unauthorized();
    return { kind: 'api-key', id: username, orgId: key.orgId };
  };

  const handleOAuth = async (
    req: IncomingMessage,
    res: ServerResponse,
    served: Served,
    pretty: boolean,
    which: 'token' | 'revoke',
  ) => {
    const oauthError = (
      status: number,
      error: string,
      description: string,
      headers?: Record<string, string>,
    ) =>
      respond(
        res,
        served,
        {
          status,
          body: { error, error_description: description },
          contentType: 'application/json',
          errorCode: error,
          ...(headers ? { headers } : {}),
        },
        pretty,
      );
    /** 401 invalid_client, with a Basic challenge when `challenge`. */
    const invalidClient = (challenge: boolean) =>
      oauthError(
        401,
        'invalid_client',
        'Client authentication failed.',
        challenge ? { 'WWW-Authenticate': 'Basic realm="MongoDB Atlas"' } : undefined,
      );
    const raw = await readBody(req);
    if (req.method !== 'POST') {
      respond(
        res,
        served,
        apiError(405, 'METHOD_NOT_ALLOWED', `Method ${req.method} is not allowed here.`),
        pretty,
      );
      return;
    }
    const effect = faults.take(served.operation);
    const fault = applyFault(req, res, served, effect, pretty, served.path, undefined);
    if (fault.handled) return;
    const header = req.headers.authorization ?? '';
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    const decoded = basic?.[1] ? Buffer.from(basic[1], 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (!basic || colon < 0) {
      invalidClient(true);
      return;
    }
    let clientId: string;
    let clientSecret: string;
    try {
      clientId = decodeURIComponent(decoded.slice(0, colon));
      clientSecret = decodeURIComponent(decoded.slice(colon + 1));
    } catch {
      invalidClient(false);
      return;
    }
    if (mediaTypeOf(req.headers['content-type']) !== 'application/x-www-form-urlencoded') {
      oauthError(400, 'invalid_request', 'The request must be application/x-www-form-urlencoded.');
      return;
    }
    const form = new URLSearchParams(raw === 'too-large' ? '' : raw.toString('utf8'));
    if (which === 'revoke') {
      const token = form.get('token');
      if (!token) {
        oauthError(400, 'invalid_request', 'The token parameter is required.');
        return;
      }
      if (!model.access.revokeToken(clientId, clientSecret, token)) {
        invalidClient(false);
        return;
      }
      respond(res, served, { status: 200 }, pretty, fault.delayMs);
      return;
    }
    const grant = form.get('grant_type');
    if (!grant) {
      oauthError(400, 'invalid_request', 'The grant_type parameter is required.');
      return;
    }
    if (grant !== 'client_credentials') {
      oauthError(400, 'unsupported_grant_type', `Grant type ${grant} is not supported.`);
      return;
    }
    const outcome = model.access.requestToken(clientId, clientSecret);
    switch (outcome.kind) {
      case 'ok':
        respond(
          res,
          served,
          {
            status: 200,
            body: { access_token: outcome.accessToken, expires_in: outcome.expiresIn, token_type: 'Bearer' },
            contentType: 'application/json',
            headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
          },
          pretty,
          fault.delayMs,
        );
        return;
      case 'invalid-client':
        invalidClient(true);
        return;
      case 'token-limit':
        oauthError(403, 'access_denied', 'Access Token limit reached for this service account.');
        return;
      case 'rate-limited':
        respond(res, served, tokenRateLimited({ 'Retry-After': String(outcome.retryAfterSeconds) }), pretty);
        return;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    clock.settle();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const pretty = url.searchParams.get('pretty') === 'true';
    const served: Served = {
      operation: 'unknown',
      method,
      path,
      auth: authKindOf(req.headers.authorization),
    };
    const answer = (out: Outgoing) => respond(res, served, out, pretty);

    if (path === SIMULATOR_INFO_PATH && method === 'GET' && options.describe) {
      const text = JSON.stringify(options.describe());
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }

    if (path === '/api/oauth/token' || path === '/api/oauth/revoke') {
      served.operation = path.endsWith('token') ? 'oauthToken' : 'oauthRevoke';
      await handleOAuth(req, res, served, pretty, path.endsWith('token') ? 'token' : 'revoke');
      return;
    }

    const raw = await readBody(req);
    if (path !== API_PREFIX && !path.startsWith(`${API_PREFIX}/`)) {
      answer(noResourceAt(path));
      return;
    }
    let segments: string[];
    try {
      segments = seg(path.slice(API_PREFIX.length)).map((s) => decodeURIComponent(s));
    } catch {
      answer(
        apiError(400, 'PATH_PARAM_PARSE_ERROR', 'A path parameter in the request URI could not be decoded.'),
      );
      return;
    }
    const match = matchRoute(segments);
    const route = match?.routes.find((r) => r.method === method);
    if (route) served.operation = route.operation;

    // Authentication comes first for every API path, as on the real service.
    const principal = authenticate(req, method);
    if (!('orgId' in principal)) {
      answer(principal);
      return;
    }
    if (!match) {
      answer(noResourceAt(path));
      return;
    }
    if (!route) {
      const allow = match.routes.map((r) => r.method).join(', ');
      answer(
        apiError(405, 'METHOD_NOT_ALLOWED', `Method ${method} is not allowed on ${path}.`, [method], {
          headers: { Allow: allow },
        }),
      );
      return;
    }
    const params = match.params;

    // Path parameters.
    const badParams: BadRequestField[] = [];
    for (const [name, value] of Object.entries(params)) {
      const pattern = PARAM_PATTERNS[name];
      if (pattern && !pattern.test(value)) {
        badParams.push({ field: name, description: `must match ${pattern.source}` });
      }
    }
    if (badParams.length > 0) {
      answer(
        apiError(
          400,
          'PATH_PARAM_PARSE_ERROR',
          `One or more path parameters are malformed: ${badParams.map((f) => f.field).join(', ')}.`,
          badParams.map((f) => f.field),
          { badRequestFields: badParams },
        ),
      );
      return;
    }

    // Project membership.
    const groupId = params.groupId ?? '';
    const project = model.project(groupId);
    if (project && project.orgId !== principal.orgId) {
      answer({
        ...apiError(401, 'NOT_IN_GROUP', `The current credentials have no access to group ${groupId}.`, [
          groupId,
        ]),
        headers: challenge(false),
      });
      return;
    }

    if (route.serverlessPe && model.serverlessRetired) {
      answer(
        apiError(
          410,
          'VERSION_GONE',
          'The serverless private endpoint API (version 2023-01-01) was sunset on 2026-01-22: Atlas no longer supports serverless instances or their private endpoints. Use a dedicated cluster with a private endpoint service (/groups/{groupId}/privateEndpoint/endpointService) instead.',
          ['2023-01-01', '2026-01-22'],
        ),
      );
      return;
    }

    const version = acceptedVersion(req.headers.accept, route.versions);
    if (!version) {
      answer(apiError(406, 'INVALID_VERSION_DATE', 'Invalid accept header or version date.'));
      return;
    }
    const mediaType = `application/vnd.atlas.${version}+json`;

    const decision = model.rateLimits.take(route.rateLimit, groupId);
    if (!decision.allowed) {
      answer(tokenBucketLimited(path, decision.config, decision.retryAfterSeconds));
      return;
    }

    const fault = applyFault(req, res, served, faults.take(route.operation), pretty, path, decision);
    if (fault.handled) return;
    // From here on every answer honours a slow-response fault.
    const reply = (out: Outgoing) => respond(res, served, out, pretty, fault.delayMs);

    let body: unknown;
    if (route.body) {
      const contentType = mediaTypeOf(req.headers['content-type']);
      const text = raw === 'too-large' ? undefined : raw.toString('utf8');
      if (raw === 'too-large') {
        reply(apiError(413, 'PAYLOAD_TOO_LARGE', 'The request body is too large.'));
        return;
      }
      if (text !== undefined && text.trim().length > 0) {
        if (contentType !== 'application/json' && contentType !== mediaType) {
          reply(
            apiError(
              415,
              'UNSUPPORTED_MEDIA_TYPE',
              `Content-Type ${contentType ?? '(none)'} is not supported; send ${mediaType}.`,
              [contentType ?? null],
            ),
          );
          return;
        }
        try {
          body = JSON.parse(text);
        } catch {
          reply(apiError(400, 'INVALID_JSON', 'The request body is not valid JSON.'));
          return;
        }
      }
    }

    let out: Outgoing;
    try {
      route.body?.(body, params);
      const result = route.handle(model, { params, body });
      out = {
        status: result.status,
        ...(result.body === undefined ? {} : { body: result.body }),
        contentType: mediaType,
        headers: {
          ...rateLimitHeaders(decision),
          ...(route.sunset && !model.serverlessRetired ? { Sunset: route.sunset } : {}),
        },
      };
    } catch (err) {
      if (!(err instanceof AtlasApiError)) throw err;
      out = fromModelError(err);
      out.headers = { ...(out.headers ?? {}), ...rateLimitHeaders(decision) };
    }
    reply(out);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error('atlas-server: unexpected error', err instanceof Error ? err.stack : err);
      if (!res.headersSent && !res.destroyed) {
        const out = apiError(500, 'UNEXPECTED_ERROR', 'Unexpected error.');
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(out.body));
      }
    });
  });
  server.keepAliveTimeout = 5_000;

  return {
    url: await listen(server, options.port, options.host),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
