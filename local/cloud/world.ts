/**
 * The world: one virtual clock, one timeline, one fault plan and one request log shared by the Atlas model and
 * the AWS model, seeded with the demo project. Tests, the local engine and the CLI all build on this.
 */
import {
  type AtlasInventory,
  AtlasModel,
  type AtlasRateLimitSet,
  type EndpointServiceReadyStatus,
  type RateLimitConfig,
} from './atlas-model.ts';
import {
  AwsModel,
  DEMO_AWS,
  DEMO_SPOKE_AWS,
  DEMO_WORKFLOW_PRINCIPAL_ARN,
  type VpcEndpointRecord,
} from './aws-model.ts';
import { VirtualClock } from './clock.ts';
import { DynamoDbModel, type Item } from './dynamodb-model.ts';
import { FaultPlan, type FaultRule } from './faults.ts';
import { AwsAccounts, IamModel } from './iam-model.ts';
import { RequestLog } from './request-log.ts';
import { isPresetName, PRESETS, type PresetName, type Timeline } from './timeline.ts';

export interface WorldOptions {
  /** Timeline preset name or explicit durations. @default 'realistic' */
  readonly preset?: PresetName | Timeline;
  /** Virtual ms per real ms; tests use 0 and advance the clock themselves. @default 1 */
  readonly timeScale?: number;
  readonly faults?: readonly FaultRule[];
  /** Reproduce today's Atlas: the serverless private endpoint API answers 410 VERSION_GONE. @default false */
  readonly serverlessRetired?: boolean;
  /** Virtual epoch ms at creation. @default 2026-11-28T09:00:00Z (the clock's default) */
  readonly start?: number;
  /** Override Atlas token-bucket limits per endpoint set (e.g. a capacity of 3 to test 429 cheaply). */
  readonly rateLimits?: Partial<Record<AtlasRateLimitSet, Partial<RateLimitConfig>>>;
  /** Virtual seconds a digest nonce stays fresh. @default 300 */
  readonly digestNonceTtlSeconds?: number;
  /** Keep a dedicated endpoint service when its last interface endpoint is deleted (the spec removes it). */
  readonly keepServiceAfterLastEndpoint?: boolean;
  /**
   * What a new dedicated endpoint service shows once it is ready for a VPC endpoint: `AVAILABLE` (today's
   * Atlas, facts §10) or `WAITING_FOR_USER` (the older behaviour). @default 'AVAILABLE'
   */
  readonly endpointServiceReadyStatus?: EndpointServiceReadyStatus;
  /**
   * The demo project uses regionalized private endpoints: a multi-region cluster publishes a private connection
   * string per region instead of waiting for an endpoint in every region (facts §10). @default false
   */
  readonly regionalizedPrivateEndpoints?: boolean;
  /** HTTP status of a duplicate interface endpoint: 409 (spec) or 400 (AKO's legacy expectation). @default 409 */
  readonly duplicateInterfaceEndpointStatus?: 409 | 400;
  /** Fixed demo credentials (e.g. from the environment); random ones are generated otherwise. */
  readonly credentials?: {
    readonly serviceAccount?: { readonly clientId: string; readonly clientSecret: string };
    readonly apiKey?: { readonly publicKey: string; readonly privateKey: string };
  };
}

export interface DemoSeed {
  readonly groupId: '5f7cac1adf5d6c6306f4b283';
  readonly orgId: string;
  readonly serverlessInstanceName: 'orders';
  readonly clusterName: 'orders-dedicated';
  /**
   * The demo project's other clusters (facts §10): a dedicated AWS cluster in two regions (US_EAST_1 and
   * US_WEST_2), a Flex cluster, a free (M0) cluster, a dedicated cluster on GCP, and a dedicated AWS cluster
   * with nodes only in EU_WEST_1 (no node in the demo VPC's region).
   */
  readonly clusters: {
    readonly dedicated: 'orders-dedicated';
    readonly multiRegion: 'orders-multi-region';
    readonly flex: 'orders-flex';
    readonly free: 'orders-free';
    readonly gcp: 'orders-gcp';
    readonly elsewhere: 'orders-eu';
  };
  readonly atlasRegion: 'US_EAST_1';
  readonly awsRegion: 'us-east-1';
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly serviceAccount: { readonly clientId: string; readonly clientSecret: string };
  readonly apiKey: { readonly publicKey: string; readonly privateKey: string };
  /** A second AWS account with its own VPC, reached through `roleArn` with `externalId` (hub and spoke). */
  readonly spoke: {
    readonly accountId: string;
    readonly vpcId: string;
    readonly subnetIds: readonly string[];
    readonly securityGroupIds: readonly string[];
    readonly roleArn: string;
    readonly externalId: string;
  };
}

