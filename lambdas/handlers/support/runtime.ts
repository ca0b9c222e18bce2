/**
 * The plumbing every step handler shares (Powertools style): environment read and checked once per container,
 * clients built once per container, one Logger, and the per-invocation adapter around one domain function.
 *
 * A handler module does three things:
 *
 * ```ts
 * // module scope, once per container: env, logger, the clients its STEPS entry says it uses
 * export const handlerDeps = defaultHandlerDeps('create-atlas-endpoint', { atlas: atlasAccess });
 * export function makeHandler(deps: HandlerDeps) { return stepHandler('create-atlas-endpoint', deps, …); }
 * export const handler = makeHandler(handlerDeps); // tests call makeHandler(theirDeps)
 * ```
 *
 * Environment (names from `HandlerEnv` in lambdas/workflow/steps.ts, set by the construct per `STEPS[id]`):
 * - `WORKFLOW_STEP`: when set it must name this step (a function wired to the wrong entry fails loudly).
 * - Atlas steps: the credential secret or variables and the base URL, see ./atlas.ts (precedence of the
 *   base URL: the secret's `BaseUrl`, `MONGODB_ATLAS_BASE_URL`, `ATLAS_BASE_URL`, https://cloud.mongodb.com).
 * - EC2 steps: `MANAGED_BY_TAG_VALUE`; the EC2 client works in the request's region, see ./ec2.ts.
 * - validate-request: the `DEFAULT_*` request defaults, the phase budgets and `EXECUTION_TIMEOUT_SECONDS`.
 * - check steps: `POLL_INTERVALS_<PHASE>_SECONDS`, the deployment's intervals of the step's phase
 *   (`PHASES[phase].intervalsEnv`; unset: the built-in schedule).
 * A problem is logged at module load and every invocation then throws the same ConfigurationError, so Step
 * Functions sees a named error (an exception at import time would surface as an unnamed init failure).
 *
 * Per invocation: the logger gets the Lambda context and the execution name (validate-request) or request
 * id as temporary keys; the Atlas client (and so the credentials) is loaded on the step's first Atlas call,
 * never before; every Atlas call is bounded by the Lambda's remaining time minus a margin
 * (`lambdaDeadline(context)`, in the Atlas client's time base); a check step's `nextPoll` gets the seconds
 * the invocation has run so far (`StepDeps.pollTiming`, from the same clock), so slow checks count against
 * the phase budget; errors are logged and rethrown unchanged.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { type AtlasClient, lambdaDeadline } from '#atlas/client';
import type { EndpointKindClient } from '#atlas/endpoint-kind';
import { endpointKindClient } from '#atlas/kinds';
import type { ExecutionReader } from '#aws/executions';
import type { LeaseStore } from '#aws/leases';
import type { ServiceIntentStore } from '#aws/service-intents';
import type { VpcEndpointOperations } from '#aws/vpc-endpoints';
import { ConfigurationError, ErrorNames, WorkflowError } from '#core/errors';
import type { EndpointKind, VpcLocation } from '#core/state';
import type { Environment } from '#workflow/config';
import type { StepDeps } from '#workflow/operations/common';
import type { RequestDefaults } from '#workflow/request';
import {
  DEADLINE_STEPS,
  describesLeaseHolders,
  HandlerEnv,
  type ListConnectionsInput,
  PHASES,
  POLL_PHASES,
  type PollingState,
  type PollTiming,
  type PrepareRepairInput,
  phaseOfCheckStep,
  pollIntervalsFromEnv,
  resolvePhaseBudgets,
  runDeadlineError,
  STEPS,
  type StepId,
  type StepInput,
  type StepOutput,
  type SummarizeFailureInput,
  type ValidateRequestInput,
  type WorkflowState,
} from '#workflow/steps';
import { loadDeploymentTargets } from '#workflow/targets';

/** The part of the Lambda context the handlers use (the local engine passes one of these too). */
export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
  readonly awsRequestId?: string;
  readonly functionName?: string;
}

/** What `lambdas/handlers/<id>.ts` exports as `handler`. */
export type LambdaStepHandler<Id extends StepId> = (
  event: unknown,
  context?: LambdaContextLike,
) => Promise<StepOutput<Id>>;

