import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeadlineExceededError, ErrorNames } from '../../lambdas/core/errors.ts';
import {
  causeMessage,
  DEFAULT_EXECUTION_MARGIN_SECONDS,
  defaultPollSchedule,
  EXECUTION_STAGES,
  envNamesFor,
  executionMargin,
  exhaustedRetrySeconds,
  HandlerEnv,
  initialDelayProblem,
  intervalsProblem,
  isRejectedInput,
  LAMBDA_TASK_TIMEOUT_SECONDS,
  LIKELY_WINDOWS,
  likelySchedule,
  MIN_EXECUTION_MARGIN_SECONDS,
  maxRetryPauseSeconds,
  nextPoll,
  PHASES,
  POLL_PHASES,
  type PollRecord,
  phaseOfCheckStep,
  pollInterval,
  pollIntervalsFromEnv,
  RETRY_POLICIES,
  resolvePhaseBudgets,
  retryPoliciesOf,
  SCHEDULE_TAIL_MAX_SECONDS,
  STEP_IDS,
  STEPS,
  StateNames,
  startPoll,
  stepForState,
} from '../../lambdas/workflow/steps.ts';
import { PROJECT_ROOT } from '../../lib/private-endpoint-workflow.ts';

describe('steps table', () => {
  it('has one entry per step id, each naming its own handler file and a distinct state', () => {
    expect(STEP_IDS).toHaveLength(17);
    const stateNames = new Set<string>();
    for (const id of STEP_IDS) {
      const spec = STEPS[id];
      expect(spec.id).toBe(id);
      expect(spec.entry).toBe(`lambdas/handlers/${id}.ts`);
      expect(existsSync(join(PROJECT_ROOT, spec.entry)), spec.entry).toBe(true);
      expect(Object.values(StateNames)).toContain(spec.stateName);
      stateNames.add(spec.stateName);
      expect(stepForState(spec.stateName)?.id).toBe(id);
    }
    expect(stateNames.size).toBe(STEP_IDS.length);
    expect(new Set(Object.values(StateNames)).size).toBe(Object.values(StateNames).length);
  });

  it('gives EC2 permissions only to steps that touch EC2, and the secret only to Atlas callers', () => {
    const ec2 = STEP_IDS.filter((id) => STEPS[id].ec2Actions.length > 0);
    expect(ec2).toEqual([
      'validate-request',
      'create-vpc-endpoint',
      'describe-vpc-endpoint',
      'delete-vpc-endpoint',
      'check-cleanup',
      'inspect-connection',
      'prepare-repair',
      'list-connections',
    ]);
    // The lifecycle steps only read EC2; only the compensation deletes.
    for (const id of ['inspect-connection', 'prepare-repair', 'list-connections'] as const) {
      expect(STEPS[id].ec2Actions, id).toEqual(['DescribeVpcEndpoints']);
    }
    const atlas = STEP_IDS.filter((id) => STEPS[id].atlas);
    expect(atlas).not.toContain('create-vpc-endpoint');
    expect(atlas).not.toContain('summarize-failure');
    expect(STEPS['create-vpc-endpoint'].ec2Actions).toContain('CreateVpcEndpoint');
    expect(STEP_IDS.filter((id) => STEPS[id].ec2Actions.includes('DeleteVpcEndpoints'))).toEqual([
      'delete-vpc-endpoint',
    ]);
  });

  it('lists the env each function gets', () => {
    expect(envNamesFor('summarize-failure')).toEqual([HandlerEnv.WorkflowStep]);
    const ec2 = [
      HandlerEnv.ManagedByTagValue,
      HandlerEnv.WorkflowAccountId,
      HandlerEnv.VpcAccountRoleArns,
      HandlerEnv.VpcAccountExternalId,
    ];
    expect(envNamesFor('create-vpc-endpoint')).toEqual([HandlerEnv.WorkflowStep, ...ec2]);
    // An Atlas step also gets the lease table, where the deployment's Atlas token is shared (sealed).
    expect(envNamesFor('link-endpoint')).toEqual([
      HandlerEnv.WorkflowStep,
      HandlerEnv.AtlasSecretArn,
      HandlerEnv.AtlasBaseUrl,
      HandlerEnv.LeaseTableName,
    ]);
    // A check step also gets its phase's intervals.
    expect(envNamesFor('describe-link')).toEqual([
      HandlerEnv.WorkflowStep,
      HandlerEnv.AtlasSecretArn,
      HandlerEnv.AtlasBaseUrl,
      HandlerEnv.LeaseTableName,
      'POLL_INTERVALS_LINK_SECONDS',
    ]);
    expect(envNamesFor('describe-vpc-endpoint')).toEqual([
      HandlerEnv.WorkflowStep,
      ...ec2,
      'POLL_INTERVALS_VPC_ENDPOINT_SECONDS',
    ]);
    expect(envNamesFor('validate-request')).toEqual(
      expect.arrayContaining([
        HandlerEnv.DefaultVpcId,
        HandlerEnv.ExecutionTimeoutSeconds,
        HandlerEnv.AllowedRegions,
        PHASES.link.budgetEnv,
      ]),
    );
  });

  it('has exactly one check step per polling phase, each writing $.poll', () => {
    for (const phase of POLL_PHASES) {
      const spec = PHASES[phase];
      expect(spec.phase).toBe(phase);
      expect(STEPS[spec.checkStep].resultPath).toBe('$.poll');
      // The built-in schedule is within the bounds a deployment's schedule must keep.
      expect(initialDelayProblem(spec.initialDelaySeconds), phase).toBeUndefined();
      expect(intervalsProblem(spec.intervalsSeconds), phase).toBeUndefined();
      expect(phaseOfCheckStep(spec.checkStep)).toBe(phase);
      expect(spec.intervalsEnv).toMatch(/^POLL_INTERVALS_[A-Z_]+_SECONDS$/);
    }
    expect(new Set(POLL_PHASES.map((p) => PHASES[p].intervalsEnv)).size).toBe(POLL_PHASES.length);
    expect(phaseOfCheckStep('link-endpoint')).toBeUndefined();
    const checkSteps = STEP_IDS.filter((id) => STEPS[id].resultPath === '$.poll');
    expect(checkSteps.sort()).toEqual(POLL_PHASES.map((p) => PHASES[p].checkStep).sort());
  });
});