export interface Inventory {
  atlas: AtlasInventory;
  aws: { vpcEndpoints: VpcEndpointRecord[] };
  /** Items per DynamoDB table (the workflow's target leases). Not counted as live resources. */
  dynamodb: Record<string, Item[]>;
}

/** Total number of live resources on both sides (FAILED/REJECTED records still count: they exist). */
export function liveResources(inv: Inventory): number {
  return (
    inv.atlas.serverlessEndpoints.length +
    inv.atlas.endpointServices.length +
    inv.atlas.interfaceEndpoints.length +
    inv.aws.vpcEndpoints.length
  );
}

export const DEMO_GROUP_ID = '5f7cac1adf5d6c6306f4b283';

/** Every world this process built (for leak scans of what tests print: `worldSecrets`). */
const worlds: World[] = [];

/**
 * The secrets of every world this process built: Atlas client secrets, private keys, access tokens and digest
 * responses, and the AWS secret access keys. None of them may ever appear in a log line, an output, an event,
 * an error cause or an execution history.
 */
export function worldSecrets(): { readonly kind: string; readonly value: string }[] {
  return worlds.flatMap((w) => [
    ...w.atlas.access.secrets(),
    { kind: 'AWS secret access key', value: DEMO_AWS.secretAccessKey },
    ...w.iam.issued.map((value) => ({ kind: 'STS credential', value })),
  ]);
}

/** The kinds of `worldSecrets()` found in `text` (never the values). */
export function secretHits(text: string): string[] {
  return worldSecrets()
    .filter((s) => s.value.length >= 8 && text.includes(s.value))
    .map((s) => s.kind);
}

export class World {
  readonly clock: VirtualClock;
  readonly timeline: Timeline;
  readonly faults: FaultPlan;
  readonly log: RequestLog;
  readonly atlas: AtlasModel;
  /** The demo account (the workflow's own). */
  readonly aws: AwsModel;
  /** DynamoDB of the demo account and region (the workflow's lease table lives here). */
  readonly dynamodb: DynamoDbModel;
  /** The second account (hub and spoke), reached through an IAM role. */
  readonly spokeAws: AwsModel;
  /** Every account; to Atlas, one AWS. */
  readonly accounts: AwsAccounts;
  /** Who each access key is, and the roles between the accounts (the STS front's model). */
  readonly iam: IamModel;
  readonly demo: DemoSeed;

