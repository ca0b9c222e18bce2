/**
 * The synthesized definition, statically: valid ASL (asl-validator 4, and the nested validator
 * aws-local-stepfunctions runs), within what the offline engine supports, every name a known constant,
 * every Task mapped to the steps table.
 */
import aslValidator from 'asl-validator';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ErrorNames,
  FAIL_STATE_ERRORS,
  THROWN_ERROR_NAMES,
  TRANSIENT_ERRORS,
} from '../../lambdas/core/errors.ts';
import { DetailTypes, EVENT_SOURCE } from '../../lambdas/workflow/events.ts';
import {
  AUDIT_ITERATION_STATES,
  DEFAULT_EXECUTION_MARGIN_SECONDS,
  DefinitionErrorNames,
  EXTRA_TASK_STATES,
  LAMBDA_SERVICE_ERRORS,
  LAMBDA_TASK_TIMEOUT_SECONDS,
  PHASES,
  POLL_PHASES,
  PUBLISH_STATES,
  PURE_STEPS,
  retryPoliciesOf,
  STEP_IDS,
  STEPS,
  StateNames,
  stepForState,
} from '../../lambdas/workflow/steps.ts';
import {
  type AslDefinition,
  type AslState,
  extractDefinition,
  functionLogicalIdOf,
  resolveIntrinsics,
} from '../../lib/asl.ts';
import { OUTPUT_FIELDS, RETRY } from '../../lib/workflow-definition.ts';
import { allStates } from '../../local/engine-core.ts';
import { logicalIdOf, type Synthesized, synthWorkflow } from './support.ts';

let synth: Synthesized;
let asl: AslDefinition;
/** Every state, the audit Map's iteration included. */
const states = () => allStates(asl);
/** A state without the explicit `QueryLanguage: JSONPath` CDK adds under the current feature flags. */
const state = (name: string) => {
  const s = Object.fromEntries(allStates(asl))[name];
  if (!s) throw new Error(`no state ${name}`);
  const { QueryLanguage: _language, ...rest } = s;
  return rest as AslState;
};

beforeAll(() => {
  synth = synthWorkflow();
  asl = extractDefinition(synth.template);
});

describe('resolveIntrinsics', () => {
  it('resolves Fn::Join, GetAtt Arn and pseudo parameters, and refuses anything else', () => {
    expect(
      resolveIntrinsics({
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':x:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }],
        ],
      }),
    ).toBe('arn:aws:x:us-east-1:123456789012');
    expect(resolveIntrinsics({ 'Fn::GetAtt': ['Fn1', 'Arn'] }, { region: 'eu-west-1' })).toBe(
      'arn:aws:lambda:eu-west-1:123456789012:function:Fn1',
    );
    expect(() => resolveIntrinsics({ 'Fn::GetAtt': ['Fn1', 'Name'] })).toThrow(/unsupported/);
    expect(() => resolveIntrinsics({ Ref: 'SomeParameter' })).toThrow(/unsupported Ref/);
    expect(() => resolveIntrinsics({ 'Fn::Sub': 'x' })).toThrow(/unsupported Fn::Sub/);
    expect(functionLogicalIdOf('arn:aws:lambda:us-east-1:1:function:Abc')).toBe('Abc');
    expect(functionLogicalIdOf('arn:aws:states:::events:putEvents')).toBeUndefined();
  });
});

