import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DeadlineExceededError, ErrorNames } from '../../lambdas/workflow/errors.ts';
import {
  causeMessage,
  envNamesFor,
  HandlerEnv,
  isRejectedInput,
  MIN_EXECUTION_MARGIN_SECONDS,
  nextPoll,
  PHASES,
  POLL_PHASES,
  type PollRecord,
  pollInterval,
  resolvePhaseBudgets,
  STEP_IDS,
  STEPS,
  StateNames,
  startPoll,
  stepForState,
} from '../../lambdas/workflow/steps.ts';
import { PROJECT_ROOT } from '../../lib/private-endpoint-workflow.ts';

describe('steps table', () => {
  it('has one entry per step id, each naming its own handler file and a distinct state', () => {
    expect(STEP_IDS).toHaveLength(12);
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
    ]);
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
    expect(envNamesFor('create-vpc-endpoint')).toEqual([
      HandlerEnv.WorkflowStep,
      HandlerEnv.ManagedByTagValue,
    ]);
    expect(envNamesFor('link-endpoint')).toEqual([
      HandlerEnv.WorkflowStep,
      HandlerEnv.AtlasSecretArn,
      HandlerEnv.AtlasBaseUrl,
    ]);
    expect(envNamesFor('validate-request')).toEqual(
      expect.arrayContaining([
        HandlerEnv.DefaultVpcId,
        HandlerEnv.ExecutionTimeoutSeconds,
        PHASES.link.budgetEnv,
      ]),
    );
  });

  it('has exactly one check step per polling phase, each writing $.poll', () => {
    for (const phase of POLL_PHASES) {
      const spec = PHASES[phase];
      expect(spec.phase).toBe(phase);
      expect(STEPS[spec.checkStep].resultPath).toBe('$.poll');
      expect(Number.isInteger(spec.initialDelaySeconds) && spec.initialDelaySeconds >= 0).toBe(true);
      for (const s of spec.intervalsSeconds) expect(Number.isInteger(s) && s > 0).toBe(true);
    }
    const checkSteps = STEP_IDS.filter((id) => STEPS[id].resultPath === '$.poll');
    expect(checkSteps.sort()).toEqual(POLL_PHASES.map((p) => PHASES[p].checkStep).sort());
  });
});

describe('nextPoll', () => {
  const poll = (p: Partial<PollRecord>): PollRecord => ({ ...startPoll('vpcEndpoint', 60), ...p });

  it('starts with the initial delay and follows the schedule, capped at its last interval', () => {
    expect(startPoll('atlasEndpoint', 3600)).toEqual({
      phase: 'atlasEndpoint',
      attempt: 0,
      elapsedSeconds: 0,
      budgetSeconds: 3600,
      waitSeconds: 15,
      done: false,
    });
    let record: PollRecord = startPoll('atlasEndpoint', 3600);
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      record = nextPoll(record, 'atlasEndpoint', { status: 'pending' }, false);
      waits.push(record.waitSeconds);
    }
    expect(waits).toEqual([10, 15, 20, 30, 45, 60, 60, 60, 60]);
    expect(record.attempt).toBe(9);
    expect(record.elapsedSeconds).toBe(15 + 10 + 15 + 20 + 30 + 45 + 60 + 60 + 60);
    expect(pollInterval('atlasEndpoint', 1)).toBe(10);
    expect(pollInterval('atlasEndpoint', 100)).toBe(60);
  });

  it('adds the wait just taken and stores what was seen', () => {
    const next = nextPoll(
      poll({ attempt: 2, elapsedSeconds: 10, waitSeconds: 10 }),
      'vpcEndpoint',
      { a: 1 },
      false,
    );
    expect(next).toEqual({
      phase: 'vpcEndpoint',
      attempt: 3,
      elapsedSeconds: 20,
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

describe('resolvePhaseBudgets', () => {
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