  constructor(options: WorldOptions = {}) {
    const preset = options.preset ?? 'realistic';
    if (typeof preset === 'string' && !isPresetName(preset))
      throw new Error(`unknown timeline preset ${preset}`);
    this.timeline = typeof preset === 'string' ? PRESETS[preset] : preset;
    this.clock = new VirtualClock({
      timeScale: options.timeScale ?? 1,
      ...(options.start === undefined ? {} : { start: options.start }),
    });
    this.faults = new FaultPlan(options.faults ?? []);
    this.log = new RequestLog();
    this.aws = new AwsModel({ clock: this.clock, timeline: this.timeline, faults: this.faults });
    this.dynamodb = new DynamoDbModel({
      clock: this.clock,
      region: DEMO_AWS.region,
      accountId: DEMO_AWS.accountId,
    });
    this.spokeAws = new AwsModel({
      clock: this.clock,
      timeline: this.timeline,
      faults: this.faults,
      accountId: DEMO_SPOKE_AWS.accountId,
      region: DEMO_SPOKE_AWS.region,
      credentials: [],
      seedNetwork: DEMO_SPOKE_AWS,
    });
    this.accounts = new AwsAccounts([this.aws, this.spokeAws]);
    this.iam = new IamModel(this.accounts);
    this.iam.addPrincipal(DEMO_AWS.accessKeyId, DEMO_WORKFLOW_PRINCIPAL_ARN);
    const spokeRoleArn = this.iam.addRole({
      accountId: DEMO_SPOKE_AWS.accountId,
      name: DEMO_SPOKE_AWS.roleName,
      trust: {
        accountId: DEMO_AWS.accountId,
        externalId: DEMO_SPOKE_AWS.externalId,
        principalArnLike: `arn:aws:iam::${DEMO_AWS.accountId}:role/atlas-private-endpoint-workflow/*`,
      },
    });
    this.atlas = new AtlasModel({
      clock: this.clock,
      timeline: this.timeline,
      faults: this.faults,
      aws: this.accounts,
      serverlessRetired: options.serverlessRetired ?? false,
      ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
      ...(options.digestNonceTtlSeconds === undefined
        ? {}
        : { digestNonceTtlSeconds: options.digestNonceTtlSeconds }),
      keepServiceAfterLastEndpoint: options.keepServiceAfterLastEndpoint ?? false,
      endpointServiceReadyStatus: options.endpointServiceReadyStatus ?? 'AVAILABLE',
      duplicateInterfaceEndpointStatus: options.duplicateInterfaceEndpointStatus ?? 409,
    });

    const orgId = this.atlas.addOrganization('Demo Org');
    this.atlas.addProject({ id: DEMO_GROUP_ID, name: 'demo', orgId });
    this.atlas.addServerlessInstance({ groupId: DEMO_GROUP_ID, name: 'orders', regionName: 'US_EAST_1' });
    const clusters = {
      dedicated: 'orders-dedicated',
      multiRegion: 'orders-multi-region',
      flex: 'orders-flex',
      free: 'orders-free',
      gcp: 'orders-gcp',
      elsewhere: 'orders-eu',
    } as const;
    const g = DEMO_GROUP_ID;
    this.atlas.addCluster({ groupId: g, name: clusters.dedicated, regionName: 'US_EAST_1' });
    this.atlas.addCluster({
      groupId: g,
      name: clusters.multiRegion,
      regionNames: ['US_EAST_1', 'US_WEST_2'],
    });
    this.atlas.addCluster({ groupId: g, name: clusters.flex, regionName: 'US_EAST_1', tier: 'flex' });
    this.atlas.addCluster({ groupId: g, name: clusters.free, regionName: 'US_EAST_1', tier: 'free' });
    this.atlas.addCluster({ groupId: g, name: clusters.gcp, regionName: 'CENTRAL_US', providerName: 'GCP' });
    this.atlas.addCluster({ groupId: g, name: clusters.elsewhere, regionName: 'EU_WEST_1' });
    if (options.regionalizedPrivateEndpoints) this.atlas.setRegionalizedPrivateEndpoints(g, true);
    const serviceAccount = this.atlas.access.addServiceAccount(orgId, options.credentials?.serviceAccount);
    const apiKey = this.atlas.access.addApiKey(orgId, options.credentials?.apiKey);

    worlds.push(this);
    this.demo = {
      groupId: DEMO_GROUP_ID,
      orgId,
      serverlessInstanceName: 'orders',
      clusterName: 'orders-dedicated',
      clusters,
      atlasRegion: 'US_EAST_1',
      awsRegion: 'us-east-1',
      vpcId: DEMO_AWS.vpcId,
      subnetIds: [...DEMO_AWS.subnetIds],
      securityGroupIds: [...DEMO_AWS.securityGroupIds],
      serviceAccount,
      apiKey,
      spoke: {
        accountId: DEMO_SPOKE_AWS.accountId,
        vpcId: DEMO_SPOKE_AWS.vpcId,
        subnetIds: [...DEMO_SPOKE_AWS.subnetIds],
        securityGroupIds: [...DEMO_SPOKE_AWS.securityGroupIds],
        roleArn: spokeRoleArn,
        externalId: DEMO_SPOKE_AWS.externalId,
      },
    };
  }

  /** Everything that exists right now on both sides (after running every due transition). */
  inventory(): Inventory {
    this.clock.settle();
    const dynamodb = Object.fromEntries(
      this.dynamodb.tableNames().map((name) => [name, this.dynamodb.items(name)]),
    );
    return {
      atlas: this.atlas.inventory(),
      aws: { vpcEndpoints: this.accounts.models.flatMap((m) => m.inventory()) },
      dynamodb,
    };
  }
}
