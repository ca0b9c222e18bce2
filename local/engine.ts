/**
 * The local engine: synthesizes the real CDK construct in-process, resolves its state machine to concrete
 * ASL, and runs it with aws-local-stepfunctions. Every Lambda task runs its real handler module in-process
 * with the environment the template gives that function, with the production clients pointed at the
 * simulated world (or at any Atlas-compatible API and EC2 endpoint); the EventBridge task goes to a local
 * event sink. Nothing in lambdas/ knows it is running locally: only configuration differs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { extractDefinition, resolveIntrinsics } from '../lib/asl.ts';
import {
  PrivateEndpointWorkflow,
  type PrivateEndpointWorkflowProps,
} from '../lib/private-endpoint-workflow.ts';
import { VirtualClock } from './cloud/clock.ts';
import type { RequestLog } from './cloud/request-log.ts';
import {
  type AslDefinition,
  type CoreRunResult,
  type HistoryEntry,
  runDefinition,
  type TaskFunction,
} from './engine-core.ts';
import { type EnvironmentRecord, ownEnvironment, withEnvironment } from './env-scope.ts';

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
    for (const [name, state] of Object.entries(definition.States)) {
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
  /** The world's clock when running against the embedded world; otherwise a fresh manual clock. */
  readonly clock?: VirtualClock;
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
}

let runCounter = 0;

function targetEnvironment(target: LocalTarget): Record<string, string> {
  const env: Record<string, string> = {
    MONGODB_ATLAS_BASE_URL: target.atlasUrl,
    ATLAS_BASE_URL: target.atlasUrl,
    AWS_REGION: target.awsRegion ?? REGION,
    AWS_DEFAULT_REGION: target.awsRegion ?? REGION,
  };
  if (target.ec2Url) env.AWS_ENDPOINT_URL_EC2 = target.ec2Url;
  if (target.stsUrl) env.AWS_ENDPOINT_URL_STS = target.stsUrl;
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
 * The URL to import a handler entry (repo-relative) from, with a per-run query so each run gets a fresh
 * module instance. Built as a URL throughout: `URL.pathname` is percent-encoded (a space is `%20`), and
 * turning it back into a URL would encode it twice.
 */
export function handlerModuleUrl(entry: string, runId: number, root: URL = repoRoot): string {
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

/**
 * Loads a handler module the way a fresh Lambda container would: with that function's environment while the
 * module initializes (its module-scope clients read it once), and as a new module instance per run so
 * nothing is shared with another run's world.
 */
async function loadHandler(
  binding: LambdaBinding,
  env: EnvironmentRecord,
  runId: number,
): Promise<(event: unknown, context: unknown) => Promise<unknown>> {
  const mod = (await withEnvironment(env, () => import(handlerModuleUrl(binding.entry, runId)))) as {
    handler?: (event: unknown, context: unknown) => Promise<unknown>;
    default?: { handler?: (event: unknown, context: unknown) => Promise<unknown> };
  };
  const handler = mod.handler ?? mod.default?.handler;
  if (typeof handler !== 'function') throw new Error(`${binding.entry} exports no handler`);
  return handler;
}

function lambdaContext(
  functionName: string,
  executionName: string,
  timeoutSeconds: number,
  invocation: number,
) {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `${executionName}-${functionName}-${invocation}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
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

function countsFor(log: RequestLog | undefined, service: 'atlas' | 'ec2'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of log?.entries ?? [])
    if (e.service === service) out[e.operation] = (out[e.operation] ?? 0) + 1;
  return out;
}

/** Runs one execution of the synthesized workflow locally. */
export async function runLocalWorkflow(options: LocalRunOptions): Promise<LocalRunResult> {
  const runId = ++runCounter;
  const executionName = options.executionName ?? `local-${Date.now().toString(36)}-${runId}`;
  const synthesized = synthesizeWorkflow(options.props);
  const clock = options.clock ?? new VirtualClock({ timeScale: 0 });
  const baseEnv = {
    ...targetEnvironment(options.target),
    POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'SILENT',
    POWERTOOLS_DEV: 'false',
  };
  const events: PublishedEvent[] = [];
  const atlasBefore = countsFor(options.requestLog, 'atlas');
  const ec2Before = countsFor(options.requestLog, 'ec2');
  const startVirtual = clock.now();
  const startReal = performance.now();
  let invocations = 0;
  const lastResults = new Map<string, unknown>();

  const tasks: Record<string, TaskFunction> = {};
  const handlers = new Map<string, Promise<(event: unknown, context: unknown) => Promise<unknown>>>();
  for (const [stateName, binding] of synthesized.lambdaTasks) {
    tasks[stateName] = async (input) => {
      // A failed attempt has no result: a display must not show the previous attempt's under the failure.
      lastResults.delete(stateName);
      const env = functionEnvironment(binding, baseEnv);
      const proceed = async () => {
        let handler = handlers.get(binding.entry);
        if (!handler) {
          handler = loadHandler(binding, env, runId);
          handlers.set(binding.entry, handler);
        }
        const run = await handler;
        invocations += 1;
        const context = lambdaContext(
          `local-${binding.stepId}`,
          executionName,
          binding.timeoutSeconds,
          invocations,
        );
        return withEnvironment(env, () => run(input, context));
      };
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

  const result: CoreRunResult = await runDefinition({
    definition: synthesized.definition,
    tasks,
    clock,
    input: options.input,
    context: {
      Execution: {
        Id: `arn:aws:states:${REGION}:${ACCOUNT}:execution:LocalPrivateEndpointWorkflow:${executionName}`,
        Name: executionName,
        StartTime: new Date(startVirtual).toISOString(),
        Input: options.input,
        RoleArn: `arn:aws:iam::${ACCOUNT}:role/local`,
      },
      StateMachine: {
        Id: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:LocalPrivateEndpointWorkflow`,
        Name: 'local',
      },
    },
    ...(options.onWait ? { onWait: options.onWait } : {}),
    onHistory: (entry) => {
      options.onHistory?.(
        entry,
        entry.kind === 'succeeded' && lastResults.has(entry.state)
          ? { result: lastResults.get(entry.state) }
          : {},
      );
    },
  });

  return {
    executionName,
    status: result.status,
    ...(result.status === 'SUCCEEDED' ? { output: result.output } : {}),
    ...(result.error ? { error: result.error } : {}),
    history: result.history,
    path: result.history.filter((h) => h.kind === 'entered').map((h) => h.state),
    events,
    metrics: {
      stateTransitions: result.stateTransitions,
      lambdaInvocations: invocations,
      atlasCalls: diffCounts(countsFor(options.requestLog, 'atlas'), atlasBefore),
      ec2Calls: diffCounts(countsFor(options.requestLog, 'ec2'), ec2Before),
      virtualDurationMs: clock.now() - startVirtual,
      providerTimeMs: result.waitedMs,
      realDurationMs: performance.now() - startReal,
    },
  };
}
