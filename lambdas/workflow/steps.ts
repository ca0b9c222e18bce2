/**
 * The state machine's steps: ids, state names, handler contracts and the polling schedule.
 *
 * This is the one table three parties read:
 * - lib/ (CDK) builds one Lambda per step, grants it exactly what the table says (Atlas secret, EC2
 *   actions), and wires each Task with the table's state name, Parameters and ResultPath;
 * - lambdas/handlers/<id>.ts implement {@link StepHandler} for their id;
 * - local/ binds each Task state name to the handler behind it when it runs the synthesized definition.
 *
 * How data flows. The execution input (the request) is wrapped by the first Pass as `{ input }`. The
 * validate step replaces it with a {@link WorkflowState}; from then on every step writes only its own key
 * (the `resultPath` column), so the record grows and a failure path sees exactly what exists:
 *
 * | key | written by |
 * |---|---|
 * | `request`, `settings`, `existing`, `execution`, `lease` | `validate-request` (the whole record) |
 * | `atlas` | `create-atlas-endpoint`, then "Record endpoint service" (copy of `poll.observed`) |
 * | `vpcEndpoint` | `create-vpc-endpoint`, then "Record VPC endpoint" |
 * | `link` | `link-endpoint`, then "Record link" |
 * | `connection` | "Record connection string" |
 * | `poll` | the "Start … polling" Pass states and every check step |
 * | `cleanupVpcEndpoints`, `cleanupAtlas` | `delete-vpc-endpoint`, `delete-atlas-side` (what the cleanup handles) |
 * | `cleanup` | "Record cleanup" |
 * | `error` / `cleanupError` | the Catch of a forward step / of a cleanup step |
 * | `failure` | `summarize-failure` |
 * | `publishError` / `summaryError` | the Catch of a publish step / of `summarize-failure` |
 * | `output` | "Shape output" (the execution's output, a {@link WorkflowOutput}); `summarize-delete` (a delete's) |
 * | `inspection` (and `atlas`, `vpcEndpoint`, `link` to remove) | `inspect-connection` (delete, check: the whole record) |
 * | `repairRun` (and `existing`) | `prepare-repair` (the whole record) |
 * | `audit` | `list-connections`, then "Check each connection" (`audit.reports`) |
 *
 * Polling. Each waiting phase is `Start … polling` (Pass: a fresh {@link PollRecord}, its first wait from the
 * deployment's schedule) → `Wait for …` (`SecondsPath: $.poll.waitSeconds`) → check step → `… ready?` (Choice
 * on `$.poll.done`) → `Record …` (Pass: `$.poll.observed` → the phase's key). A check step calls
 * {@link nextPoll}, which adds the wait just taken *and the check invocation's own run time* (whole seconds,
 * rounded up, measured by the handler runtime from the start of the invocation) to `elapsedSeconds`, picks the
 * next wait from the deployment's intervals and throws `DeadlineExceeded` once the phase's budget is spent.
 * On AWS the run time is the handler's; in the offline engine it is the real handler time too (milliseconds,
 * so a check usually counts 1 s there), while the waits follow the engine's virtual clock. What a budget does
 * not count, and why the execution timeout still leaves room for it, is explained at
 * {@link MIN_EXECUTION_MARGIN_SECONDS}.
 */
import { DeadlineExceededError, type FieldIssue, THROWN_ERROR_NAMES, TRANSIENT_ERRORS } from '#core/errors';
import type {
  AtlasSide,
  ConnectionState,
  ExecutionInfo,
  LeaseSide,
  LinkSide,
  VpcEndpointSide,
  WorkflowOutput,
  WorkflowRequest,
} from '#core/state';
import type { FailureReport, ResourceRef } from './events.ts';
import type { AuditPlan, ConnectionInspection, DeleteOutput } from './lifecycle.ts';

// ---------------------------------------------------------------------------------------------------------
// State names
// ---------------------------------------------------------------------------------------------------------

/** Every state of the definition, by role. lib/ names states with these; local/ and tests look them up. */
export const StateNames = {
  ReceiveRequest: 'Receive request',
  AuditOrConnection: 'Audit or one connection?',
  ValidateRequest: 'Validate request',
  WhichAction: 'Which action?',

  CreateAtlasEndpoint: 'Create Atlas endpoint',
  StartEndpointServicePolling: 'Start endpoint service polling',
  WaitForEndpointService: 'Wait for endpoint service',
  CheckEndpointService: 'Check endpoint service',
  EndpointServiceReady: 'Endpoint service ready?',
  RecordEndpointService: 'Record endpoint service',

  EndpointServiceAlreadyReady: 'Endpoint service already ready?',

  CreateVpcEndpoint: 'Create VPC endpoint',
  VpcEndpointAlreadyReady: 'VPC endpoint already ready?',
  StartVpcEndpointPolling: 'Start VPC endpoint polling',
  WaitForVpcEndpoint: 'Wait for VPC endpoint',
  CheckVpcEndpoint: 'Check VPC endpoint',
  VpcEndpointReady: 'VPC endpoint ready?',
  RecordVpcEndpoint: 'Record VPC endpoint',

  LinkAtlasEndpoint: 'Link Atlas endpoint',
  StartLinkPolling: 'Start link polling',
  WaitForLink: 'Wait for link',
  CheckLink: 'Check link',
  LinkAvailable: 'Link available?',
  RecordLink: 'Record link',

  StartConnectionStringPolling: 'Start connection string polling',
  WaitForConnectionString: 'Wait for connection string',
  ReadConnectionString: 'Read connection string',
  ConnectionStringReady: 'Connection string ready?',
  RecordConnectionString: 'Record connection string',

  ShapeOutput: 'Shape output',
  ReleaseTarget: 'Release target',
  WhichEnding: 'Which ending?',
  PublishAvailableEvent: 'Publish available event',
  Succeeded: 'Succeeded',

  DeleteVpcEndpoint: 'Delete VPC endpoint',
  DeleteAtlasSide: 'Delete Atlas side',
  RollBack: 'Roll back?',
  StartCleanupPolling: 'Start cleanup polling',
  WaitForCleanup: 'Wait for cleanup',
  CheckCleanup: 'Check cleanup',
  CleanupDone: 'Cleanup done?',
  RecordCleanup: 'Record cleanup',

  SummarizeFailure: 'Summarize failure',
  PublishFailedEvent: 'Publish failed event',
  Failed: 'Failed',
  FailedWithoutSummary: 'Failed without summary',

  // delete and check (lambdas/workflow/lifecycle.ts)
  InspectConnection: 'Inspect connection',
  DeleteOrCheck: 'Delete or check?',
  DriftFound: 'Drift found?',
  PublishDriftEvent: 'Publish drift event',
  RepairRequested: 'Repair?',
  Checked: 'Checked',
  AnythingToDelete: 'Anything to delete?',
  AfterCleanup: 'After cleanup',
  PrepareRepair: 'Prepare repair',
  RepairDone: 'Repair done?',
  ShapeRepairOutput: 'Shape repair output',
  Repaired: 'Repaired',
  SummarizeDelete: 'Summarize delete',
  PublishDeletedEvent: 'Publish deleted event',
  Deleted: 'Deleted',

  // the scheduled audit (its iteration's states live inside the Map)
  ListConnections: 'List managed connections',
  CheckEachConnection: 'Check each connection',
  AuditInspectConnection: 'Audit: inspect connection',
  AuditDriftFound: 'Audit: drift found?',
  AuditPublishDriftEvent: 'Audit: publish drift event',
  AuditReport: 'Audit: report',
  AuditCheckFailed: 'Audit: check failed',
  ShapeAuditOutput: 'Shape audit output',
  Audited: 'Audited',
} as const;

export type StateName = (typeof StateNames)[keyof typeof StateNames];

/** The Task states that call EventBridge PutEvents directly (no Lambda); local/ binds them by name. */
export const PUBLISH_STATES = [
  StateNames.PublishAvailableEvent,
  StateNames.PublishFailedEvent,
  StateNames.PublishDeletedEvent,
  StateNames.PublishDriftEvent,
  StateNames.AuditPublishDriftEvent,
] as const;

/** The states inside the audit's Map iteration (not top-level states of the definition). */
export const AUDIT_ITERATION_STATES = [
  StateNames.AuditInspectConnection,
  StateNames.AuditDriftFound,
  StateNames.AuditPublishDriftEvent,
  StateNames.AuditReport,
  StateNames.AuditCheckFailed,
] as const;

/** Task states that invoke a step's function under another name than the step's own state (the audit's). */
export const EXTRA_TASK_STATES: Readonly<Record<string, StepId>> = {
  [StateNames.AuditInspectConnection]: 'inspect-connection',
};

// ---------------------------------------------------------------------------------------------------------
// Error names the definition uses besides the workflow's own (lambdas/core/errors.ts)
// ---------------------------------------------------------------------------------------------------------

/**
 * Step Functions' wildcards, as the definition's Retry and Catch lists name them. The workflow's own names,
 * including the Fail-state-only `CleanupIncomplete` and `WorkflowFailed`, are `ErrorNames` in errors.ts.
 */
export const DefinitionErrorNames = {
  StatesAll: 'States.ALL',
  StatesTaskFailed: 'States.TaskFailed',
} as const;

/**
 * Errors of the Lambda service itself (not of our code), retried on every Lambda Task. This replaces CDK's
 * default retrier (`retryOnServiceExceptions`) so that throttling caused by the Atlas functions' reserved
 * concurrency (`Lambda.TooManyRequestsException`) is retried too, with jitter.
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
] as const;

/** Every named workflow error a handler may throw (errors.ts), in declaration order: the Catch lists. */
export const WORKFLOW_ERROR_NAMES: readonly string[] = THROWN_ERROR_NAMES;

// ---------------------------------------------------------------------------------------------------------
// Task timeouts and retry policies (plain numbers: lib/ builds the definition's retriers from these, and the
// execution margin below is derived from them)
// ---------------------------------------------------------------------------------------------------------

