/**
 * The local engine: synthesizes the real CDK construct in-process, resolves its state machine to concrete
 * ASL, and runs it with aws-local-stepfunctions. Every Lambda task runs its real handler module in-process
 * with the environment the template gives that function, with the production clients pointed at the
 * simulated world (or at any Atlas-compatible API and EC2 endpoint); the EventBridge task goes to a local
 * event sink. Nothing in lambdas/ knows it is running locally: only configuration differs.
 *
 * Lambda containers: each function's handler is built like a warm container (module-scope clients, logger,
 * Atlas token cache) from that function's environment, reused by later invocations with the same environment
 * and world clock, one invocation at a time (concurrent invocations get containers of their own). The
 * container's clock is the world's: its `now` starts each invocation at the world's time, and its pauses (the
 * Atlas client's and the AWS SDK's retries) let the world's time pass (`HandlerClock`). On a frozen clock
 * (timeScale 0) concurrent executions share time through local/virtual-time.ts, so their waits overlap.
 * DynamoDB tables of the template (the target leases) are created in the target's DynamoDB before a run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  type Capabilities,
  defaultHandlerDeps,
  type HandlerDeps,
} from '../lambdas/handlers/support/runtime.ts';
import type { StepId } from '../lambdas/workflow/steps.ts';
import { extractDefinition, resolveIntrinsics } from '../lib/asl.ts';
import {
  PrivateEndpointWorkflow,
  type PrivateEndpointWorkflowProps,
} from '../lib/private-endpoint-workflow.ts';
import { VirtualClock } from './cloud/clock.ts';
import type { RequestLog } from './cloud/request-log.ts';
import {
  type AslDefinition,
  allStates,
  type CoreRunResult,
  type HistoryEntry,
  runDefinition,
  type TaskFunction,
} from './engine-core.ts';
import { type EnvironmentRecord, ownEnvironment, withEnvironment } from './env-scope.ts';
import { collectingLogs } from './log-capture.ts';
import { localExecutions, localSfnUrl } from './sfn-server.ts';
import { virtualTimeOf } from './virtual-time.ts';

export type { HistoryEntry } from './engine-core.ts';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const LOCAL_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:local/atlas-AbCdEf`;
const repoRoot = new URL('..', import.meta.url);

/** Construct props the engine lets a caller change (the secret is always a local placeholder). */
export type LocalWorkflowProps = Omit<PrivateEndpointWorkflowProps, 'atlasSecret'>;

interface LambdaBinding {
  readonly stepId: string;
  /** Repo-relative handler entry. */
  readonly entry: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
}

