/**
 * The simulated Atlas control plane: organizations, projects, serverless instances, dedicated clusters,
 * serverless private endpoints, dedicated private endpoint services with their interface endpoints, and the
 * access state behind authentication (service accounts, API keys, tokens, digest nonces, rate-limit buckets).
 *
 * The model speaks Atlas semantics and returns Atlas wire JSON; it knows nothing about HTTP. Request-level
 * checks (path patterns, media types, body schemas) live in `local/atlas-server.ts`; everything that needs
 * state (does the project exist, may this endpoint be updated now) lives here and fails with `AtlasApiError`.
 *
 * Lifecycles run on the virtual clock: every asynchronous transition is scheduled with `clock.after()` using
 * the timeline, and asks the fault plan (`faults.take(<lifecycle name>)`) whether to fail or get stuck.
 *
 * Today's Atlas (facts §10, "checked 2026-12-03"), row by row:
 * - "endpoint service status": a new service goes INITIATING -> AVAILABLE (with endpointServiceName) before
 *   any interface endpoint exists. The older behaviour, WAITING_FOR_USER until the first interface endpoint
 *   is AVAILABLE, is the option `endpointServiceReadyStatus: 'WAITING_FOR_USER'`.
 * - "deleting a service that has interface endpoints": refused while one is attached or still deleting.
 * - "deleting the last AWS interface endpoint": also removes the service (unless keepServiceAfterLastEndpoint).
 * - "duplicate interface endpoint": 409 (spec); AKO's legacy path expects a 400 (option
 *   `duplicateInterfaceEndpointStatus: 400`).
 * - "connectionStatus": `NONE` besides the spec's enum; here while Atlas sees no AWS VPC endpoint awaiting
 *   acceptance yet (the VPC endpoint does not exist or is still `pending` when the interface endpoint is made).
 * - "connection strings": when an interface endpoint (or a serverless endpoint) becomes AVAILABLE, every
 *   deployment it serves goes UPDATING, and its `privateEndpoint[]` entry appears only when it is IDLE again
 *   (timeline `privateEndpointApply`; fault `lifecycle:deployment.applyPrivateEndpoint` can keep it UPDATING).
 * - "multi-region clusters": `privateEndpoint[]` appears only when every region of the cluster has one, unless
 *   the project is in regionalized private endpoint mode (option `regionalizedPrivateEndpoints`; read with GET
 *   `/groups/{groupId}/privateEndpoint/regionalMode`).
 * - "Flex clusters": GET `/clusters/{name}` on a Flex cluster answers 400 CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API;
 *   the serverless API on a Flex name answers NOT_SERVERLESS_TENANT_CLUSTER (AKO #2105).
 *
 * Error codes: the ones named in the facts file are used as documented. Where the sources name no code, the
 * model uses a plausible Atlas-style code, marked ASSUMPTION below (and at the throw site):
 * - ASSUMPTION: 409 (or 400, see above) `INTERFACE_ENDPOINT_ALREADY_EXISTS` for a duplicate interface
 *   endpoint: the spec declares 409 but no code (facts §8, §10).
 * - ASSUMPTION: 400 `PRIVATE_ENDPOINT_SERVICE_HAS_INTERFACE_ENDPOINTS` for DELETE of a service that still has
 *   an interface endpoint: facts §10 says Atlas refuses it, no source names the code; 400 because the spec
 *   declares 400 (and no 409) for that operation.
 * - ASSUMPTION: 400 `ENDPOINT_SERVICE_NOT_READY` (interface endpoint on a service that is not ready yet).
 * - ASSUMPTION: 400 `INVALID_REGION` (unknown AWS region on create endpoint service).
 * - ASSUMPTION: 400 `INVALID_PROVIDER` (providerName other than the resource's provider; AWS only here).
 * - ASSUMPTION: 400 `MISSING_ATTRIBUTE` (PATCH without cloudProviderEndpointId).
 * - `CANNOT_USE_SERVERLESS_INSTANCE_IN_CLUSTER_API` / `CANNOT_USE_CLUSTER_IN_SERVERLESS_INSTANCE_API` /
 *   `NOT_SERVERLESS_TENANT_CLUSTER`: codes from the facts; ASSUMPTION: HTTP status 400 for each.
 * - `CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API` 400: facts §10 (CLI PR #3424), status and code as documented.
 */
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { AwsModel } from './aws-model.ts';
import type { Scheduled, VirtualClock } from './clock.ts';
import type { FaultPlan } from './faults.ts';
import type { Timeline } from './timeline.ts';

// ---------------------------------------------------------------------------------------------------------
// Names shared with fault plans and tests

/** Lifecycle fault names the Atlas model asks the fault plan about, one per transition. */
export const ATLAS_LIFECYCLE = {
  serverlessReserve: 'lifecycle:serverlessEndpoint.reserve',
  serverlessAccept: 'lifecycle:serverlessEndpoint.accept',
  serverlessDelete: 'lifecycle:serverlessEndpoint.delete',
  endpointServiceCreate: 'lifecycle:endpointService.create',
  endpointServiceDelete: 'lifecycle:endpointService.delete',
  interfaceEndpointAccept: 'lifecycle:interfaceEndpoint.accept',
  interfaceEndpointAvailable: 'lifecycle:interfaceEndpoint.available',
  interfaceEndpointDelete: 'lifecycle:interfaceEndpoint.delete',
  /** A cluster or serverless instance applying a private endpoint (UPDATING -> IDLE); `stuck` keeps it UPDATING. */
  privateEndpointApply: 'lifecycle:deployment.applyPrivateEndpoint',
} as const;
export type AtlasLifecycleName = (typeof ATLAS_LIFECYCLE)[keyof typeof ATLAS_LIFECYCLE];

/** The part of the AWS model Atlas talks to (structural, so the Atlas model has one narrow dependency). */
export type AwsPeer = Pick<
  AwsModel,
  | 'registerEndpointService'
  | 'deregisterEndpointService'
  | 'getVpcEndpoint'
  | 'acceptVpcEndpoint'
  | 'rejectVpcEndpoint'
>;

// ---------------------------------------------------------------------------------------------------------
// Errors

export interface BadRequestField {
  readonly field: string;
  readonly description: string;
}