/** Lambda function timeout. Atlas calls retry in-Lambda (Retry-After) within this. */
export const LAMBDA_TIMEOUT_SECONDS = 60;
/** Task timeout of the Lambda tasks: the function timeout plus slack, so Lambda's own timeout fires first. */
export const LAMBDA_TASK_TIMEOUT_SECONDS = 90;
/** Task timeout of the EventBridge PutEvents tasks. */
export const PUBLISH_TASK_TIMEOUT_SECONDS = 30;

/** A Step Functions retrier in plain numbers (all with full jitter, which only ever shortens a pause). */
export interface RetryPolicySpec {
  readonly errors: readonly string[];
  readonly intervalSeconds: number;
  readonly maxAttempts: number;
  readonly backoffRate: number;
  readonly maxDelaySeconds: number;
}

/** The definition's retriers. */
export const RETRY_POLICIES = {
  /** Failures of the Lambda service (not our code), including throttling under reserved concurrency. */
  lambdaService: {
    errors: LAMBDA_SERVICE_ERRORS,
    intervalSeconds: 2,
    maxAttempts: 6,
    backoffRate: 2,
    maxDelaySeconds: 60,
  },
  /**
   * Named transient errors of a forward step, after the clients' own in-Lambda retries (which honour
   * Atlas's Retry-After) ran out: up to 4 more tries over a few minutes.
   */
  transient: {
    errors: TRANSIENT_ERRORS,
    intervalSeconds: 10,
    maxAttempts: 4,
    backoffRate: 2,
    maxDelaySeconds: 120,
  },
  /** Compensation tries harder: a failed cleanup leaves resources behind. */
  transientCleanup: {
    errors: TRANSIENT_ERRORS,
    intervalSeconds: 10,
    maxAttempts: 6,
    backoffRate: 2,
    maxDelaySeconds: 300,
  },
  /** EventBridge PutEvents (a service integration: its errors surface as task failures). */
  publish: {
    errors: [DefinitionErrorNames.StatesTaskFailed],
    intervalSeconds: 2,
    maxAttempts: 4,
    backoffRate: 2,
    maxDelaySeconds: 30,
  },
} as const satisfies Record<string, RetryPolicySpec>;

/** The sum of a retrier's pauses when every one of its retries is used, each pause at its maximum. */
export function maxRetryPauseSeconds(policy: RetryPolicySpec): number {
  let total = 0;
  for (let k = 0; k < policy.maxAttempts; k++) {
    total += Math.min(policy.intervalSeconds * policy.backoffRate ** k, policy.maxDelaySeconds);
  }
  return total;
}

/**
 * Worst-case real time one Task entry spends on retries when it exhausts every retrier it has: each failed
 * attempt runs to `attemptSeconds` (the Task timeout, which Step Functions enforces on every attempt) and
 * each pause is at its maximum. The attempt that finally succeeds (or is caught) is not included.
 */
export function exhaustedRetrySeconds(policies: readonly RetryPolicySpec[], attemptSeconds: number): number {
  return policies.reduce((sum, p) => sum + p.maxAttempts * attemptSeconds + maxRetryPauseSeconds(p), 0);
}

// ---------------------------------------------------------------------------------------------------------
// Polling
// ---------------------------------------------------------------------------------------------------------

export type PollPhase = 'atlasEndpoint' | 'vpcEndpoint' | 'link' | 'connection' | 'cleanup';

/**
 * A Choice before a phase's loop that skips it when the create step's result already shows what the phase
 * waits for: the string at `statusPath` is one of `statuses` (and, with `requiredStringPath`, that path holds
 * a string).
 */
export interface SkipSpec {
  readonly choiceState: StateName;
  readonly statusPath: string;
  readonly statuses: readonly string[];
  readonly requiredStringPath?: string;
}

/** Normalized Atlas statuses from which the VPC endpoint can be created (or that are further along). */
export const ATLAS_READY_STATUSES = ['ready-for-vpc-endpoint', 'linking', 'available'] as const;
/** EC2 states in which the VPC endpoint can be registered with Atlas. */
export const VPC_ENDPOINT_READY_STATES = ['pendingAcceptance', 'available'] as const;

export interface PhaseSpec {
  readonly phase: PollPhase;
  /** Used in messages: "endpoint service did not become ready within …". */
  readonly label: string;
  readonly startState: StateName;
  readonly waitState: StateName;
  /** The check step (a Task) of the loop. */
  readonly checkStep: StepId;
  readonly choiceState: StateName;
  readonly recordState: StateName;
  /** Where "Record …" copies `$.poll.observed`. */
  readonly recordPath: '$.atlas' | '$.vpcEndpoint' | '$.link' | '$.connection' | '$.cleanup';
  /**
   * Where the phase's transition is likely (the durations the built-in schedule is built around); the built-in
   * first wait and intervals are derived from them by {@link likelySchedule}. Absent: a plain ladder.
   */
  readonly likelyWindows?: readonly LikelyWindow[];
  /**
   * Built-in seconds of the first Wait, right after the create (a freshly created resource is never ready at
   * once). At run time it is clipped to half the phase's effective budget (`$.settings.firstWaitSeconds`).
   */
  readonly initialDelaySeconds: number;
  /** Skip the whole loop (no first wait) when the create step's result is already ready. */
  readonly skipIf?: SkipSpec;
  /** Built-in seconds of the following Waits; the last value repeats. */
  readonly intervalsSeconds: readonly number[];
  /**
   * Environment variable (validate-request function) carrying the deployment's first wait (whole seconds).
   * Unset: {@link initialDelaySeconds}.
   */
  readonly firstWaitEnv: string;
  /** Deployment default budget (seconds of waiting and checking) before the check throws DeadlineExceeded. */
  readonly defaultBudgetSeconds: number;
  /** Environment variable (validate-request function) carrying the deployment's budget. */
  readonly budgetEnv: string;
  /**
   * Environment variable (the phase's check function) carrying the deployment's intervals, comma-separated
   * whole seconds (`5,10,20`). Unset: {@link intervalsSeconds}.
   */
  readonly intervalsEnv: string;
}

/** A span of a phase's duration (seconds from the phase's start) in which its transition is likely. */
export interface LikelyWindow {
  readonly fromSeconds: number;
  readonly toSeconds: number;
  /** Seconds between checks inside the window. */
  readonly everySeconds: number;
}

/** After the last likely window the waits double up to this (then it repeats: a check every 10 min). */
export const SCHEDULE_TAIL_MAX_SECONDS = 600;

/**
 * A schedule from where a phase's transition is likely: a check at the start of each window and then every
 * `everySeconds` to its end; between windows the wait doubles (a transition there is unlikely, so the calls grow
 * with the logarithm of the wait, not with the wait), stopping short of the next window; after the last window
 * it doubles up to {@link SCHEDULE_TAIL_MAX_SECONDS}, which then repeats. A check that sees the transition ends
 * the loop at once, wherever it is in the list.
 */
export function likelySchedule(windows: readonly LikelyWindow[]): PollSchedule {
  const at: number[] = [];
  let t = 0;
  let gap = 0;
  for (const w of windows) {
    while (at.length > 0) {
      const next = Math.min(gap * 2, SCHEDULE_TAIL_MAX_SECONDS);
      if (t + next > w.fromSeconds - w.everySeconds) break;
      gap = next;
      t += gap;
      at.push(t);
    }
    for (let x = w.fromSeconds; x <= w.toSeconds; x += w.everySeconds) {
      if (x > t) {
        gap = x - t;
        t = x;
        at.push(t);
      }
    }
  }
  const [first, ...rest] = at;
  if (first === undefined) throw new Error('likelySchedule: no window');
  const intervalsSeconds = rest.map((x, i) => x - (at[i] as number));
  let tail = intervalsSeconds[intervalsSeconds.length - 1] ?? first;
  while (tail < SCHEDULE_TAIL_MAX_SECONDS) {
    tail = Math.min(tail * 2, SCHEDULE_TAIL_MAX_SECONDS);
    intervalsSeconds.push(tail);
  }
  return { initialDelaySeconds: first, intervalsSeconds };
}

/**
 * The likely windows of the waiting phases: the durations the built-in schedule is built around. Each phase has
 * a usual window (its usual durations, from the facts and the world's `realistic` timeline) and a bad-day window
 * (0.8 to 1.25 times what users report on bad days, the world's `slow` timeline); `everySeconds` is chosen so the
 * checks fall on whole multiples inside each window.
 * - Endpoint service: usually 1 to 1.5 min (serverless reservation 60 s, dedicated service 90 s; DESIGN "1-3 min"),
 *   checked every 15 s from 60 s to 2 min; bad days 30 min (DESIGN "30+ min"): every 45 s from 24 to 37.5 min.
 * - VPC endpoint (EC2, no Atlas calls): usually 20 s, every 5 s to 30 s; bad days 2 min: every 8 s from 96 s to 2.5 min.
 * - Link: usually 2 to 2.5 min (dedicated acceptance 30 s + 90 s, serverless 150 s): 2, 2.5 and 3 min; bad days
 *   35 min: every 105 s from 28 to 44 min. Sparse on purpose: the private connection string comes minutes after
 *   the link, and the connection phase's own window absorbs a link noticed up to a minute late.
 * - Connection string: facts §10, "about 3-5 minutes after the interface endpoint is AVAILABLE": every 30 s from
 *   3 to 5 min; bad days 20 min (ASSUMPTION in local/cloud/timeline.ts): every 50 s from 15 to 25 min.
 */
export const LIKELY_WINDOWS = {
  atlasEndpoint: [
    { fromSeconds: 60, toSeconds: 120, everySeconds: 15 },
    { fromSeconds: 1440, toSeconds: 2250, everySeconds: 45 },
  ],
  vpcEndpoint: [
    { fromSeconds: 20, toSeconds: 30, everySeconds: 5 },
    { fromSeconds: 96, toSeconds: 150, everySeconds: 8 },
  ],
  link: [
    { fromSeconds: 120, toSeconds: 180, everySeconds: 30 },
    { fromSeconds: 1680, toSeconds: 2625, everySeconds: 105 },
  ],
  connection: [
    { fromSeconds: 180, toSeconds: 300, everySeconds: 30 },
    { fromSeconds: 900, toSeconds: 1500, everySeconds: 50 },
  ],
} as const satisfies Partial<Record<PollPhase, readonly LikelyWindow[]>>;

