/**
 * The handlers against the simulated world over HTTP, with the production clients: each handler is built by
 * its module's `makeHandler(deps)` with deps pointing at the world (Atlas client on the world's virtual
 * clock: retries advance the clock instead of sleeping). `drive()` walks the forward path the way the state
 * machine does (Start polling -> Wait -> check -> Record), `compensate()` the failure path, so tests can stop
 * anywhere and look at the world's inventory.
 */
import './quiet.ts';
import { Logger } from '@aws-lambda-powertools/logger';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { expect } from 'vitest';
import {
  ApiKeyCredentials,
  resetAtlasAuthCaches,
  ServiceAccountCredentials,
} from '../../lambdas/atlas/auth.ts';
import { type AtlasClientOptions, createAtlasClient } from '../../lambdas/atlas/client.ts';
import { createEc2Client } from '../../lambdas/aws/client.ts';
import { Ec2VpcEndpoints, type VpcEndpointOperations } from '../../lambdas/aws/vpc-endpoints.ts';
import type { EndpointKind, VpcLocation } from '../../lambdas/core/state.ts';
import * as checkCleanup from '../../lambdas/handlers/check-cleanup.ts';
import * as createAtlasEndpoint from '../../lambdas/handlers/create-atlas-endpoint.ts';
import * as createVpcEndpoint from '../../lambdas/handlers/create-vpc-endpoint.ts';
import * as deleteAtlasSide from '../../lambdas/handlers/delete-atlas-side.ts';
import * as deleteVpcEndpoint from '../../lambdas/handlers/delete-vpc-endpoint.ts';
import * as describeAtlasEndpoint from '../../lambdas/handlers/describe-atlas-endpoint.ts';
import * as describeLink from '../../lambdas/handlers/describe-link.ts';
import * as describeVpcEndpoint from '../../lambdas/handlers/describe-vpc-endpoint.ts';
import * as inspectConnection from '../../lambdas/handlers/inspect-connection.ts';
import * as linkEndpoint from '../../lambdas/handlers/link-endpoint.ts';
import * as listConnections from '../../lambdas/handlers/list-connections.ts';
import * as prepareRepair from '../../lambdas/handlers/prepare-repair.ts';
import * as readConnectionString from '../../lambdas/handlers/read-connection-string.ts';
import * as releaseLease from '../../lambdas/handlers/release-lease.ts';
import * as summarizeDelete from '../../lambdas/handlers/summarize-delete.ts';
import * as summarizeFailure from '../../lambdas/handlers/summarize-failure.ts';
import type { HandlerDeps, LambdaContextLike } from '../../lambdas/handlers/support/runtime.ts';
import * as validateRequest from '../../lambdas/handlers/validate-request.ts';
import {
  type CaughtError,
  PHASES,
  type PollPhase,
  type PollRecord,
  STEPS,
  type StepId,
  type StepInput,
  type StepOutput,
  startPoll,
  type WorkflowState,
} from '../../lambdas/workflow/steps.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import type { StartWorldOptions } from '../../local/cloud/index.ts';
import { fastRetries } from '../aws/harness.ts';
import { startTestWorld, type TestWorld } from '../support/world.ts';

export type AuthMethod = 'service-account' | 'api-key';
export const KINDS: readonly EndpointKind[] = ['serverless', 'dedicated'];
export const MANAGED_BY = 'arn:aws:states:us-east-1:123456789012:stateMachine:TestWorkflow';

type MakeHandler = (deps: HandlerDeps) => (event: unknown, context?: LambdaContextLike) => Promise<unknown>;

/** Every step's `makeHandler`, by step id. */
export const MAKE_HANDLER: Readonly<Record<StepId, MakeHandler>> = {
  'validate-request': validateRequest.makeHandler,
  'create-atlas-endpoint': createAtlasEndpoint.makeHandler,
  'describe-atlas-endpoint': describeAtlasEndpoint.makeHandler,
  'create-vpc-endpoint': createVpcEndpoint.makeHandler,
  'describe-vpc-endpoint': describeVpcEndpoint.makeHandler,
  'link-endpoint': linkEndpoint.makeHandler,
  'describe-link': describeLink.makeHandler,
  'read-connection-string': readConnectionString.makeHandler,
  'delete-vpc-endpoint': deleteVpcEndpoint.makeHandler,
  'delete-atlas-side': deleteAtlasSide.makeHandler,
  'check-cleanup': checkCleanup.makeHandler,
  'summarize-failure': summarizeFailure.makeHandler,
  'inspect-connection': inspectConnection.makeHandler,
  'prepare-repair': prepareRepair.makeHandler,
  'summarize-delete': summarizeDelete.makeHandler,
  'list-connections': listConnections.makeHandler,
  'release-lease': releaseLease.makeHandler,
};

