/**
 * The simulated AWS side of the world: one account, one region, a seeded VPC with two subnets in two
 * Availability Zones and its default security group, and interface VPC endpoints that connect to the
 * endpoint services the Atlas model registers.
 *
 * The model is transport-free: `local/ec2-server.ts` turns EC2 Query requests into calls of the
 * operation methods below (createVpcEndpoint, describeVpcEndpoints, …) and the `Ec2Error`s they throw
 * into EC2 XML errors. Validation follows what EC2 answers, including its inconsistent casing of
 * error codes (the VPC endpoint API says `InvalidVpcId.NotFound`, DescribeVpcs `InvalidVpcID.NotFound`).
 *
 * Lifecycle of an interface endpoint (virtual time, see Timeline):
 *   pending --vpcEndpointProvisioning--> pendingAcceptance --acceptVpcEndpoint()--> available
 *   any live state --rejectVpcEndpoint() / service deregistered--> rejected
 *   any live state --DeleteVpcEndpoints--> deleting --vpcEndpointDeletion--> deleted
 * A `deleted` endpoint stays visible to DescribeVpcEndpoints (by id and in listings) for
 * `deletedRetentionMs` (default 10 virtual minutes), as EC2 keeps deleted endpoints around for a while;
 * after that, asking for its id answers InvalidVpcEndpointId.NotFound. `inventory()` never lists it.
 *
 * Lifecycle faults (FaultPlan operation names in AWS_LIFECYCLE_FAULTS), consulted when the transition
 * is due: `lifecycle:vpcEndpoint.provision` fail-transition -> `failed` (failureReason + lastError),
 * stuck -> stays `pending`; `lifecycle:vpcEndpoint.delete` stuck -> stays `deleting`,
 * fail-transition -> `failed` (the endpoint is still live, so leak checks see it).
 */
import { randomBytes } from 'node:crypto';
import type { Scheduled, VirtualClock } from './clock.ts';
import type { FaultPlan } from './faults.ts';
import type { Timeline } from './timeline.ts';

/** The seeded account. The access key pair is a simulator credential, valid only against this model. */
export const DEMO_AWS = {
  accountId: '123456789012',
  region: 'us-east-1',
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  /** us-east-1a, us-east-1b */
  subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
  securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
  accessKeyId: 'AKIASIMULATEDEC20001',
  secretAccessKey: 'sImUlAtEd/eC2/sEcReT/kEy/0000000000000000',
} as const;

/**
 * A second account (hub and spoke): its VPC is reached through the role `roleName`, which trusts the demo
 * account's workflow roles (IAM path `/atlas-private-endpoint-workflow/`) with the external id `externalId`.
 */
export const DEMO_SPOKE_AWS = {
  accountId: '210987654321',
  region: 'us-east-1',
  vpcId: 'vpc-0b2c3d4e5f6071829',
  /** us-east-1a, us-east-1b */
  subnetIds: ['subnet-0b2c3d4e5f6071829', 'subnet-0e1d2c3b4a5968778'],
  securityGroupIds: ['sg-0b2c3d4e5f6071829'],
  roleName: 'AtlasPrivateEndpointVpcAccess',
  externalId: 'demo-atlas-private-endpoint',
} as const;

/** Who the demo access key is: a workflow function role of the demo account (as the Lambdas' credentials are). */
export const DEMO_WORKFLOW_PRINCIPAL_ARN = `arn:aws:iam::${DEMO_AWS.accountId}:role/atlas-private-endpoint-workflow/local-workflow-functions`;

/** Lifecycle fault operation names this model takes from the FaultPlan. */
export const AWS_LIFECYCLE_FAULTS = {
  provision: 'lifecycle:vpcEndpoint.provision',
  delete: 'lifecycle:vpcEndpoint.delete',
} as const;

/** EC2 actions the HTTP front serves; also the RequestLog `operation` and HTTP fault names. */
export const EC2_ACTIONS = [
  'CreateVpcEndpoint',
  'CreateTags',
  'DescribeVpcEndpoints',
  'DeleteVpcEndpoints',
  'DescribeVpcs',
  'DescribeSubnets',
  'DescribeSecurityGroups',
] as const;
export type Ec2Action = (typeof EC2_ACTIONS)[number];

/** Actions that count against the mutating token bucket (the rest use the non-mutating one). */
export const MUTATING_EC2_ACTIONS: ReadonlySet<string> = new Set([
  'CreateVpcEndpoint',
  'CreateTags',
  'DeleteVpcEndpoints',
]);

/** Interface endpoints per VPC (the AWS default quota). */
export const DEFAULT_ENDPOINT_LIMIT_PER_VPC = 50;

// ---------------------------------------------------------------------------------------------------------
// Errors

/** HTTP status EC2 uses for an error code; anything not listed is a 400. */
const ERROR_STATUS: Readonly<Record<string, number>> = {
  AuthFailure: 401,
  UnauthorizedOperation: 403,
  OptInRequired: 403,
  Blocked: 403,
  SignatureDoesNotMatch: 403,
  MissingAuthenticationToken: 403,
  InvalidClientTokenId: 403,
  DryRunOperation: 412,
  RequestLimitExceeded: 503,
  Unavailable: 503,
  ServiceUnavailable: 503,
  InternalError: 500,
  InternalFailure: 500,
  ServerInternal: 500,
};

/** Generic messages for codes a fault plan may inject without a message of its own. */
const DEFAULT_MESSAGES: Readonly<Record<string, string>> = {
  RequestLimitExceeded: 'Request limit exceeded.',
  UnauthorizedOperation: 'You are not authorized to perform this operation.',
  AuthFailure: 'AWS was not able to validate the provided access credentials',
  InternalError: 'An internal error has occurred',
  Unavailable: "The server is overloaded and can't handle the request",
  VpcEndpointLimitExceeded: 'The maximum number of VPC endpoints has been reached.',
  InvalidServiceName: 'The Vpc Endpoint Service does not exist',
  DryRunOperation: 'Request would have succeeded, but DryRun flag is set.',
};

/** Default HTTP status of an EC2 error code. */
export function ec2ErrorStatus(code: string): number {
  return ERROR_STATUS[code] ?? 400;
}

/** An EC2 error answer: `code` becomes `<Code>` (and the SDK exception's `name`), `status` the HTTP status. */
export class Ec2Error extends Error {
  override readonly name = 'Ec2Error';
  readonly code: string;
  readonly status: number;