describe('nextPoll', () => {
  const poll = (p: Partial<PollRecord>): PollRecord => ({ ...startPoll('vpcEndpoint', 60), ...p });
  /** A deployment's ladder (`pollingSchedule`), for the tests of the mechanics. */
  const ladder = { intervalsSeconds: [5, 10, 15, 20, 30] };

  it('starts with the initial delay and follows the schedule, capped at its last interval', () => {
    expect(startPoll('atlasEndpoint', 3600)).toEqual({
      phase: 'atlasEndpoint',
      attempt: 0,
      elapsedSeconds: 0,
      budgetSeconds: 3600,
      waitSeconds: PHASES.atlasEndpoint.initialDelaySeconds,
      done: false,
    });
    let record: PollRecord = startPoll('atlasEndpoint', 24 * 3600);
    const waits: number[] = [];
    const intervals = PHASES.atlasEndpoint.intervalsSeconds;
    for (let i = 0; i < intervals.length + 3; i++) {
      record = nextPoll(record, 'atlasEndpoint', { status: 'pending' }, false);
      waits.push(record.waitSeconds);
    }
    expect(waits).toEqual([...intervals, 600, 600, 600]);
    expect(record.attempt).toBe(intervals.length + 3);
    expect(record.elapsedSeconds).toBe(
      // Every wait taken before the last check (the wait it just scheduled is not taken yet).
      PHASES.atlasEndpoint.initialDelaySeconds + intervals.reduce((a, b) => a + b, 0) + 2 * 600,
    );
    expect(pollInterval('atlasEndpoint', 1)).toBe(intervals[0]);
    expect(pollInterval('atlasEndpoint', 100)).toBe(600);
  });

  it('the built-in schedule checks across each likely window, doubles its waits between and after them', () => {
    for (const phase of Object.keys(LIKELY_WINDOWS) as (keyof typeof LIKELY_WINDOWS)[]) {
      const { initialDelaySeconds, intervalsSeconds } = PHASES[phase];
      expect(likelySchedule(LIKELY_WINDOWS[phase])).toEqual({ initialDelaySeconds, intervalsSeconds });
      const at = [initialDelaySeconds];
      for (const i of intervalsSeconds) at.push(at[at.length - 1]! + i);
      const windows = LIKELY_WINDOWS[phase];
      // The first check at the start of the first window, then every grid point of every window.
      expect(at[0], phase).toBe(windows[0]!.fromSeconds);
      for (const w of windows) {
        for (let x = w.fromSeconds; x <= w.toSeconds; x += w.everySeconds)
          expect(at, `${phase} ${x}`).toContain(x);
      }
      // Outside the windows a wait is at least twice the one before it (or the cap), never shorter.
      const inWindow = (t: number) => windows.some((w) => t > w.fromSeconds && t <= w.toSeconds);
      for (let k = 1; k < at.length; k++) {
        const gap = at[k]! - at[k - 1]!;
        if (!inWindow(at[k]!) && !windows.some((w) => at[k] === w.fromSeconds)) {
          expect(gap, `${phase} check ${k}`).toBeGreaterThanOrEqual(
            Math.min(2 * (at[k - 1]! - (at[k - 2] ?? 0)), SCHEDULE_TAIL_MAX_SECONDS),
          );
        }
      }
      expect(intervalsSeconds[intervalsSeconds.length - 1]).toBe(SCHEDULE_TAIL_MAX_SECONDS);
    }
    // Not linear in the wait: 30 min past the last window of the link costs 3 checks (1 doubling, then 10 min).
    const checksWithin = (phase: keyof typeof LIKELY_WINDOWS, seconds: number) => {
      let t = PHASES[phase].initialDelaySeconds;
      let n = 0;
      for (let k = 0; t <= seconds; k++) {
        n += 1;
        t += pollInterval(phase, k + 1);
      }
      return n;
    };
    expect(checksWithin('atlasEndpoint', 30 * 60)).toBeLessThanOrEqual(20);
    expect(checksWithin('link', 3600 + 1800) - checksWithin('link', 3600)).toBeLessThanOrEqual(3);
  });

  it('adds the wait just taken and stores what was seen', () => {
    const next = nextPoll(
      poll({ attempt: 2, elapsedSeconds: 10, waitSeconds: 10 }),
      'vpcEndpoint',
      { a: 1 },
      false,
      undefined,
      ladder,
    );
    expect(next).toEqual({
      phase: 'vpcEndpoint',
      attempt: 3,
      elapsedSeconds: 20,
      checkSeconds: 0,
      budgetSeconds: 60,
      waitSeconds: 15,
      done: false,
      observed: { a: 1 },
    });
  });

  it('clips the last wait to the budget, then throws DeadlineExceeded on the next unready check', () => {
    const clipped = nextPoll(
      poll({ attempt: 4, elapsedSeconds: 35, waitSeconds: 20 }),
      'vpcEndpoint',
      {},
      false,
      undefined,
      ladder,
    );
    expect(clipped).toMatchObject({ elapsedSeconds: 55, waitSeconds: 5 });
    let thrown: unknown;
    try {
      nextPoll(clipped, 'vpcEndpoint', {}, false, 'state pending');
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(DeadlineExceededError);
    const error = thrown as DeadlineExceededError;
    expect(error.name).toBe(ErrorNames.DeadlineExceeded);
    expect(error.message).toContain('VPC endpoint');
    expect(error.message).toContain('60 s');
    expect(error.message).toContain('state pending');
    expect(error.details).toMatchObject({
      phase: 'vpcEndpoint',
      attempt: 6,
      elapsedSeconds: 60,
      budgetSeconds: 60,
    });
  });

  it('reports done even when the budget is spent, with no further wait', () => {
    const done = nextPoll(poll({ attempt: 5, elapsedSeconds: 55, waitSeconds: 5 }), 'vpcEndpoint', 'x', true);
    expect(done).toMatchObject({ done: true, waitSeconds: 0, elapsedSeconds: 60, observed: 'x' });
  });

  it('refuses a poll record of another phase (a wiring bug)', () => {
    expect(() => nextPoll(startPoll('link', 600), 'vpcEndpoint', {}, false)).toThrow(
      /expected \$\.poll of phase/,
    );
    expect(() => nextPoll(undefined, 'vpcEndpoint', {}, false)).toThrow(/got none/);
  });
});

describe('nextPoll with the run time of the check and the intervals of the deployment', () => {
  it('adds the spent seconds to the elapsed time, and clips the next wait to what is left', () => {
    const prev = startPoll('vpcEndpoint', 120, 5);
    const ladder = [5, 10, 15, 20, 30];
    expect(
      nextPoll(prev, 'vpcEndpoint', 'x', false, undefined, { spentSeconds: 30, intervalsSeconds: ladder }),
    ).toMatchObject({
      attempt: 1,
      elapsedSeconds: 5 + 30,
      waitSeconds: 5,
    });
    // 100 s counted before, a 10 s wait, a 7 s check: 117 s; 3 s left, so the next wait is 3 s, not 10.
    const late = nextPoll(
      { ...prev, attempt: 3, elapsedSeconds: 100, waitSeconds: 10 },
      'vpcEndpoint',
      'x',
      false,
      undefined,
      { spentSeconds: 7, intervalsSeconds: ladder },
    );
    expect(late).toMatchObject({ attempt: 4, elapsedSeconds: 117, waitSeconds: 3 });
  });

  it('reaches DeadlineExceeded with fewer checks when each check is slow', () => {
    const checksUntilDeadline = (spentSeconds: number) => {
      let record: PollRecord = startPoll('vpcEndpoint', 300, 5);
      for (let checks = 1; checks < 1000; checks++) {
        try {
          record = nextPoll(record, 'vpcEndpoint', {}, false, 'state pending', {
            spentSeconds,
            intervalsSeconds: [5, 10, 15, 20, 30],
          });
        } catch (error) {
          expect((error as Error).name).toBe(ErrorNames.DeadlineExceeded);
          expect((error as DeadlineExceededError).details.elapsedSeconds as number).toBeGreaterThanOrEqual(
            300,
          );
          return checks;
        }
      }
      throw new Error('never exceeded');
    };
    const fast = checksUntilDeadline(0);
    const slow = checksUntilDeadline(30);
    // 0 s checks: 5+5+10+15+20+30×8+5 (clipped) = 300 s of waiting, deadline at the 14th check.
    expect(fast).toBe(14);
    expect(slow).toBeLessThan(fast);
    // 30 s checks: waits 5,5,10,15,20,30,30,… plus 30 s per check reach 300 s at the 7th check.
    expect(slow).toBe(7);
  });

  it('a done check stays done however long it took', () => {
    const prev = { ...startPoll('link', 60), attempt: 4, elapsedSeconds: 55, waitSeconds: 5 };
    expect(nextPoll(prev, 'link', 'ok', true, undefined, { spentSeconds: 50 })).toMatchObject({
      done: true,
      waitSeconds: 0,
      elapsedSeconds: 110,
    });
  });

  it('follows the intervals of the deployment instead of the built-in ones, the last repeating', () => {
    let record: PollRecord = startPoll('atlasEndpoint', 3600, 3);
    expect(record.waitSeconds).toBe(3);
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      record = nextPoll(record, 'atlasEndpoint', {}, false, undefined, { intervalsSeconds: [7, 9] });
      waits.push(record.waitSeconds);
    }
    expect(waits).toEqual([7, 9, 9, 9, 9]);
    expect(record.elapsedSeconds).toBe(3 + 7 + 9 + 9 + 9);
    expect(pollInterval('atlasEndpoint', 1, [7, 9])).toBe(7);
    expect(pollInterval('atlasEndpoint', 3, [7, 9])).toBe(9);
  });

  it('refuses spent time that is not whole seconds (a wiring bug)', () => {
    const prev = startPoll('link', 600);
    expect(() => nextPoll(prev, 'link', {}, false, undefined, { spentSeconds: 0.5 })).toThrow(/whole number/);
    expect(() => nextPoll(prev, 'link', {}, false, undefined, { spentSeconds: -1 })).toThrow(/whole number/);
  });
});