/** A Lambda-like context with plenty of time left. */
export function lambdaContext(remainingMs = 60_000): LambdaContextLike {
  return {
    getRemainingTimeInMillis: () => remainingMs,
    awsRequestId: 'test-invocation',
    functionName: 'test-function',
  };
}

export interface HarnessOptions extends StartWorldOptions {
  readonly auth?: AuthMethod;
  /** Deployment request defaults and env for validate-request. */
  readonly env?: Record<string, string>;
  /** Logger for every handler. @default a silent one */
  readonly logger?: Logger;
  readonly atlasClient?: Partial<AtlasClientOptions>;
}

export interface Harness {
  readonly running: TestWorld;
  readonly world: TestWorld['world'];
  readonly demo: TestWorld['world']['demo'];
  readonly auth: AuthMethod;
  /** The deps every handler of this harness uses. */
  deps(overrides?: Partial<HandlerDeps>): HandlerDeps;
  /** EC2 operations on the world (for setting up or inspecting resources). */
  ec2(): VpcEndpointOperations;
  /** Invokes step `id`'s handler. */
  call<Id extends StepId>(
    id: Id,
    event: StepInput<Id> | unknown,
    context?: LambdaContextLike,
  ): Promise<StepOutput<Id>>;
  /** A raw request for the demo target of `kind`. */
  request(kind: EndpointKind, overrides?: Record<string, unknown>): Record<string, unknown>;
  /** Runs one polling phase to done (advancing the virtual clock by each wait) and records what it saw. */
  poll(phase: PollPhase, state: WorkflowState, budgetSeconds?: number): Promise<WorkflowState>;
  /** Walks the forward path; stops after `stopAfter` (a step id) when given. */
  drive(input: unknown, executionName: string, stopAfter?: StepId): Promise<WorkflowState>;
  /** Walks the failure path of the definition from `state` (with `$.error` set) to the summary. */
  compensate(
    state: WorkflowState,
  ): Promise<WorkflowState & { failure: StepOutput<'summarize-failure'>; failedStep: StepId | undefined }>;
  /** Atlas operations the world served, with status, e.g. `createPrivateEndpoint 200`. */
  atlasCalls(): string[];
  ec2Calls(): string[];
  /** Live resources on both sides. */
  inventory(): ReturnType<TestWorld['world']['inventory']>;
  close(): Promise<void>;
}

