/**
 * The simulated world's public entry point: re-exports, plus `startWorld()`, which builds a World and puts
 * the Atlas and EC2 HTTP fronts in front of it on loopback. Tests, the local engine and the CLI use this.
 */
import { type AtlasResponseHook, startAtlasServer } from '../atlas-server.ts';
import { startDynamoDbServer } from '../dynamodb-server.ts';
import { startEc2Server } from '../ec2-server.ts';
import { startStsServer } from '../sts-server.ts';
import { World, type WorldOptions } from './world.ts';

export type { AtlasResponseHook, HttpFront } from '../atlas-server.ts';
export { SIMULATOR_INFO_PATH, startAtlasServer } from '../atlas-server.ts';
export { startDynamoDbServer } from '../dynamodb-server.ts';
export { startEc2Server } from '../ec2-server.ts';
export { startStsServer } from '../sts-server.ts';
export * from './atlas-model.ts';
export { AwsModel, DEMO_AWS, DEMO_SPOKE_AWS, type VpcEndpointRecord } from './aws-model.ts';
export { VirtualClock } from './clock.ts';
export { type AttributeValue, DynamoDbError, DynamoDbModel, type Item } from './dynamodb-model.ts';
export { atlasHttpError, atlasSlowRules, FAULT_CATALOG, type FaultCatalogEntry } from './fault-catalog.ts';
export { type FaultEffect, FaultPlan, type FaultRule } from './faults.ts';
export { AwsAccounts, IamModel, type RoleRecord, StsError } from './iam-model.ts';
export { type AuthKind, RequestLog, type RequestLogEntry } from './request-log.ts';
export { isPresetName, PRESETS, type PresetName, type Timeline } from './timeline.ts';
export {
  type DemoSeed,
  type Inventory,
  liveResources,
  secretHits,
  World,
  type WorldOptions,
  worldSecrets,
} from './world.ts';

export interface RunningWorld {
  readonly world: World;
  /** e.g. `http://127.0.0.1:PORT` — no trailing slash, no `/api` path. */
  readonly atlasUrl: string;
  readonly ec2Url: string;
  /** The STS front (AssumeRole into the second account). */
  readonly stsUrl: string;
  /** The DynamoDB front of the workflow's account (the lease table). */
  readonly dynamodbUrl: string;
  close(): Promise<void>;
}

export interface StartWorldOptions extends WorldOptions {
  /** @default 0 (ephemeral) */
  readonly atlasPort?: number;
  /** @default 0 (ephemeral) */
  readonly ec2Port?: number;
  /** @default 0 (ephemeral) */
  readonly dynamodbPort?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  readonly onAtlasResponse?: AtlasResponseHook;
  /** Published at `GET <atlasUrl>/__simulator` (see AtlasServerOptions.describe). */
  readonly describe?: () => unknown;
}

export async function startWorld(options: StartWorldOptions = {}): Promise<RunningWorld> {
  const world = new World(options);
  const common = {
    clock: world.clock,
    faults: world.faults,
    log: world.log,
    host: options.host ?? '127.0.0.1',
  };
  const atlas = await startAtlasServer({
    ...common,
    model: world.atlas,
    ...(options.atlasPort === undefined ? {} : { port: options.atlasPort }),
    ...(options.onAtlasResponse ? { onResponse: options.onAtlasResponse } : {}),
    ...(options.describe ? { describe: options.describe } : {}),
  });
  let ec2: Awaited<ReturnType<typeof startEc2Server>>;
  let sts: Awaited<ReturnType<typeof startStsServer>>;
  let dynamodb: Awaited<ReturnType<typeof startDynamoDbServer>>;
  try {
    ec2 = await startEc2Server({
      ...common,
      model: world.aws,
      otherAccounts: [world.spokeAws],
      ...(options.ec2Port === undefined ? {} : { port: options.ec2Port }),
    });
  } catch (err) {
    await atlas.close();
    throw err;
  }
  try {
    sts = await startStsServer({ ...common, iam: world.iam, accounts: world.accounts });
  } catch (err) {
    await Promise.all([atlas.close(), ec2.close()]);
    throw err;
  }
  try {
    dynamodb = await startDynamoDbServer({
      ...common,
      model: world.dynamodb,
      credentialFor: (key) => world.aws.credentialFor(key),
      ...(options.dynamodbPort === undefined ? {} : { port: options.dynamodbPort }),
    });
  } catch (err) {
    await Promise.all([atlas.close(), ec2.close(), sts.close()]);
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    world,
    atlasUrl: atlas.url,
    ec2Url: ec2.url,
    stsUrl: sts.url,
    dynamodbUrl: dynamodb.url,
    close: () => {
      closed ??= Promise.all([atlas.close(), ec2.close(), sts.close(), dynamodb.close()]).then(
        () => undefined,
      );
      return closed;
    },
  };
}