/** Everything a handler needs besides the event; built once per container, replaced by tests. */
export interface HandlerDeps {
  readonly logger: Logger;
  /** The Atlas client, unbounded (Atlas steps). Each invocation bounds it with its own deadline. */
  readonly atlasClient?: () => Promise<AtlasClient>;
  /** Called after Atlas rejected the credentials, so the next invocation reloads them. */
  readonly onAtlasAuthFailed?: () => void;
  /** EC2 VPC endpoint operations in a region (EC2 steps). */
  readonly vpcEndpoints?: (where: VpcLocation) => VpcEndpointOperations;
  /** The lease table (steps with lease actions). */
  readonly leases?: LeaseStore;
  /** Step Functions' view of a lease's holder (steps that take the lease). */
  readonly executions?: ExecutionReader;
  /** The endpoint service create intents (create-atlas-endpoint; absent without a lease table). */
  readonly serviceIntents?: ServiceIntentStore;
  /** `MANAGED_BY_TAG_VALUE` (EC2 steps). */
  readonly managedBy?: string;
  /** The deployment's request defaults (validate-request). */
  readonly requestDefaults?: RequestDefaults;
  /** The environment phase budgets are read from (validate-request). */
  readonly env?: Environment;
  /** A problem found in the environment at module load; every invocation throws it. */
  readonly configurationError?: ConfigurationError;
  /** Check steps: the deployment's intervals of the step's phase. @default the phase's built-in intervals */
  readonly pollIntervalsSeconds?: readonly number[];
  /**
   * The clock (epoch ms) of the Atlas client's deadlines and of the invocation's run time, which check steps
   * count against their phase budget. @default Date.now
   */
  readonly now?: () => number;
  /** Taken off the Lambda's remaining time for Atlas deadlines, to report an error before Lambda times out. */
  readonly deadlineMarginMs?: number;
}

/**
 * The container's clock: what the handler, the phase budgets and the Atlas client's deadlines, token expiry and
 * retry pauses read. On Lambda it is the machine's (the defaults); the local engine passes the simulated
 * world's, so a Lambda there lives on the same (virtual) time as Step Functions and the clouds.
 */