describe('polling schedule bounds and the intervals env', () => {
  it('checks a first wait and a list of intervals', () => {
    expect(initialDelayProblem(0)).toBeUndefined();
    expect(initialDelayProblem(1800)).toBeUndefined();
    expect(initialDelayProblem(1801)).toBe('must be whole seconds from 0 to 1800, got 1801');
    expect(initialDelayProblem(-1)).toMatch(/got -1/);
    expect(initialDelayProblem(2.5)).toMatch(/got 2.5/);
    expect(intervalsProblem([5, 600])).toBeUndefined();
    expect(intervalsProblem(Array.from({ length: 60 }, () => 5))).toBeUndefined();
    expect(intervalsProblem([])).toMatch(/^must be 1 to 60 intervals/);
    expect(intervalsProblem(Array.from({ length: 61 }, () => 5))).toMatch(/^must be 1 to 60 intervals/);
    expect(intervalsProblem([4])).toMatch(/got \[4\]/);
    expect(intervalsProblem([601])).toMatch(/got \[601\]/);
    expect(intervalsProblem([10.5])).toMatch(/got \[10.5\]/);
  });

  it('reads the intervals of a phase from its env variable; unset or blank means the built-in schedule', () => {
    expect(pollIntervalsFromEnv({ POLL_INTERVALS_LINK_SECONDS: '5,10,20' }, 'link')).toEqual({
      intervals: [5, 10, 20],
    });
    expect(pollIntervalsFromEnv({ POLL_INTERVALS_LINK_SECONDS: ' 30 , 60 ' }, 'link')).toEqual({
      intervals: [30, 60],
    });
    expect(pollIntervalsFromEnv({}, 'link')).toEqual({});
    expect(pollIntervalsFromEnv({ POLL_INTERVALS_LINK_SECONDS: '  ' }, 'link')).toEqual({});
    // Another phase's variable is not this phase's.
    expect(pollIntervalsFromEnv({ POLL_INTERVALS_CLEANUP_SECONDS: '5' }, 'link')).toEqual({});
    expect(defaultPollSchedule('link')).toEqual({
      initialDelaySeconds: 120,
      intervalsSeconds: PHASES.link.intervalsSeconds,
    });
    expect(PHASES.link.intervalsSeconds.slice(0, 2)).toEqual([30, 30]);
  });

  it.each([
    ['5,,10'],
    ['5;10'],
    ['ten'],
    ['1e1'],
    ['-5'],
    ['4'],
    ['5,601'],
    ['7.5'],
    [Array.from({ length: 61 }, () => '5').join(',')],
  ])('reports a malformed intervals value %j as a problem naming the variable', (value) => {
    const read = pollIntervalsFromEnv({ POLL_INTERVALS_CLEANUP_SECONDS: value }, 'cleanup');
    expect(read.intervals).toBeUndefined();
    expect(read.problem).toMatch(/^POLL_INTERVALS_CLEANUP_SECONDS must be 1 to 60 intervals/);
    expect(read.problem).toContain(JSON.stringify(value));
  });
});

