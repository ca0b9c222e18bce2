/**
 * The state machine as CDK chainables: forward phases with polling loops, the saga compensation, events.
 *
 * Kept within what aws-local-stepfunctions 3 runs: JSONPath only (no JSONata, no Assign), no Map
 * ItemReader; Lambda tasks use `payloadResponseOnly` (Resource = the function ARN, the handler gets the
 * state input and its return value is the result). State names, Parameters and ResultPaths come from the
 * steps table in lambdas/workflow/steps.ts; error names from lambdas/core/errors.ts.
 *
 * Shape (see the README diagram):
 *   Receive request → Validate request → Create Atlas endpoint → (already ready? skip) [endpoint service
 *   loop] → Create VPC endpoint → (already ready? skip) [VPC endpoint loop] → Link Atlas endpoint → [link
 *   loop] → [connection string loop] → Shape output → Release target → Connection made? → Publish available
 *   event → Succeeded
 *   any forward failure → Delete VPC endpoint → Delete Atlas side → Roll back? → [cleanup loop] → Release
 *   target → Connection made? → Summarize failure → Publish failed event → Failed
 * A validation failure goes straight to Summarize failure (nothing exists yet, and validate-request gives
 * back the target lease itself when it fails after taking it); every other ending gives it back in Release
 * target. The delete steps find what the request made by its tags and marker too; with `rollbackOnFailure`
 * false they only find it (named as kept) and "Roll back?" skips the cleanup loop. A cleanup failure also goes
 * to Summarize failure, which turns it into `CleanupIncomplete` naming the leftovers: nothing loops without a
 * budget.
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
  atlasEndpointId: '$.atlas.id',
  endpointServiceName: '$.vpcEndpoint.serviceName',
  vpcEndpointId: '$.vpcEndpoint.vpcEndpointId',
  status: 'AVAILABLE',
  privateSrvConnectionString: '$.connection.srvConnectionString',
  pendingRegions: '$.connection.pendingRegions',
  dnsEntries: '$.vpcEndpoint.dnsEntries',
};

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
  const task = (id: StepId): tasks.LambdaInvoke => {
    const spec: StepSpec = STEPS[id];
    const state = new tasks.LambdaInvoke(scope, spec.stateName, {
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

  // ---- the target lease goes back before every ending (validation failures hold none) -----------------------
  const release = task('release-lease');
  const connectionMade = new sfn.Choice(scope, StateNames.ConnectionMade, {
    comment: 'Succeeded (Shape output wrote $.output) or failed',
  });
  // A lease that cannot be given back expires on its own: the outcome stands.
  release.addCatch(connectionMade, {
    errors: [DefinitionErrorNames.StatesAll],
    resultPath: '$.releaseError',
  });
  release.next(connectionMade);

  // ---- compensation ---------------------------------------------------------------------------------------
  const cleanupError = (state: tasks.LambdaInvoke) => catchInto(state, release, '$.cleanupError');
  const cleanupLoop = pollLoop('cleanup', cleanupError);
  cleanupLoop.record.next(release);

  // The delete steps always run: they delete what the record says this request created and what its tags
  // and marker say it made without the record knowing (a step that died after its create took effect). With
  // rollbackOnFailure false they only find it, so the failure names everything kept; then no cleanup loop.
  const rollBack = new sfn.Choice(scope, StateNames.RollBack, {
    comment: 'Keep everything when rollbackOnFailure is false; otherwise wait until what was deleted is gone',
  })
    .when(
      sfn.Condition.and(
        sfn.Condition.isPresent('$.request.rollbackOnFailure'),
        sfn.Condition.booleanEquals('$.request.rollbackOnFailure', false),
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
  // The connection works; an undelivered notification does not undo it (see publishError in the history).
  publishAvailable.addCatch(succeeded, {
    errors: [DefinitionErrorNames.StatesAll],
    resultPath: '$.publishError',
  });

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

  receive.next(validate);
  validate.next(createAtlas);
  createAtlas.next(loopEntry('atlasEndpoint', atlasLoop.start, createVpc));
  atlasLoop.record.next(createVpc);
  createVpc.next(loopEntry('vpcEndpoint', vpcLoop.start, link));
  vpcLoop.record.next(link);
  link.next(linkLoop.start);
  linkLoop.record.next(connectionLoop.start);
  connectionLoop.record.next(shapeOutput);
  shapeOutput.next(release);
  connectionMade.when(sfn.Condition.isPresent('$.output'), publishAvailable).otherwise(summarize);
  publishAvailable.next(succeeded);

  return receive;
}