describe('the definition', () => {
  it('passes asl-validator 4 with path and ARN checks', () => {
    const result = aslValidator(asl, { checkPaths: true, checkArn: true });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('is accepted by aws-local-stepfunctions (its own validator)', () => {
    expect(() => new StateMachine(asl as unknown as StateMachineDefinition)).not.toThrow();
  });

  it('stays within what the offline engine runs: JSONPath only, no Assign, no Parallel, one inline Map without ItemReader', () => {
    expect(asl.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    for (const [name, s] of states()) {
      expect(s.QueryLanguage ?? 'JSONPath', name).toBe('JSONPath');
      expect(s.Assign, name).toBeUndefined();
      expect(['Task', 'Pass', 'Wait', 'Choice', 'Succeed', 'Fail', 'Map']).toContain(s.Type);
    }
    const maps = states().filter(([, s]) => s.Type === 'Map');
    expect(maps.map(([name]) => name)).toEqual([StateNames.CheckEachConnection]);
    const map = maps[0]![1] as AslState & {
      ItemProcessor: { ProcessorConfig?: { Mode?: string }; States: object };
    };
    expect(map.ItemReader).toBeUndefined();
    expect(map.ItemProcessor.ProcessorConfig?.Mode ?? 'INLINE').toBe('INLINE');
    // The engine runs Waits at the top level only.
    expect(Object.values(map.ItemProcessor.States).some((s) => (s as AslState).Type === 'Wait')).toBe(false);
  });

  it('uses exactly the state names of the steps table, and nothing unreachable', () => {
    const iteration: readonly string[] = AUDIT_ITERATION_STATES;
    const topLevel = [...new Set(Object.values(StateNames))].filter((n) => !iteration.includes(n));
    expect(Object.keys(asl.States).sort()).toEqual(topLevel.sort());
    expect(
      states()
        .map(([name]) => name)
        .sort(),
    ).toEqual([...new Set(Object.values(StateNames))].sort());
    expect(asl.StartAt).toBe(StateNames.ReceiveRequest);
  });

  it('has the execution timeout: the sum of the phase budgets plus the default margin (7 h 15 min)', () => {
    const budgets = POLL_PHASES.reduce((sum, p) => sum + PHASES[p].defaultBudgetSeconds, 0);
    expect(DEFAULT_EXECUTION_MARGIN_SECONDS).toBe(13500);
    expect(asl.TimeoutSeconds).toBe(budgets + DEFAULT_EXECUTION_MARGIN_SECONDS);
    expect(asl.TimeoutSeconds).toBe(7 * 3600 + 15 * 60);
  });

  it('maps every Task to a step function (by logical id) or to EventBridge PutEvents', () => {
    const byLogicalId = new Map(
      STEP_IDS.map((id) => [logicalIdOf(synth.stack, synth.workflow.functions[id]), id]),
    );
    const tasks = states().filter(([, s]) => s.Type === 'Task');
    const seen = new Set<string>();
    for (const [name, s] of tasks) {
      const resource = String(s.Resource);
      if ((PUBLISH_STATES as readonly string[]).includes(name)) {
        expect(resource).toBe('arn:aws:states:::events:putEvents');
        continue;
      }
      const logicalId = functionLogicalIdOf(resource);
      expect(logicalId, `${name}: ${resource}`).toBeDefined();
      const stepId = byLogicalId.get(logicalId!);
      expect(stepId, name).toBeDefined();
      expect(stepForState(name)?.id ?? EXTRA_TASK_STATES[name]).toBe(stepId);
      seen.add(stepId!);
    }
    expect([...seen].sort()).toEqual([...STEP_IDS].sort());
    expect(tasks).toHaveLength(
      STEP_IDS.length + PUBLISH_STATES.length + Object.keys(EXTRA_TASK_STATES).length,
    );
  });

  it('wires each step with the Parameters, ResultPath and timeout of the table', () => {
    for (const id of STEP_IDS) {
      const spec = STEPS[id];
      const s = state(spec.stateName);
      expect(s.Parameters, id).toEqual(spec.parameters);
      if (spec.resultPath === 'replace') expect('ResultPath' in s, id).toBe(false);
      else if (spec.resultPath === 'discard') expect(s.ResultPath, id).toBeNull();
      else expect(s.ResultPath, id).toBe(spec.resultPath);
      expect(s.TimeoutSeconds, id).toBe(90);
    }
  });

  it('uses only known error names in every Retry and Catch', () => {
    const known = new Set<string>([
      ...THROWN_ERROR_NAMES,
      ...LAMBDA_SERVICE_ERRORS,
      DefinitionErrorNames.StatesAll,
      DefinitionErrorNames.StatesTaskFailed,
    ]);
    let lists = 0;
    for (const [name, s] of states()) {
      for (const entry of [
        ...((s.Retry as { ErrorEquals: string[] }[]) ?? []),
        ...((s.Catch as { ErrorEquals: string[] }[]) ?? []),
      ]) {
        lists++;
        for (const error of entry.ErrorEquals) expect(known.has(error), `${name}: ${error}`).toBe(true);
      }
    }
    expect(lists).toBeGreaterThan(30);
  });

  it('retries Lambda service errors (with throttling) and transient errors with full jitter on every Lambda task', () => {
    for (const id of STEP_IDS) {
      const spec = STEPS[id];
      const retry = state(spec.stateName).Retry as Record<string, unknown>[];
      expect(retry[0], id).toEqual({
        ErrorEquals: [...LAMBDA_SERVICE_ERRORS],
        IntervalSeconds: 2,
        MaxAttempts: 6,
        BackoffRate: 2,
        MaxDelaySeconds: 60,
        JitterStrategy: 'FULL',
      });
      if (PURE_STEPS.includes(id)) {
        expect(retry, id).toHaveLength(1);
        continue;
      }
      const policy = spec.compensation ? RETRY.transientCleanup : RETRY.transient;
      expect(retry[1], id).toEqual({
        ErrorEquals: [...TRANSIENT_ERRORS],
        IntervalSeconds: policy.interval.toSeconds(),
        MaxAttempts: policy.maxAttempts,
        BackoffRate: 2,
        MaxDelaySeconds: policy.maxDelay.toSeconds(),
        JitterStrategy: 'FULL',
      });
      expect(retry, id).toHaveLength(2);
    }
  });

  it('retries each Lambda task exactly as retryPoliciesOf says (the list the execution margin is priced from)', () => {
    for (const id of STEP_IDS) {
      expect(state(STEPS[id].stateName).Retry, id).toEqual(
        retryPoliciesOf(id).map((p) => ({
          ErrorEquals: [...p.errors],
          IntervalSeconds: p.intervalSeconds,
          MaxAttempts: p.maxAttempts,
          BackoffRate: p.backoffRate,
          MaxDelaySeconds: p.maxDelaySeconds,
          JitterStrategy: 'FULL',
        })),
      );
      expect(state(STEPS[id].stateName).TimeoutSeconds, id).toBe(LAMBDA_TASK_TIMEOUT_SECONDS);
    }
  });

  it('catches every forward failure into the cleanup, validation into the summary, cleanup failures into the summary', () => {
    const catchTargets = (name: string) =>
      (state(name).Catch as { ErrorEquals: string[]; Next: string; ResultPath: string }[]).map((c) => ({
        errors: c.ErrorEquals,
        next: c.Next,
        resultPath: c.ResultPath,
      }));
    // Every workflow error a handler may throw: all of ErrorNames but the ones only Fail states use.
    const failOnly: readonly string[] = FAIL_STATE_ERRORS;
    const named = Object.values(ErrorNames).filter((n) => !failOnly.includes(n));
    expect(THROWN_ERROR_NAMES).toEqual(named);
    // Steps that cannot have created anything report their failure: straight away when no lease is held
    // (validation gives back what it took itself; the audit takes none), else after the lease goes back
    // (a delete's and a repair's steps outside the cleanup, a repair's preparation included: it only reads,
    // after the broken parts are gone). The forward steps roll back.
    const noLease = new Set<string>(['validate-request', 'list-connections']);
    const releasesFirst = new Set<string>(['inspect-connection', 'summarize-delete', 'prepare-repair']);
    for (const id of STEP_IDS) {
      const spec = STEPS[id];
      if (id === 'summarize-failure') {
        expect(catchTargets(spec.stateName)).toEqual([
          { errors: ['States.ALL'], next: StateNames.FailedWithoutSummary, resultPath: '$.summaryError' },
        ]);
        continue;
      }
      if (id === 'release-lease') {
        // A lease that cannot be given back is taken over by the next execution: the outcome stands.
        expect(catchTargets(spec.stateName)).toEqual([
          { errors: ['States.ALL'], next: StateNames.WhichEnding, resultPath: '$.releaseError' },
        ]);
        continue;
      }
      const next = noLease.has(id)
        ? StateNames.SummarizeFailure
        : spec.compensation || releasesFirst.has(id)
          ? StateNames.ReleaseTarget
          : StateNames.DeleteVpcEndpoint;
      const resultPath = spec.compensation ? '$.cleanupError' : '$.error';
      expect(catchTargets(spec.stateName), id).toEqual([
        { errors: named, next, resultPath },
        { errors: ['States.ALL'], next, resultPath },
      ]);
    }
  });

  it('builds each polling loop as Start -> Wait(SecondsPath) -> check -> Choice(done) -> Record', () => {
    for (const phase of POLL_PHASES) {
      const spec = PHASES[phase];
      expect(state(spec.startState)).toMatchObject({
        Type: 'Pass',
        ResultPath: '$.poll',
        Next: spec.waitState,
        Parameters: {
          phase,
          attempt: 0,
          elapsedSeconds: 0,
          'budgetSeconds.$': `$.settings.phaseBudgetSeconds.${phase}`,
          'waitSeconds.$': `$.settings.firstWaitSeconds.${phase}`,
          done: false,
        },
      });
      expect(state(spec.waitState)).toEqual({
        Type: 'Wait',
        SecondsPath: '$.poll.waitSeconds',
        Next: STEPS[spec.checkStep].stateName,
      });
      expect(state(STEPS[spec.checkStep].stateName).Next).toBe(spec.choiceState);
      expect(state(spec.choiceState)).toEqual({
        Type: 'Choice',
        Choices: [{ Variable: '$.poll.done', BooleanEquals: true, Next: spec.recordState }],
        Default: spec.waitState,
      });
      expect(state(spec.recordState)).toMatchObject({
        Type: 'Pass',
        InputPath: '$.poll.observed',
        ResultPath: spec.recordPath,
      });
    }
  });

  it('shapes the output as a WorkflowOutput and publishes it, ending in Succeed with OutputPath $.output', () => {
    const expected: Record<string, string> = {};
    for (const [field, path] of Object.entries(OUTPUT_FIELDS)) {
      expected[path.startsWith('$') ? `${field}.$` : field] = path;
    }
    expect(state(StateNames.ShapeOutput)).toMatchObject({ Parameters: expected, ResultPath: '$.output' });
    expect(state(StateNames.PublishAvailableEvent)).toMatchObject({
      Resource: 'arn:aws:states:::events:putEvents',
      ResultPath: null,
      Parameters: {
        Entries: [
          {
            Source: EVENT_SOURCE,
            DetailType: DetailTypes.Available,
            EventBusName: 'arn:aws:events:us-east-1:123456789012:event-bus/default',
            Detail: {
              version: '1',
              'executionArn.$': '$$.Execution.Id',
              'requestId.$': '$.request.requestId',
              'output.$': '$.output',
            },
          },
        ],
      },
      Next: StateNames.RepairDone,
    });
    expect(state(StateNames.Succeeded)).toEqual({
      Type: 'Succeed',
      Comment: expect.any(String),
      OutputPath: '$.output',
    });
  });

  it('ends failures in a Fail that reads the summary (ErrorPath/CausePath), after the failed event', () => {
    expect(state(StateNames.SummarizeFailure).Next).toBe(StateNames.PublishFailedEvent);
    expect(state(StateNames.PublishFailedEvent)).toMatchObject({
      Parameters: {
        Entries: [
          {
            Source: EVENT_SOURCE,
            DetailType: DetailTypes.Failed,
            Detail: { 'failure.$': '$.failure.report', 'requestId.$': '$.failure.report.requestId' },
          },
        ],
      },
      Next: StateNames.Failed,
      Catch: [{ ErrorEquals: ['States.ALL'], Next: StateNames.Failed, ResultPath: '$.publishError' }],
    });
    expect(state(StateNames.Failed)).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.failure.error',
      CausePath: '$.failure.cause',
    });
    expect(state(StateNames.FailedWithoutSummary)).toMatchObject({ Type: 'Fail', Error: 'WorkflowFailed' });
  });

  it('names the Fail-state-only errors in no Retry or Catch, and uses WorkflowFailed in exactly one Fail', () => {
    expect([...FAIL_STATE_ERRORS]).toEqual(['CleanupIncomplete', 'DeleteIncomplete', 'WorkflowFailed']);
    expect(ErrorNames).toMatchObject({
      CleanupIncomplete: 'CleanupIncomplete',
      DeleteIncomplete: 'DeleteIncomplete',
      WorkflowFailed: 'WorkflowFailed',
    });
    for (const [name, s] of states()) {
      for (const entry of [
        ...((s.Retry as { ErrorEquals: string[] }[]) ?? []),
        ...((s.Catch as { ErrorEquals: string[] }[]) ?? []),
      ]) {
        for (const error of FAIL_STATE_ERRORS) expect(entry.ErrorEquals, name).not.toContain(error);
      }
    }
    const fails = states().filter(([, s]) => s.Type === 'Fail');
    expect(fails.map(([name, s]) => [name, s.Error ?? null])).toEqual(
      expect.arrayContaining([[StateNames.FailedWithoutSummary, ErrorNames.WorkflowFailed]]),
    );
    expect(fails.filter(([, s]) => s.Error === ErrorNames.WorkflowFailed)).toHaveLength(1);
  });
});