const likely = (phase: keyof typeof LIKELY_WINDOWS) => ({
  likelyWindows: LIKELY_WINDOWS[phase],
  ...likelySchedule(LIKELY_WINDOWS[phase]),
});

/**
 * The polling schedule. Each waiting phase checks where its transition is likely ({@link LIKELY_WINDOWS}), not on
 * a fixed ladder: the first check when the phase usually ends at the earliest, a few checks across its usual
 * span, doubling waits until the bad-day span, checks across that, then doubling up to one check every 10 min.
 * So a usual run makes one to four checks per phase and a check lands soon after the transition, and a 30-minute
 * wait costs about 20 checks instead of the 180 a 10-s poll makes (Terraform's provider polls every 5-10 s).
 * The cleanup keeps a short ladder (deletes are quick and the failure path is rare). The whole schedule is
 * data: these tables, overridden per deployment by `pollingSchedule`.
 */
export const PHASES: Readonly<Record<PollPhase, PhaseSpec>> = {
  atlasEndpoint: {
    phase: 'atlasEndpoint',
    label: 'endpoint service',
    startState: StateNames.StartEndpointServicePolling,
    waitState: StateNames.WaitForEndpointService,
    checkStep: 'describe-atlas-endpoint',
    choiceState: StateNames.EndpointServiceReady,
    recordState: StateNames.RecordEndpointService,
    recordPath: '$.atlas',
    // An adopted endpoint service that is already AVAILABLE (facts §10: the ready status today) needs no wait.
    skipIf: {
      choiceState: StateNames.EndpointServiceAlreadyReady,
      statusPath: '$.atlas.status',
      statuses: ATLAS_READY_STATUSES,
      requiredStringPath: '$.atlas.endpointServiceName',
    },
    ...likely('atlasEndpoint'),
    defaultBudgetSeconds: 3600,
    budgetEnv: 'PHASE_BUDGET_ATLAS_ENDPOINT_SECONDS',
    intervalsEnv: 'POLL_INTERVALS_ATLAS_ENDPOINT_SECONDS',
    firstWaitEnv: 'POLL_FIRST_WAIT_ATLAS_ENDPOINT_SECONDS',
  },
  vpcEndpoint: {
    phase: 'vpcEndpoint',
    label: 'VPC endpoint',
    startState: StateNames.StartVpcEndpointPolling,
    waitState: StateNames.WaitForVpcEndpoint,
    checkStep: 'describe-vpc-endpoint',
    choiceState: StateNames.VpcEndpointReady,
    recordState: StateNames.RecordVpcEndpoint,
    recordPath: '$.vpcEndpoint',
    // An adopted VPC endpoint that is already available (or awaiting acceptance) needs no wait.
    skipIf: {
      choiceState: StateNames.VpcEndpointAlreadyReady,
      statusPath: '$.vpcEndpoint.state',
      statuses: VPC_ENDPOINT_READY_STATES,
    },
    ...likely('vpcEndpoint'),
    defaultBudgetSeconds: 900,
    budgetEnv: 'PHASE_BUDGET_VPC_ENDPOINT_SECONDS',
    intervalsEnv: 'POLL_INTERVALS_VPC_ENDPOINT_SECONDS',
    firstWaitEnv: 'POLL_FIRST_WAIT_VPC_ENDPOINT_SECONDS',
  },
  link: {
    phase: 'link',
    label: 'link',
    startState: StateNames.StartLinkPolling,
    waitState: StateNames.WaitForLink,
    checkStep: 'describe-link',
    choiceState: StateNames.LinkAvailable,
    recordState: StateNames.RecordLink,
    recordPath: '$.link',
    ...likely('link'),
    defaultBudgetSeconds: 3600,
    budgetEnv: 'PHASE_BUDGET_LINK_SECONDS',
    intervalsEnv: 'POLL_INTERVALS_LINK_SECONDS',
    firstWaitEnv: 'POLL_FIRST_WAIT_LINK_SECONDS',
  },
  connection: {
    phase: 'connection',
    label: 'connection string',
    startState: StateNames.StartConnectionStringPolling,
    waitState: StateNames.WaitForConnectionString,
    checkStep: 'read-connection-string',
    choiceState: StateNames.ConnectionStringReady,
    recordState: StateNames.RecordConnectionString,
    recordPath: '$.connection',
    // Facts §10 ("connection strings"): once the link is AVAILABLE the cluster goes UPDATING and names the
    // VPC endpoint in privateEndpoint[] only when IDLE again, about 3-5 minutes later (Terraform's old
    // serverless resource waited a fixed 5 minutes). So no quick checks: the first look is at 3 minutes.
    ...likely('connection'),
    defaultBudgetSeconds: 1800,
    budgetEnv: 'PHASE_BUDGET_CONNECTION_SECONDS',
    intervalsEnv: 'POLL_INTERVALS_CONNECTION_SECONDS',
    firstWaitEnv: 'POLL_FIRST_WAIT_CONNECTION_SECONDS',
  },
  cleanup: {
    phase: 'cleanup',
    label: 'cleanup',
    startState: StateNames.StartCleanupPolling,
    waitState: StateNames.WaitForCleanup,
    checkStep: 'check-cleanup',
    choiceState: StateNames.CleanupDone,
    recordState: StateNames.RecordCleanup,
    recordPath: '$.cleanup',
    initialDelaySeconds: 5,
    intervalsSeconds: [5, 10, 15, 20, 30],
    defaultBudgetSeconds: 2700,
    budgetEnv: 'PHASE_BUDGET_CLEANUP_SECONDS',
    intervalsEnv: 'POLL_INTERVALS_CLEANUP_SECONDS',
    firstWaitEnv: 'POLL_FIRST_WAIT_CLEANUP_SECONDS',
  },
};

export const POLL_PHASES = Object.keys(PHASES) as readonly PollPhase[];

/** Bounds for any phase budget (deployment props, env and per-request overrides). */
export const MIN_PHASE_BUDGET_SECONDS = 60;
export const MAX_PHASE_BUDGET_SECONDS = 24 * 3600;

/** The polling schedule of one phase: the first wait, then the waits between checks (the last repeats). */
export interface PollSchedule {
  readonly initialDelaySeconds: number;
  readonly intervalsSeconds: readonly number[];
}

/**
 * Bounds of a deployment's polling schedule (construct prop `pollingSchedule`, check functions' env).
 * - The first wait is at most 30 min. validate-request clips it to half the phase's effective budget
 *   ({@link resolvePhaseBudgets}, `$.settings.firstWaitSeconds`, which the "Start … polling" Pass reads), so
 *   at least half of any budget is left for the checks, whatever budget a request sets.
 * - An interval of at least 5 s keeps one execution under 12 Atlas calls a minute per phase (Terraform's
 *   Atlas provider polls no faster); at most 10 min, since a longer wait only delays seeing the change.
 * - At most 60 intervals (the list is an environment variable; the last one repeats).
 */
export const MAX_INITIAL_DELAY_SECONDS = 1800;
export const MIN_POLL_INTERVAL_SECONDS = 5;
export const MAX_POLL_INTERVAL_SECONDS = 600;
export const MAX_POLL_INTERVALS = 60;

/** The built-in schedule of a phase. */
export function defaultPollSchedule(phase: PollPhase): PollSchedule {
  const { initialDelaySeconds, intervalsSeconds } = PHASES[phase];
  return { initialDelaySeconds, intervalsSeconds };
}

const INITIAL_DELAY_RULE = `whole seconds from 0 to ${MAX_INITIAL_DELAY_SECONDS}`;
const INTERVALS_RULE =
  `1 to ${MAX_POLL_INTERVALS} intervals, each whole seconds from ${MIN_POLL_INTERVAL_SECONDS} ` +
  `to ${MAX_POLL_INTERVAL_SECONDS}`;

/** What is wrong with a first wait (seconds), or undefined. The text completes "initialDelay …". */
export function initialDelayProblem(seconds: number): string | undefined {
  return Number.isInteger(seconds) && seconds >= 0 && seconds <= MAX_INITIAL_DELAY_SECONDS
    ? undefined
    : `must be ${INITIAL_DELAY_RULE}, got ${seconds}`;
}

/** What is wrong with a list of intervals (seconds), or undefined. The text completes "intervals …". */
export function intervalsProblem(seconds: readonly number[]): string | undefined {
  const fits = (s: number) =>
    Number.isInteger(s) && s >= MIN_POLL_INTERVAL_SECONDS && s <= MAX_POLL_INTERVAL_SECONDS;
  return seconds.length >= 1 && seconds.length <= MAX_POLL_INTERVALS && seconds.every(fits)
    ? undefined
    : `must be ${INTERVALS_RULE}, got [${seconds.join(', ')}]`;
}

/**
 * The phase's intervals from its check function's environment (`PHASES[phase].intervalsEnv`). Unset or blank:
 * `intervals` is undefined (the built-in schedule applies). A malformed value is a `problem` (the handler
 * runtime reports it as ConfigurationError): a deployment bug, never silently replaced by the default.
 */
export function pollIntervalsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  phase: PollPhase,
): { intervals?: readonly number[]; problem?: string } {
  const name = PHASES[phase].intervalsEnv;
  const text = env[name]?.trim();
  if (text === undefined || text === '') return {};
  const intervals = text.split(',').map((part) => (/^\s*\d+\s*$/.test(part) ? Number(part) : Number.NaN));
  if (intervals.some(Number.isNaN) || intervalsProblem(intervals) !== undefined) {
    return {
      problem: `${name} must be ${INTERVALS_RULE}, comma-separated (e.g. 5,10,20), got ${JSON.stringify(env[name])}`,
    };
  }
  return { intervals };
}