/** A silent Powertools logger (the world's tests assert behaviour, not log lines). */
export function silentLogger(): Logger {
  return new Logger({ logLevel: 'SILENT' });
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  resetAtlasAuthCaches();
  const running = await startTestWorld({ preset: 'instant', timeScale: 0, ...options });
  const { world } = running;
  const auth = options.auth ?? 'service-account';
  const logger = options.logger ?? silentLogger();
  const ec2Clients: EC2Client[] = [];
  const ec2ByRegion = new Map<string, VpcEndpointOperations>();
  const vpcEndpoints = ({ region }: VpcLocation): VpcEndpointOperations => {
    let ops = ec2ByRegion.get(region);
    if (!ops) {
      const client = createEc2Client({
        region,
        endpoint: running.ec2Url,
        credentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
        retryStrategy: fastRetries(),
      });
      ec2Clients.push(client);
      ops = new Ec2VpcEndpoints(client);
      ec2ByRegion.set(region, ops);
    }
    return ops;
  };
  const credentials =
    auth === 'service-account'
      ? new ServiceAccountCredentials(
          world.demo.serviceAccount.clientId,
          world.demo.serviceAccount.clientSecret,
        )
      : new ApiKeyCredentials(world.demo.apiKey.publicKey, world.demo.apiKey.privateKey);
  const atlas = createAtlasClient({
    baseUrl: running.atlasUrl,
    auth: credentials,
    now: () => world.clock.now(),
    sleep: async (ms) => world.clock.advance(ms),
    random: () => 0.5,
    timeoutMs: 2000,
    logger,
    ...options.atlasClient,
  });
  const baseDeps: HandlerDeps = {
    logger,
    atlasClient: async () => atlas,
    vpcEndpoints,
    managedBy: MANAGED_BY,
    requestDefaults: {},
    env: options.env ?? {},
    now: () => world.clock.now(),
  };
  const deps = (overrides: Partial<HandlerDeps> = {}): HandlerDeps => ({ ...baseDeps, ...overrides });
  const handlers = new Map<StepId, (event: unknown, context?: LambdaContextLike) => Promise<unknown>>();
  const call = async <Id extends StepId>(
    id: Id,
    event: unknown,
    context: LambdaContextLike = lambdaContext(),
  ) => {
    let handler = handlers.get(id);
    if (!handler) {
      handler = MAKE_HANDLER[id](baseDeps);
      handlers.set(id, handler);
    }
    // A JSON round trip, as between Step Functions states: the handlers only ever see plain JSON.
    const result = await handler(JSON.parse(JSON.stringify(event)), context);
    return (result === undefined ? result : JSON.parse(JSON.stringify(result))) as StepOutput<Id>;
  };

  const poll = async (phase: PollPhase, state: WorkflowState, budgetSeconds?: number) => {
    const spec = PHASES[phase];
    let record: PollRecord = startPoll(phase, budgetSeconds ?? state.settings.phaseBudgetSeconds[phase]);
    for (let i = 0; i < 500; i++) {
      world.clock.advance(record.waitSeconds * 1000);
      try {
        record = (await call(spec.checkStep, { ...state, poll: record })) as PollRecord;
      } catch (error) {
        // As in the definition: a Catch keeps `$.poll` as the last successful check left it.
        throw Object.assign(error as Error, { state: { ...state, poll: record } });
      }
      if (record.done) {
        const key = spec.recordPath.slice(2) as keyof WorkflowState;
        return { ...state, poll: record, [key]: record.observed } as WorkflowState;
      }
    }
    throw new Error(`phase ${phase} never finished`);
  };

  const drive = async (input: unknown, executionName: string, stopAfter?: StepId) => {
    let state = (await call('validate-request', { input, executionName })) as WorkflowState;
    const stop = (id: StepId) => id === stopAfter;
    if (stop('validate-request')) return state;
    state = { ...state, atlas: await call('create-atlas-endpoint', state) };
    if (stop('create-atlas-endpoint')) return state;
    state = await poll('atlasEndpoint', state);
    if (stop('describe-atlas-endpoint')) return state;
    state = { ...state, vpcEndpoint: await call('create-vpc-endpoint', state) };
    if (stop('create-vpc-endpoint')) return state;
    state = await poll('vpcEndpoint', state);
    if (stop('describe-vpc-endpoint')) return state;
    state = { ...state, link: await call('link-endpoint', state) };
    if (stop('link-endpoint')) return state;
    state = await poll('link', state);
    if (stop('describe-link')) return state;
    return poll('connection', state);
  };

  const compensate = async (start: WorkflowState) => {
    let state = start;
    let failedStep: StepId | undefined;
    const cleanupStep = async (id: StepId, run: () => Promise<WorkflowState>) => {
      if (state.cleanupError) return;
      try {
        state = await run();
      } catch (error) {
        const caught: CaughtError = { Error: (error as Error).name, Cause: (error as Error).message };
        const last = (error as { state?: WorkflowState }).state;
        state = { ...(last ?? state), cleanupError: caught };
        failedStep = id;
      }
    };
    // As the definition does: both delete steps (with rollback off they only find), then the cleanup loop.
    await cleanupStep('delete-vpc-endpoint', async () => ({
      ...state,
      cleanupVpcEndpoints: await call('delete-vpc-endpoint', state),
    }));
    await cleanupStep('delete-atlas-side', async () => ({
      ...state,
      cleanupAtlas: await call('delete-atlas-side', state),
    }));
    if (state.request.rollbackOnFailure !== false) {
      await cleanupStep('check-cleanup', () => poll('cleanup', state));
    }
    const failure = await call('summarize-failure', state);
    return { ...state, failure, failedStep };
  };

  return {
    running,
    world,
    demo: world.demo,
    auth,
    deps,
    ec2: () => vpcEndpoints({ region: world.demo.awsRegion }),
    call: call as Harness['call'],
    request: (kind, overrides = {}) => ({
      kind,
      groupId: world.demo.groupId,
      instanceName: kind === 'serverless' ? world.demo.serverlessInstanceName : world.demo.clusterName,
      vpcId: world.demo.vpcId,
      subnetIds: [...world.demo.subnetIds],
      securityGroupIds: [...world.demo.securityGroupIds],
      region: world.demo.awsRegion,
      ...overrides,
    }),
    poll,
    drive,
    compensate,
    atlasCalls: () =>
      world.log.entries.filter((e) => e.service === 'atlas').map((e) => `${e.operation} ${e.status}`),
    ec2Calls: () =>
      world.log.entries.filter((e) => e.service === 'ec2').map((e) => `${e.operation} ${e.status}`),
    inventory: () => world.inventory(),
    close: async () => {
      for (const client of ec2Clients) client.destroy();
      await running.close();
      expect(running.contractViolations()).toEqual([]);
    },
  };
}

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export async function thrown(
  fn: () => Promise<unknown>,
): Promise<Error & { details?: Record<string, unknown> }> {
  try {
    await fn();
  } catch (error) {
    return error as Error & { details?: Record<string, unknown> };
  }
  throw new Error('expected the call to throw');
}

/** Every step id, for tests that go over all of them. */
export const ALL_STEPS = Object.keys(STEPS) as StepId[];