describe('the execution margin', () => {
  it('puts every step in exactly one stage of the longest path, in execution order', () => {
    const staged = EXECUTION_STAGES.flatMap((s) => s.steps);
    expect(staged).toEqual([...STEP_IDS]);
    expect(new Set(staged).size).toBe(STEP_IDS.length);
  });

  it('prices a retrier at its maximum pauses and an exhausted Task at its attempts plus pauses', () => {
    expect(maxRetryPauseSeconds(RETRY_POLICIES.lambdaService)).toBe(2 + 4 + 8 + 16 + 32 + 60);
    expect(maxRetryPauseSeconds(RETRY_POLICIES.transient)).toBe(10 + 20 + 40 + 80);
    expect(maxRetryPauseSeconds(RETRY_POLICIES.transientCleanup)).toBe(10 + 20 + 40 + 80 + 160 + 300);
    expect(maxRetryPauseSeconds(RETRY_POLICIES.publish)).toBe(2 + 4 + 8 + 16);
    const forward = exhaustedRetrySeconds(
      retryPoliciesOf('create-atlas-endpoint'),
      LAMBDA_TASK_TIMEOUT_SECONDS,
    );
    expect(forward).toBe(10 * 90 + 122 + 150);
    expect(exhaustedRetrySeconds(retryPoliciesOf('check-cleanup'), 90)).toBe(12 * 90 + 122 + 610);
    expect(exhaustedRetrySeconds(retryPoliciesOf('summarize-failure'), 90)).toBe(6 * 90 + 122);
  });

  it('is the untimed tasks, the last checks and one exhausted retry sequence per stage (the TSDoc numbers)', () => {
    expect(executionMargin()).toEqual({
      // 12 Lambda tasks outside the polling loops; a repair's drift event and the failed event.
      untimedTasksSeconds: 12 * 90 + 2 * 30,
      lastChecksSeconds: 5 * 90,
      // 5 forward-like stages (validation, 4 phases) and the inspection stage at 1172, cleanup, the release (the failure stage: 1172).
      retriesSeconds: 6 * 1172 + 1812 + 1172,
      totalSeconds: 11606,
    });
    expect(MIN_EXECUTION_MARGIN_SECONDS).toBe(11606);
    expect(DEFAULT_EXECUTION_MARGIN_SECONDS).toBe(13500);
    expect(DEFAULT_EXECUTION_MARGIN_SECONDS - MIN_EXECUTION_MARGIN_SECONDS).toBeGreaterThanOrEqual(1800);
    expect(DEFAULT_EXECUTION_MARGIN_SECONDS % 900).toBe(0);
  });

  it('the compensation steps retry harder than the forward ones', () => {
    for (const id of STEP_IDS) {
      const policies = retryPoliciesOf(id);
      expect(policies[0], id).toBe(RETRY_POLICIES.lambdaService);
      if (id === 'summarize-failure' || id === 'summarize-delete') expect(policies).toHaveLength(1);
      else
        expect(policies[1], id).toBe(
          STEPS[id].compensation ? RETRY_POLICIES.transientCleanup : RETRY_POLICIES.transient,
        );
    }
  });
});