/** The polling phase whose check step is `id`, if any. */
export function phaseOfCheckStep(id: string): PollPhase | undefined {
  return POLL_PHASES.find((phase) => PHASES[phase].checkStep === id);
}

/** `$.poll`: bookkeeping of the current polling phase. Plain JSON. */
export interface PollRecord<T = unknown> {
  readonly phase: PollPhase;
  /** Checks made so far in this phase. */
  readonly attempt: number;
  /**
   * Seconds counted against the budget so far in this phase: every wait taken plus every check's own run
   * time (whole seconds, rounded up).
   */
  readonly elapsedSeconds: number;
  /**
   * Of `elapsedSeconds`, the part counted for the checks' own run time (the rest is the waits). Absent
   * before the first check.
   */
  readonly checkSeconds?: number;
  readonly budgetSeconds: number;
  /** Seconds the next Wait state waits (an integer >= 0). 0 once done. */
  readonly waitSeconds: number;
  /** True once the check saw what the phase waits for. The Choice reads only this. */
  readonly done: boolean;
  /** What the last check saw; absent before the first check. "Record …" copies it on. */
  readonly observed?: T;
}

/**
 * The record the "Start … polling" Pass writes (the same shape lib/ renders as Pass Parameters).
 * @param initialDelaySeconds the deployment's first wait @default the phase's built-in first wait
 */
export function startPoll(
  phase: PollPhase,
  budgetSeconds: number,
  initialDelaySeconds: number = PHASES[phase].initialDelaySeconds,
): PollRecord<never> {
  return {
    phase,
    attempt: 0,
    elapsedSeconds: 0,
    budgetSeconds,
    waitSeconds: initialDelaySeconds,
    done: false,
  };
}

/**
 * The wait after the `attempt`-th check (1-based) of a phase.
 * @param intervals the deployment's intervals @default the phase's built-in intervals
 */
export function pollInterval(
  phase: PollPhase,
  attempt: number,
  intervals: readonly number[] = PHASES[phase].intervalsSeconds,
): number {
  return intervals[Math.min(Math.max(attempt, 1), intervals.length) - 1]!;
}

/** What a check knows besides what it saw: supplied by the handler runtime (`StepDeps.pollTiming`). */
export interface PollTiming {
  /**
   * Whole seconds (rounded up) the check invocation has run so far, counted against the budget with the
   * waits: a slow Atlas (say 30 s a check) spends the budget that much faster. @default 0
   */
  readonly spentSeconds?: number;
  /** The deployment's intervals of the phase. @default the phase's built-in intervals */
  readonly intervalsSeconds?: readonly number[];
}

/**
 * Advances a phase after one check. Pure: the clock is read by the caller (`timing.spentSeconds`).
 *
 * - adds the wait just taken (`prev.waitSeconds`) and the check's own run time (`timing.spentSeconds`) to
 *   `elapsedSeconds`, and counts the check;
 * - `done`: returns the record with `done: true`, `waitSeconds: 0` (even past the budget: a late success
 *   is still a success);
 * - otherwise, when the budget is spent, throws `DeadlineExceeded` (caught by the definition, which then
 *   cleans up); else schedules the next wait from the intervals, clipped so the next check starts no later
 *   than the budget's end.
 *
 * @param statusText what was last seen, for the error message (e.g. `"status INITIATING"`)
 * @throws DeadlineExceededError when not done and the budget is spent
 * @throws Error when `prev` belongs to another phase, or `timing` is not whole seconds (wiring bugs, not
 *   workflow outcomes)
 */
export function nextPoll<T>(
  prev: PollRecord | undefined,
  phase: PollPhase,
  observed: T,
  done: boolean,
  statusText?: string,
  timing: PollTiming = {},
): PollRecord<T> {
  if (prev === undefined || prev.phase !== phase) {
    throw new Error(
      `nextPoll: expected $.poll of phase ${phase}, got ${prev === undefined ? 'none' : prev.phase}`,
    );
  }
  const spentSeconds = timing.spentSeconds ?? 0;
  if (!Number.isInteger(spentSeconds) || spentSeconds < 0) {
    throw new Error(`nextPoll: spentSeconds must be a whole number of seconds >= 0, got ${spentSeconds}`);
  }
  const elapsedSeconds = prev.elapsedSeconds + prev.waitSeconds + spentSeconds;
  const checkSeconds = (prev.checkSeconds ?? 0) + spentSeconds;
  const attempt = prev.attempt + 1;
  const base = { phase, attempt, elapsedSeconds, checkSeconds, budgetSeconds: prev.budgetSeconds, observed };
  if (done) return { ...base, waitSeconds: 0, done: true };
  const remaining = prev.budgetSeconds - elapsedSeconds;
  if (remaining <= 0) {
    const seen = statusText === undefined ? '' : `; last seen: ${statusText}`;
    // The waits are what a clock shows between the phase's start and its last check; each check's own run
    // time is counted rounded up to whole seconds, so the two parts are reported apart.
    const waitedSeconds = elapsedSeconds - checkSeconds;
    throw new DeadlineExceededError(
      `The ${PHASES[phase].label} was not ready within its budget of ${prev.budgetSeconds} s ` +
        `(${attempt} checks: ${waitedSeconds} s of waiting, plus ${checkSeconds} s counted for the checks ` +
        `themselves, each rounded up to a whole second${seen})`,
      {
        details: {
          phase,
          attempt,
          elapsedSeconds,
          waitedSeconds,
          checkSeconds,
          budgetSeconds: prev.budgetSeconds,
          ...(statusText === undefined ? {} : { lastSeen: statusText }),
        },
      },
    );
  }
  const interval = pollInterval(phase, attempt, timing.intervalsSeconds ?? PHASES[phase].intervalsSeconds);
  return { ...base, waitSeconds: Math.min(interval, remaining), done: false };
}

// ---------------------------------------------------------------------------------------------------------
// Settings: phase budgets (deployment defaults through env, per-request overrides)
// ---------------------------------------------------------------------------------------------------------

/** The name of the optional request field overriding phase budgets: `{ "phaseBudgetSeconds": { "link": 7200 } }`. */
export const REQUEST_BUDGET_FIELD = 'phaseBudgetSeconds';

/** `$.settings`: deployment settings resolved for this execution by validate-request. */
export interface WorkflowSettings {
  /** Effective budget of every phase (request override, else deployment env, else {@link PHASES} default). */
  readonly phaseBudgetSeconds: Readonly<Record<PollPhase, number>>;
  /**
   * The first wait of every phase ("Start … polling" reads it): the deployment's (env `firstWaitEnv`, else the
   * built-in), at most half the phase's effective budget.
   */
  readonly firstWaitSeconds: Readonly<Record<PollPhase, number>>;
  /**
   * The whole-run deadline (ISO timestamp; see {@link runDeadline}): past it, no forward step starts, and the
   * execution cleans up instead. Absent when the deployment gives no execution timeout (tools, tests).
   */
  readonly runDeadline?: string;
}

/**
 * The whole-run deadline: the execution's start plus its timeout, minus what the failure path needs at
 * worst (the cleanup budget and the whole {@link MIN_EXECUTION_MARGIN_SECONDS}). Phase budgets bound the
 * waiting of each phase, but not Step Functions retries: a stage that keeps meeting outages (each check
 * retried, then succeeding) can run for hours more than its budget. Past this deadline every forward step
 * throws DeadlineExceeded at once (`runDeadlineError`), so such an execution still cleans up, with the time
 * that needs, before the state machine timeout (which cleans nothing up). Since validate-request checks that
 * the budgets plus the minimum margin fit in the timeout, the deadline is never earlier than the start plus
 * the forward phases' budgets.
 */
export function runDeadline(
  startTime: string,
  executionTimeoutSeconds: number,
  budgets: Readonly<Record<PollPhase, number>>,
): string | undefined {
  const start = Date.parse(startTime);
  if (!Number.isFinite(start)) return undefined;
  const reserve = budgets.cleanup + MIN_EXECUTION_MARGIN_SECONDS;
  return new Date(start + (executionTimeoutSeconds - reserve) * 1000).toISOString();
}

/**
 * DeadlineExceeded when a forward step starts past the record's whole-run deadline (`now` in epoch ms), else
 * undefined.
 */
export function runDeadlineError(
  state: { readonly settings?: WorkflowSettings },
  stateName: string,
  now: number,
): DeadlineExceededError | undefined {
  const deadline = state.settings?.runDeadline;
  if (deadline === undefined) return undefined;
  const at = Date.parse(deadline);
  if (!Number.isFinite(at) || now <= at) return undefined;
  return new DeadlineExceededError(
    `The execution passed its whole-run deadline (${deadline}: the execution timeout minus what the cleanup ` +
      `needs) before "${stateName}"; retries after repeated outages took longer than the phase budgets ` +
      'allow for. It stops here and cleans up.',
    { details: { runDeadline: deadline, state: stateName, phase: 'execution' } },
  );
}

function isBudget(value: unknown): value is number {
  return (
    typeof value === 'number' &&
    Number.isInteger(value) &&
    value >= MIN_PHASE_BUDGET_SECONDS &&
    value <= MAX_PHASE_BUDGET_SECONDS
  );
}

const BUDGET_RULE = `an integer number of seconds from ${MIN_PHASE_BUDGET_SECONDS} to ${MAX_PHASE_BUDGET_SECONDS}`;

/**
 * Resolves the effective phase budgets and first waits. For validate-request; pure.
 *
 * @param env the function's environment (reads each phase's `budgetEnv` and `firstWaitEnv`, and
 *   `EXECUTION_TIMEOUT_SECONDS`)
 * @param overrides the request's `phaseBudgetSeconds` field (unknown: not yet validated)
 * @returns the settings and the request's field issues (reported as InvalidRequest); a malformed env is a
 *   deployment bug and is returned as `configurationProblems` (reported as ConfigurationError)
 */