/** A DynamoDB table of the template, as the engine deploys it into the target's DynamoDB. */
export interface LocalTable {
  /** The physical name the engine gives it (the template leaves the name to CloudFormation). */
  readonly name: string;
  readonly keySchema: readonly { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
  readonly attributeDefinitions: readonly { AttributeName: string; AttributeType: 'S' | 'N' | 'B' }[];
  readonly ttlAttribute?: string;
}

/** An EventBridge rule of the template with a target that starts the state machine (for `--event`). */
export interface TriggerRule {
  readonly logicalId: string;
  /** The bus name (or ARN) the rule is on; not a string when the bus is a resource of the template. */
  readonly eventBusName: unknown;
  readonly eventPattern: unknown;
  readonly inputPath?: string;
  readonly input?: string;
  readonly inputTransformer?: {
    readonly inputPathsMap?: Readonly<Record<string, string>>;
    readonly inputTemplate: string;
  };
}

export interface SynthesizedWorkflow {
  readonly definition: AslDefinition;
  /** The template's DynamoDB tables (the target lease table). */
  readonly tables: readonly LocalTable[];
  /** The template's rules that start the state machine, as synthesized. */
  readonly triggers: readonly TriggerRule[];
  /** Task state name -> the Lambda it invokes. */
  readonly lambdaTasks: ReadonlyMap<string, LambdaBinding>;
  /** Task state names that put events on EventBridge. */
  readonly eventTasks: readonly string[];
}

const synthCache = new Map<string, SynthesizedWorkflow>();

/** The rules of `template` with a target whose Arn is a Ref to the state machine `stateMachineId`. */
function triggerRules(template: Template, stateMachineId: string): TriggerRule[] {
  const rules: TriggerRule[] = [];
  for (const [logicalId, resource] of Object.entries(template.findResources('AWS::Events::Rule'))) {
    const props = (resource as { Properties?: Record<string, unknown> }).Properties ?? {};
    for (const target of (props.Targets ?? []) as Record<string, unknown>[]) {
      if ((target.Arn as { Ref?: string } | undefined)?.Ref !== stateMachineId) continue;
      const transformer = target.InputTransformer as
        | { InputPathsMap?: Record<string, string>; InputTemplate: string }
        | undefined;
      rules.push({
        logicalId,
        eventBusName: props.EventBusName ?? 'default',
        eventPattern: props.EventPattern,
        ...(typeof target.InputPath === 'string' ? { inputPath: target.InputPath } : {}),
        ...(typeof target.Input === 'string' ? { input: target.Input } : {}),
        ...(transformer
          ? {
              inputTransformer: {
                inputTemplate: transformer.InputTemplate,
                ...(transformer.InputPathsMap ? { inputPathsMap: transformer.InputPathsMap } : {}),
              },
            }
          : {}),
      });
    }
  }
  return rules;
}

/** Synthesizes the construct (no bundling, no CloudFormation validation) and extracts what the engine runs. */
export function synthesizeWorkflow(props: LocalWorkflowProps = {}): SynthesizedWorkflow {
  const key = JSON.stringify(props);
  const cached = synthCache.get(key);
  if (cached) return cached;

  const outdir = mkdtempSync(join(tmpdir(), 'ape-engine-'));
  try {
    const app = new App({
      outdir,
      builtinCloudFormationValidation: false,
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    const stack = new Stack(app, 'LocalPrivateEndpointWorkflow', {
      env: { account: ACCOUNT, region: REGION },
    });
    const atlasSecret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'AtlasSecret', LOCAL_SECRET_ARN);
    const workflow = new PrivateEndpointWorkflow(stack, 'Workflow', { ...props, atlasSecret });
    const template = Template.fromStack(stack);
    const definition = extractDefinition(template);
    const functions = template.findResources('AWS::Lambda::Function');
    // Tables get a name of the engine's (CloudFormation would generate one); `Ref`s to them resolve to it.
    const tableNames = new Map<string, string>();
    const tables: LocalTable[] = [];
    for (const [logicalId, resource] of Object.entries(template.findResources('AWS::DynamoDB::Table'))) {
      const p = (resource as { Properties: Record<string, unknown> }).Properties;
      const name = `${stack.stackName}-${logicalId}`;
      tableNames.set(logicalId, name);
      const ttl = p.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
      tables.push({
        name,
        keySchema: p.KeySchema as LocalTable['keySchema'],
        attributeDefinitions: p.AttributeDefinitions as LocalTable['attributeDefinitions'],
        ...(ttl?.Enabled && ttl.AttributeName ? { ttlAttribute: ttl.AttributeName } : {}),
      });
    }

    const byLogicalId = new Map<string, LambdaBinding>();
    for (const [stepId, fn] of Object.entries(workflow.functions)) {
      const logicalId = stack.getLogicalId(fn.node.defaultChild as CfnFunction);
      const resource = functions[logicalId] as { Properties: Record<string, unknown> } | undefined;
      if (!resource) throw new Error(`function for step ${stepId} (${logicalId}) not found in the template`);
      const vars = ((resource.Properties.Environment as { Variables?: Record<string, unknown> } | undefined)
        ?.Variables ?? {}) as Record<string, unknown>;
      // Values with intrinsics (e.g. role ARNs with the partition) resolve as in AWS; others are left out.
      const environment: Record<string, string> = {};
      for (const [k, v] of Object.entries(vars)) {
        const ref = (v as { Ref?: unknown } | null)?.Ref;
        if (typeof ref === 'string' && tableNames.has(ref)) {
          environment[k] = tableNames.get(ref)!;
          continue;
        }
        let value: unknown = v;
        try {
          value = resolveIntrinsics(v, { account: ACCOUNT, region: REGION });
        } catch {
          continue;
        }
        if (typeof value === 'string') environment[k] = value;
      }
      byLogicalId.set(logicalId, {
        stepId,
        entry: workflow.handlerEntries[stepId as keyof typeof workflow.handlerEntries],
        environment,
        timeoutSeconds: Number(resource.Properties.Timeout ?? 3),
      });
    }

    const lambdaTasks = new Map<string, LambdaBinding>();
    const eventTasks: string[] = [];
    for (const [name, state] of allStates(definition)) {
      if (state.Type !== 'Task') continue;
      const resource = String(state.Resource);
      if (resource.endsWith(':states:::events:putEvents')) {
        eventTasks.push(name);
        continue;
      }
      const fnName =
        /:function:([^:]+)/.exec(resource)?.[1] ??
        String((state.Parameters as Record<string, unknown> | undefined)?.FunctionName ?? '')
          .split(':')
          .pop();
      const binding = fnName ? byLogicalId.get(fnName) : undefined;
      if (!binding) throw new Error(`Task state "${name}" invokes ${resource}, which no workflow step owns`);
      lambdaTasks.set(name, binding);
    }
    const stateMachineId = stack.getLogicalId(workflow.stateMachine.node.defaultChild as CfnResource);
    const out: SynthesizedWorkflow = {
      definition,
      tables,
      lambdaTasks,
      eventTasks,
      triggers: triggerRules(template, stateMachineId),
    };
    synthCache.set(key, out);
    return out;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Where the handlers' production clients are pointed, and with which credentials. */
export interface LocalTarget {
  /** Atlas base URL (no /api path), e.g. the simulator's `http://127.0.0.1:PORT`. */
  readonly atlasUrl: string;
  /** EC2 endpoint URL; when absent the SDK's own configuration (AWS_ENDPOINT_URL_EC2 etc.) applies. */
  readonly ec2Url?: string;
  /** STS endpoint URL (AssumeRole into other VPC accounts); when absent the SDK's own configuration applies. */
  readonly stsUrl?: string;
  /** The Atlas client's per-attempt timeout in the Atlas functions (`ATLAS_REQUEST_TIMEOUT_MS`); default 10 s. */
  readonly atlasRequestTimeoutMs?: number;
  /**
   * DynamoDB endpoint URL (the lease table); when absent the SDK's own configuration applies
   * (AWS_ENDPOINT_URL_DYNAMODB, else the regional endpoint). The engine creates the template's tables there
   * when they do not exist yet.
   */
  readonly dynamodbUrl?: string;
  /** Atlas credentials, as the MONGODB_ATLAS_* variables MongoDB's tools use. */
  readonly atlasCredentials:
    | { readonly clientId: string; readonly clientSecret: string }
    | { readonly publicKey: string; readonly privateKey: string };
  /** AWS credentials for the EC2 endpoint; when absent the SDK's default chain applies. */
  readonly awsCredentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly awsRegion?: string;
}

export interface PublishedEvent {
  readonly source: string;
  readonly detailType: string;
  readonly eventBusName?: string;
  readonly detail: unknown;
  readonly virtualTime: number;
}

export interface LocalRunOptions {
  readonly input: unknown;
  readonly target: LocalTarget;
  /**
   * The world's clock when running against the embedded world; otherwise a fresh frozen clock that starts at the
   * real now (an external target's DynamoDB compares the lease's expiry with real time, and runs in separate
   * processes get distinct start times, as executions in Step Functions do).
   */
  readonly clock?: VirtualClock;
  /**
   * Aborting it marks the execution ABORTED in the engine's Step Functions front (local/sfn-server.ts), as
   * StopExecution does: the next execution for its target takes over its lease. The CLI aborts on Ctrl-C.
   */
  readonly signal?: AbortSignal;
  /** The world's request log, for per-operation call counts. */
  readonly requestLog?: RequestLog;
  readonly executionName?: string;
  readonly props?: LocalWorkflowProps;
  readonly onHistory?: (entry: HistoryEntry, info: { readonly result?: unknown }) => void;
  readonly onWait?: (state: string, seconds: number) => Promise<void> | void;
  readonly onEvent?: (event: PublishedEvent) => void;
  /** Handler log level (Powertools). @default 'SILENT' */
  readonly logLevel?: string;
  /**
   * Collect the handlers' log lines into the result's `logs` instead of printing them (the tests scan them for
   * secrets). @default false
   */
  readonly collectLogs?: boolean;
  /**
   * Wraps or replaces each Lambda invocation (`npm run bench` counts calls per step with it, and runs a
   * container model at scale). `proceed` is the engine's own invocation (one module instance per handler and
   * run); a replacement that runs the handler itself calls `countInvocation` once per invocation it makes.
   * @default the engine's own invocation
   */
  readonly invoke?: (invocation: LocalInvocation, proceed: () => Promise<unknown>) => Promise<unknown>;
}

/** One Lambda invocation, as {@link LocalRunOptions.invoke} sees it. */
export interface LocalInvocation {
  readonly stepId: string;
  /** Repo-relative handler entry. */
  readonly entry: string;
  /** The environment the function's template gives it, with the run's target. */
  readonly environment: EnvironmentRecord;
  readonly event: unknown;
  readonly executionName: string;
  readonly timeoutSeconds: number;
  /** Counts one invocation in the run's metrics and returns its Lambda context object. */
  readonly countInvocation: () => unknown;
}

export interface LocalRunMetrics {
  readonly stateTransitions: number;
  readonly lambdaInvocations: number;
  readonly atlasCalls: Readonly<Record<string, number>>;
  readonly ec2Calls: Readonly<Record<string, number>>;
  /** Calls to the lease table. */
  readonly dynamodbCalls: Readonly<Record<string, number>>;
  /** Virtual time from start to end. */
  readonly virtualDurationMs: number;
  /** Virtual time spent waiting on the clouds (Wait states and retry pauses). */
  readonly providerTimeMs: number;
  readonly realDurationMs: number;
}

export interface LocalRunResult {
  readonly executionName: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: { readonly error: string; readonly cause: string };
  readonly history: readonly HistoryEntry[];
  /** State names entered, in order. */
  readonly path: readonly string[];
  readonly events: readonly PublishedEvent[];
  readonly metrics: LocalRunMetrics;
  /** The handlers' log lines, when the run collected them (`collectLogs`). */
  readonly logs?: readonly string[];
}

let runCounter = 0;

/**
 * The last `$$.Execution.StartTime` (epoch ms) given to each execution ARN in this process. Step Functions never
 * starts two executions with one ARN at one instant; a local run that reuses an execution name (the CLI derives
 * it from the input) on a clock that has not moved since the last one still gets a later start time, so
 * whatever is keyed on the execution attempt (the EC2 ClientToken) tells the two apart.
 */
const lastStartOf = new Map<string, number>();

/**
 * The clock of a run given none (an external world, as with the CLI's `--atlas-url`): manual, starting at the
 * real time, so runs in separate processes get distinct start times as executions in Step Functions do.
 */
export function freshRunClock(): VirtualClock {
  return new VirtualClock({ timeScale: 0, start: Date.now() });
}

/** A start time for `executionArn` at virtual time `now`: `now`, or 1 ms after the previous run of that ARN. */
export function executionStartTime(executionArn: string, now: number): number {
  const previous = lastStartOf.get(executionArn);
  const start = previous !== undefined && previous >= now ? previous + 1 : now;
  lastStartOf.set(executionArn, start);
  return start;
}

/** The state machine the engine's executions belong to (their ARNs name it). */
const LOCAL_STATE_MACHINE = 'LocalPrivateEndpointWorkflow';
const LOCAL_STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${LOCAL_STATE_MACHINE}`;

/** The ARN of the engine's execution `executionName`. */
export function localExecutionArn(executionName: string): string {
  return `arn:aws:states:${REGION}:${ACCOUNT}:execution:${LOCAL_STATE_MACHINE}:${executionName}`;
}

function targetEnvironment(target: LocalTarget): Record<string, string> {
  const env: Record<string, string> = {
    MONGODB_ATLAS_BASE_URL: target.atlasUrl,
    ATLAS_BASE_URL: target.atlasUrl,
    AWS_REGION: target.awsRegion ?? REGION,
    AWS_DEFAULT_REGION: target.awsRegion ?? REGION,
  };
  if (target.ec2Url) env.AWS_ENDPOINT_URL_EC2 = target.ec2Url;
  if (target.dynamodbUrl) env.AWS_ENDPOINT_URL_DYNAMODB = target.dynamodbUrl;
  if (target.stsUrl) env.AWS_ENDPOINT_URL_STS = target.stsUrl;
  if (target.atlasRequestTimeoutMs !== undefined)
    env.ATLAS_REQUEST_TIMEOUT_MS = String(target.atlasRequestTimeoutMs);
  if ('clientId' in target.atlasCredentials) {
    env.MONGODB_ATLAS_CLIENT_ID = target.atlasCredentials.clientId;
    env.MONGODB_ATLAS_CLIENT_SECRET = target.atlasCredentials.clientSecret;
  } else {
    env.MONGODB_ATLAS_PUBLIC_KEY = target.atlasCredentials.publicKey;
    env.MONGODB_ATLAS_PRIVATE_KEY = target.atlasCredentials.privateKey;
  }
  if (target.awsCredentials) {
    env.AWS_ACCESS_KEY_ID = target.awsCredentials.accessKeyId;
    env.AWS_SECRET_ACCESS_KEY = target.awsCredentials.secretAccessKey;
  }
  return env;
}

const ENV_KEYS_WE_SET = [
  'MONGODB_ATLAS_BASE_URL',
  'ATLAS_BASE_URL',
  'MONGODB_ATLAS_CLIENT_ID',
  'MONGODB_ATLAS_CLIENT_SECRET',
  'MONGODB_ATLAS_PUBLIC_KEY',
  'MONGODB_ATLAS_PRIVATE_KEY',
  'ATLAS_SECRET_ARN',
];

/**
 * The URL to import a handler entry (repo-relative) from, with a query naming who imports it (the engine's
 * instance is its own, apart from any test's). Built as a URL throughout: `URL.pathname` is percent-encoded (a
 * space is `%20`), and turning it back into a URL would encode it twice.
 */
export function handlerModuleUrl(entry: string, runId: number | string, root: URL = repoRoot): string {
  const url = new URL(entry, root);
  url.search = `run=${runId}`;
  return url.href;
}

/**
 * The environment a function's invocations see: the process's own variables minus the Atlas credential
 * variables (a run sets its own), the template's function environment minus the secret ARN (locally the
 * credentials come from MONGODB_ATLAS_*), and the run's target.
 */
function functionEnvironment(binding: LambdaBinding, baseEnv: Record<string, string>): EnvironmentRecord {
  const env: EnvironmentRecord = { ...ownEnvironment() };
  for (const k of ENV_KEYS_WE_SET) delete env[k];
  const { ATLAS_SECRET_ARN: _secret, ...fnEnv } = binding.environment;
  return Object.assign(env, fnEnv, baseEnv);
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

interface HandlerModule {
  readonly makeHandler: (deps: HandlerDeps) => Handler;
  readonly capabilities: Capabilities;
}

/** What a warm container knows of the invocation it runs: where its clock stood when it started. */
interface InvocationTime {
  /** World time (epoch ms) and `performance.now()` when the invocation started. */
  readonly virtualStart: number;
  readonly realStart: number;
}

/**
 * A warm Lambda container: the handler built once from the function's environment (module-scope clients,
 * logger, Atlas token cache), running one invocation at a time, on the world's clock.
 */
interface Container {
  readonly handler: Handler;
  /** The container's clock (epoch ms): what the handler's dependencies read. */
  readonly now: () => number;
  /** The invocation it runs now (its clock reads it); undefined while idle. */
  current: InvocationTime | undefined;
}

/**
 * How an execution lets virtual time pass: on a frozen clock (timeScale 0) through the clock's coordinator, so
 * concurrent executions' waits overlap; on a running clock, in (scaled) real time.
 */
function worldSleep(clock: VirtualClock): (ms: number) => Promise<void> {
  if (clock.timeScale === 0) {
    const time = virtualTimeOf(clock);
    return (ms) => time.sleep(ms);
  }
  return (ms) => clock.sleep(ms);
}

const handlerModules = new Map<string, Promise<HandlerModule>>();
/** Each function's environment per run target (the target's URLs and credentials, the log level). */
const environments = new WeakMap<LambdaBinding, Map<string, { env: EnvironmentRecord; key: string }>>();
/** Idle containers per (function, environment, clock). */
const idleContainers = new Map<string, Container[]>();
const clockIds = new WeakMap<VirtualClock, number>();
let clockCounter = 0;

function clockId(clock: VirtualClock): number {
  let id = clockIds.get(clock);
  if (id === undefined) {
    id = ++clockCounter;
    clockIds.set(clock, id);
  }
  return id;
}

/** Imports a handler entry once (the engine builds each container's dependencies itself). */
function handlerModule(binding: LambdaBinding, env: EnvironmentRecord): Promise<HandlerModule> {
  let mod = handlerModules.get(binding.entry);
  if (mod === undefined) {
    mod = withEnvironment(env, () => import(handlerModuleUrl(binding.entry, 'engine'))).then((loaded) => {
      const m = loaded as Partial<HandlerModule> & { default?: Partial<HandlerModule> };
      const found = typeof m.makeHandler === 'function' ? m : m.default;
      if (typeof found?.makeHandler !== 'function' || found.capabilities === undefined) {
        throw new Error(`${binding.entry} exports no makeHandler and capabilities`);
      }
      return found as HandlerModule;
    });
    handlerModules.set(binding.entry, mod);
    mod.catch(() => handlerModules.delete(binding.entry));
  }
  return mod;
}

/**
 * A container for one invocation: an idle one of the same function, environment and clock (a warm start), or
 * a new one (a cold start: the dependencies are built with that function's environment, as the module scope
 * of a fresh Lambda container would). Real Lambda reuses containers the same way; concurrent invocations get
 * containers of their own, so module-scope state (the logger's keys) is never shared by two at once.
 */
async function takeContainer(
  binding: LambdaBinding,
  env: EnvironmentRecord,
  envKey: string,
  clock: VirtualClock,
): Promise<{ container: Container; release: () => void }> {
  const key = `${binding.entry}\u0000${clockId(clock)}\u0000${envKey}`;
  const idle = idleContainers.get(key) ?? [];
  idleContainers.set(key, idle);
  let container = idle.pop();
  if (container === undefined) {
    const mod = await handlerModule(binding, env);
    let current: InvocationTime | undefined;
    // The container's clock: world time when the invocation started, plus the real time it has run since
    // (a frozen world clock still sees a handler take time), never behind the world's own clock.
    const now = () =>
      current === undefined
        ? clock.now()
        : Math.max(clock.now(), current.virtualStart + (performance.now() - current.realStart));
    // The Atlas client's (and the AWS SDK's) pauses between attempts pass on the world's clock too.
    const sleep = worldSleep(clock);
    const deps = withEnvironment(env, () =>
      defaultHandlerDeps(binding.stepId as StepId, mod.capabilities, env, { now, sleep }),
    );
    const built: Container = {
      handler: mod.makeHandler(deps),
      now,
      get current() {
        return current;
      },
      set current(value) {
        current = value;
      },
    };
    container = built;
  }
  const taken = container;
  return {
    container: taken,
    release: () => {
      taken.current = undefined;
      idle.push(taken);
    },
  };
}

function lambdaContext(
  functionName: string,
  executionName: string,
  timeoutSeconds: number,
  invocation: number,
  now: () => number,
) {
  const deadline = now() + timeoutSeconds * 1000;
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `${executionName}-${functionName}-${invocation}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function diffCounts(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

function countsFor(
  log: RequestLog | undefined,
  service: 'atlas' | 'ec2' | 'dynamodb',
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of log?.entries ?? [])
    if (e.service === service) out[e.operation] = (out[e.operation] ?? 0) + 1;
  return out;
}

/**
 * Deploys the template's tables into the target's DynamoDB before each run (what CloudFormation does on AWS):
 * CreateTable, kept when the table exists (one call; a cache could not tell a new world on a reused port), and
 * its TTL, through the real SDK.
 */
function deployTables(tables: readonly LocalTable[], target: LocalTarget): Promise<void> {
  const endpoint = target.dynamodbUrl ?? ownEnvironment().AWS_ENDPOINT_URL_DYNAMODB;
  return Promise.all(tables.map((table) => createTable(table, target, endpoint))).then(() => undefined);
}

async function createTable(
  table: LocalTable,
  target: LocalTarget,
  endpoint: string | undefined,
): Promise<void> {
  const client = new DynamoDBClient({
    region: target.awsRegion ?? REGION,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(target.awsCredentials === undefined ? {} : { credentials: target.awsCredentials }),
  });
  try {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: table.name,
          KeySchema: [...table.keySchema],
          AttributeDefinitions: [...table.attributeDefinitions],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } catch (error) {
      if (error instanceof ResourceInUseException) return;
      throw error;
    }
    if (table.ttlAttribute !== undefined) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: table.name,
          TimeToLiveSpecification: { AttributeName: table.ttlAttribute, Enabled: true },
        }),
      );
    }
  } finally {
    client.destroy();
  }
}