/** An Atlas API error; the HTTP front turns it into an `ApiError` JSON body. */
export class AtlasApiError extends Error {
  override readonly name = 'AtlasApiError';
  constructor(
    readonly status: number,
    readonly errorCode: string,
    readonly detail: string,
    readonly parameters: readonly unknown[] = [],
    readonly badRequestFields?: readonly BadRequestField[],
  ) {
    super(`${status} ${errorCode}: ${detail}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Regions

/** Atlas AWS region names (spec enum "AWS Regions", without GLOBAL). */
export const ATLAS_AWS_REGIONS = [
  'US_GOV_WEST_1',
  'US_GOV_EAST_1',
  'US_EAST_1',
  'US_EAST_2',
  'US_WEST_1',
  'US_WEST_2',
  'CA_CENTRAL_1',
  'EU_NORTH_1',
  'EU_WEST_1',
  'EU_WEST_2',
  'EU_WEST_3',
  'EU_CENTRAL_1',
  'EU_CENTRAL_2',
  'AP_EAST_1',
  'AP_EAST_2',
  'AP_NORTHEAST_1',
  'AP_NORTHEAST_2',
  'AP_NORTHEAST_3',
  'AP_SOUTHEAST_1',
  'AP_SOUTHEAST_2',
  'AP_SOUTHEAST_3',
  'AP_SOUTHEAST_4',
  'AP_SOUTHEAST_5',
  'AP_SOUTHEAST_6',
  'AP_SOUTHEAST_7',
  'AP_SOUTH_1',
  'AP_SOUTH_2',
  'SA_EAST_1',
  'CN_NORTH_1',
  'CN_NORTHWEST_1',
  'ME_SOUTH_1',
  'ME_CENTRAL_1',
  'AF_SOUTH_1',
  'EU_SOUTH_1',
  'EU_SOUTH_2',
  'IL_CENTRAL_1',
  'CA_WEST_1',
  'MX_CENTRAL_1',
] as const;

const ATLAS_AWS_REGION_SET: ReadonlySet<string> = new Set(ATLAS_AWS_REGIONS);

/** `US_EAST_1` -> `us-east-1`; undefined for names that are not Atlas AWS regions. */
export function atlasToAwsRegion(atlasRegion: string): string | undefined {
  return ATLAS_AWS_REGION_SET.has(atlasRegion) ? atlasRegion.toLowerCase().replaceAll('_', '-') : undefined;
}

/** `us-east-1` -> `US_EAST_1`; undefined for names that are not AWS regions Atlas serves. */
export function awsToAtlasRegion(awsRegion: string): string | undefined {
  const candidate = awsRegion.toUpperCase().replaceAll('-', '_');
  return ATLAS_AWS_REGION_SET.has(candidate) && /^[a-z0-9-]+$/.test(awsRegion) ? candidate : undefined;
}

/** Accepts either form (`US_EAST_1` or `us-east-1`) and returns the Atlas form. */
export function normalizeAtlasRegion(region: string): string | undefined {
  return ATLAS_AWS_REGION_SET.has(region) ? region : awsToAtlasRegion(region);
}

// ---------------------------------------------------------------------------------------------------------
// Rate limits (facts §5)

export type AtlasRateLimitSet =
  | 'privateEndpointServices'
  | 'clusters'
  | 'serverlessPrivateEndpoints'
  | 'serverlessInstances';

export interface RateLimitConfig {
  /** Bucket capacity (RateLimit-Limit). */
  readonly capacity: number;
  /** Tokens added per refill interval. */
  readonly refillRate: number;
  readonly refillIntervalSeconds: number;
}

/** Defaults from the Atlas rate-limit tables (GROUP scope). */
export const DEFAULT_RATE_LIMITS: Readonly<Record<AtlasRateLimitSet, RateLimitConfig>> = {
  privateEndpointServices: { capacity: 4000, refillRate: 2000, refillIntervalSeconds: 60 },
  clusters: { capacity: 10000, refillRate: 5000, refillIntervalSeconds: 60 },
  serverlessPrivateEndpoints: { capacity: 1200, refillRate: 500, refillIntervalSeconds: 60 },
  serverlessInstances: { capacity: 1200, refillRate: 500, refillIntervalSeconds: 60 },
};

export interface RateLimitDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Whole seconds until one token is available (only meaningful when not allowed). */
  readonly retryAfterSeconds: number;
  readonly config: RateLimitConfig;
}

/** Token buckets per endpoint set and scope (project), refilled continuously on the virtual clock. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  readonly limits: Readonly<Record<AtlasRateLimitSet, RateLimitConfig>>;

  constructor(
    private readonly clock: VirtualClock,
    overrides: Partial<Record<AtlasRateLimitSet, Partial<RateLimitConfig>>> = {},
  ) {
    const limits = { ...DEFAULT_RATE_LIMITS };
    for (const key of Object.keys(overrides) as AtlasRateLimitSet[]) {
      limits[key] = { ...DEFAULT_RATE_LIMITS[key], ...overrides[key] };
    }
    this.limits = limits;
  }

  /** Takes one token for (set, scope) if there is one. */
  take(set: AtlasRateLimitSet, scope: string): RateLimitDecision {
    const config = this.limits[set];
    const key = `${set}|${scope}`;
    const now = this.clock.now();
    const perMs = config.refillRate / (config.refillIntervalSeconds * 1000);
    const bucket = this.buckets.get(key) ?? { tokens: config.capacity, at: now };
    bucket.tokens = Math.min(config.capacity, bucket.tokens + Math.max(0, now - bucket.at) * perMs);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return {
        allowed: true,
        limit: config.capacity,
        remaining: Math.floor(bucket.tokens),
        retryAfterSeconds: 0,
        config,
      };
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
    return { allowed: false, limit: config.capacity, remaining: 0, retryAfterSeconds, config };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Access: service accounts, API keys, access tokens, digest nonces (facts §4)

export interface ServiceAccountCredential {
  readonly clientId: string;
  readonly clientSecret: string;
}
export interface ApiKeyCredential {
  readonly publicKey: string;
  readonly privateKey: string;
}

export const TOKEN_LIFETIME_SECONDS = 3600;
export const TOKEN_REQUESTS_PER_MINUTE = 10;
export const MAX_LIVE_TOKENS = 100;
export const DEFAULT_DIGEST_NONCE_TTL_SECONDS = 300;

export type TokenRequestOutcome =
  | { readonly kind: 'ok'; readonly accessToken: string; readonly expiresIn: number }
  | { readonly kind: 'invalid-client' }
  | { readonly kind: 'rate-limited'; readonly retryAfterSeconds: number }
  | { readonly kind: 'token-limit' };

export interface Principal {
  readonly kind: 'service-account' | 'api-key';
  /** Client id or public key (never a secret). */
  readonly id: string;
  readonly orgId: string;
}

function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export class AtlasAccess {
  private readonly serviceAccounts = new Map<string, { secret: string; orgId: string }>();
  private readonly apiKeys = new Map<string, { privateKey: string; orgId: string }>();
  private readonly tokens = new Map<string, { clientId: string; expiresAt: number }>();
  private readonly tokenRequests = new Map<string, number[]>();
  private readonly nonceCounts = new Map<string, { issuedAt: number; used: Set<string> }>();
  private readonly nonceKey = randomBytes(32);
  /** Every access token issued and digest response seen (for leak scans: they must never be logged). */
  private readonly issuedSecrets = new Set<string>();

  constructor(
    private readonly clock: VirtualClock,
    readonly digestNonceTtlSeconds: number = DEFAULT_DIGEST_NONCE_TTL_SECONDS,
  ) {}

  addServiceAccount(orgId: string, credential?: Partial<ServiceAccountCredential>): ServiceAccountCredential {
    const clientId = credential?.clientId ?? `mdb_sa_id_${hex(24)}`;
    const clientSecret = credential?.clientSecret ?? `mdb_sa_sk_${randomBytes(30).toString('base64url')}`;
    this.serviceAccounts.set(clientId, { secret: clientSecret, orgId });
    return { clientId, clientSecret };
  }

  addApiKey(orgId: string, credential?: Partial<ApiKeyCredential>): ApiKeyCredential {
    const publicKey = credential?.publicKey ?? randomLetters(8);
    const privateKey = credential?.privateKey ?? randomUUID();
    this.apiKeys.set(publicKey, { privateKey, orgId });
    return { publicKey, privateKey };
  }

  /** One POST /api/oauth/token: rate limit (10/min per client), credentials, live-token cap, then mint. */
  requestToken(clientId: string, clientSecret: string): TokenRequestOutcome {
    const now = this.clock.now();
    const windowStart = now - 60_000;
    const recent = (this.tokenRequests.get(clientId) ?? []).filter((t) => t > windowStart);
    if (recent.length >= TOKEN_REQUESTS_PER_MINUTE) {
      this.tokenRequests.set(clientId, recent);
      const oldest = recent[0] ?? now;
      return {
        kind: 'rate-limited',
        retryAfterSeconds: Math.max(1, Math.ceil((oldest + 60_000 - now) / 1000)),
      };
    }
    recent.push(now);
    this.tokenRequests.set(clientId, recent);
    const account = this.serviceAccounts.get(clientId);
    if (!account || !safeEqual(account.secret, clientSecret)) return { kind: 'invalid-client' };
    if (this.liveTokenCount(clientId) >= MAX_LIVE_TOKENS) return { kind: 'token-limit' };
    const accessToken = randomBytes(48).toString('base64url');
    this.tokens.set(accessToken, { clientId, expiresAt: now + TOKEN_LIFETIME_SECONDS * 1000 });
    this.issuedSecrets.add(accessToken);
    return { kind: 'ok', accessToken, expiresIn: TOKEN_LIFETIME_SECONDS };
  }

  /** POST /api/oauth/revoke: true when the client authenticated (revoking an unknown token is not an error). */
  revokeToken(clientId: string, clientSecret: string, token: string): boolean {
    const account = this.serviceAccounts.get(clientId);
    if (!account || !safeEqual(account.secret, clientSecret)) return false;
    if (this.tokens.get(token)?.clientId === clientId) this.tokens.delete(token);
    return true;
  }

  liveTokenCount(clientId: string): number {
    const now = this.clock.now();
    let n = 0;
    for (const [token, t] of this.tokens) {
      if (t.expiresAt <= now) this.tokens.delete(token);
      else if (t.clientId === clientId) n++;
    }
    return n;
  }

  /** Resolves a bearer token; 'expired' for a known token past its lifetime. */
  resolveBearer(token: string): Principal | 'expired' | undefined {
    const entry = this.tokens.get(token);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now()) return 'expired';
    const account = this.serviceAccounts.get(entry.clientId);
    return account ? { kind: 'service-account', id: entry.clientId, orgId: account.orgId } : undefined;
  }

  /** Records a digest `response` a client sent (secret-derived: it must never be logged). */
  noteDigestResponse(response: string): void {
    this.issuedSecrets.add(response.toLowerCase());
  }

  /**
   * Every secret of this world's Atlas, by kind: the service accounts' client secrets, the API keys' private
   * keys, every access token issued and every digest response seen. Leak scans look for these.
   */
  secrets(): { readonly kind: string; readonly value: string }[] {
    const out: { kind: string; value: string }[] = [];
    for (const a of this.serviceAccounts.values()) out.push({ kind: 'client secret', value: a.secret });
    for (const k of this.apiKeys.values()) out.push({ kind: 'private key', value: k.privateKey });
    for (const value of this.issuedSecrets) {
      out.push({ kind: /^[0-9a-f]{32}$/.test(value) ? 'digest response' : 'access token', value });
    }
    return out;
  }

  /** The private key of an API key, for the server to recompute a digest response. */
  apiKey(publicKey: string): { privateKey: string; orgId: string } | undefined {
    return this.apiKeys.get(publicKey);
  }

  /**
   * A self-verifying nonce: issue time, random bytes and an HMAC under a per-world key. Any nonce this world
   * issued can be recognised however old it is, so an expired one always earns `stale=true` (RFC 7616) rather
   * than looking unknown; only fresh nonces need nc bookkeeping.
   */
  newNonce(): string {
    const now = this.clock.now();
    const ttlMs = this.digestNonceTtlSeconds * 1000;
    for (const [nonce, n] of this.nonceCounts) if (now - n.issuedAt > ttlMs) this.nonceCounts.delete(nonce);
    const payload = `${Math.floor(now).toString(36)}.${randomBytes(12).toString('base64url')}`;
    return Buffer.from(`${payload}.${this.nonceMac(payload)}`).toString('base64');
  }

  private nonceMac(payload: string): string {
    return createHmac('sha256', this.nonceKey).update(payload).digest('base64url').slice(0, 22);
  }

  private nonceIssuedAt(nonce: string): number | undefined {
    const text = Buffer.from(nonce, 'base64').toString('utf8');
    const cut = text.lastIndexOf('.');
    if (cut < 0) return undefined;
    const payload = text.slice(0, cut);
    if (!safeEqual(this.nonceMac(payload), text.slice(cut + 1))) return undefined;
    const issuedAt = Number.parseInt(payload.split('.', 1)[0] ?? '', 36);
    return Number.isFinite(issuedAt) ? issuedAt : undefined;
  }

  nonceState(nonce: string): 'fresh' | 'stale' | 'unknown' {
    const issuedAt = this.nonceIssuedAt(nonce);
    if (issuedAt === undefined) return 'unknown';
    return this.clock.now() - issuedAt > this.digestNonceTtlSeconds * 1000 ? 'stale' : 'fresh';
  }

  /** Records (nonce, nc) for a fresh nonce; false when that pair was already used (a replay). */
  useNonceCount(nonce: string, nc: string): boolean {
    const issuedAt = this.nonceIssuedAt(nonce);
    if (issuedAt === undefined) return false;
    const entry = this.nonceCounts.get(nonce) ?? { issuedAt, used: new Set<string>() };
    this.nonceCounts.set(nonce, entry);
    const key = nc.toLowerCase();
    if (entry.used.has(key)) return false;
    entry.used.add(key);
    return true;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Resources

export type ServerlessEndpointStatus =
  | 'RESERVATION_REQUESTED'
  | 'RESERVED'
  | 'INITIATING'
  | 'AVAILABLE'
  | 'FAILED'
  | 'DELETING';
export type EndpointServiceStatus = 'INITIATING' | 'AVAILABLE' | 'WAITING_FOR_USER' | 'FAILED' | 'DELETING';
export type InterfaceEndpointStatus =
  /** Facts §10: "also NONE ('not configured') besides the spec's enum". */
  'NONE' | 'PENDING_ACCEPTANCE' | 'PENDING' | 'AVAILABLE' | 'REJECTED' | 'DELETING';
export type CloudProvider = 'AWS' | 'AZURE' | 'GCP';

export interface AtlasProject {
  readonly id: string;
  readonly name: string;
  readonly orgId: string;
  readonly created: string;
}

export type DeploymentStateName = 'IDLE' | 'CREATING' | 'UPDATING' | 'DELETING' | 'REPAIRING';

interface DeploymentBase {
  readonly id: string;
  readonly groupId: string;
  readonly name: string;
  /** Atlas region name of the (first) region, e.g. US_EAST_1. */
  readonly regionName: string;
  readonly createDate: string;
  /** The `abcde` in `name.abcde.mongodb.net`. */
  readonly dnsLabel: string;
  /** The state when nothing is being applied; `deploymentState()` says UPDATING while an apply is pending. */
  stateName: DeploymentStateName;
  /** VPC endpoint ids whose private endpoint this deployment has applied (facts §10, "connection strings"). */
  readonly applied: Set<string>;
  /** Applies in progress (UPDATING while > 0). */
  applying: number;
}
export interface ServerlessInstanceRecord extends DeploymentBase {
  readonly backingProviderName: 'AWS';
  nextEndpointIndex: number;
}
/**
 * What kind of cluster: `dedicated` (M10 and up; private endpoints work), `free` (M0, a TENANT region config)
 * or `flex` (the cluster API refuses it; facts §10 "Flex clusters").
 */
export type ClusterTier = 'dedicated' | 'free' | 'flex';
export type ClusterProvider = 'AWS' | 'GCP' | 'AZURE';
export interface ClusterRecord extends DeploymentBase {
  readonly tier: ClusterTier;
  /** Cloud provider of the nodes (dedicated), or the backing provider (free, flex). */
  readonly providerName: ClusterProvider;
  /** Every region the cluster has electable nodes in, highest priority first (`regionName` is the first). */
  readonly regionNames: readonly string[];
  readonly instanceSize: string;
  readonly replicaSetName: string;
  readonly replicationSpecId: string;
  readonly zoneId: string;
}

interface ServerlessEndpointRecord {
  readonly id: string;
  readonly groupId: string;
  readonly instanceName: string;
  readonly index: number;
  status: ServerlessEndpointStatus;
  endpointServiceName: string | null;
  cloudProviderEndpointId?: string;
  comment?: string;
  errorMessage?: string;
  pending?: Scheduled;
}

interface EndpointServiceRecord {
  readonly id: string;
  readonly groupId: string;
  readonly cloudProvider: 'AWS';
  readonly regionName: string;
  readonly awsRegion: string;
  status: EndpointServiceStatus;
  endpointServiceName: string | null;
  errorMessage: string | null;
  readonly endpoints: Map<string, InterfaceEndpointRecord>;
  nextEndpointIndex: number;
  pending?: Scheduled;
}

interface InterfaceEndpointRecord {
  readonly id: string;
  readonly serviceId: string;
  readonly index: number;
  connectionStatus: InterfaceEndpointStatus;
  deleteRequested: boolean;
  errorMessage: string | null;
  pending?: Scheduled;
}

/** What `inventory()` lists on the Atlas side. */
export interface AtlasInventory {
  serverlessEndpoints: {
    groupId: string;
    instanceName: string;
    id: string;
    status: ServerlessEndpointStatus;
    cloudProviderEndpointId?: string | null;
  }[];
  endpointServices: {
    groupId: string;
    id: string;
    regionName: string;
    status: EndpointServiceStatus;
    endpointServiceName: string | null;
  }[];
  interfaceEndpoints: {
    groupId: string;
    endpointServiceId: string;
    interfaceEndpointId: string;
    connectionStatus: InterfaceEndpointStatus;
  }[];
}

// Wire shapes (what the HTTP front serializes).
export interface ServerlessEndpointWire {
  _id: string;
  cloudProviderEndpointId?: string;
  comment?: string;
  endpointServiceName: string | null;
  errorMessage?: string;
  providerName: 'AWS';
  status: ServerlessEndpointStatus;
}
export interface EndpointServiceWire {
  cloudProvider: 'AWS';
  endpointServiceName: string | null;
  errorMessage: string | null;
  id: string;
  interfaceEndpoints: string[];
  regionName: string;
  status: EndpointServiceStatus;
}
export interface InterfaceEndpointWire {
  cloudProvider: 'AWS';
  connectionStatus: InterfaceEndpointStatus;
  deleteRequested: boolean;
  errorMessage: string | null;
  interfaceEndpointId: string;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

const ATLAS_BASE_URL = 'https://cloud.mongodb.com';

function hex(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

function randomLetters(length: number, alphabet = 'abcdefghijklmnopqrstuvwxyz'): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

const DISK_IOPS = 3000;

/** One `replicationSpecs[].regionConfigs[]` entry of a cluster (`i`: its place, highest priority first). */
function regionConfigOf(cluster: ClusterRecord, regionName: string, i: number): Record<string, unknown> {
  const priority = 7 - i;
  if (cluster.tier !== 'dedicated') {
    // Free (M0) and Flex clusters are TENANT configurations on a backing provider (the spec's
    // TenantRegionConfig20240805). ASSUMPTION: the exact electableSpecs Atlas returns for them.
    return {
      backingProviderName: cluster.providerName,
      electableSpecs: { effectiveInstanceSize: cluster.tier === 'free' ? 'M0' : 'FLEX', instanceSize: 'M0' },
      priority,
      providerName: 'TENANT',
      regionName,
    };
  }
  const hardware = (nodeCount: number) =>
    cluster.providerName === 'AWS'
      ? {
          diskIOPS: DISK_IOPS,
          diskSizeGB: 10,
          ebsVolumeType: 'STANDARD',
          instanceSize: cluster.instanceSize,
          nodeCount,
        }
      : { diskSizeGB: 10, instanceSize: cluster.instanceSize, nodeCount };
  return {
    analyticsSpecs: hardware(0),
    autoScaling: {
      compute: { enabled: false, predictiveEnabled: false, scaleDownEnabled: false },
      diskGB: { enabled: true },
    },
    electableSpecs: hardware(3),
    priority,
    providerName: cluster.providerName,
    readOnlySpecs: hardware(0),
    regionName,
  };
}

/** Throws (a seeding bug) when `regionName` is not a region name of `provider`. */
function requireRegion(provider: ClusterProvider, regionName: string): void {
  if (provider === 'AWS' ? !atlasToAwsRegion(regionName) : !/^[A-Z][A-Z0-9_]*$/.test(regionName)) {
    throw new Error(`not an Atlas ${provider} region: ${regionName}`);
  }
}

function notFound(errorCode: string, detail: string, parameters: readonly unknown[]): AtlasApiError {
  return new AtlasApiError(404, errorCode, detail, parameters);
}

/** One scheduled lifecycle transition (see `AtlasModel.scheduleTransition`). */
interface Transition {
  /** The name the fault plan is asked about. */
  readonly fault: AtlasLifecycleName;
  /** Puts the record in its failed state with this error message (or its own when the plan gives none). */
  readonly fail: (errorMessage?: string) => void;
  /** Performs the transition; a returned message fails it instead. */
  readonly run: () => string | undefined;
}

/** `fail` for serverless endpoints and endpoint services: status FAILED with the message, or `fallback`. */
function markFailed(
  record: ServerlessEndpointRecord | EndpointServiceRecord,
  fallback: string,
): Transition['fail'] {
  return (errorMessage = fallback) => {
    record.status = 'FAILED';
    record.errorMessage = errorMessage;
  };
}

/** `fail` for interface endpoints: connection REJECTED with the message, or `fallback`. */
function markRejected(ie: InterfaceEndpointRecord, fallback: string): Transition['fail'] {
  return (errorMessage = fallback) => {
    ie.connectionStatus = 'REJECTED';
    ie.errorMessage = errorMessage;
  };
}

export interface AtlasModelOptions {
  readonly clock: VirtualClock;
  readonly timeline: Timeline;
  readonly faults: FaultPlan;
  readonly aws: AwsPeer;
  /** Reproduce today's Atlas: every serverless private endpoint operation answers 410 VERSION_GONE. */
  readonly serverlessRetired?: boolean;
  readonly rateLimits?: Partial<Record<AtlasRateLimitSet, Partial<RateLimitConfig>>>;
  /** Virtual seconds a digest nonce stays fresh. @default 300 */
  readonly digestNonceTtlSeconds?: number;
  /**
   * The spec says removing the last interface endpoint also removes its endpoint service. Set true to keep
   * the service (it goes back to its ready status) instead. @default false
   */
  readonly keepServiceAfterLastEndpoint?: boolean;
  /**
   * The status a new endpoint service reaches once its endpointServiceName is set. Facts §10: today's Atlas
   * answers AVAILABLE before any interface endpoint exists; WAITING_FOR_USER is the older behaviour (it then
   * turns AVAILABLE with its first AVAILABLE interface endpoint). @default 'AVAILABLE'
   */
  readonly endpointServiceReadyStatus?: EndpointServiceReadyStatus;
  /** HTTP status of a duplicate interface endpoint: 409 (spec) or 400 (what AKO's legacy path expects). @default 409 */
  readonly duplicateInterfaceEndpointStatus?: 409 | 400;
}

/** The status a ready endpoint service shows (see `AtlasModelOptions.endpointServiceReadyStatus`). */
export type EndpointServiceReadyStatus = 'AVAILABLE' | 'WAITING_FOR_USER';
export const ENDPOINT_SERVICE_READY_STATUSES: readonly EndpointServiceReadyStatus[] = [
  'AVAILABLE',
  'WAITING_FOR_USER',
];

export class AtlasModel {
  readonly clock: VirtualClock;
  readonly timeline: Timeline;
  readonly faults: FaultPlan;
  readonly serverlessRetired: boolean;
  readonly keepServiceAfterLastEndpoint: boolean;
  readonly endpointServiceReadyStatus: EndpointServiceReadyStatus;
  readonly duplicateInterfaceEndpointStatus: 409 | 400;
  readonly access: AtlasAccess;
  readonly rateLimits: TokenBuckets;
  private readonly aws: AwsPeer;
  private readonly orgs = new Map<string, string>();
  private readonly projects = new Map<string, AtlasProject>();
  private readonly serverlessInstances = new Map<string, ServerlessInstanceRecord>();
  private readonly clusters = new Map<string, ClusterRecord>();
  private readonly serverlessEndpoints = new Map<string, ServerlessEndpointRecord>();
  private readonly endpointServices = new Map<string, EndpointServiceRecord>();
  /** Projects in regionalized private endpoint mode (facts §10, "multi-region clusters"). */
  private readonly regionalized = new Set<string>();
  private idCounter = Math.floor(Math.random() * 0xffffff);
  /**
   * Out of band (tests and drift demos): deployments (`<groupId>/<name>`) whose private endpoint connection
   * strings Atlas does not list, although their endpoints are AVAILABLE.
   */
  readonly connectionStringsWithheld = new Set<string>();

  constructor(options: AtlasModelOptions) {
    this.clock = options.clock;
    this.timeline = options.timeline;
    this.faults = options.faults;
    this.aws = options.aws;
    this.serverlessRetired = options.serverlessRetired ?? false;
    this.keepServiceAfterLastEndpoint = options.keepServiceAfterLastEndpoint ?? false;
    this.endpointServiceReadyStatus = options.endpointServiceReadyStatus ?? 'AVAILABLE';
    this.duplicateInterfaceEndpointStatus = options.duplicateInterfaceEndpointStatus ?? 409;
    this.access = new AtlasAccess(options.clock, options.digestNonceTtlSeconds);
    this.rateLimits = new TokenBuckets(options.clock, options.rateLimits);
  }

  /** A 24-hex ObjectId-like id: 4 bytes of virtual seconds, 5 random bytes, 3 counter bytes. */
  newObjectId(): string {
    const seconds = Math.floor(this.clock.now() / 1000) >>> 0;
    this.idCounter = (this.idCounter + 1) & 0xffffff;
    return seconds.toString(16).padStart(8, '0') + hex(10) + this.idCounter.toString(16).padStart(6, '0');
  }

  // ----- seeding ---------------------------------------------------------------------------------------

  addOrganization(name = 'Simulated Org'): string {
    const id = this.newObjectId();
    this.orgs.set(id, name);
    return id;
  }

  addProject(options: { name: string; orgId: string; id?: string }): AtlasProject {
    if (!this.orgs.has(options.orgId)) throw new Error(`unknown organization ${options.orgId}`);
    const id = options.id ?? this.newObjectId();
    if (!/^[a-f0-9]{24}$/.test(id)) throw new Error(`project id must be 24 hex characters: ${id}`);
    const project: AtlasProject = { id, name: options.name, orgId: options.orgId, created: this.clock.iso() };
    this.projects.set(id, project);
    return project;
  }

  /** The fields every deployment starts with, for a new one in an existing project. */
  private newDeployment(
    options: { groupId: string; name: string; regionName?: string },
    provider: ClusterProvider = 'AWS',
  ): DeploymentBase {
    this.requireProject(options.groupId);
    const regionName = options.regionName ?? 'US_EAST_1';
    requireRegion(provider, regionName);
    if (this.serverlessInstances.has(`${options.groupId}/${options.name}`)) {
      throw new Error(`a serverless instance named ${options.name} exists already`);
    }
    if (this.clusters.has(`${options.groupId}/${options.name}`)) {
      throw new Error(`a cluster named ${options.name} exists already`);
    }
    return {
      id: this.newObjectId(),
      groupId: options.groupId,
      name: options.name,
      regionName,
      createDate: this.clock.iso(),
      dnsLabel: randomLetters(5, 'abcdefghijklmnopqrstuvwxyz0123456789'),
      stateName: 'IDLE',
      applied: new Set(),
      applying: 0,
    };
  }

  /** Sets the project's regionalized private endpoint mode (facts §10, "multi-region clusters"). */
  setRegionalizedPrivateEndpoints(groupId: string, enabled: boolean): void {
    this.requireProject(groupId);
    if (enabled) this.regionalized.add(groupId);
    else this.regionalized.delete(groupId);
  }

  /** GET /groups/{groupId}/privateEndpoint/regionalMode. */
  getRegionalizedPrivateEndpointSetting(groupId: string): { enabled: boolean } {
    this.requireProject(groupId);
    return { enabled: this.regionalized.has(groupId) };
  }

  addServerlessInstance(options: {
    groupId: string;
    name: string;
    regionName?: string;
  }): ServerlessInstanceRecord {
    const record: ServerlessInstanceRecord = {
      ...this.newDeployment(options),
      backingProviderName: 'AWS',
      nextEndpointIndex: 0,
    };
    this.serverlessInstances.set(`${options.groupId}/${options.name}`, record);
    return record;
  }

  /**
   * A cluster. `regionNames` (highest priority first) makes it multi-region; `tier` `free` is an M0 (TENANT)
   * cluster, `flex` a Flex cluster; `providerName` GCP or AZURE puts its nodes on another cloud.
   */
  addCluster(options: {
    groupId: string;
    name: string;
    regionName?: string;
    regionNames?: readonly string[];
    instanceSize?: string;
    tier?: ClusterTier;
    providerName?: ClusterProvider;
  }): ClusterRecord {
    const providerName = options.providerName ?? 'AWS';
    const tier = options.tier ?? 'dedicated';
    const regionNames = options.regionNames ?? [options.regionName ?? 'US_EAST_1'];
    if (regionNames.length === 0 || new Set(regionNames).size !== regionNames.length) {
      throw new Error(`a cluster needs distinct regions, got [${regionNames.join(', ')}]`);
    }
    if (tier !== 'dedicated' && regionNames.length > 1) throw new Error(`a ${tier} cluster has one region`);
    for (const r of regionNames) requireRegion(providerName, r);
    const base = this.newDeployment({ ...options, regionName: regionNames[0] }, providerName);
    const record: ClusterRecord = {
      ...base,
      tier,
      providerName,
      regionNames: [...regionNames],
      instanceSize: options.instanceSize ?? (tier === 'free' ? 'M0' : tier === 'flex' ? 'FLEX' : 'M10'),
      replicaSetName: `atlas-${randomLetters(6, 'abcdefghijklmnopqrstuvwxyz0123456789')}-shard-0`,
      replicationSpecId: this.newObjectId(),
      zoneId: this.newObjectId(),
    };
    this.clusters.set(`${options.groupId}/${options.name}`, record);
    return record;
  }

  // ----- projects ----------------------------------------------------------------------------------------

  project(groupId: string): AtlasProject | undefined {
    return this.projects.get(groupId);
  }

  /** 404 GROUP_NOT_FOUND for an unknown project. */
  requireProject(groupId: string): AtlasProject {
    const project = this.projects.get(groupId);
    if (!project) throw notFound('GROUP_NOT_FOUND', `No group with ID ${groupId} exists.`, [groupId]);
    return project;
  }

  private requireServerlessInstance(groupId: string, name: string): ServerlessInstanceRecord {
    this.requireProject(groupId);
    const instance = this.serverlessInstances.get(`${groupId}/${name}`);
    if (instance) return instance;
    const cluster = this.clusters.get(`${groupId}/${name}`);
    if (cluster?.tier === 'flex') {
      // Facts §10 ("Flex clusters"): AKO #2105 saw NOT_SERVERLESS_TENANT_CLUSTER when the serverless API met a
      // Flex cluster (a migrated serverless instance). ASSUMPTION: HTTP status 400.
      throw new AtlasApiError(
        400,
        'NOT_SERVERLESS_TENANT_CLUSTER',
        `${name} is a Flex cluster, not a serverless instance.`,
        [name],
      );
    }
    if (cluster) {
      // ASSUMPTION: HTTP status 400 (the code is from the facts, §3d).
      throw new AtlasApiError(
        400,
        'CANNOT_USE_CLUSTER_IN_SERVERLESS_INSTANCE_API',
        `Cannot use the serverless instance API on cluster ${name}.`,
        [name],
      );
    }
    throw notFound(
      'SERVERLESS_INSTANCE_NOT_FOUND',
      `No serverless instance with name ${name} exists in group ${groupId}.`,
      [name, groupId],
    );
  }

  private requireCluster(groupId: string, name: string): ClusterRecord {
    this.requireProject(groupId);
    const cluster = this.clusters.get(`${groupId}/${name}`);
    if (cluster?.tier === 'flex') {
      // Facts §10 ("Flex clusters", CLI PR #3424): the cluster API refuses Flex clusters with this 400.
      throw new AtlasApiError(
        400,
        'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API',
        `Cannot use the cluster API on Flex cluster ${name}; use the Flex cluster API instead.`,
        [name],
      );
    }
    if (cluster) return cluster;
    if (this.serverlessInstances.has(`${groupId}/${name}`)) {
      throw new AtlasApiError(
        400,
        'CANNOT_USE_SERVERLESS_INSTANCE_IN_CLUSTER_API',
        `Cannot use the cluster API on serverless instance ${name}.`,
        [name],
      );
    }
    throw notFound('CLUSTER_NOT_FOUND', `No cluster named ${name} exists in group ${groupId}.`, [
      name,
      groupId,
    ]);
  }

  // ----- serverless private endpoints --------------------------------------------------------------------

  private serverlessWire(ep: ServerlessEndpointRecord): ServerlessEndpointWire {
    const wire: ServerlessEndpointWire = {
      _id: ep.id,
      endpointServiceName: ep.endpointServiceName,
      providerName: 'AWS',
      status: ep.status,
    };
    if (ep.cloudProviderEndpointId !== undefined) wire.cloudProviderEndpointId = ep.cloudProviderEndpointId;
    if (ep.comment !== undefined) wire.comment = ep.comment;
    if (ep.errorMessage !== undefined) wire.errorMessage = ep.errorMessage;
    return wire;
  }

  private requireServerlessEndpoint(
    groupId: string,
    instanceName: string,
    endpointId: string,
  ): ServerlessEndpointRecord {
    this.requireServerlessInstance(groupId, instanceName);
    const ep = this.serverlessEndpoints.get(endpointId);
    if (!ep || ep.groupId !== groupId || ep.instanceName !== instanceName) {
      throw notFound(
        'RESOURCE_NOT_FOUND',
        `Cannot find private endpoint ${endpointId} for serverless instance ${instanceName}.`,
        [endpointId, instanceName],
      );
    }
    return ep;
  }

  listServerlessEndpoints(groupId: string, instanceName: string): ServerlessEndpointWire[] {
    this.requireServerlessInstance(groupId, instanceName);
    return [...this.serverlessEndpoints.values()]
      .filter((ep) => ep.groupId === groupId && ep.instanceName === instanceName)
      .map((ep) => this.serverlessWire(ep));
  }

  createServerlessEndpoint(
    groupId: string,
    instanceName: string,
    body: { comment?: string },
  ): ServerlessEndpointWire {
    const instance = this.requireServerlessInstance(groupId, instanceName);
    const ep: ServerlessEndpointRecord = {
      id: this.newObjectId(),
      groupId,
      instanceName,
      index: instance.nextEndpointIndex++,
      status: 'RESERVATION_REQUESTED',
      endpointServiceName: null,
    };
    if (body.comment !== undefined) ep.comment = body.comment;
    this.serverlessEndpoints.set(ep.id, ep);
    this.scheduleTransition(ep, this.clock.now() + this.timeline.serverlessReservation, {
      fault: ATLAS_LIFECYCLE.serverlessReserve,
      fail: markFailed(ep, 'Failed to reserve a private endpoint service for this instance.'),
      run: () => {
        const awsRegion = atlasToAwsRegion(instance.regionName) ?? 'us-east-1';
        ep.endpointServiceName = this.openEndpointService(awsRegion);
        ep.status = 'RESERVED';
      },
    });
    return this.serverlessWire(ep);
  }

  getServerlessEndpoint(groupId: string, instanceName: string, endpointId: string): ServerlessEndpointWire {
    return this.serverlessWire(this.requireServerlessEndpoint(groupId, instanceName, endpointId));
  }

  updateServerlessEndpoint(
    groupId: string,
    instanceName: string,
    endpointId: string,
    body: { providerName: string; cloudProviderEndpointId?: string; comment?: string },
  ): ServerlessEndpointWire {
    const instance = this.requireServerlessInstance(groupId, instanceName);
    const ep = this.requireServerlessEndpoint(groupId, instanceName, endpointId);
    if (body.providerName !== instance.backingProviderName) {
      throw new AtlasApiError(
        400,
        'INVALID_PROVIDER',
        `Provider ${body.providerName} does not match the serverless instance's backing provider ${instance.backingProviderName}.`,
        [body.providerName],
      );
    }
    if (ep.status !== 'RESERVED') {
      throw new AtlasApiError(
        400,
        'TENANT_PRIVATE_ENDPOINT_PROVIDER_UPDATE_INVALID',
        `The private endpoint can not be updated in its current state ${ep.status}.`,
        [ep.status],
      );
    }
    if (body.cloudProviderEndpointId === undefined) {
      throw new AtlasApiError(
        400,
        'MISSING_ATTRIBUTE',
        'The required attribute cloudProviderEndpointId was not specified.',
        ['cloudProviderEndpointId'],
      );
    }
    const vpceId = body.cloudProviderEndpointId;
    ep.cloudProviderEndpointId = vpceId;
    if (body.comment !== undefined) ep.comment = body.comment;
    ep.status = 'INITIATING';
    const acceptAt = this.clock.now() + this.timeline.serverlessAcceptance;
    this.scheduleTransition(ep, acceptAt, {
      fault: ATLAS_LIFECYCLE.serverlessAccept,
      fail: markFailed(ep, 'Atlas could not establish the private endpoint connection.'),
      run: () => {
        const awsRegion = atlasToAwsRegion(instance.regionName) ?? 'us-east-1';
        const problem = this.vpcEndpointProblem(vpceId, ep.endpointServiceName, awsRegion);
        if (problem) return problem;
        this.aws.acceptVpcEndpoint(vpceId);
        ep.status = 'AVAILABLE';
        // Facts §10 ("connection strings"): the instance applies the change (UPDATING) before its
        // privateEndpoint[] names the VPC endpoint (Terraform's old serverless resource waited for IDLE).
        this.applyPrivateEndpoint([instance], vpceId, acceptAt);
      },
    });
    return this.serverlessWire(ep);
  }

  deleteServerlessEndpoint(groupId: string, instanceName: string, endpointId: string): void {
    const ep = this.requireServerlessEndpoint(groupId, instanceName, endpointId);
    if (ep.status === 'DELETING') return;
    ep.pending?.cancel();
    ep.status = 'DELETING';
    this.scheduleTransition(ep, this.clock.now() + this.timeline.serverlessDeletion, {
      fault: ATLAS_LIFECYCLE.serverlessDelete,
      fail: markFailed(ep, 'Atlas could not delete the private endpoint.'),
      run: () => {
        this.serverlessEndpoints.delete(ep.id);
        if (ep.cloudProviderEndpointId !== undefined) this.forgetPrivateEndpoint(ep.cloudProviderEndpointId);
        if (ep.endpointServiceName) this.retireEndpointServiceName(ep.endpointServiceName);
      },
    });
  }

  getServerlessInstance(groupId: string, name: string): Record<string, unknown> {
    const instance = this.requireServerlessInstance(groupId, name);
    const host = `${name.toLowerCase()}.${instance.dnsLabel}.mongodb.net`;
    const withheld = this.connectionStringsWithheld.has(`${groupId}/${name}`);
    const privateEndpoint = [...this.serverlessEndpoints.values()]
      .filter(
        (ep) =>
          ep.groupId === groupId &&
          ep.instanceName === name &&
          ep.status === 'AVAILABLE' &&
          ep.cloudProviderEndpointId !== undefined &&
          instance.applied.has(ep.cloudProviderEndpointId),
      )
      .filter(() => !withheld)
      .sort((a, b) => a.index - b.index)
      .map((ep) => ({
        endpoints: [
          { endpointId: ep.cloudProviderEndpointId ?? '', providerName: 'AWS', region: instance.regionName },
        ],
        srvConnectionString: `mongodb+srv://${name.toLowerCase()}-pe-${ep.index}.${instance.dnsLabel}.mongodb.net`,
        type: 'MONGOS',
      }));
    const connectionStrings: Record<string, unknown> = { standardSrv: `mongodb+srv://${host}` };
    if (privateEndpoint.length > 0) connectionStrings.privateEndpoint = privateEndpoint;
    return {
      connectionStrings,
      createDate: instance.createDate,
      groupId,
      id: instance.id,
      links: [{ href: `${ATLAS_BASE_URL}/api/atlas/v2/groups/${groupId}/serverless/${name}`, rel: 'self' }],
      mongoDBVersion: '8.0.12',
      name,
      providerSettings: {
        backingProviderName: instance.backingProviderName,
        effectiveDiskSizeGBLimit: 1024,
        effectiveProviderName: 'SERVERLESS',
        providerName: 'SERVERLESS',
        regionName: instance.regionName,
      },
      serverlessBackupOptions: { serverlessContinuousBackupEnabled: true },
      stateName: this.deploymentState(instance),
      tags: [],
      terminationProtectionEnabled: false,
    };
  }

  // ----- dedicated: endpoint services and interface endpoints ---------------------------------------------

  private serviceWire(svc: EndpointServiceRecord): EndpointServiceWire {
    return {
      cloudProvider: svc.cloudProvider,
      endpointServiceName: svc.endpointServiceName,
      errorMessage: svc.errorMessage,
      id: svc.id,
      interfaceEndpoints: [...svc.endpoints.keys()],
      regionName: svc.regionName,
      status: svc.status,
    };
  }

  private interfaceWire(ie: InterfaceEndpointRecord): InterfaceEndpointWire {
    return {
      cloudProvider: 'AWS',
      connectionStatus: ie.connectionStatus,
      deleteRequested: ie.deleteRequested,
      errorMessage: ie.errorMessage,
      interfaceEndpointId: ie.id,
    };
  }

  private requireAws(cloudProvider: string): void {
    if (cloudProvider !== 'AWS') {
      throw new AtlasApiError(
        400,
        'INVALID_PROVIDER',
        `Provider ${cloudProvider} is not available in this environment; only AWS private endpoints are modelled.`,
        [cloudProvider],
      );
    }
  }

  private requireService(groupId: string, cloudProvider: string, serviceId: string): EndpointServiceRecord {
    this.requireProject(groupId);
    const svc = this.endpointServices.get(serviceId);
    if (!svc || svc.groupId !== groupId || svc.cloudProvider !== cloudProvider) {
      throw notFound('RESOURCE_NOT_FOUND', `Cannot find resource private endpoint service ${serviceId}.`, [
        serviceId,
      ]);
    }
    return svc;
  }

  createEndpointService(
    groupId: string,
    body: { providerName: string; region: string },
  ): EndpointServiceWire {
    this.requireProject(groupId);
    this.requireAws(body.providerName);
    const regionName = normalizeAtlasRegion(body.region);
    const awsRegion = regionName ? atlasToAwsRegion(regionName) : undefined;
    if (!regionName || !awsRegion) {
      throw new AtlasApiError(400, 'INVALID_REGION', `No region ${body.region} exists for provider AWS.`, [
        body.region,
        'AWS',
      ]);
    }
    for (const other of this.endpointServices.values()) {
      if (other.groupId === groupId && other.cloudProvider === 'AWS' && other.regionName === regionName) {
        throw new AtlasApiError(
          409,
          'PRIVATE_ENDPOINT_SERVICE_ALREADY_EXISTS_FOR_REGION',
          `A private endpoint service already exists for AWS region ${regionName}.`,
          ['AWS', regionName],
        );
      }
    }
    const svc: EndpointServiceRecord = {
      id: this.newObjectId(),
      groupId,
      cloudProvider: 'AWS',
      regionName,
      awsRegion,
      status: 'INITIATING',
      endpointServiceName: null,
      errorMessage: null,
      endpoints: new Map(),
      nextEndpointIndex: 0,
    };
    this.endpointServices.set(svc.id, svc);
    this.scheduleTransition(svc, this.clock.now() + this.timeline.endpointServiceCreation, {
      fault: ATLAS_LIFECYCLE.endpointServiceCreate,
      fail: markFailed(svc, 'Atlas failed to create the private endpoint service.'),
      run: () => {
        svc.endpointServiceName = this.openEndpointService(awsRegion);
        // Facts §10 ("endpoint service status"): AVAILABLE before any interface endpoint exists today;
        // WAITING_FOR_USER is the older behaviour (world option).
        svc.status = this.endpointServiceReadyStatus;
      },
    });
    return this.serviceWire(svc);
  }

  listEndpointServices(groupId: string, cloudProvider: string): EndpointServiceWire[] {
    this.requireProject(groupId);
    return [...this.endpointServices.values()]
      .filter((svc) => svc.groupId === groupId && svc.cloudProvider === cloudProvider)
      .map((svc) => this.serviceWire(svc));
  }

  getEndpointService(groupId: string, cloudProvider: string, serviceId: string): EndpointServiceWire {
    return this.serviceWire(this.requireService(groupId, cloudProvider, serviceId));
  }

  deleteEndpointService(groupId: string, cloudProvider: string, serviceId: string): void {
    const svc = this.requireService(groupId, cloudProvider, serviceId);
    if (svc.status === 'DELETING') return;
    if (svc.endpoints.size > 0) {
      // Facts §10 ("deleting a service that has interface endpoints"): refused while an interface endpoint is
      // attached or still deleting (TF PRs #4128, #3545). ASSUMPTION: 400 PRIVATE_ENDPOINT_SERVICE_HAS_INTERFACE_ENDPOINTS
      // (no source names the code; the spec declares 400, not 409, for this operation).
      const ids = [...svc.endpoints.keys()];
      throw new AtlasApiError(
        400,
        'PRIVATE_ENDPOINT_SERVICE_HAS_INTERFACE_ENDPOINTS',
        `Cannot delete private endpoint service ${serviceId} while it has interface endpoints (${ids.join(', ')}); delete them first.`,
        [serviceId, ...ids],
      );
    }
    this.scheduleServiceDeletion(svc);
  }

  private scheduleServiceDeletion(svc: EndpointServiceRecord, from: number = this.clock.now()): void {
    svc.pending?.cancel();
    svc.status = 'DELETING';
    this.scheduleTransition(svc, from + this.timeline.endpointServiceDeletion, {
      fault: ATLAS_LIFECYCLE.endpointServiceDelete,
      fail: markFailed(svc, 'Atlas failed to delete the private endpoint service.'),
      run: () => {
        this.endpointServices.delete(svc.id);
        if (svc.endpointServiceName) this.retireEndpointServiceName(svc.endpointServiceName);
      },
    });
  }

  createInterfaceEndpoint(
    groupId: string,
    cloudProvider: string,
    serviceId: string,
    body: { id: string },
  ): InterfaceEndpointWire {
    this.requireAws(cloudProvider);
    const svc = this.requireService(groupId, cloudProvider, serviceId);
    if (svc.status !== 'WAITING_FOR_USER' && svc.status !== 'AVAILABLE') {
      throw new AtlasApiError(
        400,
        'ENDPOINT_SERVICE_NOT_READY',
        `Private endpoint service ${serviceId} cannot accept interface endpoints in its current state ${svc.status}.`,
        [serviceId, svc.status],
      );
    }
    for (const other of this.endpointServices.values()) {
      if (other.groupId === groupId && other.endpoints.has(body.id)) {
        // Facts §10 ("duplicate interface endpoint"): 409 (spec) or, as AKO's legacy path expects, 400.
        // ASSUMPTION: the code INTERFACE_ENDPOINT_ALREADY_EXISTS (no source names one).
        throw new AtlasApiError(
          this.duplicateInterfaceEndpointStatus,
          'INTERFACE_ENDPOINT_ALREADY_EXISTS',
          `Interface endpoint ${body.id} already exists for private endpoint service ${other.id}.`,
          [body.id, other.id],
        );
      }
    }
    // Facts §10 ("connectionStatus"): NONE, "not configured", exists besides the spec's enum. ASSUMPTION: Atlas
    // shows it while it sees no AWS VPC endpoint awaiting acceptance yet (it does not exist, or AWS is still
    // creating it); no source says when exactly NONE appears.
    const vpce = this.aws.getVpcEndpoint(body.id);
    const ie: InterfaceEndpointRecord = {
      id: body.id,
      serviceId,
      index: svc.nextEndpointIndex++,
      connectionStatus: vpce === undefined || vpce.state === 'pending' ? 'NONE' : 'PENDING_ACCEPTANCE',
      deleteRequested: false,
      errorMessage: null,
    };
    svc.endpoints.set(ie.id, ie);
    // Chained transitions are scheduled from the previous one's due time, so one long clock.advance()
    // runs the whole chain as the timeline says.
    const acceptAt = this.clock.now() + this.timeline.interfaceEndpointAcceptance;
    this.scheduleTransition(ie, acceptAt, {
      fault: ATLAS_LIFECYCLE.interfaceEndpointAccept,
      fail: markRejected(ie, 'Atlas rejected the interface endpoint connection.'),
      run: () => {
        const problem = this.vpcEndpointProblem(ie.id, svc.endpointServiceName, svc.awsRegion);
        if (problem) return problem;
        this.aws.acceptVpcEndpoint(ie.id);
        ie.connectionStatus = 'PENDING';
        const availableAt = acceptAt + this.timeline.interfaceEndpointAvailable;
        this.scheduleTransition(ie, availableAt, {
          fault: ATLAS_LIFECYCLE.interfaceEndpointAvailable,
          fail: markRejected(ie, 'Atlas could not finish configuring the interface endpoint.'),
          run: () => {
            ie.connectionStatus = 'AVAILABLE';
            // The older behaviour: WAITING_FOR_USER until the first interface endpoint is AVAILABLE.
            if (svc.status === 'WAITING_FOR_USER') svc.status = 'AVAILABLE';
            this.applyPrivateEndpoint(this.clustersServedBy(groupId, svc.regionName), ie.id, availableAt);
          },
        });
      },
    });
    return this.interfaceWire(ie);
  }

  private requireInterfaceEndpoint(
    groupId: string,
    cloudProvider: string,
    serviceId: string,
    endpointId: string,
  ): { svc: EndpointServiceRecord; ie: InterfaceEndpointRecord } {
    const svc = this.requireService(groupId, cloudProvider, serviceId);
    const ie = svc.endpoints.get(endpointId);
    if (!ie) {
      throw notFound(
        'RESOURCE_NOT_FOUND',
        `Cannot find interface endpoint ${endpointId} on private endpoint service ${serviceId}.`,
        [endpointId, serviceId],
      );
    }
    return { svc, ie };
  }

  getInterfaceEndpoint(
    groupId: string,
    cloudProvider: string,
    serviceId: string,
    endpointId: string,
  ): InterfaceEndpointWire {
    return this.interfaceWire(
      this.requireInterfaceEndpoint(groupId, cloudProvider, serviceId, endpointId).ie,
    );
  }

  deleteInterfaceEndpoint(
    groupId: string,
    cloudProvider: string,
    serviceId: string,
    endpointId: string,
  ): void {
    const { svc, ie } = this.requireInterfaceEndpoint(groupId, cloudProvider, serviceId, endpointId);
    if (ie.connectionStatus === 'DELETING') return;
    ie.pending?.cancel();
    ie.connectionStatus = 'DELETING';
    ie.deleteRequested = true;
    const deletedAt = this.clock.now() + this.timeline.interfaceEndpointDeletion;
    this.scheduleTransition(ie, deletedAt, {
      fault: ATLAS_LIFECYCLE.interfaceEndpointDelete,
      fail: markRejected(ie, 'Atlas could not remove the interface endpoint.'),
      run: () => {
        svc.endpoints.delete(ie.id);
        this.forgetPrivateEndpoint(ie.id);
        this.rejectIfConnected(ie.id, svc.endpointServiceName);
        if (svc.endpoints.size > 0 || svc.status === 'DELETING') return;
        if (this.keepServiceAfterLastEndpoint) {
          if (svc.status === 'AVAILABLE') svc.status = this.endpointServiceReadyStatus;
          return;
        }
        // The spec's delete operation says so: removing a service's last interface endpoint removes the
        // service with it.
        this.scheduleServiceDeletion(svc, deletedAt);
      },
    });
  }

  getCluster(groupId: string, name: string): Record<string, unknown> {
    const cluster = this.requireCluster(groupId, name);
    const lower = name.toLowerCase();
    const domain = `${cluster.dnsLabel}.mongodb.net`;
    const hosts = [0, 1, 2].map((n) => `${lower}-shard-00-0${n}.${domain}:27017`).join(',');
    const connectionStrings: Record<string, unknown> = {
      standard: `mongodb://${hosts}/?ssl=true&authSource=admin&replicaSet=${cluster.replicaSetName}`,
      standardSrv: `mongodb+srv://${lower}.${domain}`,
    };
    const entries = this.connectionStringsWithheld.has(`${groupId}/${name}`)
      ? []
      : this.privateEndpointEntries(cluster);
    if (entries.length > 0) {
      const awsPrivateLink: Record<string, string> = {};
      const awsPrivateLinkSrv: Record<string, string> = {};
      connectionStrings.privateEndpoint = entries.map((endpoints) => {
        const [first] = endpoints;
        const label = endpoints.map((e) => e.ie.index).join('-');
        const awsRegion = atlasToAwsRegion(first?.regionName ?? cluster.regionName) ?? 'us-east-1';
        const plHost = `pl-${label}-${awsRegion}.${domain}`;
        const connectionString = `mongodb://${plHost}:1024,${plHost}:1025,${plHost}:1026/?ssl=true&authSource=admin&replicaSet=${cluster.replicaSetName}`;
        const srvConnectionString = `mongodb+srv://${lower}-pl-${label}.${domain}`;
        for (const e of endpoints) {
          awsPrivateLink[e.ie.id] ??= connectionString;
          awsPrivateLinkSrv[e.ie.id] ??= srvConnectionString;
        }
        return {
          connectionString,
          endpoints: endpoints.map((e) => ({
            endpointId: e.ie.id,
            providerName: 'AWS',
            region: e.regionName,
          })),
          srvConnectionString,
          srvShardOptimizedConnectionString: `mongodb+srv://${lower}-pl-${label}-lb.${domain}`,
          type: 'MONGOD',
        };
      });
      connectionStrings.awsPrivateLink = awsPrivateLink;
      connectionStrings.awsPrivateLinkSrv = awsPrivateLinkSrv;
    }
    return {
      backupEnabled: false,
      biConnector: { enabled: false, readPreference: 'SECONDARY' },
      clusterType: 'REPLICASET',
      configServerManagementMode: 'ATLAS_MANAGED',
      connectionStrings,
      createDate: cluster.createDate,
      diskWarmingMode: 'FULLY_WARMED',
      encryptionAtRestProvider: 'NONE',
      featureCompatibilityVersion: '8.0',
      globalClusterSelfManagedSharding: false,
      groupId,
      id: cluster.id,
      labels: [],
      links: [{ href: `${ATLAS_BASE_URL}/api/atlas/v2/groups/${groupId}/clusters/${name}`, rel: 'self' }],
      mongoDBMajorVersion: '8.0',
      mongoDBVersion: '8.0.12',
      name,
      paused: false,
      pitEnabled: false,
      redactClientLogData: false,
      replicaSetScalingStrategy: 'WORKLOAD_TYPE',
      replicationSpecs: [
        {
          id: cluster.replicationSpecId,
          regionConfigs: cluster.regionNames.map((regionName, i) => regionConfigOf(cluster, regionName, i)),
          zoneId: cluster.zoneId,
          zoneName: 'Zone 1',
        },
      ],
      rootCertType: 'ISRGROOTX1',
      stateName: this.deploymentState(cluster),
      tags: [],
      terminationProtectionEnabled: false,
      versionReleaseSystem: 'LTS',
    };
  }

  // ----- deployments applying private endpoints (facts §10, "connection strings") ------------------------

  /** The deployment's stateName: UPDATING while it applies a private endpoint, else its resting state. */
  private deploymentState(deployment: DeploymentBase): DeploymentStateName {
    return deployment.applying > 0 ? 'UPDATING' : deployment.stateName;
  }

  /** A cluster's stateName (tests, the CLI); undefined when the project has no such cluster. */
  clusterState(groupId: string, name: string): DeploymentStateName | undefined {
    const cluster = this.clusters.get(`${groupId}/${name}`);
    return cluster === undefined ? undefined : this.deploymentState(cluster);
  }

  /** A serverless instance's stateName (tests); undefined when the project has no such instance. */
  serverlessInstanceState(groupId: string, name: string): DeploymentStateName | undefined {
    const instance = this.serverlessInstances.get(`${groupId}/${name}`);
    return instance === undefined ? undefined : this.deploymentState(instance);
  }

  /**
   * A private endpoint (the VPC endpoint `vpceId`) became AVAILABLE at virtual time `from`: every deployment
   * it serves goes UPDATING and applies it `privateEndpointApply` later, and only then does its
   * `privateEndpoint[]` name it (facts §10, "connection strings"). The fault plan's
   * `lifecycle:deployment.applyPrivateEndpoint` may keep a deployment UPDATING (`stuck`) or end the apply
   * without the entry (`fail-transition`).
   */
  private applyPrivateEndpoint(deployments: readonly DeploymentBase[], vpceId: string, from: number): void {
    for (const deployment of deployments) {
      deployment.applying += 1;
      this.scheduleTransition({}, from + this.timeline.privateEndpointApply, {
        fault: ATLAS_LIFECYCLE.privateEndpointApply,
        // ASSUMPTION (a fault plan only): a failed apply ends the UPDATING without the entry.
        fail: () => {
          deployment.applying -= 1;
        },
        run: () => {
          deployment.applying -= 1;
          deployment.applied.add(vpceId);
          return undefined;
        },
      });
    }
  }

  /**
   * The project's dedicated AWS clusters with nodes in `regionName`: what one of its interface endpoints serves.
   * ASSUMPTION: only those go UPDATING (Terraform waits for every cluster of the project; which ones Atlas
   * actually updates is not documented).
   */
  private clustersServedBy(groupId: string, regionName: string): ClusterRecord[] {
    return [...this.clusters.values()].filter(
      (c) =>
        c.groupId === groupId &&
        c.tier === 'dedicated' &&
        c.providerName === 'AWS' &&
        c.regionNames.includes(regionName),
    );
  }

  /** A removed private endpoint no longer counts as applied anywhere. */
  private forgetPrivateEndpoint(vpceId: string): void {
    for (const c of this.clusters.values()) c.applied.delete(vpceId);
    for (const i of this.serverlessInstances.values()) i.applied.delete(vpceId);
  }

  /**
   * The `privateEndpoint[]` entries of a cluster, each as the endpoints it names: only AVAILABLE interface
   * endpoints the cluster has applied count. A single-region cluster, or any cluster of a project in
   * regionalized mode, gets one entry per endpoint. A multi-region cluster otherwise gets entries only once
   * every one of its regions has an endpoint, each entry naming one endpoint per region (facts §3c: the
   * entry is listed only once each region holding the cluster's nodes has a private endpoint; §10
   * "multi-region clusters").
   */
  // ASSUMPTION: an entry disappears as soon as its interface endpoint is no longer AVAILABLE (e.g. DELETING).
  private privateEndpointEntries(
    cluster: ClusterRecord,
  ): { ie: InterfaceEndpointRecord; regionName: string }[][] {
    if (cluster.tier !== 'dedicated' || cluster.providerName !== 'AWS') return [];
    const perRegion = cluster.regionNames.map((regionName) => {
      const found: { ie: InterfaceEndpointRecord; regionName: string }[] = [];
      for (const svc of this.endpointServices.values()) {
        if (svc.groupId !== cluster.groupId || svc.regionName !== regionName) continue;
        for (const ie of svc.endpoints.values()) {
          if (ie.connectionStatus === 'AVAILABLE' && cluster.applied.has(ie.id))
            found.push({ ie, regionName });
        }
      }
      return found.sort((a, b) => a.ie.index - b.ie.index);
    });
    if (perRegion.length === 1 || this.regionalized.has(cluster.groupId)) {
      return perRegion.flatMap((found) => found.map((e) => [e]));
    }
    if (perRegion.some((found) => found.length === 0)) return [];
    // ASSUMPTION: each endpoint paired with the first endpoint of every other region (the spec lists
    // `endpoints[]` per entry, one per region; how Atlas combines several per region is not documented).
    const entries: { ie: InterfaceEndpointRecord; regionName: string }[][] = [];
    const seen = new Set<string>();
    perRegion.forEach((found, r) => {
      for (const e of found) {
        const combo = perRegion.map((other, o) => (o === r ? e : other[0]!));
        const key = combo.map((c) => c.ie.id).join(',');
        if (!seen.has(key)) {
          seen.add(key);
          entries.push(combo);
        }
      }
    });
    return entries;
  }

  /**
   * Seeds an interface endpoint that is AVAILABLE and already applied, for a VPC endpoint outside this world's
   * AWS model (another account or region, which the simulated EC2 does not serve), creating the project's
   * AVAILABLE service for `regionName` if it has none. Lets tests and demos give a multi-region cluster an
   * endpoint in its other regions. Returns the service id.
   */
  seedForeignInterfaceEndpoint(options: {
    groupId: string;
    regionName: string;
    vpcEndpointId: string;
  }): string {
    this.requireProject(options.groupId);
    const awsRegion = atlasToAwsRegion(options.regionName);
    if (!awsRegion) throw new Error(`not an Atlas AWS region: ${options.regionName}`);
    let svc = [...this.endpointServices.values()].find(
      (e) => e.groupId === options.groupId && e.regionName === options.regionName,
    );
    if (svc === undefined) {
      svc = {
        id: this.newObjectId(),
        groupId: options.groupId,
        cloudProvider: 'AWS',
        regionName: options.regionName,
        awsRegion,
        status: 'AVAILABLE',
        endpointServiceName: `com.amazonaws.vpce.${awsRegion}.vpce-svc-${hex(17)}`,
        errorMessage: null,
        endpoints: new Map(),
        nextEndpointIndex: 0,
      };
      this.endpointServices.set(svc.id, svc);
    }
    svc.status = 'AVAILABLE';
    svc.endpoints.set(options.vpcEndpointId, {
      id: options.vpcEndpointId,
      serviceId: svc.id,
      index: svc.nextEndpointIndex++,
      connectionStatus: 'AVAILABLE',
      deleteRequested: false,
      errorMessage: null,
    });
    for (const c of this.clustersServedBy(options.groupId, options.regionName)) {
      c.applied.add(options.vpcEndpointId);
    }
    return svc.id;
  }

  // ----- lifecycle transitions ------------------------------------------------------------------------

  /**
   * Schedules one lifecycle transition of `record` at virtual time `due`. When it comes due, the fault plan
   * may hold the record where it is (`stuck`) or fail it (`fail-transition`, with the plan's message if it
   * gives one); otherwise `run` performs the transition, and a message it returns fails the record instead.
   */
  private scheduleTransition(record: { pending?: Scheduled }, due: number, transition: Transition): void {
    record.pending = this.clock.at(due, () => {
      record.pending = undefined;
      const effect = this.faults.take(transition.fault);
      if (effect?.kind === 'stuck') return;
      if (effect?.kind === 'fail-transition') {
        transition.fail(effect.errorMessage);
        return;
      }
      const problem = transition.run();
      if (problem !== undefined) transition.fail(problem);
    });
  }

  // ----- AWS side effects -------------------------------------------------------------------------------

  /** A fresh endpoint service name in `awsRegion`, registered with the AWS model so VPC endpoints can use it. */
  private openEndpointService(awsRegion: string): string {
    const serviceName = `com.amazonaws.vpce.${awsRegion}.vpce-svc-${hex(17)}`;
    this.aws.registerEndpointService(serviceName, awsRegion);
    return serviceName;
  }

  /** Why Atlas cannot accept `vpceId` for `serviceName`, or undefined when it can. */
  private vpcEndpointProblem(
    vpceId: string,
    serviceName: string | null,
    awsRegion: string,
  ): string | undefined {
    const vpce = this.aws.getVpcEndpoint(vpceId);
    if (!vpce) return `VPC endpoint ${vpceId} does not exist in AWS region ${awsRegion}.`;
    if (vpce.region !== awsRegion) {
      return `VPC endpoint ${vpceId} is in region ${vpce.region}, but the endpoint service is in ${awsRegion}.`;
    }
    if (serviceName === null || vpce.serviceName !== serviceName) {
      return `VPC endpoint ${vpceId} is not connected to endpoint service ${serviceName ?? '(none)'}.`;
    }
    if (vpce.state === 'deleting' || vpce.state === 'rejected' || vpce.state === 'failed') {
      return `VPC endpoint ${vpceId} is in state ${vpce.state} and cannot be connected.`;
    }
    return undefined;
  }

  private rejectIfConnected(vpceId: string, serviceName: string | null): void {
    const vpce = this.aws.getVpcEndpoint(vpceId);
    if (vpce && serviceName !== null && vpce.serviceName === serviceName && vpce.state !== 'deleting') {
      this.aws.rejectVpcEndpoint(vpceId);
    }
  }

  /** Atlas tears an endpoint service down; the AWS model rejects every connection still open to it. */
  private retireEndpointServiceName(serviceName: string): void {
    this.aws.deregisterEndpointService(serviceName);
  }

  // ----- out of band (tests and drift demos) -----------------------------------------------------------------

  /**
   * Atlas itself breaks a resource, outside any request: the serverless endpoint or endpoint service `id`
   * goes FAILED (a pending transition is cancelled). Unknown ids throw.
   */
  failOutOfBand(id: string, errorMessage = 'Atlas reported a failure of this private endpoint.'): void {
    const record = this.serverlessEndpoints.get(id) ?? this.endpointServices.get(id);
    if (record === undefined)
      throw new Error(`failOutOfBand: no serverless endpoint or endpoint service ${id}`);
    record.pending?.cancel();
    record.pending = undefined;
    markFailed(record, errorMessage)();
  }

  // ----- inventory ----------------------------------------------------------------------------------------

  inventory(): AtlasInventory {
    const inv: AtlasInventory = { serverlessEndpoints: [], endpointServices: [], interfaceEndpoints: [] };
    for (const ep of this.serverlessEndpoints.values()) {
      inv.serverlessEndpoints.push({
        groupId: ep.groupId,
        instanceName: ep.instanceName,
        id: ep.id,
        status: ep.status,
        cloudProviderEndpointId: ep.cloudProviderEndpointId ?? null,
      });
    }
    for (const svc of this.endpointServices.values()) {
      inv.endpointServices.push({
        groupId: svc.groupId,
        id: svc.id,
        regionName: svc.regionName,
        status: svc.status,
        endpointServiceName: svc.endpointServiceName,
      });
      for (const ie of svc.endpoints.values()) {
        inv.interfaceEndpoints.push({
          groupId: svc.groupId,
          endpointServiceId: svc.id,
          interfaceEndpointId: ie.id,
          connectionStatus: ie.connectionStatus,
        });
      }
    }
    return inv;
  }
}