export function resolvePhaseBudgets(
  env: Readonly<Record<string, string | undefined>>,
  overrides: unknown,
): { settings: WorkflowSettings; issues: FieldIssue[]; configurationProblems: string[] } {
  const issues: FieldIssue[] = [];
  const configurationProblems: string[] = [];
  const budgets = {} as Record<PollPhase, number>;
  const firstWaits = {} as Record<PollPhase, number>;
  const given = overrides === undefined || overrides === null ? {} : overrides;
  if (typeof given !== 'object' || Array.isArray(given)) {
    issues.push({ field: REQUEST_BUDGET_FIELD, problem: 'must be an object of phase -> seconds' });
  }
  const givenRecord = (typeof given === 'object' && !Array.isArray(given) ? given : {}) as Record<
    string,
    unknown
  >;
  for (const key of Object.keys(givenRecord)) {
    if (!Object.hasOwn(PHASES, key)) {
      issues.push({
        field: `${REQUEST_BUDGET_FIELD}.${key}`,
        problem: `unknown phase (known: ${POLL_PHASES.join(', ')})`,
      });
    }
  }
  for (const phase of POLL_PHASES) {
    const spec = PHASES[phase];
    let budget = spec.defaultBudgetSeconds;
    const fromEnv = env[spec.budgetEnv];
    if (fromEnv !== undefined && fromEnv !== '') {
      const parsed = Number(fromEnv);
      if (isBudget(parsed)) budget = parsed;
      else
        configurationProblems.push(
          `${spec.budgetEnv} must be ${BUDGET_RULE}, got ${JSON.stringify(fromEnv)}`,
        );
    }
    const override = givenRecord[phase];
    if (override !== undefined) {
      if (isBudget(override)) budget = override;
      else issues.push({ field: `${REQUEST_BUDGET_FIELD}.${phase}`, problem: `must be ${BUDGET_RULE}` });
    }
    budgets[phase] = budget;
    let firstWait = spec.initialDelaySeconds;
    const waitText = env[spec.firstWaitEnv];
    if (waitText !== undefined && waitText !== '') {
      const parsed = /^\d+$/.test(waitText.trim()) ? Number(waitText) : Number.NaN;
      if (initialDelayProblem(parsed) === undefined) firstWait = parsed;
      else
        configurationProblems.push(
          `${spec.firstWaitEnv} must be ${INITIAL_DELAY_RULE}, got ${JSON.stringify(waitText)}`,
        );
    }
    firstWaits[phase] = Math.min(firstWait, Math.floor(budget / 2));
  }
  const timeoutText = env[HandlerEnv.ExecutionTimeoutSeconds];
  if (timeoutText !== undefined && timeoutText !== '') {
    const timeout = Number(timeoutText);
    if (!Number.isInteger(timeout) || timeout <= 0) {
      configurationProblems.push(`${HandlerEnv.ExecutionTimeoutSeconds} must be a positive integer`);
    } else {
      const total = POLL_PHASES.reduce((sum, p) => sum + budgets[p], 0);
      if (total + MIN_EXECUTION_MARGIN_SECONDS > timeout) {
        issues.push({
          field: REQUEST_BUDGET_FIELD,
          problem:
            `phase budgets total ${total} s; with the ${MIN_EXECUTION_MARGIN_SECONDS} s margin that exceeds ` +
            `the execution timeout of ${timeout} s`,
        });
      }
    }
  }
  return {
    settings: { phaseBudgetSeconds: budgets, firstWaitSeconds: firstWaits },
    issues,
    configurationProblems,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Environment variables the construct sets (names shared with the handlers)
// ---------------------------------------------------------------------------------------------------------

export const HandlerEnv = {
  /** Atlas functions only: ARN of the secret holding the Atlas credentials. */
  AtlasSecretArn: 'ATLAS_SECRET_ARN',
  /** Atlas functions only: e.g. `https://cloud.mongodb.com` (no trailing slash). */
  AtlasBaseUrl: 'ATLAS_BASE_URL',
  /** EC2 functions only: value of the managed-by tag (tags.ts `TAG_MANAGED_BY`); IAM conditions compare it. */
  ManagedByTagValue: 'MANAGED_BY_TAG_VALUE',
  /** validate-request only: deployment defaults for request fields. Unset when the deployment has none. */
  DefaultKind: 'DEFAULT_KIND',
  DefaultVpcId: 'DEFAULT_VPC_ID',
  /** Comma-separated ids. */
  DefaultSubnetIds: 'DEFAULT_SUBNET_IDS',
  /** Comma-separated ids. */
  DefaultSecurityGroupIds: 'DEFAULT_SECURITY_GROUP_IDS',
  DefaultRegion: 'DEFAULT_REGION',
  /** `true` or `false`. */
  DefaultRollbackOnFailure: 'DEFAULT_ROLLBACK_ON_FAILURE',
  /** validate-request only: the state machine's timeout in seconds (per-request budgets must fit in it). */
  ExecutionTimeoutSeconds: 'EXECUTION_TIMEOUT_SECONDS',
  /** validate-request only: comma-separated regions requests may name (lambdas/workflow/targets.ts). */
  AllowedRegions: 'ALLOWED_REGIONS',
  /** EC2 functions: the workflow's own AWS account id. */
  WorkflowAccountId: 'WORKFLOW_ACCOUNT_ID',
  /** EC2 functions, when other accounts are configured: comma-separated ARNs of the role to assume in each. */
  VpcAccountRoleArns: 'VPC_ACCOUNT_ROLE_ARNS',
  /** EC2 functions, when other accounts are configured: the external id those roles require. */
  VpcAccountExternalId: 'VPC_ACCOUNT_EXTERNAL_ID',
  /** Every function: its step id (a persistent log key). */
  WorkflowStep: 'WORKFLOW_STEP',
  /**
   * Functions with lease actions (validate-request, release-lease): the lease table's name. Also every Atlas
   * function: the table holds the deployment's shared Atlas token, sealed (lambdas/atlas/token-share.ts).
   */
  LeaseTableName: 'LEASE_TABLE_NAME',
  /**
   * Atlas functions, optional: the Atlas client's per-attempt timeout in milliseconds (default 10000). The
   * construct leaves it unset; the local engine's tests shorten it to exercise a slow answer quickly.
   */
  AtlasRequestTimeoutMs: 'ATLAS_REQUEST_TIMEOUT_MS',
} as const;

// ---------------------------------------------------------------------------------------------------------
// The state record and per-step contracts
// ---------------------------------------------------------------------------------------------------------

/** Step Functions' Catch output: the error name and its cause (on AWS a Lambda cause is a JSON string). */
export interface CaughtError {
  readonly Error: string;
  readonly Cause: string;
}

/**
 * What validate-request found already existing for (project, instance, VPC), so a re-run converges:
 * each create step adopts the matching entry instead of creating a second one. `created` on each entry
 * follows the ownership rule: true only when the resource carries this request's id (it was made by an
 * earlier run of the same request); false for anything else (e.g. a shared dedicated endpoint service),
 * which compensation never deletes.
 */
export interface ExistingResources {
  readonly atlas?: AtlasSide;
  readonly vpcEndpoint?: VpcEndpointSide;
  readonly link?: LinkSide;
}

/**
 * A resource the cleanup handles (deletes, or with `rollbackOnFailure: false` names as kept) that the record
 * may not name: found by this request's tags (VPC endpoints) or ownership marker (serverless endpoints), or
 * known to exist (interface endpoints of its VPC endpoints). Written by the delete steps.
 */
export interface CleanupTarget extends ResourceRef {
  /** The status seen when it was found or asked to go. */
  readonly lastStatus: string;
}

/** What the cleanup check saw. `remaining` empty means done. */
export interface CleanupObservation {
  /**
   * Resources this execution asked to delete that still exist, with their last status (and a not-owned
   * dedicated endpoint service that Atlas is removing together with our last interface endpoint).
   */
  readonly remaining: readonly (ResourceRef & { readonly status: string })[];
  /** Resources confirmed gone. */
  readonly gone: readonly ResourceRef[];
}

/** `$.failure`, written by summarize-failure; the Fail state reads `error` and `cause`. */
export interface FailureSummary {
  /** Fail state's Error: the original error name, or `CleanupIncomplete`. */
  readonly error: string;
  /** Fail state's Cause (at most {@link MAX_CAUSE_LENGTH} characters). */
  readonly cause: string;
  /** The failed event's `failure` field. */
  readonly report: FailureReport;
}

/** Step Functions limits a Fail cause to 32,768 characters; summaries stay well under. */
export const MAX_CAUSE_LENGTH = 8000;

/**
 * The state record after validation: the one definition of the record (its parts are in ./state.ts). Every
 * key but the first three is added as the execution advances (see the table at the top of this module).
 */
export interface WorkflowState {
  readonly request: WorkflowRequest;
  readonly settings: WorkflowSettings;
  readonly existing: ExistingResources;
  /** The execution (written by validate-request; absent only in records built by hand, e.g. by tools). */
  readonly execution?: ExecutionInfo;
  /** The target lease this execution holds (validate-request takes it before it looks at anything). */
  readonly lease?: LeaseSide;
  readonly atlas?: AtlasSide;
  readonly vpcEndpoint?: VpcEndpointSide;
  readonly link?: LinkSide;
  readonly connection?: ConnectionState;
  readonly poll?: PollRecord;
  readonly cleanup?: CleanupObservation;
  /** delete-vpc-endpoint: this request's VPC endpoints it deleted (or found, rollback off). */
  readonly cleanupVpcEndpoints?: readonly CleanupTarget[];
  /** delete-atlas-side: this request's Atlas resources it deleted (or found) beyond `$.atlas` and `$.link`. */
  readonly cleanupAtlas?: readonly CleanupTarget[];
  /** Catch of a forward step: the error that started the failure path. */
  readonly error?: CaughtError;
  /** Catch of a cleanup step. */
  readonly cleanupError?: CaughtError;
  readonly failure?: FailureSummary;
  readonly output?: WorkflowOutput;
  /** Catch of a publish step (the event was not delivered; the execution outcome stands). */
  readonly publishError?: CaughtError;
  /** Catch of summarize-failure itself; the execution then ends in the static `WorkflowFailed` Fail. */
  readonly summaryError?: CaughtError;
  /** `delete` / `check`: what inspect-connection found (lambdas/workflow/lifecycle.ts). */
  readonly inspection?: ConnectionInspection;
  /**
   * Repair: written by prepare-repair, so the record is on the repair's create path (its failures keep what
   * they made: the cleanup only finds) rather than removing the broken parts (the cleanup deletes).
   */
  readonly repairRun?: { readonly executionName: string };
  /** The audit: the connections to check, then their reports. */
  readonly audit?: AuditPlan;
}

/**
 * Whether the delete steps delete what they find (else they only find it, to be named as kept): always for a
 * `delete`; for a `check` with `repair` while it removes the broken parts (before prepare-repair); for a
 * create, and a repair's create path, when `rollbackOnFailure` is true (never for a repair: it is false).
 */
export function cleanupDeletes(state: Pick<WorkflowState, 'request' | 'repairRun'>): boolean {
  const { action } = state.request;
  if (action === 'delete') return true;
  if (action === 'check' && state.repairRun === undefined) return true;
  return state.request.rollbackOnFailure;
}

/** A check step's input: the record with the current phase's poll. */
export type PollingState = WorkflowState & { readonly poll: PollRecord };

/** prepare-repair's input (Task Parameters): the record and the execution name. */
export interface PrepareRepairInput {
  readonly state: WorkflowState;
  readonly executionName: string;
}

/** list-connections' input (Task Parameters): the raw execution input (`{ "action": "audit" }`). */
export interface ListConnectionsInput {
  readonly input: unknown;
}

/**
 * validate-request's input (Task Parameters): the raw request, the execution name (default request id), and
 * the execution's ARN and start time (`$$.Execution`; optional for callers outside Step Functions, which then
 * stand for the execution with its name and the time of the call).
 */
export interface ValidateRequestInput {
  readonly input: unknown;
  readonly executionName: string;
  readonly executionId?: string;
  readonly startTime?: string;
}

/** validate-request's output: the whole new record. */
export interface ValidatedState {
  readonly request: WorkflowRequest;
  readonly settings: WorkflowSettings;
  readonly existing: ExistingResources;
  readonly execution: ExecutionInfo;
  /** Absent only when the deployment has no lease table (tools, tests without one). */
  readonly lease?: LeaseSide;
}

/** The record when validation itself failed: the raw input and the caught error, nothing else. */
export interface RejectedInput {
  readonly input: unknown;
  readonly error: CaughtError;
}

/** summarize-failure's input: either a validated record that failed later, or a rejected input. */
export type SummarizeFailureInput = WorkflowState | RejectedInput;

export function isRejectedInput(value: SummarizeFailureInput): value is RejectedInput {
  return !Object.hasOwn(value, 'request');
}

/**
 * The message inside a caught Cause. On AWS, a Lambda error's Cause is the JSON string
 * `{"errorType","errorMessage","trace"}`; in the offline engine it is the plain message. Returns the
 * message only (never the trace).
 */
export function causeMessage(cause: string): string {
  if (cause.startsWith('{')) {
    try {
      const parsed = JSON.parse(cause) as { errorMessage?: unknown };
      if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
    } catch {
      // not JSON after all: fall through
    }
  }
  return cause;
}

/**
 * Input and output of every step's handler. The handler receives the Task's effective input (after
 * Parameters) and returns the value the Task writes at its ResultPath (see {@link STEPS}).
 */
export interface StepContracts {
  /**
   * Parses and validates the raw request (InvalidRequest lists every bad field), fills defaults from the
   * deployment env (HandlerEnv.Default*, budgets), uses `executionName` as `requestId` when absent, checks
   * that the subnets and security groups exist in `vpcId`, and looks up what already exists for
   * (project, instance, VPC) — Atlas endpoints / endpoint service for the region, interface links, VPC
   * endpoints carrying the managed-by tag — into `existing`. Creates nothing.
   * Throws InvalidRequest, ConfigurationError, Atlas* (e.g. AtlasApiGone for the retired serverless API),
   * AwsRequestRejected, transient errors.
   */
  'validate-request': { input: ValidateRequestInput; output: ValidatedState };
  /**
   * Adopts `existing.atlas` if present; otherwise looks up again before every POST (a Step Functions retry
   * is a new invocation, and an earlier attempt's answer may have been lost) and creates only when nothing
   * is found. Serverless: an endpoint is this request's only when its comment carries the request's
   * ownership marker, and then whatever its status (a FAILED one is adopted, reported and cleaned up, never
   * duplicated). Dedicated: an existing service of the region is adopted not owned; a service this step's POST
   * made (answered, or found after the answer was lost, the look-up before having found none) is owned
   * (`created: true`); a 409 "already exists for region" adopts it not owned.
   */
  'create-atlas-endpoint': { input: WorkflowState; output: AtlasSide };
  /**
   * Reads `$.atlas.id`; `done` when the endpoint service name is set and the status is
   * ready-for-vpc-endpoint (or further along). Keeps `created` from `$.atlas`. FAILED -> EndpointFailed.
   */
  'describe-atlas-endpoint': { input: PollingState; output: PollRecord<AtlasSide> };
  /**
   * Adopts `existing.vpcEndpoint` if present, else creates the interface endpoint for
   * `$.atlas.endpointServiceName` with the managing tags (ClientToken from the execution ARN, its start time
   * and the service name: stable across the execution's retries, new for each execution, even one that reuses
   * an execution name).
   */
  'create-vpc-endpoint': { input: WorkflowState; output: VpcEndpointSide };
  /** `done` at pendingAcceptance or available; rejected/failed -> EndpointRejected. Keeps `created`. */
  'describe-vpc-endpoint': { input: PollingState; output: PollRecord<VpcEndpointSide> };
  /**
   * Registers the VPC endpoint with Atlas (serverless PATCH; dedicated interface endpoint). Adopts
   * `existing.link`; never PATCHes an endpoint that is already linked.
   */
  'link-endpoint': { input: WorkflowState; output: LinkSide };
  /** `done` at AVAILABLE; REJECTED -> EndpointRejected, FAILED -> EndpointFailed. Keeps `created`. */
  'describe-link': { input: PollingState; output: PollRecord<LinkSide> };
  /**
   * Reads the serverless instance / cluster; `done` when a private-endpoint SRV string naming this VPC
   * endpoint is present, or when a multi-region cluster has applied the change (IDLE) and still lacks
   * endpoints in other regions (`observed.pendingRegions` names them, the string is null).
   */
  'read-connection-string': { input: PollingState; output: PollRecord<ConnectionState> };
  /**
   * Deletes this request's VPC endpoints: `$.vpcEndpoint` when `created`, and every one its tags name
   * (managed-by, request id, Atlas target) in the request's VPC, so one a dying create step made is found too;
   * re-checks the tags before each delete. Idempotent: an endpoint already gone is success. With
   * `rollbackOnFailure: false` it deletes nothing and only finds them (to be named as kept). Output: what it
   * handled (`$.cleanupVpcEndpoints`).
   */
  'delete-vpc-endpoint': { input: WorkflowState; output: readonly CleanupTarget[] };
  /**
   * Deletes on Atlas what this request created: serverless — the recorded endpoint and every endpoint
   * carrying the request's ownership marker; dedicated — the interface endpoints of its VPC endpoints
   * (recorded or found by delete-vpc-endpoint), then the endpoint service (if `$.atlas.created`) once it has
   * no interface endpoints left (if it still has some, leaves that to check-cleanup). Idempotent. With
   * `rollbackOnFailure: false` it deletes nothing and only finds them. Output: what it handled beyond the
   * record (`$.cleanupAtlas`).
   */
  'delete-atlas-side': { input: WorkflowState; output: readonly CleanupTarget[] };
  /**
   * Looks at everything the cleanup deletes; finishes deletes that had to wait (dedicated: the endpoint
   * service once its interface endpoint is gone); `done` when nothing remains. DeadlineExceeded when the
   * cleanup budget is spent (the failure then reports the leftovers).
   */
  'check-cleanup': { input: PollingState; output: PollRecord<CleanupObservation> };
  /**
   * Pure (no AWS, no Atlas): builds the Fail error and cause and the failed event's report from the record:
   * the original error (`error`), the cleanup error (`cleanupError`, making the error `CleanupIncomplete`),
   * and each resource's disposition (deleted / kept / left-over / not-owned). Uses {@link causeMessage}.
   */
  'summarize-failure': { input: SummarizeFailureInput; output: FailureSummary };
  /**
   * `delete` / `check` (and each connection of the audit): reads both sides of the connection the request
   * names (lambdas/workflow/lifecycle.ts), changes nothing, and returns the record with `inspection` (the
   * check's report) and the connection's request id as `request.requestId`. For a `delete`, also `atlas`,
   * `vpcEndpoint` and `link` with `created` set for what belongs to the connection (what the cleanup deletes);
   * for a `check` with `repair`, the same for the broken parts to remove before the create path runs.
   */
  'inspect-connection': { input: WorkflowState; output: WorkflowState };
  /**
   * Repair: the record the create path starts from: `existing` holds the parts of the connection that are
   * still usable (read again, after the broken ones were removed), `rollbackOnFailure` is false (a repair never
   * deletes the connection it was asked to fix) and `repairRun` names this execution (for the EC2 ClientToken).
   */
  'prepare-repair': { input: PrepareRepairInput; output: WorkflowState };
  /** Pure: the delete's output from what was found and what the cleanup saw gone. */
  'summarize-delete': { input: WorkflowState; output: DeleteOutput };
  /**
   * The audit: lists every connection this deployment manages in its region (VPC endpoints carrying its
   * managed-by tag), one check request each. Throws InvalidRequest for an audit input with other fields.
   */
  'list-connections': { input: ListConnectionsInput; output: AuditPlan };
  /**
   * Gives back `$.lease` when this execution holds it (a conditional delete: never another execution's); a
   * record without a lease, or a lease already gone or taken over, is success. Runs before every ending
   * (retried on a throttle or an outage; the definition catches its failure: the next execution of the target then takes the lease over). Output discarded.
   */
  'release-lease': { input: WorkflowState; output: { readonly released: boolean } };
}

export type StepId = keyof StepContracts;
export type StepInput<Id extends StepId> = StepContracts[Id]['input'];
export type StepOutput<Id extends StepId> = StepContracts[Id]['output'];
/** What `lambdas/handlers/<id>.ts` exports as `handler`. */
export type StepHandler<Id extends StepId> = (input: StepInput<Id>) => Promise<StepOutput<Id>>;

/** DynamoDB actions on the lease table (resource-scoped to the table). */
export type LeaseAction = 'PutItem' | 'DeleteItem' | 'GetItem';

/**
 * Whether a step asks Step Functions about a lease's holder (`states:DescribeExecution` on this state machine's
 * executions): the steps that take the lease (PutItem: a holder that has ended is taken over) or read it (GetItem:
 * a holder that has ended no longer counts as at work on the target), and the step that takes the endpoint
 * service create intent (a holder that has ended is taken over).
 */
export function describesLeaseHolders(spec: Pick<StepSpec, 'leaseActions' | 'serviceIntent'>): boolean {
  return (
    spec.leaseActions.includes('PutItem') ||
    spec.leaseActions.includes('GetItem') ||
    spec.serviceIntent === true
  );
}

/** EC2 actions the handlers call. Describe* actions need `Resource: "*"`; the others are resource-scoped. */
export type Ec2Action =
  | 'CreateVpcEndpoint'
  | 'CreateTags'
  | 'DeleteVpcEndpoints'
  | 'DescribeVpcEndpoints'
  | 'DescribeVpcs'
  | 'DescribeSubnets'
  | 'DescribeSecurityGroups';

export interface StepSpec<Id extends StepId = StepId> {
  readonly id: Id;
  /** The Task state's name. */
  readonly stateName: StateName;
  /** Handler entry, relative to the repository root. */
  readonly entry: `lambdas/handlers/${Id}.ts`;
  readonly description: string;
  /** Calls the Atlas Admin API: gets the secret (read) and the Atlas env. */
  readonly atlas: boolean;
  /** EC2 actions it calls (IAM is granted from this list; non-empty also means the managed-by env). */
  readonly ec2Actions: readonly Ec2Action[];
  /** DynamoDB actions on the lease table (IAM from this list; non-empty also means the table's name in env). */
  readonly leaseActions: readonly LeaseAction[];
  /**
   * Takes the dedicated endpoint service create intent (`service-intent#…` items of the lease table, see
   * lambdas/aws/service-intents.ts): PutItem and DeleteItem on those keys only. @default false
   */
  readonly serviceIntent?: boolean;
  /** Receives the deployment's request defaults and budgets through env (validate-request only). */
  readonly requestDefaults: boolean;
  /**
   * Task Parameters (JSONPath payload template), or undefined for "the whole state record".
   * `$$.Execution.Name` needs the local engine to pass `context.Execution.Name`.
   */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Where the result goes: a key, `replace` (the result becomes the record) or `discard`. */
  readonly resultPath: `$.${string}` | 'replace' | 'discard';
  /** Part of the failure path (retried longer; their own failure ends in CleanupIncomplete). */
  readonly compensation: boolean;
}

function step<Id extends StepId>(spec: Omit<StepSpec<Id>, 'entry'>): StepSpec<Id> {
  return { ...spec, entry: `lambdas/handlers/${spec.id}.ts` };
}

/** The steps table, in execution order. */
export const STEPS: { readonly [Id in StepId]: StepSpec<Id> } = {
  'validate-request': step({
    id: 'validate-request',
    stateName: StateNames.ValidateRequest,
    description: 'Validate the request, fill defaults, find what already exists',
    atlas: true,
    ec2Actions: ['DescribeVpcEndpoints', 'DescribeVpcs', 'DescribeSubnets', 'DescribeSecurityGroups'],
    leaseActions: ['PutItem', 'DeleteItem'],
    requestDefaults: true,
    parameters: {
      'input.$': '$.input',
      'executionName.$': '$$.Execution.Name',
      'executionId.$': '$$.Execution.Id',
      'startTime.$': '$$.Execution.StartTime',
    },
    resultPath: 'replace',
    compensation: false,
  }),
  'create-atlas-endpoint': step({
    id: 'create-atlas-endpoint',
    stateName: StateNames.CreateAtlasEndpoint,
    description: 'Create (or adopt) the Atlas endpoint / endpoint service',
    atlas: true,
    ec2Actions: [],
    leaseActions: [],
    serviceIntent: true,
    requestDefaults: false,
    resultPath: '$.atlas',
    compensation: false,
  }),
  'describe-atlas-endpoint': step({
    id: 'describe-atlas-endpoint',
    stateName: StateNames.CheckEndpointService,
    description: 'Check whether the Atlas endpoint service is ready for a VPC endpoint',
    atlas: true,
    ec2Actions: [],
    leaseActions: [],
    requestDefaults: false,
    resultPath: '$.poll',
    compensation: false,
  }),
  'create-vpc-endpoint': step({
    id: 'create-vpc-endpoint',
    stateName: StateNames.CreateVpcEndpoint,
    description: 'Create (or adopt) the tagged interface VPC endpoint',
    atlas: false,
    ec2Actions: ['CreateVpcEndpoint', 'CreateTags', 'DescribeVpcEndpoints'],
    leaseActions: [],
    requestDefaults: false,
    resultPath: '$.vpcEndpoint',
    compensation: false,
  }),
  'describe-vpc-endpoint': step({
    id: 'describe-vpc-endpoint',
    stateName: StateNames.CheckVpcEndpoint,
    description: 'Check whether the VPC endpoint awaits acceptance',
    atlas: false,
    ec2Actions: ['DescribeVpcEndpoints'],
    leaseActions: [],
    requestDefaults: false,
    resultPath: '$.poll',
    compensation: false,
  }),
  'link-endpoint': step({
    id: 'link-endpoint',
    stateName: StateNames.LinkAtlasEndpoint,
    description: 'Register the VPC endpoint with Atlas',
    atlas: true,
    ec2Actions: [],
    leaseActions: [],
    requestDefaults: false,
    resultPath: '$.link',
    compensation: false,
  }),
  'describe-link': step({
    id: 'describe-link',
    stateName: StateNames.CheckLink,
    description: 'Check whether Atlas reports the link AVAILABLE',
    atlas: true,
    ec2Actions: [],
    leaseActions: [],
    requestDefaults: false,
    resultPath: '$.poll',
    compensation: false,
  }),
  'read-connection-string': step({
    id: 'read-connection-string',
    stateName: StateNames.ReadConnectionString,
    description: 'Read the private SRV connection string',
    atlas: true,
    ec2Actions: [],
    leaseActions: [],
    requestDefaults: false,
    resultPath: '$.poll',
    compensation: false,
  }),
  'delete-vpc-endpoint': step({
    id: 'delete-vpc-endpoint',
    stateName: StateNames.DeleteVpcEndpoint,
    description:
      'Compensation: delete the VPC endpoints this request created (recorded, or found by its tags)',
    atlas: false,
    ec2Actions: ['DeleteVpcEndpoints', 'DescribeVpcEndpoints'],
    leaseActions: [],
    requestDefaults: false,
    resultPath: '$.cleanupVpcEndpoints',
    compensation: true,
  }),
  'delete-atlas-side': step({
    id: 'delete-atlas-side',
    stateName: StateNames.DeleteAtlasSide,
    description: 'Compensation: delete the Atlas endpoint / interface endpoint / endpoint service it created',
    atlas: true,
    ec2Actions: [],
    leaseActions: [],
    requestDefaults: false,
    resultPath: '$.cleanupAtlas',
    compensation: true,
  }),
  'check-cleanup': step({
    id: 'check-cleanup',
    stateName: StateNames.CheckCleanup,
    description: 'Compensation: check that everything deleted is gone',
    atlas: true,
    ec2Actions: ['DescribeVpcEndpoints'],
    leaseActions: [],
    requestDefaults: false,
    resultPath: '$.poll',
    compensation: true,
  }),
  'summarize-failure': step({
    id: 'summarize-failure',
    stateName: StateNames.SummarizeFailure,
    description: 'Build the failure error, cause and event report',
    atlas: false,
    ec2Actions: [],
    leaseActions: [],
    requestDefaults: false,
    resultPath: '$.failure',
    compensation: false,
  }),
  'release-lease': step({
    id: 'release-lease',
    stateName: StateNames.ReleaseTarget,
    description: "Give back the target's lease (on every ending; retried on a throttle or an outage)",
    atlas: false,
    ec2Actions: [],
    leaseActions: ['DeleteItem'],
    requestDefaults: false,
    resultPath: 'discard',
    compensation: false,
  }),
  'inspect-connection': step({
    id: 'inspect-connection',
    stateName: StateNames.InspectConnection,
    description: 'Delete and check: read both sides of the connection, report drift, change nothing',
    atlas: true,
    ec2Actions: ['DescribeVpcEndpoints'],
    leaseActions: ['GetItem'],
    requestDefaults: false,
    resultPath: 'replace',
    compensation: false,
  }),
  'prepare-repair': step({
    id: 'prepare-repair',
    stateName: StateNames.PrepareRepair,
    description: 'Repair: find what is still usable, for the create path to adopt',
    atlas: true,
    ec2Actions: ['DescribeVpcEndpoints'],
    leaseActions: [],
    requestDefaults: false,
    parameters: { 'state.$': '$', 'executionName.$': '$$.Execution.Name' },
    resultPath: 'replace',
    compensation: false,
  }),
  'summarize-delete': step({
    id: 'summarize-delete',
    stateName: StateNames.SummarizeDelete,
    description: 'Delete: build the output and event from what was deleted',
    atlas: false,
    ec2Actions: [],
    leaseActions: [],
    requestDefaults: false,
    resultPath: '$.output',
    compensation: false,
  }),
  'list-connections': step({
    id: 'list-connections',
    stateName: StateNames.ListConnections,
    description: 'Audit: list the connections this deployment manages (by the VPC endpoints tags)',
    atlas: false,
    ec2Actions: ['DescribeVpcEndpoints'],
    leaseActions: [],
    requestDefaults: true,
    parameters: { 'input.$': '$.input' },
    resultPath: '$.audit',
    compensation: false,
  }),
};

/** Steps that call neither Atlas nor AWS: only the Lambda service's own errors are retried. */
export const PURE_STEPS: readonly StepId[] = ['summarize-failure', 'summarize-delete'];

export const STEP_IDS = Object.keys(STEPS) as readonly StepId[];

/** The step behind a Task state name, if any (the publish states have none). */
export function stepForState(stateName: string): StepSpec | undefined {
  return STEP_IDS.map((id) => STEPS[id] as StepSpec).find((s) => s.stateName === stateName);
}

/** The environment variable names the construct sets on a step's function (besides Powertools/Node ones). */
export function envNamesFor(id: StepId): string[] {
  const spec: StepSpec = STEPS[id];
  const names: string[] = [HandlerEnv.WorkflowStep];
  if (spec.atlas) names.push(HandlerEnv.AtlasSecretArn, HandlerEnv.AtlasBaseUrl);
  if (spec.ec2Actions.length > 0) {
    names.push(
      HandlerEnv.ManagedByTagValue,
      HandlerEnv.WorkflowAccountId,
      HandlerEnv.VpcAccountRoleArns,
      HandlerEnv.VpcAccountExternalId,
    );
  }
  // Atlas functions share the Atlas access token through the lease table (lambdas/atlas/token-share.ts).
  if (spec.leaseActions.length > 0 || spec.atlas) names.push(HandlerEnv.LeaseTableName);
  if (spec.requestDefaults) {
    names.push(
      HandlerEnv.DefaultKind,
      HandlerEnv.DefaultVpcId,
      HandlerEnv.DefaultSubnetIds,
      HandlerEnv.DefaultSecurityGroupIds,
      HandlerEnv.DefaultRegion,
      HandlerEnv.DefaultRollbackOnFailure,
      HandlerEnv.ExecutionTimeoutSeconds,
      HandlerEnv.AllowedRegions,
      ...POLL_PHASES.map((p) => PHASES[p].budgetEnv),
      ...POLL_PHASES.map((p) => PHASES[p].firstWaitEnv),
    );
  }
  const phase = phaseOfCheckStep(id);
  if (phase !== undefined) names.push(PHASES[phase].intervalsEnv);
  return names;
}

// ---------------------------------------------------------------------------------------------------------
// Deadlines and the execution timeout
// ---------------------------------------------------------------------------------------------------------

/**
 * The stages of the longest path (the last forward phase runs out of budget, then everything is cleaned up),
 * each with the steps it runs. Every step is in exactly one stage (a test checks it).
 */
export const EXECUTION_STAGES: readonly { readonly stage: string; readonly steps: readonly StepId[] }[] = [
  { stage: 'validation', steps: ['validate-request'] },
  { stage: 'atlasEndpoint', steps: ['create-atlas-endpoint', 'describe-atlas-endpoint'] },
  { stage: 'vpcEndpoint', steps: ['create-vpc-endpoint', 'describe-vpc-endpoint'] },
  { stage: 'link', steps: ['link-endpoint', 'describe-link'] },
  { stage: 'connection', steps: ['read-connection-string'] },
  { stage: 'cleanup', steps: ['delete-vpc-endpoint', 'delete-atlas-side', 'check-cleanup'] },
  { stage: 'failure', steps: ['summarize-failure', 'release-lease'] },
  // delete, check and repair: the inspection before the cleanup, the repair's preparation before the create
  // path, the delete's summary instead of the failure's; the audit's listing (a path of its own).
  {
    stage: 'inspection',
    steps: ['inspect-connection', 'prepare-repair', 'summarize-delete', 'list-connections'],
  },
];

/** The steps the whole-run deadline stops: every forward step after validation. */
export const DEADLINE_STEPS: readonly StepId[] = EXECUTION_STAGES.filter((s) =>
  ['atlasEndpoint', 'vpcEndpoint', 'link', 'connection'].includes(s.stage),
).flatMap((s) => s.steps);

/** The retriers of a step's Task, in the order the definition lists them. */
export function retryPoliciesOf(id: StepId): readonly RetryPolicySpec[] {
  // A summary is pure: a named error would fail again. The lease's release is retried on a throttle or an outage
  // (AwsTransientError) like a forward step: a lease left behind would make the next execution of the target ask
  // Step Functions about this one and take it over (lease.ts), but a release that works is the normal way.
  if (PURE_STEPS.includes(id)) return [RETRY_POLICIES.lambdaService];
  if (id === 'release-lease') return [RETRY_POLICIES.lambdaService, RETRY_POLICIES.transient];
  return [
    RETRY_POLICIES.lambdaService,
    STEPS[id].compensation ? RETRY_POLICIES.transientCleanup : RETRY_POLICIES.transient,
  ];
}

/** The execution margin, part by part (seconds). */
export interface ExecutionMargin {
  /** Every Lambda task outside the polling loops, and the failed event's publish, running to its timeout. */
  readonly untimedTasksSeconds: number;
  /** Each phase's last check, which may run past the budget, running to its timeout. */
  readonly lastChecksSeconds: number;
  /** In each stage, one Task that exhausts every retrier it has ({@link exhaustedRetrySeconds}). */
  readonly retriesSeconds: number;
  readonly totalSeconds: number;
}

/**
 * What the phase budgets do not count, at worst, on the longest path. See {@link MIN_EXECUTION_MARGIN_SECONDS}.
 */
export function executionMargin(): ExecutionMargin {
  const checkSteps = new Set<StepId>(POLL_PHASES.map((p) => PHASES[p].checkStep));
  const untimedLambdaTasks = STEP_IDS.filter((id) => !checkSteps.has(id)).length;
  // The publishes on the longest path: a repair's drift event, and the failed event.
  const untimedTasksSeconds =
    untimedLambdaTasks * LAMBDA_TASK_TIMEOUT_SECONDS + 2 * PUBLISH_TASK_TIMEOUT_SECONDS;
  const lastChecksSeconds = checkSteps.size * LAMBDA_TASK_TIMEOUT_SECONDS;
  let retriesSeconds = 0;
  for (const { stage, steps } of EXECUTION_STAGES) {
    const worst = steps.map((id) => exhaustedRetrySeconds(retryPoliciesOf(id), LAMBDA_TASK_TIMEOUT_SECONDS));
    if (stage === 'failure') {
      worst.push(exhaustedRetrySeconds([RETRY_POLICIES.publish], PUBLISH_TASK_TIMEOUT_SECONDS));
    }
    retriesSeconds += Math.max(...worst);
  }
  return {
    untimedTasksSeconds,
    lastChecksSeconds,
    retriesSeconds,
    totalSeconds: untimedTasksSeconds + lastChecksSeconds + retriesSeconds,
  };
}

/**
 * The execution timeout must exceed the sum of the phase budgets (cleanup's included) by at least this much.
 *
 * Why. A phase deadline is caught and cleaned up; the execution timeout is not (the execution just stops,
 * leaving whatever it created). So the timeout has to leave room for everything the budgets do not count.
 * A budget counts every wait and every check's own run time (rounded up to whole seconds, which also
 * absorbs the tens of milliseconds of invocation overhead around a handler). Since the last wait of a phase
 * is clipped to the budget, a phase lasts at most its budget plus its last check. What no budget counts:
 * 1. the Lambda tasks outside the polling loops (validate, the three creates/link, the two deletes, the
 *    lease's release, the summary, and the lifecycle's inspection, repair preparation, delete summary and
 *    audit listing; 12 × 90 s, counted whether or not one path runs them all: a repair that fails runs the
 *    two deletes twice, and never the delete summary or the listing) and two publishes (a repair's drift
 *    event and the failed event; 2 × 30 s), each bounded by its Task timeout;
 * 2. the last check of each of the 5 phases (5 × 90 s);
 * 3. Step Functions retries: the failed attempts (each bounded by the Task timeout) and the pauses between
 *    them (bounded by the retrier: interval × backoff, capped at its maximum delay). One Task entry that
 *    exhausts its retriers costs 1172 s on the forward path (6 Lambda-service + 4 transient retries, 272 s
 *    of pauses), 1812 s in the cleanup (6 + 6 retries, 732 s of pauses), 662 s for the summary (6 Lambda-service
 *    retries only), 1172 s for the lease's release (retried like a forward step).
 *
 * The margin is 1 + 2 + one exhausted retry sequence in each of the 8 stages of {@link EXECUTION_STAGES}
 * (computed by {@link executionMargin}: 11606 s, 3 h 13 min 26 s; the longest path is a repair: the inspection, the removal
 * of the broken parts through the cleanup, then the whole create path). The guarantee, precisely: an execution
 * ends (succeeded, or failed after its cleanup and its failed event) before the execution timeout as long
 * as, in each stage, Step Functions retries add no more than one Task's full retry sequence. Retries are not
 * bounded per execution (every check is a new Task entry with fresh retriers), so a forward stage hit by
 * long, repeated outages could run on past that; the whole-run deadline ({@link runDeadline}: the timeout
 * minus the cleanup budget and this margin) stops the forward path in time for the cleanup. Only a cleanup
 * that itself meets more than one full retry sequence can still reach the timeout (the `ExecutionsTimedOut`
 * alarm reports that case).
 */
export const MIN_EXECUTION_MARGIN_SECONDS = executionMargin().totalSeconds;

/**
 * Default margin when the construct derives the execution timeout from the budgets: the minimum plus at least
 * 30 min that requests may add to their phase budgets (request field `phaseBudgetSeconds`; validate-request
 * checks that their total still leaves the minimum margin), rounded up to a quarter hour: 13500 s (3 h 45 min),
 * so requests may add up to 1894 s.
 */
export const DEFAULT_EXECUTION_MARGIN_SECONDS = Math.ceil((MIN_EXECUTION_MARGIN_SECONDS + 1800) / 900) * 900;