  constructor(code: string, message?: string, status?: number) {
    super(message ?? DEFAULT_MESSAGES[code] ?? `${code} (simulated)`);
    this.code = code;
    this.status = status ?? ec2ErrorStatus(code);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Records

export type VpcEndpointState =
  | 'pending'
  | 'pendingAcceptance'
  | 'available'
  | 'deleting'
  | 'deleted'
  | 'rejected'
  | 'failed';

export interface DnsEntry {
  dnsName: string;
  hostedZoneId: string;
}

export interface VpcEndpointRecord {
  id: string;
  serviceName: string;
  region: string;
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  state: VpcEndpointState;
  privateDnsEnabled: boolean;
  tags: Record<string, string>;
  dnsEntries: DnsEntry[];
  creationTimestamp: string;
  clientToken?: string;
  failureReason?: string;
  /** Always `Interface` (the only kind Atlas PrivateLink uses). */
  vpcEndpointType: 'Interface';
  ownerId: string;
  /** One `eni-…` per subnet while the endpoint is not deleted. */
  networkInterfaceIds: string[];
  /** Set with `failureReason` when the endpoint went `failed`. */
  lastError?: { code: string; message: string };
}

export interface VpcRecord {
  id: string;
  cidrBlock: string;
  cidrBlockAssociationId: string;
  state: 'pending' | 'available';
  isDefault: boolean;
  ownerId: string;
  instanceTenancy: 'default' | 'dedicated';
  dhcpOptionsId: string;
  tags: Record<string, string>;
}

export interface SubnetRecord {
  id: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  availabilityZoneId: string;
  availableIpAddressCount: number;
  state: 'pending' | 'available';
  ownerId: string;
  defaultForAz: boolean;
  mapPublicIpOnLaunch: boolean;
  tags: Record<string, string>;
}

export interface SecurityGroupRecord {
  id: string;
  vpcId: string;
  name: string;
  description: string;
  ownerId: string;
  tags: Record<string, string>;
}

export interface EndpointServiceRecord {
  serviceName: string;
  region: string;
  /** Private DNS name the service offers; Atlas services offer none, so PrivateDnsEnabled=true is refused. */
  privateDnsName?: string;
  /** AZs the service is available in; undefined = every AZ of the region. */
  availabilityZones?: string[];
}

/** One change of an endpoint, as seen by `onVpcEndpointChange` listeners. */
export interface VpcEndpointChange {
  readonly endpoint: VpcEndpointRecord;
  /** undefined for a creation. */
  readonly previousState?: VpcEndpointState;
}

// ---------------------------------------------------------------------------------------------------------
// Operation inputs and outputs (camelCase mirrors of the EC2 Query parameters)

export interface Ec2Filter {
  readonly name: string;
  readonly values: readonly string[];
}

export interface TagSpecificationInput {
  readonly resourceType?: string;
  readonly tags: readonly { readonly key?: string; readonly value?: string }[];
}

export interface CreateVpcEndpointInput {
  readonly vpcId?: string;
  readonly serviceName?: string;
  /** EC2's default is `Gateway`, as in the real API. */
  readonly vpcEndpointType?: string;
  readonly subnetIds?: readonly string[];
  readonly securityGroupIds?: readonly string[];
  readonly routeTableIds?: readonly string[];
  /** undefined = the service's default (true only when it offers a private DNS name). */
  readonly privateDnsEnabled?: boolean;
  readonly clientToken?: string;
  readonly tagSpecifications?: readonly TagSpecificationInput[];
}

export interface CreateVpcEndpointResult {
  readonly endpoint: VpcEndpointRecord;
  readonly clientToken?: string;
}

export interface PageInput {
  readonly maxResults?: number;
  readonly nextToken?: string;
}

export interface DescribeVpcEndpointsInput extends PageInput {
  readonly vpcEndpointIds?: readonly string[];
  readonly filters?: readonly Ec2Filter[];
}

export interface DescribeVpcEndpointsResult {
  readonly endpoints: VpcEndpointRecord[];
  readonly nextToken?: string;
}

export interface UnsuccessfulItem {
  readonly resourceId: string;
  readonly code: string;
  readonly message: string;
}

export interface DeleteVpcEndpointsInput {
  readonly vpcEndpointIds?: readonly string[];
}

export interface DeleteVpcEndpointsResult {
  readonly unsuccessful: UnsuccessfulItem[];
}

export interface DescribeVpcsInput extends PageInput {
  readonly vpcIds?: readonly string[];
  readonly filters?: readonly Ec2Filter[];
}

export interface DescribeSubnetsInput extends PageInput {
  readonly subnetIds?: readonly string[];
  readonly filters?: readonly Ec2Filter[];
}

export interface DescribeSecurityGroupsInput extends PageInput {
  readonly groupIds?: readonly string[];
  readonly groupNames?: readonly string[];
  readonly filters?: readonly Ec2Filter[];
}

export interface Page<T> {
  readonly items: T[];
  readonly nextToken?: string;
}

// ---------------------------------------------------------------------------------------------------------
// Throttling

export interface TokenBucketConfig {
  /** Bucket size (burst). */
  readonly capacity: number;
  /** Tokens added per virtual second. */
  readonly refillPerSecond: number;
}

/** Optional request-rate limits, answered with RequestLimitExceeded (503) like EC2's token buckets. */
export interface ThrottleConfig {
  /** CreateVpcEndpoint, DeleteVpcEndpoints. */
  readonly mutating?: TokenBucketConfig;
  /** Describe* actions. */
  readonly nonMutating?: TokenBucketConfig;
}

class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly config: TokenBucketConfig,
    now: number,
  ) {
    this.tokens = config.capacity;
    this.last = now;
  }

  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.tokens = Math.min(this.config.capacity, this.tokens + elapsed * this.config.refillPerSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Model

export interface AwsCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials (issued by the STS front) carry one; requests must present it. */
  readonly sessionToken?: string;
}

/** The network a model seeds (ids are unique across accounts, as in AWS). */
export interface SeedNetwork {
  readonly vpcId: string;
  /** Two subnets, in the region's AZs a and b. */
  readonly subnetIds: readonly [string, string];
  readonly securityGroupIds: readonly [string];
}

export interface AwsModelOptions {
  readonly clock: VirtualClock;
  readonly timeline: Timeline;
  readonly faults: FaultPlan;
  /** @default DEMO_AWS.region */
  readonly region?: string;
  /** @default DEMO_AWS.accountId */
  readonly accountId?: string;
  /** Access keys the EC2 front accepts. @default [DEMO_AWS's key pair] */
  readonly credentials?: readonly AwsCredential[];
  /** Interface endpoints per VPC before VpcEndpointLimitExceeded. @default 50 */
  readonly endpointLimitPerVpc?: number;
  /** How long a `deleted` endpoint stays visible to DescribeVpcEndpoints (virtual ms). @default 600000 */
  readonly deletedRetentionMs?: number;
  /** Token-bucket throttling; off by default. Can be changed later with setThrottle(). */
  readonly throttle?: ThrottleConfig;
  /** Seed the DEMO VPC, subnets and security group. @default true */
  readonly seed?: boolean;
  /** The network to seed. @default DEMO_AWS's */
  readonly seedNetwork?: SeedNetwork;
}

interface StoredEndpoint {
  record: VpcEndpointRecord;
  /** Atlas accepted while the endpoint was still provisioning. */
  acceptedEarly: boolean;
  timer?: Scheduled;
  fingerprint: string;
}

const SERVICE_NAME_RE = /^com\.amazonaws\.vpce\.([a-z0-9-]+)\.(vpce-svc-[0-9a-f]{17})$/;
const ID_RE = {
  vpc: /^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
  subnet: /^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
  sg: /^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
  vpce: /^vpce-(?:[0-9a-f]{8}|[0-9a-f]{17})$/,
} as const;

/** Route 53 hosted zone of `*.vpce.amazonaws.com` names per region (us-east-1's is the documented one). */
const VPCE_HOSTED_ZONES: Readonly<Record<string, string>> = {
  'us-east-1': 'Z7HUB22UULQXV',
};

const MAX_CLIENT_TOKEN_LENGTH = 64;
const MAX_TAGS = 50;

function hex(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

function dnsSuffix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(8), (b) => alphabet[b % alphabet.length]).join('');
}

