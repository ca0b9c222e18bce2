/**
 * The state machine as CDK chainables: forward phases with polling loops, the saga compensation, events.
 *
 * Kept within what aws-local-stepfunctions 3 runs: JSONPath only (no JSONata, no Assign), no Map
 * ItemReader; Lambda tasks use `payloadResponseOnly` (Resource = the function ARN, the handler gets the
 * state input and its return value is the result). State names, Parameters and ResultPaths come from the
 * steps table in lambdas/workflow/steps.ts; error names from lambdas/core/errors.ts.
 *
 * Shape (see the README diagram):
 *   Receive request → Audit or one connection? → Validate request → Which action?
 *   create: Create Atlas endpoint → (already ready? skip) [endpoint service loop] → Create VPC endpoint →
 *     (already ready? skip) [VPC endpoint loop] →
 *     Link Atlas endpoint → [link loop] → [connection string loop] → Shape output → Release target →
 *     Which ending? → Publish available event → Repair done? → Succeeded
 *   any forward failure → Delete VPC endpoint → Delete Atlas side → Roll back? → [cleanup loop] →
 *     After cleanup → Release target → Which ending? → Summarize failure → Publish failed event → Failed
 *   delete: Inspect connection → Delete or check? → Anything to delete? → the cleanup states → After cleanup →
 *     Summarize delete → Release target → Which ending? → Publish deleted event → Deleted
 *   check: Inspect connection → Delete or check? → Drift found? → (Publish drift event) → Repair? → Release
 *     target → Which ending? → Checked; with repair: → Anything to delete? → (the cleanup states: remove the
 *     broken parts) → After cleanup → Prepare repair → the create path → … → Repair done? → Shape repair
 *     output → Repaired
 *   audit ({"action":"audit"}, the schedule's input): List managed connections → Check each connection (Map:
 *     Audit: inspect connection → Audit: drift found? → (Audit: publish drift event) → Audit: report) →
 *     Shape audit output → Audited
 * The target lease (validate-request takes it for a create, a delete and a check with repair) is given back
 * in Release target before every ending but a validation failure (validate-request gives it back itself) and
 * the audit (which takes none); a plain check holds none, and its Release target changes nothing. A
 * validation failure goes straight to Summarize failure (nothing exists yet). The delete steps find what the
 * request made by its tags and marker too; with `rollbackOnFailure` false they only find it (named as kept)
 * and "Roll back?" skips the cleanup loop, except for a delete and a repair removing broken parts, which
 * always delete (`cleanupDeletes` in steps.ts). A cleanup failure also ends in Summarize failure, which turns
 * it into `CleanupIncomplete` (`DeleteIncomplete` for a delete) naming the leftovers: nothing loops without a
 * budget. The delete and the repair reuse the compensation states (their order, their ownership checks,
 * their waiting), so there is one way to delete.
 */
import { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { ErrorNames } from '#core/errors';
import type { WorkflowOutput } from '#core/state';
import { DetailTypes, EVENT_DETAIL_VERSION, EVENT_SOURCE } from '#workflow/events';
import { AUDIT_ACTION, type CheckOutput } from '#workflow/lifecycle';
import {
  DefinitionErrorNames,
  LAMBDA_TASK_TIMEOUT_SECONDS,
  LAMBDA_TIMEOUT_SECONDS,
  PHASES,
  type PollPhase,
  type PollSchedule,
  PUBLISH_TASK_TIMEOUT_SECONDS,
  RETRY_POLICIES,
  type RetryPolicySpec,
  retryPoliciesOf,
  STEPS,
  StateNames,
  type StepId,
  type StepSpec,
  WORKFLOW_ERROR_NAMES,
} from '#workflow/steps';

/** A retrier, as CDK takes it. */
export type RetryPolicy = sfn.RetryProps & { readonly errors: string[] };

/** A CDK retrier (full jitter) from the plain numbers in lambdas/workflow/steps.ts. */
function retrier(
  spec: RetryPolicySpec,
): RetryPolicy & Required<Pick<sfn.RetryProps, 'interval' | 'maxAttempts' | 'backoffRate' | 'maxDelay'>> {
  return {
    errors: [...spec.errors],
    interval: Duration.seconds(spec.intervalSeconds),
    maxAttempts: spec.maxAttempts,
    backoffRate: spec.backoffRate,
    maxDelay: Duration.seconds(spec.maxDelaySeconds),
    jitterStrategy: sfn.JitterType.FULL,
  };
}

/**
 * Retry policies of the definition (exported for tests and the offline engine), from `RETRY_POLICIES` in
 * steps.ts, where the execution margin is derived from the same numbers.
 */
export const RETRY = {
  lambdaService: retrier(RETRY_POLICIES.lambdaService),
  transient: retrier(RETRY_POLICIES.transient),
  transientCleanup: retrier(RETRY_POLICIES.transientCleanup),
  publish: retrier(RETRY_POLICIES.publish),
} as const satisfies Record<keyof typeof RETRY_POLICIES, RetryPolicy>;

export { LAMBDA_TASK_TIMEOUT_SECONDS, LAMBDA_TIMEOUT_SECONDS, PUBLISH_TASK_TIMEOUT_SECONDS };

/** How "Shape output" builds the execution output from the record: one JSONPath (or literal) per field. */
export const OUTPUT_FIELDS: { readonly [K in keyof WorkflowOutput]-?: string } = {
  kind: '$.request.kind',
  groupId: '$.request.groupId',
  instanceName: '$.request.instanceName',
  requestId: '$.request.requestId',
  vpcId: '$.request.vpcId',
  region: '$.request.region',
  atlasEndpointId: '$.atlas.id',
  endpointServiceName: '$.vpcEndpoint.serviceName',
  vpcEndpointId: '$.vpcEndpoint.vpcEndpointId',
  status: 'AVAILABLE',
  privateSrvConnectionString: '$.connection.srvConnectionString',
  pendingRegions: '$.connection.pendingRegions',
  dnsEntries: '$.vpcEndpoint.dnsEntries',
  vpcEndpointOwned: '$.vpcEndpoint.created',
};

/**
 * How "Shape repair output" builds a repaired check's output: the check's report as inspect-connection wrote
 * it, with `repaired: true` and the connection's output (literal values are the ones not starting with `$`).
 */
export const REPAIR_OUTPUT_FIELDS: { readonly [K in keyof CheckOutput]-?: string | boolean } = {
  action: 'check',
  kind: '$.inspection.report.kind',
  groupId: '$.inspection.report.groupId',
  instanceName: '$.inspection.report.instanceName',
  vpcId: '$.inspection.report.vpcId',
  region: '$.inspection.report.region',
  requestId: '$.inspection.report.requestId',
  status: '$.inspection.report.status',
  healthy: '$.inspection.report.healthy',
  drift: '$.inspection.report.drift',
  atlas: '$.inspection.report.atlas',
  vpcEndpoint: '$.inspection.report.vpcEndpoint',
  link: '$.inspection.report.link',
  privateSrvConnectionString: '$.inspection.report.privateSrvConnectionString',
  pendingRegions: '$.inspection.report.pendingRegions',
  inProgress: '$.inspection.report.inProgress',
  refused: '$.inspection.report.refused',
  repaired: true,
  connection: '$.output',
};

/** Concurrent checks of the audit's Map (each is one inspect-connection invocation). */
export const AUDIT_MAX_CONCURRENCY = 4;

export interface WorkflowDefinitionProps {
  /** One function per step. */
  readonly functions: Readonly<Record<StepId, lambda.IFunction>>;
  /** Where the available/failed events go. */
  readonly eventBus: events.IEventBus;
  /**
   * The deployment's polling schedule per phase. Not read by the definition itself: the first wait reaches the
   * "Start … polling" Pass through validate-request (`$.settings.firstWaitSeconds`), the intervals reach the
   * check functions through their environment. Kept for callers that pass it.
   * @default - the built-in schedule of every phase (`PHASES` in steps.ts)
   */
  readonly pollSchedules?: Readonly<Partial<Record<PollPhase, PollSchedule>>>;
}

function payloadTemplate(parameters: Readonly<Record<string, string>>): sfn.TaskInput {
  const fields: Record<string, string> = {};
  for (const [key, path] of Object.entries(parameters)) {
    if (!key.endsWith('.$')) throw new Error(`Parameters key ${key} must be a JSONPath key (ending in .$)`);
    fields[key.slice(0, -2)] = sfn.JsonPath.stringAt(path);
  }
  return sfn.TaskInput.fromObject(fields);
}

function resultPathOf(spec: StepSpec): string | undefined {
  if (spec.resultPath === 'replace') return undefined;
  if (spec.resultPath === 'discard') return sfn.JsonPath.DISCARD;
  return spec.resultPath;
}

/** `<path>.created == true`, false when absent. */
function created(path: string): sfn.Condition {
  return sfn.Condition.and(
    sfn.Condition.isPresent(`${path}.created`),
    sfn.Condition.booleanEquals(`${path}.created`, true),
  );
}

/** `<path> == value`, false when absent. */
function equals(path: string, value: string): sfn.Condition {
  return sfn.Condition.and(sfn.Condition.isPresent(path), sfn.Condition.stringEquals(path, value));
}

/** The request's action is `action` (`create` requests carry no action). */
function action(value: 'delete' | 'check'): sfn.Condition {
  return equals('$.request.action', value);
}

/** Pass Parameters from a field -> JSONPath-or-literal table. */
function shapedParameters(fields: Readonly<Record<string, string | boolean>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, path] of Object.entries(fields)) {
    out[field] = typeof path === 'string' && path.startsWith('$') ? sfn.JsonPath.objectAt(path) : path;
  }
  return out;
}

