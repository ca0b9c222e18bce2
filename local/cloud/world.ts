/**
 * The world: one virtual clock, one timeline, one fault plan and one request log shared by the Atlas model and
 * the AWS model, seeded with the demo project. Tests, the local engine and the CLI all build on this.
 */
import {
  type AtlasInventory,
  AtlasModel,
  type AtlasRateLimitSet,
  type RateLimitConfig,
} from './atlas-model.ts';
import { AwsModel, DEMO_AWS, type VpcEndpointRecord } from './aws-model.ts';
import { VirtualClock } from './clock.ts';
import { DynamoDbModel, type Item } from './dynamodb-model.ts';
import { FaultPlan, type FaultRule } from './faults.ts';
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
  readonly atlasRegion: 'US_EAST_1';
  readonly awsRegion: 'us-east-1';
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly serviceAccount: { readonly clientId: string; readonly clientSecret: string };
  readonly apiKey: { readonly publicKey: string; readonly privateKey: string };
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
  readonly aws: AwsModel;
  /** DynamoDB of the demo account and region (the workflow's lease table lives here). */
  readonly dynamodb: DynamoDbModel;
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
    this.atlas = new AtlasModel({
      clock: this.clock,
      timeline: this.timeline,
      faults: this.faults,
      aws: this.aws,
      serverlessRetired: options.serverlessRetired ?? false,
      ...(options.rateLimits ? { rateLimits: options.rateLimits } : {}),
      ...(options.digestNonceTtlSeconds === undefined
        ? {}
        : { digestNonceTtlSeconds: options.digestNonceTtlSeconds }),
      keepServiceAfterLastEndpoint: options.keepServiceAfterLastEndpoint ?? false,
    });

    const orgId = this.atlas.addOrganization('Demo Org');
    this.atlas.addProject({ id: DEMO_GROUP_ID, name: 'demo', orgId });
    this.atlas.addServerlessInstance({ groupId: DEMO_GROUP_ID, name: 'orders', regionName: 'US_EAST_1' });
    this.atlas.addCluster({ groupId: DEMO_GROUP_ID, name: 'orders-dedicated', regionName: 'US_EAST_1' });
    const serviceAccount = this.atlas.access.addServiceAccount(orgId, options.credentials?.serviceAccount);
    const apiKey = this.atlas.access.addApiKey(orgId, options.credentials?.apiKey);

    worlds.push(this);
    this.demo = {
      groupId: DEMO_GROUP_ID,
      orgId,
      serverlessInstanceName: 'orders',
      clusterName: 'orders-dedicated',
      atlasRegion: 'US_EAST_1',
      awsRegion: 'us-east-1',
      vpcId: DEMO_AWS.vpcId,
      subnetIds: [...DEMO_AWS.subnetIds],
      securityGroupIds: [...DEMO_AWS.securityGroupIds],
      serviceAccount,
      apiKey,
    };
  }

  /** Everything that exists right now on both sides (after running every due transition). */
  inventory(): Inventory {
    this.clock.settle();
    const dynamodb = Object.fromEntries(
      this.dynamodb.tableNames().map((name) => [name, this.dynamodb.items(name)]),
    );
    return { atlas: this.atlas.inventory(), aws: { vpcEndpoints: this.aws.inventory() }, dynamodb };
  }
}