/** Runs one execution of the synthesized workflow locally. */
export async function runLocalWorkflow(options: LocalRunOptions): Promise<LocalRunResult> {
  const runId = ++runCounter;
  const executionName = options.executionName ?? `local-${Date.now().toString(36)}-${runId}`;
  const synthesized = synthesizeWorkflow(options.props);
  await deployTables(synthesized.tables, options.target);
  // An external target runs on real time: the clock starts at the real now (the world's clock keeps its epoch).
  const clock = options.clock ?? freshRunClock();
  // The engine is the local Step Functions: its front answers the lease's DescribeExecution about its runs.
  const sfnUrl = await localSfnUrl();
  const signing = options.target.awsCredentials ?? {
    accessKeyId: ownEnvironment().AWS_ACCESS_KEY_ID,
    secretAccessKey: ownEnvironment().AWS_SECRET_ACCESS_KEY,
  };
  if (signing.accessKeyId && signing.secretAccessKey) {
    localExecutions.trust(signing.accessKeyId, signing.secretAccessKey);
  }
  const baseEnv = {
    ...targetEnvironment(options.target),
    AWS_ENDPOINT_URL_SFN: sfnUrl,
    POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'SILENT',
    POWERTOOLS_DEV: 'false',
  };
  const events: PublishedEvent[] = [];
  const logs: string[] | undefined = options.collectLogs ? [] : undefined;
  const atlasBefore = countsFor(options.requestLog, 'atlas');
  const ec2Before = countsFor(options.requestLog, 'ec2');
  const dynamodbBefore = countsFor(options.requestLog, 'dynamodb');
  const startVirtual = clock.now();
  const startReal = performance.now();
  let invocations = 0;
  const lastResults = new Map<string, unknown>();

  const tasks: Record<string, TaskFunction> = {};
  // Each function's environment and its key, computed once per run.
  // The run's target and the process variables the handlers' SDKs and clients read.
  const own = ownEnvironment();
  const baseKey = JSON.stringify([
    baseEnv,
    Object.keys(own)
      .filter((k) => /^(AWS_|MONGODB_|ATLAS_|POWERTOOLS_)/.test(k))
      .sort()
      .map((k) => [k, own[k]]),
  ]);
  const environmentOf = (binding: LambdaBinding) => {
    // Per function and that key, computed once.
    let byTarget = environments.get(binding);
    if (byTarget === undefined) {
      byTarget = new Map();
      environments.set(binding, byTarget);
    }
    let found = byTarget.get(baseKey);
    if (found === undefined) {
      const env = functionEnvironment(binding, baseEnv);
      found = { env, key: JSON.stringify(Object.entries(env).sort(([a], [b]) => (a < b ? -1 : 1))) };
      byTarget.set(baseKey, found);
    }
    return found;
  };
  for (const [stateName, binding] of synthesized.lambdaTasks) {
    tasks[stateName] = async (input) => {
      // A failed attempt has no result: a display must not show the previous attempt's under the failure.
      lastResults.delete(stateName);
      const { env, key } = environmentOf(binding);
      const invoke = async () => {
        const { container, release } = await takeContainer(binding, env, key, clock);
        container.current = { virtualStart: clock.now(), realStart: performance.now() };
        try {
          invocations += 1;
          const context = lambdaContext(
            `local-${binding.stepId}`,
            executionName,
            binding.timeoutSeconds,
            invocations,
            container.now,
          );
          return await withEnvironment(env, () => container.handler(input, context));
        } finally {
          release();
        }
      };
      const proceed = logs === undefined ? invoke : () => collectingLogs(logs, invoke);
      const result = options.invoke
        ? await options.invoke(
            {
              stepId: binding.stepId,
              entry: binding.entry,
              environment: env,
              event: input,
              executionName,
              timeoutSeconds: binding.timeoutSeconds,
              countInvocation: () => {
                invocations += 1;
                return lambdaContext(
                  `local-${binding.stepId}`,
                  executionName,
                  binding.timeoutSeconds,
                  invocations,
                  () => clock.now(),
                );
              },
            },
            proceed,
          )
        : await proceed();
      lastResults.set(stateName, result);
      return result;
    };
  }
  for (const stateName of synthesized.eventTasks) {
    tasks[stateName] = async (input) => {
      const entries = ((input as { Entries?: unknown[] } | null)?.Entries ?? []) as Record<string, unknown>[];
      const ids: { EventId: string }[] = [];
      for (const entry of entries) {
        const raw = entry.Detail;
        const event: PublishedEvent = {
          source: String(entry.Source),
          detailType: String(entry.DetailType),
          ...(entry.EventBusName ? { eventBusName: String(entry.EventBusName) } : {}),
          detail: typeof raw === 'string' ? JSON.parse(raw) : raw,
          virtualTime: clock.now(),
        };
        events.push(event);
        options.onEvent?.(event);
        ids.push({ EventId: `local-${executionName}-${events.length}` });
      }
      return { Entries: ids, FailedEntryCount: 0 };
    };
  }

  // The execution takes part in the clock's time from here to its end (concurrent runs' waits overlap).
  const time = clock.timeScale === 0 ? virtualTimeOf(clock) : undefined;
  const executionArn = localExecutionArn(executionName);
  // Distinct for each run of one execution name (what the EC2 ClientToken is keyed on).
  const startTime = executionStartTime(executionArn, startVirtual);
  localExecutions.started(executionArn, LOCAL_STATE_MACHINE_ARN, executionName, startTime);
  const abort = () => localExecutions.ended(executionArn, 'ABORTED', clock.now());
  if (options.signal?.aborted) abort();
  options.signal?.addEventListener('abort', abort, { once: true });
  time?.enter();
  let result: CoreRunResult;
  try {
    result = await runDefinition({
      definition: synthesized.definition,
      tasks,
      clock,
      input: options.input,
      context: {
        Execution: {
          Id: executionArn,
          Name: executionName,
          StartTime: new Date(startTime).toISOString(),
          Input: options.input,
          RoleArn: `arn:aws:iam::${ACCOUNT}:role/local`,
        },
        StateMachine: {
          Id: LOCAL_STATE_MACHINE_ARN,
          Name: 'local',
        },
      },
      ...(options.onWait ? { onWait: options.onWait } : {}),
      ...(clock.timeScale === 0 ? { sleep: worldSleep(clock) } : {}),
      onHistory: (entry) => {
        options.onHistory?.(
          entry,
          entry.kind === 'succeeded' && lastResults.has(entry.state)
            ? { result: lastResults.get(entry.state) }
            : {},
        );
      },
    });
  } catch (error) {
    localExecutions.ended(executionArn, 'FAILED', clock.now());
    throw error;
  } finally {
    time?.leave();
    options.signal?.removeEventListener('abort', abort);
  }
  localExecutions.ended(executionArn, result.status, clock.now());

  return {
    executionName,
    status: result.status,
    ...(result.status === 'SUCCEEDED' ? { output: result.output } : {}),
    ...(result.error ? { error: result.error } : {}),
    history: result.history,
    path: result.history.filter((h) => h.kind === 'entered').map((h) => h.state),
    events,
    ...(logs === undefined ? {} : { logs }),
    metrics: {
      stateTransitions: result.stateTransitions,
      lambdaInvocations: invocations,
      atlasCalls: diffCounts(countsFor(options.requestLog, 'atlas'), atlasBefore),
      ec2Calls: diffCounts(countsFor(options.requestLog, 'ec2'), ec2Before),
      dynamodbCalls: diffCounts(countsFor(options.requestLog, 'dynamodb'), dynamodbBefore),
      virtualDurationMs: clock.now() - startVirtual,
      providerTimeMs: result.waitedMs,
      realDurationMs: performance.now() - startReal,
    },
  };
}