function quoteList(ids: readonly string[]): string {
  return ids.join(', ');
}

/** EC2 filter values accept `*` (any run) and `?` (one character) wildcards. */
function matchesValue(actual: string, pattern: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return actual === pattern;
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`).test(actual);
}

/** Reads the values of one filter field of an item (tag filters are handled by applyFilters). */
type FieldReader<T> = (item: T, name: string) => readonly string[];

/**
 * Applies EC2 filters: AND across filters, OR across one filter's values. `tag:<key>` and `tag-key` work
 * on every resource; other names must be in `known`, or the call is refused as EC2 does.
 */
function applyFilters<T extends { tags: Record<string, string> }>(
  items: readonly T[],
  filters: readonly Ec2Filter[] | undefined,
  known: ReadonlySet<string>,
  read: FieldReader<T>,
): T[] {
  if (!filters || filters.length === 0) return [...items];
  for (const f of filters) {
    if (!(known.has(f.name) || f.name === 'tag-key' || f.name.startsWith('tag:'))) {
      throw new Ec2Error('InvalidParameterValue', `The filter '${f.name}' is invalid`);
    }
  }
  const valuesOf = (item: T, name: string): readonly string[] => {
    if (name === 'tag-key') return Object.keys(item.tags);
    if (name.startsWith('tag:')) {
      const value = item.tags[name.slice(4)];
      return value === undefined ? [] : [value];
    }
    return read(item, name);
  };
  return items.filter((item) =>
    filters.every((f) => {
      const actual = valuesOf(item, f.name);
      return f.values.some((pattern) => actual.some((a) => matchesValue(a, pattern)));
    }),
  );
}

function encodePageToken(scope: string, offset: number): string {
  return Buffer.from(JSON.stringify({ s: scope, o: offset })).toString('base64url');
}

function decodePageToken(scope: string, token: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      s?: unknown;
      o?: unknown;
    };
    if (parsed.s === scope && typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) {
      return parsed.o;
    }
  } catch {
    // fall through
  }
  throw new Ec2Error('InvalidPaginationToken', `Invalid pagination token: ${token}`);
}

/**
 * Slices one page. `min`/`max` are the action's MaxResults bounds: below `min` is refused, above `max` is
 * clamped when `clamp` (DescribeVpcEndpoints), refused otherwise (DescribeVpcs & co. accept 5–1000).
 */
function paginate<T>(
  scope: string,
  items: readonly T[],
  input: PageInput,
  bounds: { min: number; max: number; clamp: boolean },
): Page<T> {
  let start = 0;
  if (input.nextToken) start = decodePageToken(scope, input.nextToken);
  if (input.maxResults === undefined) return { items: items.slice(start) };
  const requested = input.maxResults;
  if (!Number.isInteger(requested) || requested < bounds.min || (!bounds.clamp && requested > bounds.max)) {
    throw new Ec2Error(
      'InvalidParameterValue',
      `Value ( ${requested} ) for parameter maxResults is invalid. Expecting a value between ${bounds.min} and ${bounds.max}.`,
    );
  }
  const size = Math.min(requested, bounds.max);
  const page = items.slice(start, start + size);
  const next = start + size < items.length ? encodePageToken(scope, start + size) : undefined;
  return next === undefined ? { items: page } : { items: page, nextToken: next };
}

const ENDPOINT_FILTERS = new Set<string>([
  'vpc-id',
  'service-name',
  'service-region',
  'vpc-endpoint-state',
  'vpc-endpoint-id',
  'vpc-endpoint-type',
  'ip-address-type',
]);
const VPC_FILTERS = new Set<string>([
  'vpc-id',
  'cidr',
  'cidr-block-association.cidr-block',
  'state',
  'is-default',
  'owner-id',
  'dhcp-options-id',
]);
const SUBNET_FILTERS = new Set<string>([
  'vpc-id',
  'subnet-id',
  'availability-zone',
  'availability-zone-id',
  'cidr-block',
  'state',
  'default-for-az',
  'owner-id',
]);
const GROUP_FILTERS = new Set<string>(['vpc-id', 'group-id', 'group-name', 'description', 'owner-id']);

function snapshot(record: VpcEndpointRecord): VpcEndpointRecord {
  return structuredClone(record);
}

export class AwsModel {
  readonly region: string;
  readonly accountId: string;
  readonly endpointLimitPerVpc: number;
  readonly deletedRetentionMs: number;

  private readonly clock: VirtualClock;
  private readonly timeline: Timeline;
  private readonly faults: FaultPlan;
  private readonly credentials = new Map<string, AwsCredential>();
  private readonly vpcs = new Map<string, VpcRecord>();
  private readonly subnets = new Map<string, SubnetRecord>();
  private readonly securityGroups = new Map<string, SecurityGroupRecord>();
  private readonly services = new Map<string, EndpointServiceRecord>();
  private readonly endpoints = new Map<string, StoredEndpoint>();
  private readonly clientTokens = new Map<string, { endpointId: string; fingerprint: string }>();
  private readonly listeners = new Set<(change: VpcEndpointChange) => void>();
  private buckets: { mutating?: TokenBucket; nonMutating?: TokenBucket } = {};
  private readonly otherRegions = new Map<string, AwsModel>();

  constructor(options: AwsModelOptions) {
    this.clock = options.clock;
    this.timeline = options.timeline;
    this.faults = options.faults;
    this.region = options.region ?? DEMO_AWS.region;
    this.accountId = options.accountId ?? DEMO_AWS.accountId;
    this.endpointLimitPerVpc = options.endpointLimitPerVpc ?? DEFAULT_ENDPOINT_LIMIT_PER_VPC;
    this.deletedRetentionMs = options.deletedRetentionMs ?? 10 * 60 * 1000;
    for (const c of options.credentials ?? [DEMO_AWS]) this.addCredential(c);
    this.setThrottle(options.throttle);
    if (options.seed ?? true) this.seedDemo(options.seedNetwork ?? DEMO_AWS);
  }

  /**
   * This account's EC2 in another region: the same credentials, clock, timeline and fault plan, and nothing
   * in it (the world's VPCs are all in `region`). The EC2 front serves a request signed for another region
   * from it, as that region's own endpoint would: the VPCs and subnets of this region are not found there.
   */
  inRegion(region: string): AwsModel {
    if (region === this.region) return this;
    let model = this.otherRegions.get(region);
    if (model === undefined) {
      model = new AwsModel({
        clock: this.clock,
        timeline: this.timeline,
        faults: this.faults,
        region,
        accountId: this.accountId,
        credentials: [...this.credentials.values()],
        seed: false,
      });
      this.otherRegions.set(region, model);
    }
    return model;
  }

  private seedDemo(network: SeedNetwork): void {
    const r = this.region;
    this.addVpc({ id: network.vpcId, cidrBlock: '10.0.0.0/16', tags: { Name: 'demo' } });
    this.addSubnet({
      id: network.subnetIds[0],
      vpcId: network.vpcId,
      cidrBlock: '10.0.1.0/24',
      availabilityZone: `${r}a`,
      tags: { Name: 'demo-private-a' },
    });
    this.addSubnet({
      id: network.subnetIds[1],
      vpcId: network.vpcId,
      cidrBlock: '10.0.2.0/24',
      availabilityZone: `${r}b`,
      tags: { Name: 'demo-private-b' },
    });
    this.addSecurityGroup({
      id: network.securityGroupIds[0],
      vpcId: network.vpcId,
      name: 'default',
      description: 'default VPC security group',
    });
  }

  // ------------------------------------------------------------------------------------- world building

  /** Adds a VPC (tests and scenarios use this for extra networks). */
  addVpc(input: {
    id: string;
    cidrBlock: string;
    isDefault?: boolean;
    tags?: Record<string, string>;
  }): VpcRecord {
    if (!ID_RE.vpc.test(input.id)) throw new Error(`addVpc: malformed VPC id ${input.id}`);
    const vpc: VpcRecord = {
      id: input.id,
      cidrBlock: input.cidrBlock,
      cidrBlockAssociationId: `vpc-cidr-assoc-${hex(17)}`,
      state: 'available',
      isDefault: input.isDefault ?? false,
      ownerId: this.accountId,
      instanceTenancy: 'default',
      dhcpOptionsId: `dopt-${hex(17)}`,
      tags: { ...(input.tags ?? {}) },
    };
    this.vpcs.set(vpc.id, vpc);
    return structuredClone(vpc);
  }

  /** Adds a subnet; the AZ id is derived from the AZ letter (`us-east-1a` -> `use1-az1`). */
  addSubnet(input: {
    id: string;
    vpcId: string;
    cidrBlock: string;
    availabilityZone: string;
    tags?: Record<string, string>;
  }): SubnetRecord {
    if (!ID_RE.subnet.test(input.id)) throw new Error(`addSubnet: malformed subnet id ${input.id}`);
    if (!this.vpcs.has(input.vpcId)) throw new Error(`addSubnet: unknown VPC ${input.vpcId}`);
    const letter = input.availabilityZone.slice(-1);
    const regionShort = this.region.replace(/^([a-z]{2})-([a-z])[a-z]*-(\d+)$/, '$1$2$3');
    const subnet: SubnetRecord = {
      id: input.id,
      vpcId: input.vpcId,
      cidrBlock: input.cidrBlock,
      availabilityZone: input.availabilityZone,
      availabilityZoneId: `${regionShort}-az${letter.charCodeAt(0) - 96}`,
      availableIpAddressCount: 251,
      state: 'available',
      ownerId: this.accountId,
      defaultForAz: false,
      mapPublicIpOnLaunch: false,
      tags: { ...(input.tags ?? {}) },
    };
    this.subnets.set(subnet.id, subnet);
    return structuredClone(subnet);
  }

  addSecurityGroup(input: {
    id: string;
    vpcId: string;
    name: string;
    description?: string;
    tags?: Record<string, string>;
  }): SecurityGroupRecord {
    if (!ID_RE.sg.test(input.id)) throw new Error(`addSecurityGroup: malformed group id ${input.id}`);
    if (!this.vpcs.has(input.vpcId)) throw new Error(`addSecurityGroup: unknown VPC ${input.vpcId}`);
    const group: SecurityGroupRecord = {
      id: input.id,
      vpcId: input.vpcId,
      name: input.name,
      description: input.description ?? input.name,
      ownerId: this.accountId,
      tags: { ...(input.tags ?? {}) },
    };
    this.securityGroups.set(group.id, group);
    return structuredClone(group);
  }

  /** Adds an access key pair the EC2 front accepts. */
  addCredential(credential: AwsCredential): void {
    this.credentials.set(credential.accessKeyId, { ...credential });
  }

  /** Secret of a known access key (for SigV4 verification); undefined when the key is unknown. */
  secretFor(accessKeyId: string): string | undefined {
    return this.credentials.get(accessKeyId)?.secretAccessKey;
  }

  /** A known access key's credential (with its session token, if temporary); undefined when unknown. */
  credentialFor(accessKeyId: string): AwsCredential | undefined {
    const credential = this.credentials.get(accessKeyId);
    return credential && { ...credential };
  }

  /** Whether this account holds the VPC endpoint (in any state, deleted included). */
  holdsVpcEndpoint(id: string): boolean {
    return this.endpoints.has(id);
  }

  /** Turns token-bucket throttling on (or off with undefined); buckets start full. */
  setThrottle(config: ThrottleConfig | undefined): void {
    const now = this.clock.now();
    this.buckets = {
      ...(config?.mutating ? { mutating: new TokenBucket(config.mutating, now) } : {}),
      ...(config?.nonMutating ? { nonMutating: new TokenBucket(config.nonMutating, now) } : {}),
    };
  }

  /** Takes one token for `action`; false means answer RequestLimitExceeded. */
  admit(action: string): boolean {
    const bucket = MUTATING_EC2_ACTIONS.has(action) ? this.buckets.mutating : this.buckets.nonMutating;
    return bucket ? bucket.take(this.clock.now()) : true;
  }

  // ------------------------------------------------------------------------------------- Atlas-facing

  /** Atlas calls this once its endpoint service has a name; the region must match the name's. */
  registerEndpointService(
    serviceName: string,
    region: string,
    options: { privateDnsName?: string; availabilityZones?: readonly string[] } = {},
  ): void {
    const match = SERVICE_NAME_RE.exec(serviceName);
    if (!match) throw new Error(`registerEndpointService: malformed service name ${serviceName}`);
    if (match[1] !== region) {
      throw new Error(`registerEndpointService: ${serviceName} names region ${match[1]}, not ${region}`);
    }
    this.services.set(serviceName, {
      serviceName,
      region,
      ...(options.privateDnsName ? { privateDnsName: options.privateDnsName } : {}),
      ...(options.availabilityZones ? { availabilityZones: [...options.availabilityZones] } : {}),
    });
  }

  /** The provider removed its service: connected endpoints that are still live become `rejected`. */
  deregisterEndpointService(serviceName: string): void {
    this.services.delete(serviceName);
    for (const stored of this.endpoints.values()) {
      const s = stored.record.state;
      if (
        stored.record.serviceName === serviceName &&
        ['pending', 'pendingAcceptance', 'available'].includes(s)
      ) {
        this.transition(stored, 'rejected');
      }
    }
  }

  hasEndpointService(serviceName: string): boolean {
    return this.services.has(serviceName);
  }

  /** A live (not deleted) endpoint, as a copy. */
  getVpcEndpoint(id: string): VpcEndpointRecord | undefined {
    const stored = this.endpoints.get(id);
    if (!stored || stored.record.state === 'deleted') return undefined;
    return snapshot(stored.record);
  }

  /**
   * Atlas accepted the connection: pendingAcceptance -> available; a still-pending endpoint becomes
   * available as soon as it is provisioned. Other states are left alone. Unknown ids throw.
   */
  acceptVpcEndpoint(id: string): void {
    const stored = this.requireStored(id, 'acceptVpcEndpoint');
    if (stored.record.state === 'pendingAcceptance') this.transition(stored, 'available');
    else if (stored.record.state === 'pending') stored.acceptedEarly = true;
  }

  /** Atlas rejected the connection: pending / pendingAcceptance / available -> rejected. Unknown ids throw. */
  rejectVpcEndpoint(id: string): void {
    const stored = this.requireStored(id, 'rejectVpcEndpoint');
    if (['pending', 'pendingAcceptance', 'available'].includes(stored.record.state)) {
      stored.timer?.cancel();
      stored.timer = undefined;
      this.transition(stored, 'rejected');
    }
  }

  /** Live (not deleted) endpoints, oldest first, as copies. */
  inventory(): VpcEndpointRecord[] {
    return [...this.endpoints.values()]
      .filter((s) => s.record.state !== 'deleted')
      .map((s) => snapshot(s.record));
  }

  /** Subscribes to endpoint creations and state changes; returns the unsubscribe function. */
  onVpcEndpointChange(listener: (change: VpcEndpointChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  getVpc(id: string): VpcRecord | undefined {
    const vpc = this.vpcs.get(id);
    return vpc && structuredClone(vpc);
  }

  getSubnet(id: string): SubnetRecord | undefined {
    const subnet = this.subnets.get(id);
    return subnet && structuredClone(subnet);
  }

  getSecurityGroup(id: string): SecurityGroupRecord | undefined {
    const group = this.securityGroups.get(id);
    return group && structuredClone(group);
  }

  // ------------------------------------------------------------------------------------- EC2 operations

  /** CreateVpcEndpoint. Throws Ec2Error for every refusal EC2 would answer. */
  createVpcEndpoint(input: CreateVpcEndpointInput): CreateVpcEndpointResult {
    if (!input.vpcId) throw missing('VpcId');
    if (!input.serviceName) throw missing('ServiceName');
    const type = input.vpcEndpointType ?? 'Gateway';
    if (!['Interface', 'Gateway', 'GatewayLoadBalancer', 'Resource', 'ServiceNetwork'].includes(type)) {
      throw new Ec2Error('InvalidVpcEndpointType', `The VPC endpoint type '${type}' is not valid.`);
    }
    const token = input.clientToken;
    if (token !== undefined && (token.length === 0 || token.length > MAX_CLIENT_TOKEN_LENGTH)) {
      throw new Ec2Error(
        'InvalidParameterValue',
        `Value (${token}) for parameter clientToken is invalid. It must be 1 to ${MAX_CLIENT_TOKEN_LENGTH} ASCII characters.`,
      );
    }
    const tags = this.tagsFrom(input.tagSpecifications);
    const fingerprint = JSON.stringify([
      input.vpcId,
      input.serviceName,
      type,
      [...(input.subnetIds ?? [])].sort(),
      [...(input.securityGroupIds ?? [])].sort(),
      [...(input.routeTableIds ?? [])].sort(),
      input.privateDnsEnabled ?? null,
      Object.entries(tags).sort(([a], [b]) => a.localeCompare(b)),
    ]);
    if (token !== undefined) {
      const seen = this.clientTokens.get(token);
      if (seen) {
        if (seen.fingerprint !== fingerprint) {
          throw new Ec2Error(
            'IdempotentParameterMismatch',
            `The client token '${token}' was already used with different parameters.`,
          );
        }
        const existing = this.endpoints.get(seen.endpointId);
        if (existing) return { endpoint: snapshot(existing.record), clientToken: token };
        this.clientTokens.delete(token); // purged long ago: the token has expired
      }
    }

    const vpcId = input.vpcId;
    if (!ID_RE.vpc.test(vpcId)) {
      throw new Ec2Error(
        'InvalidVpcId.Malformed',
        `Invalid Vpc Id: '${vpcId}' (expecting 'vpc-...'; the Id may only contain lowercase alphanumeric characters and a single dash)`,
      );
    }
    if (!this.vpcs.has(vpcId))
      throw new Ec2Error('InvalidVpcId.NotFound', `The Vpc Id '${vpcId}' does not exist`);
    const service = this.services.get(input.serviceName);
    if (!service || service.region !== this.region) {
      throw new Ec2Error(
        'InvalidServiceName',
        `The Vpc Endpoint Service '${input.serviceName}' does not exist`,
      );
    }
    const subnetIds = [...(input.subnetIds ?? [])];
    if (type !== 'Interface') {
      if (subnetIds.length > 0 && type !== 'GatewayLoadBalancer') {
        throw new Ec2Error(
          'InvalidParameter',
          'Subnet IDs are only supported for Interface and GatewayLoadBalancer type VPC Endpoints.',
        );
      }
      throw new Ec2Error(
        'InvalidParameter',
        `The Vpc Endpoint Service '${input.serviceName}' does not support the VPC endpoint type ${type}; use Interface.`,
      );
    }
    if ((input.routeTableIds ?? []).length > 0) {
      throw new Ec2Error(
        'InvalidParameter',
        'Route table IDs are only supported for Gateway type VPC Endpoint.',
      );
    }

    const zones = new Map<string, string>();
    for (const id of subnetIds) {
      if (!ID_RE.subnet.test(id)) {
        throw new Ec2Error(
          'InvalidSubnetId.Malformed',
          `Invalid Subnet Id: '${id}' (expecting 'subnet-...'; the Id may only contain lowercase alphanumeric characters and a single dash)`,
        );
      }
    }
    const unknownSubnets = subnetIds.filter((id) => !this.subnets.has(id));
    if (unknownSubnets.length > 0) {
      throw new Ec2Error(
        'InvalidSubnetId.NotFound',
        `The subnet ID '${quoteList(unknownSubnets)}' does not exist`,
      );
    }
    for (const id of subnetIds) {
      const subnet = this.subnets.get(id)!;
      if (subnet.vpcId !== vpcId) {
        throw new Ec2Error(
          'InvalidParameter',
          `The subnet ID '${id}' does not belong to the VPC '${vpcId}'.`,
        );
      }
      if (zones.has(subnet.availabilityZone)) {
        throw new Ec2Error(
          'DuplicateSubnetsInSameZone',
          `Found another VPC endpoint subnet in the availability zone of ${id}. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.`,
        );
      }
      if (service.availabilityZones && !service.availabilityZones.includes(subnet.availabilityZone)) {
        throw new Ec2Error(
          'InvalidParameter',
          `The VPC endpoint service ${service.serviceName} does not support the availability zone of the subnet: ${id}.`,
        );
      }
      zones.set(subnet.availabilityZone, id);
    }

    let groupIds = [...new Set(input.securityGroupIds ?? [])];
    for (const id of groupIds) {
      if (!ID_RE.sg.test(id)) {
        throw new Ec2Error('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`);
      }
    }
    for (const id of groupIds) {
      const group = this.securityGroups.get(id);
      if (!group) throw new Ec2Error('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
      if (group.vpcId !== vpcId) {
        throw new Ec2Error(
          'InvalidGroup.NotFound',
          `The security group '${id}' does not exist in VPC '${vpcId}'`,
        );
      }
    }
    if (groupIds.length === 0) {
      const fallback = [...this.securityGroups.values()].find(
        (g) => g.vpcId === vpcId && g.name === 'default',
      );
      groupIds = fallback ? [fallback.id] : [];
    }

    if (input.privateDnsEnabled === true && !service.privateDnsName) {
      throw new Ec2Error(
        'InvalidParameter',
        `Private DNS can't be enabled because the service ${service.serviceName} does not provide a private DNS name.`,
      );
    }
    const privateDnsEnabled = input.privateDnsEnabled ?? service.privateDnsName !== undefined;

    const live = [...this.endpoints.values()].filter(
      (s) => s.record.vpcId === vpcId && s.record.state !== 'deleted',
    ).length;
    if (live >= this.endpointLimitPerVpc) {
      throw new Ec2Error(
        'VpcEndpointLimitExceeded',
        `The maximum number of VPC endpoints (${this.endpointLimitPerVpc}) for VPC '${vpcId}' has been reached.`,
      );
    }

    let id = `vpce-${hex(17)}`;
    while (this.endpoints.has(id)) id = `vpce-${hex(17)}`;
    const svcId = SERVICE_NAME_RE.exec(service.serviceName)?.[2] ?? 'vpce-svc';
    const base = `${id}-${dnsSuffix()}`;
    const domain = `${svcId}.${this.region}.vpce.amazonaws.com`;
    const hostedZoneId = VPCE_HOSTED_ZONES[this.region] ?? `Z${hex(12).toUpperCase()}`;
    const dnsEntries: DnsEntry[] = [
      { dnsName: `${base}.${domain}`, hostedZoneId },
      ...[...zones.keys()].sort().map((az) => ({ dnsName: `${base}-${az}.${domain}`, hostedZoneId })),
    ];
    const record: VpcEndpointRecord = {
      id,
      serviceName: service.serviceName,
      region: this.region,
      vpcId,
      subnetIds,
      securityGroupIds: groupIds,
      state: 'pending',
      privateDnsEnabled,
      tags,
      dnsEntries,
      creationTimestamp: this.clock.iso(),
      ...(token !== undefined ? { clientToken: token } : {}),
      vpcEndpointType: 'Interface',
      ownerId: this.accountId,
      networkInterfaceIds: subnetIds.map(() => `eni-${hex(17)}`),
    };
    const stored: StoredEndpoint = { record, acceptedEarly: false, fingerprint };
    this.endpoints.set(id, stored);
    if (token !== undefined) this.clientTokens.set(token, { endpointId: id, fingerprint });
    for (const subnetId of subnetIds) {
      const subnet = this.subnets.get(subnetId);
      if (subnet) subnet.availableIpAddressCount -= 1;
    }
    stored.timer = this.clock.after(this.timeline.vpcEndpointProvisioning, () => this.provisioned(stored));
    this.emit(stored, undefined);
    return token === undefined
      ? { endpoint: snapshot(record) }
      : { endpoint: snapshot(record), clientToken: token };
  }

  /** DescribeVpcEndpoints: ids (all must exist), filters, MaxResults (clamped to 1000) and NextToken. */
  describeVpcEndpoints(input: DescribeVpcEndpointsInput = {}): DescribeVpcEndpointsResult {
    const ids = input.vpcEndpointIds ?? [];
    for (const id of ids) {
      if (!ID_RE.vpce.test(id)) {
        throw new Ec2Error(
          'InvalidVpcEndpointId.Malformed',
          `Invalid Vpc Endpoint Id: '${id}' (expecting 'vpce-...'; the Id may only contain lowercase alphanumeric characters and a single dash)`,
        );
      }
    }
    const unknown = ids.filter((id) => !this.endpoints.has(id));
    if (unknown.length > 0) {
      throw new Ec2Error(
        'InvalidVpcEndpointId.NotFound',
        `The Vpc Endpoint Id '${quoteList(unknown)}' does not exist`,
      );
    }
    let records = [...this.endpoints.values()].map((s) => s.record);
    if (ids.length > 0) records = records.filter((r) => ids.includes(r.id));
    const filtered = applyFilters(records, input.filters, ENDPOINT_FILTERS, (r, name) => {
      switch (name) {
        case 'vpc-id':
          return [r.vpcId];
        case 'service-name':
          return [r.serviceName];
        case 'service-region':
          return [r.region];
        case 'vpc-endpoint-state':
          return [r.state];
        case 'vpc-endpoint-id':
          return [r.id];
        case 'vpc-endpoint-type':
          return [r.vpcEndpointType];
        case 'ip-address-type':
          return ['ipv4'];
        default:
          return [];
      }
    });
    const page = paginate('DescribeVpcEndpoints', filtered, input, { min: 1, max: 1000, clamp: true });
    const endpoints = page.items.map(snapshot);
    return page.nextToken === undefined ? { endpoints } : { endpoints, nextToken: page.nextToken };
  }

  /**
   * CreateTags on VPC endpoints (the only resources this model tags): adds or overwrites each tag. Every id
   * must be a known endpoint (EC2 answers InvalidVpcEndpointId.NotFound otherwise) and the tag set stays
   * within EC2's limit.
   */
  createTags(input: {
    resourceIds: readonly string[];
    tags: readonly { key: string; value?: string }[];
  }): void {
    if (input.resourceIds.length === 0) throw missing('ResourceId');
    if (input.tags.length === 0) throw missing('Tag');
    const tags = this.tagsFrom([{ resourceType: 'vpc-endpoint', tags: [...input.tags] }]);
    const targets = input.resourceIds.map((id) => {
      if (!ID_RE.vpce.test(id)) throw new Ec2Error('InvalidID', `The ID '${id}' is not valid`);
      const stored = this.endpoints.get(id);
      if (!stored) {
        throw new Ec2Error('InvalidVpcEndpointId.NotFound', `The Vpc Endpoint Id '${id}' does not exist`);
      }
      return stored;
    });
    for (const stored of targets) {
      const merged = { ...stored.record.tags, ...tags };
      if (Object.keys(merged).length > MAX_TAGS) {
        throw new Ec2Error('TagLimitExceeded', `The maximum number of tags (${MAX_TAGS}) has been exceeded.`);
      }
    }
    for (const stored of targets) Object.assign(stored.record.tags, tags);
  }

  /**
   * Out of band (no EC2 action of the workflow's; tests and drift demos): removes these tag keys from an
   * endpoint, as someone editing it in the console would.
   */
  removeTags(id: string, keys: readonly string[]): void {
    const stored = this.requireStored(id, 'removeTags');
    for (const key of keys) delete stored.record.tags[key];
  }

  /** DeleteVpcEndpoints: unknown ids come back as `unsuccessful` items, the call itself succeeds. */
  deleteVpcEndpoints(input: DeleteVpcEndpointsInput): DeleteVpcEndpointsResult {
    const ids = input.vpcEndpointIds ?? [];
    if (ids.length === 0) throw missing('VpcEndpointId');
    for (const id of ids) {
      if (!ID_RE.vpce.test(id)) {
        throw new Ec2Error(
          'InvalidVpcEndpointId.Malformed',
          `Invalid Vpc Endpoint Id: '${id}' (expecting 'vpce-...'; the Id may only contain lowercase alphanumeric characters and a single dash)`,
        );
      }
    }
    const unsuccessful: UnsuccessfulItem[] = [];
    for (const id of new Set(ids)) {
      const stored = this.endpoints.get(id);
      if (!stored || stored.record.state === 'deleted') {
        unsuccessful.push({
          resourceId: id,
          code: 'InvalidVpcEndpoint.NotFound',
          message: `The Vpc Endpoint Id '${id}' does not exist`,
        });
        continue;
      }
      if (stored.record.state === 'deleting') continue;
      stored.timer?.cancel();
      this.transition(stored, 'deleting');
      stored.timer = this.clock.after(this.timeline.vpcEndpointDeletion, () => this.deletionDue(stored));
    }
    return { unsuccessful };
  }

  describeVpcs(input: DescribeVpcsInput = {}): Page<VpcRecord> {
    const ids = input.vpcIds ?? [];
    for (const id of ids) {
      if (!ID_RE.vpc.test(id)) throw new Ec2Error('InvalidVpcID.Malformed', `Invalid id: "${id}"`);
    }
    const unknown = ids.filter((id) => !this.vpcs.has(id));
    if (unknown.length > 0) {
      throw new Ec2Error('InvalidVpcID.NotFound', `The vpc ID '${quoteList(unknown)}' does not exist`);
    }
    let vpcs = [...this.vpcs.values()];
    if (ids.length > 0) vpcs = vpcs.filter((v) => ids.includes(v.id));
    const filtered = applyFilters(vpcs, input.filters, VPC_FILTERS, (v, name) => {
      switch (name) {
        case 'vpc-id':
          return [v.id];
        case 'cidr':
        case 'cidr-block-association.cidr-block':
          return [v.cidrBlock];
        case 'state':
          return [v.state];
        case 'is-default':
          return [String(v.isDefault)];
        case 'owner-id':
          return [v.ownerId];
        case 'dhcp-options-id':
          return [v.dhcpOptionsId];
        default:
          return [];
      }
    });
    const page = paginate('DescribeVpcs', filtered, input, { min: 5, max: 1000, clamp: false });
    return { ...page, items: page.items.map((v) => structuredClone(v)) };
  }

  describeSubnets(input: DescribeSubnetsInput = {}): Page<SubnetRecord> {
    const ids = input.subnetIds ?? [];
    for (const id of ids) {
      if (!ID_RE.subnet.test(id)) throw new Ec2Error('InvalidSubnetID.Malformed', `Invalid id: "${id}"`);
    }
    const unknown = ids.filter((id) => !this.subnets.has(id));
    if (unknown.length > 0) {
      throw new Ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${quoteList(unknown)}' does not exist`);
    }
    let subnets = [...this.subnets.values()];
    if (ids.length > 0) subnets = subnets.filter((s) => ids.includes(s.id));
    const filtered = applyFilters(subnets, input.filters, SUBNET_FILTERS, (s, name) => {
      switch (name) {
        case 'vpc-id':
          return [s.vpcId];
        case 'subnet-id':
          return [s.id];
        case 'availability-zone':
          return [s.availabilityZone];
        case 'availability-zone-id':
          return [s.availabilityZoneId];
        case 'cidr-block':
          return [s.cidrBlock];
        case 'state':
          return [s.state];
        case 'default-for-az':
          return [String(s.defaultForAz)];
        case 'owner-id':
          return [s.ownerId];
        default:
          return [];
      }
    });
    const page = paginate('DescribeSubnets', filtered, input, { min: 5, max: 1000, clamp: false });
    return { ...page, items: page.items.map((s) => structuredClone(s)) };
  }

  describeSecurityGroups(input: DescribeSecurityGroupsInput = {}): Page<SecurityGroupRecord> {
    const ids = input.groupIds ?? [];
    for (const id of ids) {
      if (!ID_RE.sg.test(id))
        throw new Ec2Error('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`);
    }
    const unknown = ids.filter((id) => !this.securityGroups.has(id));
    if (unknown.length > 0) {
      throw new Ec2Error(
        'InvalidGroup.NotFound',
        `The security group '${quoteList(unknown)}' does not exist`,
      );
    }
    const names = input.groupNames ?? [];
    const groups = [...this.securityGroups.values()];
    const unknownNames = names.filter((n) => !groups.some((g) => g.name === n));
    if (unknownNames.length > 0) {
      throw new Ec2Error(
        'InvalidGroup.NotFound',
        `The security group '${quoteList(unknownNames)}' does not exist`,
      );
    }
    let selected = groups;
    if (ids.length > 0) selected = selected.filter((g) => ids.includes(g.id));
    if (names.length > 0) selected = selected.filter((g) => names.includes(g.name));
    const filtered = applyFilters(selected, input.filters, GROUP_FILTERS, (g, name) => {
      switch (name) {
        case 'vpc-id':
          return [g.vpcId];
        case 'group-id':
          return [g.id];
        case 'group-name':
          return [g.name];
        case 'description':
          return [g.description];
        case 'owner-id':
          return [g.ownerId];
        default:
          return [];
      }
    });
    const page = paginate('DescribeSecurityGroups', filtered, input, { min: 5, max: 1000, clamp: false });
    return { ...page, items: page.items.map((g) => structuredClone(g)) };
  }

  // ------------------------------------------------------------------------------------- internals

  private requireStored(id: string, caller: string): StoredEndpoint {
    const stored = this.endpoints.get(id);
    if (!stored) throw new Error(`${caller}: unknown VPC endpoint ${id}`);
    return stored;
  }

  private tagsFrom(specs: readonly TagSpecificationInput[] | undefined): Record<string, string> {
    const tags: Record<string, string> = {};
    for (const spec of specs ?? []) {
      if (spec.resourceType !== 'vpc-endpoint') {
        throw new Ec2Error(
          'InvalidParameterValue',
          `'${spec.resourceType ?? ''}' is not a valid taggable resource type for this operation.`,
        );
      }
      for (const tag of spec.tags) {
        const key = tag.key;
        if (!key) throw new Ec2Error('InvalidParameterValue', 'Tag keys must not be empty.');
        if (key.toLowerCase().startsWith('aws:')) {
          throw new Ec2Error('InvalidParameterValue', `Tag key '${key}' uses the reserved prefix 'aws:'.`);
        }
        if (Object.hasOwn(tags, key)) {
          throw new Ec2Error('InvalidParameterValue', `Duplicate tag key '${key}' specified.`);
        }
        tags[key] = tag.value ?? '';
      }
    }
    if (Object.keys(tags).length > MAX_TAGS) {
      throw new Ec2Error('TagLimitExceeded', `The maximum number of tags (${MAX_TAGS}) has been exceeded.`);
    }
    return tags;
  }

  private provisioned(stored: StoredEndpoint): void {
    stored.timer = undefined;
    if (stored.record.state !== 'pending') return;
    const fault = this.faults.take(AWS_LIFECYCLE_FAULTS.provision);
    if (fault?.kind === 'stuck') return;
    if (fault?.kind === 'fail-transition') {
      this.fail(stored, fault.errorMessage ?? 'The VPC endpoint could not be provisioned.');
      return;
    }
    this.transition(stored, stored.acceptedEarly ? 'available' : 'pendingAcceptance');
  }

  private deletionDue(stored: StoredEndpoint): void {
    stored.timer = undefined;
    if (stored.record.state !== 'deleting') return;
    const fault = this.faults.take(AWS_LIFECYCLE_FAULTS.delete);
    if (fault?.kind === 'stuck') return;
    if (fault?.kind === 'fail-transition') {
      this.fail(stored, fault.errorMessage ?? 'The VPC endpoint could not be deleted.');
      return;
    }
    for (const subnetId of stored.record.subnetIds) {
      const subnet = this.subnets.get(subnetId);
      if (subnet) subnet.availableIpAddressCount += 1;
    }
    stored.record.networkInterfaceIds = [];
    stored.record.dnsEntries = [];
    this.transition(stored, 'deleted');
    stored.timer = this.clock.after(this.deletedRetentionMs, () => {
      this.endpoints.delete(stored.record.id);
    });
  }

  private fail(stored: StoredEndpoint, reason: string): void {
    stored.record.failureReason = reason;
    stored.record.lastError = { code: 'InternalError', message: reason };
    this.transition(stored, 'failed');
  }

  private transition(stored: StoredEndpoint, state: VpcEndpointState): void {
    const previousState = stored.record.state;
    if (previousState === state) return;
    stored.record.state = state;
    this.emit(stored, previousState);
  }

  private emit(stored: StoredEndpoint, previousState: VpcEndpointState | undefined): void {
    if (this.listeners.size === 0) return;
    const change: VpcEndpointChange =
      previousState === undefined
        ? { endpoint: snapshot(stored.record) }
        : { endpoint: snapshot(stored.record), previousState };
    for (const listener of this.listeners) listener(change);
  }
}

function missing(parameter: string): Ec2Error {
  return new Ec2Error('MissingParameter', `The request must contain the parameter ${parameter}`);
}