describe('resolvePhaseBudgets', () => {
  it('resolves each first wait: the deployment env, else the built-in, at most half the effective budget', () => {
    const { settings, issues, configurationProblems } = resolvePhaseBudgets(
      { [PHASES.link.firstWaitEnv]: '300', [PHASES.vpcEndpoint.budgetEnv]: '60' },
      { connection: 300 },
    );
    expect(issues).toEqual([]);
    expect(configurationProblems).toEqual([]);
    expect(settings.firstWaitSeconds).toEqual({
      atlasEndpoint: PHASES.atlasEndpoint.initialDelaySeconds,
      // A 60 s budget allows 30 s at most; the built-in 20 s fits.
      vpcEndpoint: Math.min(PHASES.vpcEndpoint.initialDelaySeconds, 30),
      link: 300,
      // The request's 300 s budget leaves at most 150 s for the first wait (built-in 180 s).
      connection: 150,
      cleanup: PHASES.cleanup.initialDelaySeconds,
    });
    const bad = resolvePhaseBudgets({ [PHASES.link.firstWaitEnv]: '1801' }, {});
    expect(bad.configurationProblems).toEqual([
      `${PHASES.link.firstWaitEnv} must be whole seconds from 0 to 1800, got "1801"`,
    ]);
    expect(resolvePhaseBudgets({ [PHASES.link.firstWaitEnv]: '2.5' }, {}).configurationProblems).toHaveLength(
      1,
    );
  });

  it('uses defaults, then env, then the request override', () => {
    const { settings, issues, configurationProblems } = resolvePhaseBudgets(
      { [PHASES.link.budgetEnv]: '7200', [PHASES.cleanup.budgetEnv]: '1200' },
      { cleanup: 900 },
    );
    expect(issues).toEqual([]);
    expect(configurationProblems).toEqual([]);
    expect(settings.phaseBudgetSeconds).toEqual({
      atlasEndpoint: 3600,
      vpcEndpoint: 900,
      link: 7200,
      connection: 1800,
      cleanup: 900,
    });
  });

  it('reports every bad override field and every bad env variable', () => {
    const { issues, configurationProblems } = resolvePhaseBudgets(
      { [PHASES.vpcEndpoint.budgetEnv]: 'soon', [HandlerEnv.ExecutionTimeoutSeconds]: '-1' },
      { link: 5, cleanup: 1.5, lunch: 60 },
    );
    expect(issues.map((i) => i.field).sort()).toEqual([
      'phaseBudgetSeconds.cleanup',
      'phaseBudgetSeconds.link',
      'phaseBudgetSeconds.lunch',
    ]);
    expect(configurationProblems).toHaveLength(2);
    expect(resolvePhaseBudgets({}, [1]).issues[0]?.field).toBe('phaseBudgetSeconds');
  });

  it('rejects budgets that do not fit in the execution timeout with the margin', () => {
    const defaults = POLL_PHASES.reduce((sum, p) => sum + PHASES[p].defaultBudgetSeconds, 0);
    const fits = resolvePhaseBudgets(
      { [HandlerEnv.ExecutionTimeoutSeconds]: String(defaults + MIN_EXECUTION_MARGIN_SECONDS) },
      {},
    );
    expect(fits.issues).toEqual([]);
    const tooLong = resolvePhaseBudgets(
      { [HandlerEnv.ExecutionTimeoutSeconds]: String(defaults + MIN_EXECUTION_MARGIN_SECONDS) },
      { link: PHASES.link.defaultBudgetSeconds + 1 },
    );
    expect(tooLong.issues).toEqual([
      { field: 'phaseBudgetSeconds', problem: expect.stringContaining('exceeds') },
    ]);
  });
});

describe('failure helpers', () => {
  it('reads the message out of a Lambda error cause, or takes the cause as is', () => {
    expect(causeMessage('{"errorType":"EndpointFailed","errorMessage":"went FAILED","trace":["at x"]}')).toBe(
      'went FAILED',
    );
    expect(causeMessage('plain message')).toBe('plain message');
    expect(causeMessage('{not json')).toBe('{not json');
  });

  it('tells a rejected input from a validated record', () => {
    expect(isRejectedInput({ input: { request: 1 }, error: { Error: 'InvalidRequest', Cause: 'x' } })).toBe(
      true,
    );
  });
});