/** Catches every named workflow error, then anything else (a crash or timeout must still clean up). */
function catchInto(state: tasks.LambdaInvoke, handler: sfn.IChainable, resultPath: string): void {
  state.addCatch(handler, { errors: [...WORKFLOW_ERROR_NAMES], resultPath });
  state.addCatch(handler, { errors: [DefinitionErrorNames.StatesAll], resultPath });
}

/**
 * Builds the definition's states in `scope` (state names are construct ids, so use a dedicated scope)
 * and returns its start state.
 */
export function buildWorkflowDefinition(scope: Construct, props: WorkflowDefinitionProps): sfn.IChainable {
  const task = (id: StepId, stateName: string = STEPS[id].stateName): tasks.LambdaInvoke => {
    const spec: StepSpec = STEPS[id];
    const state = new tasks.LambdaInvoke(scope, stateName, {
      lambdaFunction: props.functions[id],
      payloadResponseOnly: true,
      // CDK's default retrier is replaced by RETRY.lambdaService (adds throttling and jitter).
      retryOnServiceExceptions: false,
      payload: spec.parameters ? payloadTemplate(spec.parameters) : undefined,
      resultPath: resultPathOf(spec),
      taskTimeout: sfn.Timeout.duration(Duration.seconds(LAMBDA_TASK_TIMEOUT_SECONDS)),
      comment: spec.description,
    });
    // The same list the execution margin is derived from (steps.ts `retryPoliciesOf`).
    for (const policy of retryPoliciesOf(id)) state.addRetry(retrier(policy));
    return state;
  };

  /** Start → Wait → check → ready? → Record; returns the loop's entry and exit. */
  const pollLoop = (phase: PollPhase, onError: (check: tasks.LambdaInvoke) => void) => {
    const spec = PHASES[phase];
    // The first wait comes from the record: validate-request resolved the deployment's (built-in or
    // `pollingSchedule`) and clipped it to half the phase's budget, which a request may shorten.
    const start = new sfn.Pass(scope, spec.startState, {
      comment: `Start polling the ${spec.label}: attempt 0, first wait $.settings.firstWaitSeconds.${phase}`,
      parameters: {
        phase,
        attempt: 0,
        elapsedSeconds: 0,
        budgetSeconds: sfn.JsonPath.numberAt(`$.settings.phaseBudgetSeconds.${phase}`),
        waitSeconds: sfn.JsonPath.numberAt(`$.settings.firstWaitSeconds.${phase}`),
        done: false,
      },
      resultPath: '$.poll',
    });
    const wait = new sfn.Wait(scope, spec.waitState, {
      time: sfn.WaitTime.secondsPath('$.poll.waitSeconds'),
    });
    const check = task(spec.checkStep);
    onError(check);
    const record = new sfn.Pass(scope, spec.recordState, {
      comment: `Keep what the last check saw as ${spec.recordPath}`,
      inputPath: '$.poll.observed',
      resultPath: spec.recordPath,
    });
    const ready = new sfn.Choice(scope, spec.choiceState)
      .when(sfn.Condition.booleanEquals('$.poll.done', true), record)
      .otherwise(wait);
    start.next(wait);
    wait.next(check);
    check.next(ready);
    return { start, record };
  };

  /**
   * The loop's entry: its "Start … polling", or, when the phase has a `skipIf`, a Choice that goes straight to
   * `next` when the create step's result is already ready (no first wait) and to the loop otherwise.
   */
  const loopEntry = (phase: PollPhase, loopStart: sfn.IChainable, next: sfn.IChainable): sfn.IChainable => {
    const skip = PHASES[phase].skipIf;
    if (skip === undefined) return loopStart;
    const ready = sfn.Condition.or(
      ...skip.statuses.map((status) => sfn.Condition.stringEquals(skip.statusPath, status)),
    );
    const condition = sfn.Condition.and(
      sfn.Condition.isPresent(skip.statusPath),
      ready,
      ...(skip.requiredStringPath === undefined
        ? []
        : [
            sfn.Condition.isPresent(skip.requiredStringPath),
            sfn.Condition.isString(skip.requiredStringPath),
          ]),
    );
    return new sfn.Choice(scope, skip.choiceState, {
      comment: `Skip waiting for the ${PHASES[phase].label} when it is already ready (adopted)`,
    })
      .when(condition, next)
      .otherwise(loopStart);
  };

  /** A PutEvents task of the workflow's source with the given detail. */
  const publish = (name: string, detailType: string, detail: Record<string, unknown>) => {
    const state = new tasks.EventBridgePutEvents(scope, name, {
      entries: [
        {
          eventBus: props.eventBus,
          source: EVENT_SOURCE,
          detailType,
          detail: sfn.TaskInput.fromObject({
            version: EVENT_DETAIL_VERSION,
            executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
            ...detail,
          }),
        },
      ],
      resultPath: sfn.JsonPath.DISCARD,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(PUBLISH_TASK_TIMEOUT_SECONDS)),
    });
    state.addRetry(RETRY.publish);
    return state;
  };

  // ---- failure end: summarize, publish, fail -------------------------------------------------------------
  const summarize = task('summarize-failure');
  const failed = new sfn.Fail(scope, StateNames.Failed, {
    comment: `The original error (or ${ErrorNames.CleanupIncomplete}) and a cause naming what was deleted or kept`,
    errorPath: '$.failure.error',
    causePath: '$.failure.cause',
  });
  const failedWithoutSummary = new sfn.Fail(scope, StateNames.FailedWithoutSummary, {
    error: ErrorNames.WorkflowFailed,
    cause:
      'The failure summary could not be built. The original error is in the execution history ' +
      `(input of "${StateNames.SummarizeFailure}").`,
  });
  summarize.addCatch(failedWithoutSummary, {
    errors: [DefinitionErrorNames.StatesAll],
    resultPath: '$.summaryError',
  });
  const publishFailed = new tasks.EventBridgePutEvents(scope, StateNames.PublishFailedEvent, {
    entries: [
      {
        eventBus: props.eventBus,
        source: EVENT_SOURCE,
        detailType: DetailTypes.Failed,
        detail: sfn.TaskInput.fromObject({
          version: EVENT_DETAIL_VERSION,
          executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
          requestId: sfn.JsonPath.stringAt('$.failure.report.requestId'),
          failure: sfn.JsonPath.objectAt('$.failure.report'),
        }),
      },
    ],
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: sfn.Timeout.duration(Duration.seconds(PUBLISH_TASK_TIMEOUT_SECONDS)),
  });
  publishFailed.addRetry(RETRY.publish);
  // An undeliverable event must not hide the failure itself.
  publishFailed.addCatch(failed, { errors: [DefinitionErrorNames.StatesAll], resultPath: '$.publishError' });
  summarize.next(publishFailed);
  publishFailed.next(failed);

  // ---- the target lease goes back before every ending (validation failures and the audit hold none) ----------
  const release = task('release-lease');
  const whichEnding = new sfn.Choice(scope, StateNames.WhichEnding, {
    comment:
      'A delete summarized or a connection made (both wrote $.output), a check report, or a failure to summarize',
  });
  // A lease that cannot be given back (after the retries) stands until the next execution of the target takes it
  // over (its holder, this execution, has ended by then) or it expires: the outcome stands.
  release.addCatch(whichEnding, {
    errors: [DefinitionErrorNames.StatesAll],
    resultPath: '$.releaseError',
  });
  release.next(whichEnding);

  // ---- compensation ---------------------------------------------------------------------------------------
  const cleanupError = (state: tasks.LambdaInvoke) => catchInto(state, release, '$.cleanupError');
  const cleanupLoop = pollLoop('cleanup', cleanupError);
  // After the cleanup: a delete is summarized, a repair goes on to rebuild, a failed create reports.
  const afterCleanup = new sfn.Choice(scope, StateNames.AfterCleanup, {
    comment: 'The cleanup states serve the rollback of a create, the delete action and the repair',
  });
  cleanupLoop.record.next(afterCleanup);

  // The delete steps always run: they delete what the record says this request created and what its tags
  // and marker say it made without the record knowing (a step that died after its create took effect). With
  // rollbackOnFailure false they only find it, so the failure names everything kept; then no cleanup loop.
  // A delete, and a repair removing the broken parts (no prepare-repair yet), always delete and wait
  // (steps.ts `cleanupDeletes`; their requests carry rollbackOnFailure false).
  const removing = sfn.Condition.or(
    action('delete'),
    sfn.Condition.and(action('check'), sfn.Condition.not(sfn.Condition.isPresent('$.repairRun'))),
  );
  const rollBack = new sfn.Choice(scope, StateNames.RollBack, {
    comment: 'Keep everything when rollbackOnFailure is false; otherwise wait until what was deleted is gone',
  })
    .when(
      sfn.Condition.and(
        sfn.Condition.isPresent('$.request.rollbackOnFailure'),
        sfn.Condition.booleanEquals('$.request.rollbackOnFailure', false),
        sfn.Condition.not(removing),
      ),
      release,
    )
    .otherwise(cleanupLoop.start);

  const deleteAtlas = task('delete-atlas-side');
  cleanupError(deleteAtlas);
  deleteAtlas.next(rollBack);

  const deleteVpc = task('delete-vpc-endpoint');
  cleanupError(deleteVpc);
  deleteVpc.next(deleteAtlas);

  // ---- forward path ---------------------------------------------------------------------------------------
  const forwardError = (state: tasks.LambdaInvoke) => catchInto(state, deleteVpc, '$.error');

  const succeeded = new sfn.Succeed(scope, StateNames.Succeeded, {
    comment: 'Output: the WorkflowOutput built by "Shape output"',
    outputPath: '$.output',
  });
  const outputParameters: Record<string, unknown> = {};
  for (const [field, path] of Object.entries(OUTPUT_FIELDS)) {
    outputParameters[field] = path.startsWith('$') ? sfn.JsonPath.stringAt(path) : path;
  }
  const shapeOutput = new sfn.Pass(scope, StateNames.ShapeOutput, {
    parameters: outputParameters,
    resultPath: '$.output',
  });
  const publishAvailable = new tasks.EventBridgePutEvents(scope, StateNames.PublishAvailableEvent, {
    entries: [
      {
        eventBus: props.eventBus,
        source: EVENT_SOURCE,
        detailType: DetailTypes.Available,
        detail: sfn.TaskInput.fromObject({
          version: EVENT_DETAIL_VERSION,
          executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
          requestId: sfn.JsonPath.stringAt('$.request.requestId'),
          output: sfn.JsonPath.objectAt('$.output'),
        }),
      },
    ],
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: sfn.Timeout.duration(Duration.seconds(PUBLISH_TASK_TIMEOUT_SECONDS)),
  });
  publishAvailable.addRetry(RETRY.publish);

  const receive = new sfn.Pass(scope, StateNames.ReceiveRequest, {
    comment: 'Wrap the raw input as $.input, so a rejected request never mixes with the record',
    // The execution input from the context object: the same value as `$` here, but it also works for a `null`
    // input (which a path on `$` does not resolve, ending the execution in an unnamed States.Runtime error).
    parameters: { 'input.$': '$$.Execution.Input' },
  });
  const validate = task('validate-request');
  catchInto(validate, summarize, '$.error');

  const createAtlas = task('create-atlas-endpoint');
  forwardError(createAtlas);
  const atlasLoop = pollLoop('atlasEndpoint', forwardError);

  const createVpc = task('create-vpc-endpoint');
  forwardError(createVpc);
  const vpcLoop = pollLoop('vpcEndpoint', forwardError);

  const link = task('link-endpoint');
  forwardError(link);
  const linkLoop = pollLoop('link', forwardError);

  const connectionLoop = pollLoop('connection', forwardError);

  // ---- create path, its ends -----------------------------------------------------------------------------
  const repairDone = new sfn.Choice(scope, StateNames.RepairDone, {
    comment: 'A repair (action check) ends with the check report and the repaired connection',
  });
  // The connection works; an undelivered notification does not undo it (see publishError in the history).
  publishAvailable.addCatch(repairDone, {
    errors: [DefinitionErrorNames.StatesAll],
    resultPath: '$.publishError',
  });
  const shapeRepairOutput = new sfn.Pass(scope, StateNames.ShapeRepairOutput, {
    parameters: shapedParameters(REPAIR_OUTPUT_FIELDS),
    resultPath: '$.checkOutput',
  });
  const repaired = new sfn.Succeed(scope, StateNames.Repaired, {
    comment: 'Output: the check report with repaired: true and the connection (CheckOutput)',
    outputPath: '$.checkOutput',
  });
  shapeRepairOutput.next(repaired);
  repairDone.when(action('check'), shapeRepairOutput).otherwise(succeeded);

  createAtlas.next(loopEntry('atlasEndpoint', atlasLoop.start, createVpc));
  atlasLoop.record.next(createVpc);
  createVpc.next(loopEntry('vpcEndpoint', vpcLoop.start, link));
  vpcLoop.record.next(link);
  link.next(linkLoop.start);
  linkLoop.record.next(connectionLoop.start);
  connectionLoop.record.next(shapeOutput);
  shapeOutput.next(release);
  publishAvailable.next(repairDone);

  // ---- delete and check -------------------------------------------------------------------------------
  const inspect = task('inspect-connection');
  // Nothing exists that this execution made: a failure is reported (after the lease), never rolled back.
  catchInto(inspect, release, '$.error');

  const summarizeDelete = task('summarize-delete');
  catchInto(summarizeDelete, release, '$.error');
  summarizeDelete.next(release);
  const publishDeleted = publish(StateNames.PublishDeletedEvent, DetailTypes.Deleted, {
    requestId: sfn.JsonPath.stringAt('$.request.requestId'),
    output: sfn.JsonPath.objectAt('$.output'),
  });
  const deleted = new sfn.Succeed(scope, StateNames.Deleted, {
    comment: 'Output: the DeleteOutput built by "Summarize delete"',
    outputPath: '$.output',
  });
  // What was deleted stays deleted; an undelivered notification does not undo it.
  publishDeleted.addCatch(deleted, {
    errors: [DefinitionErrorNames.StatesAll],
    resultPath: '$.publishError',
  });
  publishDeleted.next(deleted);

  const prepareRepair = task('prepare-repair');
  // It only reads, after the broken parts are gone: a failure keeps what is left (no second removal).
  catchInto(prepareRepair, release, '$.error');
  prepareRepair.next(createAtlas);

  afterCleanup
    .when(action('delete'), summarizeDelete)
    // Once: a repair that failed later never comes back here (checks do not roll back), but never loop. (Not
    // `isNotPresent`: aws-local-stepfunctions 3 evaluates `IsPresent: false` as always false.)
    .when(
      sfn.Condition.and(action('check'), sfn.Condition.not(sfn.Condition.isPresent('$.repairRun'))),
      prepareRepair,
    )
    .otherwise(release);

  const anythingToDelete = new sfn.Choice(scope, StateNames.AnythingToDelete, {
    comment: 'Delete: what belongs to the connection; repair: the broken parts (created == true marks them)',
  })
    .when(sfn.Condition.or(created('$.vpcEndpoint'), created('$.atlas'), created('$.link')), deleteVpc)
    .when(action('delete'), summarizeDelete)
    .otherwise(prepareRepair);

  const checked = new sfn.Succeed(scope, StateNames.Checked, {
    comment: 'Output: the check report (CheckOutput)',
    outputPath: '$.inspection.report',
  });
  const repairRequested = new sfn.Choice(scope, StateNames.RepairRequested)
    .when(sfn.Condition.isPresent('$.error'), release)
    .when(
      sfn.Condition.and(
        sfn.Condition.isPresent('$.request.repair'),
        sfn.Condition.booleanEquals('$.request.repair', true),
      ),
      anythingToDelete,
    )
    .otherwise(release);
  const publishDrift = publish(StateNames.PublishDriftEvent, DetailTypes.DriftDetected, {
    requestId: sfn.JsonPath.stringAt('$.request.requestId'),
    report: sfn.JsonPath.objectAt('$.inspection.report'),
  });
  publishDrift.addCatch(repairRequested, {
    errors: [DefinitionErrorNames.StatesAll],
    resultPath: '$.publishError',
  });
  publishDrift.next(repairRequested);
  const driftFound = new sfn.Choice(scope, StateNames.DriftFound)
    .when(
      sfn.Condition.or(
        sfn.Condition.stringEquals('$.inspection.report.status', 'DRIFTED'),
        sfn.Condition.stringEquals('$.inspection.report.status', 'ABSENT'),
      ),
      publishDrift,
    )
    .otherwise(release);
  const deleteOrCheck = new sfn.Choice(scope, StateNames.DeleteOrCheck)
    .when(action('delete'), anythingToDelete)
    .otherwise(driftFound);
  inspect.next(deleteOrCheck);

  const whichAction = new sfn.Choice(scope, StateNames.WhichAction)
    .when(sfn.Condition.or(action('delete'), action('check')), inspect)
    .otherwise(createAtlas);
  validate.next(whichAction);

  // After the lease: the ending the record calls for.
  whichEnding
    .when(sfn.Condition.and(sfn.Condition.isPresent('$.output'), action('delete')), publishDeleted)
    .when(sfn.Condition.isPresent('$.output'), publishAvailable)
    .when(
      sfn.Condition.or(sfn.Condition.isPresent('$.error'), sfn.Condition.isPresent('$.cleanupError')),
      summarize,
    )
    .when(action('check'), checked)
    .otherwise(summarize);

  // ---- the scheduled audit ----------------------------------------------------------------------------
  const listConnections = task('list-connections');
  catchInto(listConnections, summarize, '$.error');
  const auditInspect = task('inspect-connection', StateNames.AuditInspectConnection);
  const auditReport = new sfn.Pass(scope, StateNames.AuditReport, {
    comment: "This connection's check report",
    inputPath: '$.inspection.report',
  });
  const auditCheckFailed = new sfn.Pass(scope, StateNames.AuditCheckFailed, {
    comment: 'One connection could not be checked; the others still are',
    parameters: {
      request: sfn.JsonPath.objectAt('$.request'),
      error: sfn.JsonPath.objectAt('$.auditError'),
    },
  });
  auditInspect.addCatch(auditCheckFailed, {
    errors: [DefinitionErrorNames.StatesAll],
    resultPath: '$.auditError',
  });
  const auditPublish = publish(StateNames.AuditPublishDriftEvent, DetailTypes.DriftDetected, {
    requestId: sfn.JsonPath.stringAt('$.request.requestId'),
    report: sfn.JsonPath.objectAt('$.inspection.report'),
  });
  auditPublish.addCatch(auditReport, {
    errors: [DefinitionErrorNames.StatesAll],
    resultPath: '$.publishError',
  });
  auditPublish.next(auditReport);
  // A connection deleted on purpose (its VPC endpoint still listed as deleted) checks ABSENT: not drift here.
  const auditDrift = new sfn.Choice(scope, StateNames.AuditDriftFound)
    .when(sfn.Condition.stringEquals('$.inspection.report.status', 'DRIFTED'), auditPublish)
    .otherwise(auditReport);
  auditInspect.next(auditDrift);
  const checkEach = new sfn.Map(scope, StateNames.CheckEachConnection, {
    comment: 'One check per connection this deployment manages',
    itemsPath: '$.audit.connections',
    maxConcurrency: AUDIT_MAX_CONCURRENCY,
    resultPath: '$.audit.reports',
  });
  checkEach.itemProcessor(auditInspect);
  const shapeAuditOutput = new sfn.Pass(scope, StateNames.ShapeAuditOutput, {
    parameters: {
      action: AUDIT_ACTION,
      region: sfn.JsonPath.stringAt('$.audit.region'),
      unidentified: sfn.JsonPath.objectAt('$.audit.unidentified'),
      reports: sfn.JsonPath.objectAt('$.audit.reports'),
    },
    resultPath: '$.output',
  });
  const audited = new sfn.Succeed(scope, StateNames.Audited, {
    comment: 'Output: the AuditOutput',
    outputPath: '$.output',
  });
  listConnections.next(checkEach);
  checkEach.next(shapeAuditOutput);
  shapeAuditOutput.next(audited);

  const auditOrConnection = new sfn.Choice(scope, StateNames.AuditOrConnection)
    .when(equals('$.input.action', AUDIT_ACTION), listConnections)
    .otherwise(validate);
  receive.next(auditOrConnection);

  return receive;
}