export interface HandlerClock {
  /** Epoch ms. @default Date.now */
  readonly now?: () => number;
  /** Waits `ms` (the Atlas client's pauses between attempts). @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Default safety margin: enough for the handler to log and return the error. */
export const DEFAULT_DEADLINE_MARGIN_MS = 3000;

export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** A problem with one environment variable, found at module load. */
export interface EnvironmentProblem {
  /** The variables involved (the first is the one to fix). */
  readonly variables: readonly string[];
  readonly problem: string;
}

/** Atlas access for a step: environment problems, a lazily built client, and a way to drop it. */
export interface AtlasAccess {
  readonly problems: readonly EnvironmentProblem[];
  readonly client: () => Promise<AtlasClient>;
  readonly onAuthFailed: () => void;
}

/**
 * The clients a handler module brings along. Each module imports only what its step uses (`STEPS[id]`), so
 * a step that never calls Atlas or EC2 does not even load their SDKs (smaller bundle, faster cold start).
 */
export interface Capabilities {
  /** Atlas steps: `atlasAccess` from ./atlas.ts. */
  readonly atlas?: (env: Environment, logger: Logger, clock?: HandlerClock) => AtlasAccess;
  /** EC2 steps: `ec2Access` from ./ec2.ts. */
  readonly ec2?: (env: Environment, clock?: HandlerClock) => (where: VpcLocation) => VpcEndpointOperations;
  /** validate-request: `loadRequestDefaults` from #workflow/config. */
  readonly requestDefaults?: (env: Environment) => RequestDefaults;
  /** Steps with lease actions: `leaseAccess` from ./leases.ts. */
  readonly leases?: (env: Environment, tableName: string, clock?: HandlerClock) => LeaseStore;
  /** Steps that take or read the lease (`describesLeaseHolders` in steps.ts): `executionAccess` from ./leases.ts. */
  readonly executions?: (env: Environment, clock?: HandlerClock) => ExecutionReader;
  /** The step that takes the endpoint service create intent (`STEPS[id].serviceIntent`): `serviceIntentAccess`. */
  readonly serviceIntents?: (env: Environment, tableName: string, clock?: HandlerClock) => ServiceIntentStore;
}

/**
 * Reads and checks the function's environment for step `id` and builds its logger and (lazy) clients.
 * Never throws: problems become `configurationError` (logged here, thrown by every invocation).
 */
export function defaultHandlerDeps(
  id: StepId,
  capabilities: Capabilities = {},
  env: Environment = process.env,
  clock: HandlerClock = {},
): HandlerDeps {
  // A snapshot: the function's environment as it was when the container started.
  const snapshot: Environment = { ...env };
  const spec = STEPS[id];
  const logger = new Logger({ persistentKeys: { step: id } });
  const problems: EnvironmentProblem[] = [];
  const missingCapability = (what: string) =>
    problems.push({
      variables: [HandlerEnv.WorkflowStep],
      problem: `the handler module of step ${id} does not provide ${what}, which STEPS['${id}'] requires`,
    });

  const declared = nonEmpty(snapshot[HandlerEnv.WorkflowStep]);
  if (declared !== undefined && declared !== id) {
    problems.push({
      variables: [HandlerEnv.WorkflowStep],
      problem: `${HandlerEnv.WorkflowStep} is "${declared}" but this is the handler of step "${id}" (function wired to the wrong entry)`,
    });
  }

  let managedBy: string | undefined;
  let vpcEndpoints: ((where: VpcLocation) => VpcEndpointOperations) | undefined;
  if (spec.ec2Actions.length > 0) {
    managedBy = nonEmpty(snapshot[HandlerEnv.ManagedByTagValue]);
    if (managedBy === undefined) {
      problems.push({
        variables: [HandlerEnv.ManagedByTagValue],
        problem: `${HandlerEnv.ManagedByTagValue} is not set (the value of the managed-by tag on the VPC endpoints)`,
      });
    }
    if (capabilities.ec2 === undefined) missingCapability('EC2 access');
    else vpcEndpoints = capabilities.ec2(snapshot, clock);
  }

  let leases: LeaseStore | undefined;
  if (spec.leaseActions.length > 0) {
    const tableName = nonEmpty(snapshot[HandlerEnv.LeaseTableName]);
    if (tableName === undefined) {
      problems.push({
        variables: [HandlerEnv.LeaseTableName],
        problem: `${HandlerEnv.LeaseTableName} is not set (the table of the target leases)`,
      });
    }
    if (capabilities.leases === undefined) missingCapability('lease table access');
    else if (tableName !== undefined) leases = capabilities.leases(snapshot, tableName, clock);
  }
  let serviceIntents: ServiceIntentStore | undefined;
  if (spec.serviceIntent === true) {
    // Without a lease table (tools) there are no intents: the step then behaves as before them.
    const tableName = nonEmpty(snapshot[HandlerEnv.LeaseTableName]);
    if (capabilities.serviceIntents === undefined) missingCapability('endpoint service intent access');
    else if (tableName !== undefined)
      serviceIntents = capabilities.serviceIntents(snapshot, tableName, clock);
  }
  let executions: ExecutionReader | undefined;
  if (describesLeaseHolders(spec)) {
    if (capabilities.executions === undefined) missingCapability('Step Functions access');
    else executions = capabilities.executions(snapshot, clock);
  }
  if (spec.ec2Actions.length > 0 || spec.requestDefaults) {
    for (const p of loadDeploymentTargets(snapshot).problems) {
      // ALLOWED_REGIONS is validate-request's; the account settings are every EC2 step's.
      if (p.variable !== HandlerEnv.AllowedRegions || spec.requestDefaults) {
        problems.push({ variables: [p.variable], problem: p.problem });
      }
    }
  }

  let requestDefaults: RequestDefaults | undefined;
  if (spec.requestDefaults) {
    if (capabilities.requestDefaults === undefined) missingCapability('request defaults');
    else {
      try {
        requestDefaults = capabilities.requestDefaults(snapshot);
      } catch (error) {
        if (!(error instanceof Error && error.name === ErrorNames.ConfigurationError)) throw error;
        const details = (error as ConfigurationError).details;
        const variables = Array.isArray(details.variables) ? details.variables.map(String) : ['DEFAULT_*'];
        problems.push({ variables, problem: error.message });
      }
    }
    for (const text of resolvePhaseBudgets(snapshot, undefined).configurationProblems) {
      const variable =
        POLL_PHASES.flatMap((p) => [PHASES[p].budgetEnv, PHASES[p].firstWaitEnv]).find((name) =>
          text.startsWith(name),
        ) ?? HandlerEnv.ExecutionTimeoutSeconds;
      problems.push({ variables: [variable], problem: text });
    }
  }

  let pollIntervalsSeconds: readonly number[] | undefined;
  const phase = phaseOfCheckStep(id);
  if (phase !== undefined) {
    const read = pollIntervalsFromEnv(snapshot, phase);
    if (read.problem !== undefined) {
      problems.push({ variables: [PHASES[phase].intervalsEnv], problem: read.problem });
    }
    pollIntervalsSeconds = read.intervals;
  }

  let atlas: AtlasAccess | undefined;
  if (spec.atlas) {
    if (capabilities.atlas === undefined) missingCapability('Atlas access');
    else {
      atlas = capabilities.atlas(snapshot, logger, clock);
      problems.push(...atlas.problems);
    }
  }

  let configurationError: ConfigurationError | undefined;
  if (problems.length > 0) {
    configurationError = new ConfigurationError(
      `The function of step ${id} is misconfigured: ${problems.map((p) => p.problem).join('; ')}`,
      { details: { step: id, variables: [...new Set(problems.flatMap((p) => p.variables))] } },
    );
    logger.error('Invalid function environment; every invocation will fail', {
      error: configurationError.toJSON(),
    });
  }

  return {
    logger,
    ...(atlas === undefined ? {} : { atlasClient: atlas.client, onAtlasAuthFailed: atlas.onAuthFailed }),
    ...(vpcEndpoints === undefined ? {} : { vpcEndpoints }),
    ...(leases === undefined ? {} : { leases }),
    ...(executions === undefined ? {} : { executions }),
    ...(serviceIntents === undefined ? {} : { serviceIntents }),
    ...(managedBy === undefined ? {} : { managedBy }),
    ...(requestDefaults === undefined ? {} : { requestDefaults }),
    ...(spec.requestDefaults ? { env: snapshot } : {}),
    ...(pollIntervalsSeconds === undefined ? {} : { pollIntervalsSeconds }),
    ...(configurationError === undefined ? {} : { configurationError }),
    ...(clock.now === undefined ? {} : { now: clock.now }),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Event checks (minimal: the state machine builds the events; a mismatch is a wiring bug)

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function wiringError(step: StepId, expected: string, problem: string): ConfigurationError {
  return new ConfigurationError(
    `Step ${step} received an event that is not ${expected}: ${problem}. The state machine definition does not ` +
      'match lambdas/workflow/steps.ts (redeploy the stack from one version of the project)',
    { details: { step, problem } },
  );
}

const REQUEST_STRINGS = ['kind', 'groupId', 'instanceName', 'vpcId', 'region', 'requestId'] as const;

function checkRecord(step: StepId, event: unknown): WorkflowState {
  const expected = 'the workflow state record';
  if (!isRecord(event)) throw wiringError(step, expected, 'it is not a JSON object');
  const request = event.request;
  if (!isRecord(request)) throw wiringError(step, expected, '$.request is missing');
  for (const field of REQUEST_STRINGS) {
    if (typeof request[field] !== 'string')
      throw wiringError(step, expected, `$.request.${field} is not a string`);
  }
  if (request.kind !== 'serverless' && request.kind !== 'dedicated') {
    throw wiringError(step, expected, `$.request.kind is "${String(request.kind)}"`);
  }
  for (const field of ['subnetIds', 'securityGroupIds'] as const) {
    if (!Array.isArray(request[field])) throw wiringError(step, expected, `$.request.${field} is not a list`);
  }
  return event as unknown as WorkflowState;
}

/** The event check of a step that takes the state record. */
export function workflowState(step: StepId) {
  return (event: unknown): WorkflowState => checkRecord(step, event);
}

/** The event check of a polling step: the record with `$.poll` of the step's phase. */
export function pollingState(step: StepId) {
  const phase = phaseOfCheckStep(step);
  return (event: unknown): PollingState => {
    const state = checkRecord(step, event);
    const poll = (state as { poll?: unknown }).poll;
    if (!isRecord(poll) || poll.phase !== phase) {
      throw wiringError(
        step,
        `a ${phase} polling record`,
        `$.poll.phase is ${isRecord(poll) ? `"${String(poll.phase)}"` : 'missing'}`,
      );
    }
    return state as PollingState;
  };
}

export function validateRequestEvent(event: unknown): ValidateRequestInput {
  const expected = '{ input, executionName }';
  if (!isRecord(event) || !Object.hasOwn(event, 'input')) {
    throw wiringError('validate-request', expected, '$.input is missing');
  }
  if (typeof event.executionName !== 'string') {
    throw wiringError('validate-request', expected, '$.executionName is not a string');
  }
  for (const key of ['executionId', 'startTime'] as const) {
    if (event[key] !== undefined && typeof event[key] !== 'string') {
      throw wiringError('validate-request', expected, `$.${key} is not a string`);
    }
  }
  return {
    input: event.input,
    executionName: event.executionName,
    ...(typeof event.executionId === 'string' ? { executionId: event.executionId } : {}),
    ...(typeof event.startTime === 'string' ? { startTime: event.startTime } : {}),
  };
}

export function prepareRepairEvent(event: unknown): PrepareRepairInput {
  const expected = '{ state, executionName }';
  if (!isRecord(event) || !Object.hasOwn(event, 'state')) {
    throw wiringError('prepare-repair', expected, '$.state is missing');
  }
  if (typeof event.executionName !== 'string') {
    throw wiringError('prepare-repair', expected, '$.executionName is not a string');
  }
  return { state: checkRecord('prepare-repair', event.state), executionName: event.executionName };
}

export function listConnectionsEvent(event: unknown): ListConnectionsInput {
  if (!isRecord(event) || !Object.hasOwn(event, 'input')) {
    throw wiringError('list-connections', '{ input }', '$.input is missing');
  }
  return { input: event.input };
}

export function summarizeFailureEvent(event: unknown): SummarizeFailureInput {
  if (isRecord(event) && !Object.hasOwn(event, 'request')) {
    if (!Object.hasOwn(event, 'input')) {
      throw wiringError(
        'summarize-failure',
        'a state record or a rejected input',
        'neither $.request nor $.input',
      );
    }
    return event as unknown as SummarizeFailureInput;
  }
  return checkRecord('summarize-failure', event);
}

// ---------------------------------------------------------------------------------------------------------
// The per-invocation adapter

/**
 * The endpoint kind client of `kind` over an Atlas client that is loaded (credentials read) on the first call
 * of any of its methods. Every method is async, so a caller cannot tell it from the client it defers to.
 */
function deferredKindClient(kind: EndpointKind, client: () => Promise<AtlasClient>): EndpointKindClient {
  if (kind !== 'serverless' && kind !== 'dedicated')
    throw new TypeError(`unknown endpoint kind: ${String(kind)}`);
  let real: Promise<EndpointKindClient> | undefined;
  const get = () => {
    real ??= client().then((loaded) => endpointKindClient(kind, loaded));
    return real;
  };
  return {
    kind,
    findExisting: async (target, vpcEndpointId) => (await get()).findExisting(target, vpcEndpointId),
    findOwned: async (target) => (await get()).findOwned(target),
    create: async (target) => (await get()).create(target),
    describe: async (target, atlasId) => (await get()).describe(target, atlasId),
    link: async (target, atlasId, vpcEndpointId, known) =>
      (await get()).link(target, atlasId, vpcEndpointId, known),
    describeLink: async (target, atlasId, vpcEndpointId) =>
      (await get()).describeLink(target, atlasId, vpcEndpointId),
    unlink: async (target, atlasId, vpcEndpointId) => (await get()).unlink(target, atlasId, vpcEndpointId),
    remove: async (target, atlasId) => (await get()).remove(target, atlasId),
    describeDeployment: async (target, vpcEndpointId) =>
      (await get()).describeDeployment(target, vpcEndpointId),
    missingRegions: async (target, deployment) => (await get()).missingRegions(target, deployment),
    readConnectionString: async (target, vpcEndpointId) =>
      (await get()).readConnectionString(target, vpcEndpointId),
  };
}

function unavailable(id: StepId, what: string): never {
  throw new ConfigurationError(`Step ${id} has no ${what} (not in its STEPS entry)`, {
    details: { step: id },
  });
}

function invocationKeys(event: unknown): Record<string, string> {
  if (!isRecord(event)) return {};
  if (typeof event.executionName === 'string') return { executionName: event.executionName };
  const request = isRecord(event.state) ? event.state.request : event.request;
  if (isRecord(request) && typeof request.requestId === 'string') return { requestId: request.requestId };
  return {};
}

function logFailure(logger: Logger, error: unknown): void {
  if (error instanceof WorkflowError) {
    // A named outcome the state machine handles (retry, catch, compensate).
    logger.warn(`Step failed with ${error.name}`, { error: error.toJSON() });
  } else {
    logger.error('Step failed with an unexpected error', error as Error);
  }
}

/**
 * The Lambda handler of step `id`: checks the event, builds the invocation's dependencies (the Atlas client
 * bounded by the Lambda deadline), calls `run`, returns its result. Errors propagate unchanged: their `name`
 * is what Step Functions matches.
 */
export function stepHandler<Id extends StepId>(
  id: Id,
  deps: HandlerDeps,
  checkEvent: (event: unknown) => StepInput<Id>,
  run: (input: StepInput<Id>, stepDeps: StepDeps) => Promise<StepOutput<Id>>,
): LambdaStepHandler<Id> {
  const spec = STEPS[id];
  const { logger } = deps;
  const now = deps.now ?? Date.now;
  return async (event, context) => {
    const startedAt = now();
    if (context !== undefined && typeof context.awsRequestId === 'string') {
      logger.addContext(context as unknown as Context);
    }
    logger.appendKeys(invocationKeys(event));
    try {
      if (deps.configurationError !== undefined) throw deps.configurationError;
      const input = checkEvent(event);
      if (DEADLINE_STEPS.includes(id)) {
        const late = runDeadlineError(input as WorkflowState, spec.stateName, now());
        if (late !== undefined) throw late;
      }
      let atlas: StepDeps['atlas'] = () => unavailable(id, 'Atlas access');
      if (spec.atlas) {
        const loadAtlas = deps.atlasClient;
        if (loadAtlas === undefined) unavailable(id, 'Atlas client');
        const deadline =
          context === undefined
            ? undefined
            : lambdaDeadline(context, deps.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS, now);
        // Loaded on the step's first Atlas call, not before: a step that ends without calling Atlas (e.g.
        // validate-request rejecting a malformed request) never depends on the credentials.
        let bounded: Promise<AtlasClient> | undefined;
        const client = () => {
          bounded ??= loadAtlas().then((loaded) => loaded.withDeadline(deadline));
          return bounded;
        };
        const kinds = new Map<EndpointKind, EndpointKindClient>();
        atlas = (kind) => {
          let kindClient = kinds.get(kind);
          if (kindClient === undefined) {
            kindClient = deferredKindClient(kind, client);
            kinds.set(kind, kindClient);
          }
          return kindClient;
        };
      }
      const stepDeps: StepDeps = {
        now,
        atlas,
        vpcEndpoints: deps.vpcEndpoints ?? (() => unavailable(id, 'EC2 access')),
        managedBy: deps.managedBy ?? '',
        ...(deps.leases === undefined ? {} : { leases: deps.leases }),
        ...(deps.executions === undefined ? {} : { executions: deps.executions }),
        ...(deps.serviceIntents === undefined ? {} : { serviceIntents: deps.serviceIntents }),
        logger,
        pollTiming: (): PollTiming => ({
          spentSeconds: Math.max(0, Math.ceil((now() - startedAt) / 1000)),
          ...(deps.pollIntervalsSeconds === undefined ? {} : { intervalsSeconds: deps.pollIntervalsSeconds }),
        }),
      };
      return await run(input, stepDeps);
    } catch (error) {
      logFailure(logger, error);
      if (error instanceof Error && error.name === ErrorNames.AtlasAuthFailed) deps.onAtlasAuthFailed?.();
      throw error;
    } finally {
      logger.resetKeys();
    }
  };
}
