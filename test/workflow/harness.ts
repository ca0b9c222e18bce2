/**
 * Scenario harness: runs the synthesized workflow through the local engine against a fresh simulated world.
 */
import { expect } from 'vitest';
import type { EndpointKind } from '../../lambdas/core/state.ts';
import {
  ENDPOINT_SERVICE_READY_STATUSES,
  type EndpointServiceReadyStatus,
} from '../../local/cloud/atlas-model.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { FAULT_CATALOG } from '../../local/cloud/fault-catalog.ts';
import type { FaultRule } from '../../local/cloud/faults.ts';
import { type RunningWorld, secretHits } from '../../local/cloud/index.ts';
import type { PresetName, Timeline } from '../../local/cloud/timeline.ts';
import {
  type LocalRunOptions,
  type LocalRunResult,
  type LocalWorkflowProps,
  runLocalWorkflow,
} from '../../local/engine.ts';
import { startTestWorld } from '../support/world.ts';

export type TestWorld = Awaited<ReturnType<typeof startTestWorld>>;

export interface WorldSetup {
  readonly preset?: PresetName | Timeline;
  readonly faults?: readonly FaultRule[] | string;
  readonly serverlessRetired?: boolean;
  /** What a ready endpoint service shows: today's `AVAILABLE` (default) or the older `WAITING_FOR_USER`. */
  readonly endpointServiceReadyStatus?: EndpointServiceReadyStatus;
  readonly regionalizedPrivateEndpoints?: boolean;
  readonly keepServiceAfterLastEndpoint?: boolean;
  readonly duplicateInterfaceEndpointStatus?: 409 | 400;
}

/** Both endpoint service behaviours the workflow is proven on (facts §10: AVAILABLE today). */
export const SERVICE_READY_STATUSES = ENDPOINT_SERVICE_READY_STATUSES;

export async function newWorld(setup: WorldSetup = {}): Promise<TestWorld> {
  const faults =
    typeof setup.faults === 'string'
      ? (FAULT_CATALOG[setup.faults]?.rules ?? unknownPlan(setup.faults))
      : setup.faults;
  return startTestWorld({
    preset: setup.preset ?? 'realistic',
    timeScale: 0,
    faults: faults ?? [],
    serverlessRetired: setup.serverlessRetired ?? false,
    endpointServiceReadyStatus: setup.endpointServiceReadyStatus ?? 'AVAILABLE',
    regionalizedPrivateEndpoints: setup.regionalizedPrivateEndpoints ?? false,
    keepServiceAfterLastEndpoint: setup.keepServiceAfterLastEndpoint ?? false,
    duplicateInterfaceEndpointStatus: setup.duplicateInterfaceEndpointStatus ?? 409,
  });
}

function unknownPlan(name: string): never {
  throw new Error(`no fault plan named ${name}`);
}

/** The example request of a kind, for the demo world. */
export function requestFor(kind: EndpointKind, world: RunningWorld, extra: Record<string, unknown> = {}) {
  const d = world.world.demo;
  return {
    kind,
    groupId: d.groupId,
    instanceName: kind === 'serverless' ? d.serverlessInstanceName : d.clusterName,
    region: d.awsRegion,
    vpcId: d.vpcId,
    subnetIds: [...d.subnetIds],
    securityGroupIds: [...d.securityGroupIds],
    ...(kind === 'serverless' ? { comment: 'scenario test' } : {}),
    ...extra,
  };
}

/**
 * Fails when a run's result (output, error, history, events, metrics, and the handlers' log lines) carries a
 * secret of a world. The log lines also go to the suite-wide scan of test/setup.ts, which otherwise never sees
 * them (the engine collects them instead of printing them).
 */
export function expectNoSecrets(result: LocalRunResult): void {
  const hits = secretHits(JSON.stringify(result));
  expect(hits, `secret hygiene: ${result.executionName} carries secrets of the world`).toEqual([]);
  if (result.logs !== undefined) {
    (globalThis as { __secretHygieneWritten?: string[] }).__secretHygieneWritten?.push(...result.logs);
  }
}

/** The handlers' log level in the scenario runs: DEBUG, so the secret scan sees every line they can write. */
export const SCENARIO_LOG_LEVEL = 'DEBUG';

export async function run(
  world: RunningWorld,
  input: unknown,
  options: {
    executionName?: string;
    auth?: 'service-account' | 'api-key';
    props?: LocalWorkflowProps;
    /** Called before each Wait state waits; the run goes on once it resolves. */
    onWait?: (state: string, seconds: number) => Promise<void> | void;
    /** Wraps each Lambda invocation (the engine's `invoke`), e.g. to crash one after it acted. */
    invoke?: LocalRunOptions['invoke'];
    /** The Atlas client's per-attempt timeout (ms) in the handlers; default the client's 10 s. */
    atlasRequestTimeoutMs?: number;
  } = {},
): Promise<LocalRunResult> {
  const d = world.world.demo;
  const result = await runLocalWorkflow({
    input,
    target: {
      atlasUrl: world.atlasUrl,
      ec2Url: world.ec2Url,
      stsUrl: world.stsUrl,
      dynamodbUrl: world.dynamodbUrl,
      atlasCredentials: options.auth === 'api-key' ? d.apiKey : d.serviceAccount,
      awsCredentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
      awsRegion: d.awsRegion,
      ...(options.atlasRequestTimeoutMs === undefined
        ? {}
        : { atlasRequestTimeoutMs: options.atlasRequestTimeoutMs }),
    },
    clock: world.world.clock,
    requestLog: world.world.log,
    logLevel: SCENARIO_LOG_LEVEL,
    collectLogs: true,
    ...(options.executionName ? { executionName: options.executionName } : {}),
    ...(options.props ? { props: options.props } : {}),
    ...(options.onWait ? { onWait: options.onWait } : {}),
    ...(options.invoke ? { invoke: options.invoke } : {}),
  });
  expectNoSecrets(result);
  return result;
}

/** Asserts that `expected` occurs in `path` in this order (other states may stand between). */
export function expectSubsequence(path: readonly string[], expected: readonly string[]): void {
  let i = 0;
  for (const state of path) if (state === expected[i]) i += 1;
  expect(i, `path ${JSON.stringify(path)} should contain, in order, ${JSON.stringify(expected)}`).toBe(
    expected.length,
  );
}

/** Live resources on both sides of the world. */
export function live(world: RunningWorld) {
  const inv = world.world.inventory();
  return {
    serverlessEndpoints: inv.atlas.serverlessEndpoints,
    endpointServices: inv.atlas.endpointServices,
    interfaceEndpoints: inv.atlas.interfaceEndpoints,
    vpcEndpoints: inv.aws.vpcEndpoints,
    total:
      inv.atlas.serverlessEndpoints.length +
      inv.atlas.endpointServices.length +
      inv.atlas.interfaceEndpoints.length +
      inv.aws.vpcEndpoints.length,
  };
}

/** The Cause of a failed run as plain text (the engine reports Lambda-style JSON for handler errors). */
export function causeText(result: LocalRunResult): string {
  const cause = result.error?.cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}
