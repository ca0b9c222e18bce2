/**
 * The two things a check step adds to `nextPoll` besides what it saw (`StepDeps.pollTiming`): the seconds the
 * invocation itself ran (on the injected clock, rounded up), so a slow check spends the phase budget faster;
 * and the deployment's intervals, read once from `POLL_INTERVALS_<PHASE>_SECONDS` when the module loads.
 * Against the simulated world, with the production clients; the world's virtual clock is the handlers' clock.
 */
import './quiet.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import { makeHandler as describeVpcEndpointHandler } from '../../lambdas/handlers/describe-vpc-endpoint.ts';
import { defaultHandlerDeps, pollingState, stepHandler } from '../../lambdas/handlers/support/runtime.ts';
import { describeVpcEndpoint } from '../../lambdas/workflow/operations/vpc-endpoint.ts';
import {
  HandlerEnv,
  PHASES,
  type PollingState,
  type PollRecord,
  type StepId,
  startPoll,
  type WorkflowState,
} from '../../lambdas/workflow/steps.ts';
import { ATLAS_LIFECYCLE } from '../../local/cloud/atlas-model.ts';
import { AWS_LIFECYCLE_FAULTS } from '../../local/cloud/aws-model.ts';
import type { FaultRule } from '../../local/cloud/faults.ts';
import { type Harness, lambdaContext, MANAGED_BY, silentLogger, startHarness, thrown } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type Check = (event: unknown) => Promise<PollRecord>;

interface PhaseRun {
  /** Waits taken before each check (what the state machine's Wait states would wait). */
  readonly waits: number[];
  /** The records of the checks that returned. */
  readonly records: PollRecord[];
  /** What the last check threw. */
  readonly error: Error & { details?: Record<string, unknown> };
}

/** Runs a phase that never gets ready, the way the definition does, until its check throws. */
async function runUntilThrown(harness: Harness, check: Check, state: WorkflowState, first: PollRecord) {
  const waits: number[] = [];
  const records: PollRecord[] = [];
  let poll = first;
  for (let i = 0; i < 200; i++) {
    waits.push(poll.waitSeconds);
    harness.world.clock.advance(poll.waitSeconds * 1000);
    try {
      poll = await check(JSON.parse(JSON.stringify({ ...state, poll })));
    } catch (error) {
      return { waits, records, error } as PhaseRun;
    }
    expect(poll.done).toBe(false);
    records.push(poll);
  }
  throw new Error('the phase never ended');
}

const vpcEndpointStuck: FaultRule = { operation: AWS_LIFECYCLE_FAULTS.provision, effect: { kind: 'stuck' } };

describe('a check counts its own run time against the phase budget', () => {
  it('a slow check (30 s on the injected clock) reaches DeadlineExceeded in fewer checks than a quick one', async () => {
    h = await startHarness({ faults: [vpcEndpointStuck] });
    const harness = h;
    const state = await h.drive(h.request('dedicated'), 'exec-slow-ec2', 'create-vpc-endpoint');
    const check = (delayMs: number): Check => {
      const handler = stepHandler(
        'describe-vpc-endpoint',
        harness.deps(),
        pollingState('describe-vpc-endpoint'),
        async (input: PollingState, deps) => {
          // The invocation takes `delayMs` on the handlers' clock (the world's virtual clock).
          harness.world.clock.advance(delayMs);
          return describeVpcEndpoint(input, deps);
        },
      );
      return (event) => handler(event, lambdaContext());
    };

    const quick = await runUntilThrown(h, check(0), state, startPoll('vpcEndpoint', 120));
    const slow = await runUntilThrown(h, check(30_000), state, startPoll('vpcEndpoint', 120));
    for (const run of [quick, slow]) {
      expect(run.error.name).toBe(ErrorNames.DeadlineExceeded);
      expect(run.error.details).toMatchObject({ phase: 'vpcEndpoint', budgetSeconds: 120 });
    }
    // Quick: the built-in schedule (20 s, then its usual window every 5 s, doubling, its bad-day window every
    // 8 s): checks at 20, 25, 30, 40, 60, 96, 104, 112 and 120 s; the 9th finds the budget spent.
    expect(quick.waits).toEqual([20, 5, 5, 10, 20, 36, 8, 8, 8]);
    expect(quick.error.details).toMatchObject({ attempt: 9, elapsedSeconds: 120 });
    // Slow: each check adds 30 s, so 20+30, +5+30, then +5+30 reaches the 120 s budget at the 3rd check.
    expect(slow.records.map((r) => r.elapsedSeconds)).toEqual([50, 85]);
    expect(slow.waits).toEqual([20, 5, 5]);
    expect(slow.error.details).toMatchObject({
      attempt: 3,
      elapsedSeconds: 120,
      waitedSeconds: 30,
      checkSeconds: 90,
    });
    // The waits and the checks' counted run time are reported apart, so the waits agree with a clock.
    expect(slow.error.message).toMatch(
      /3 checks: 30 s of waiting, plus 90 s counted for the checks themselves, .*; last seen: state pending/,
    );
  });

  it('rounds the run time up to whole seconds: a 1 ms check counts 1 s, an instant one 0 s', async () => {
    h = await startHarness({ faults: [vpcEndpointStuck] });
    const harness = h;
    const state = await h.drive(h.request('dedicated'), 'exec-round-up', 'create-vpc-endpoint');
    const elapsedAfterOneCheck = async (delayMs: number) => {
      const handler = stepHandler(
        'describe-vpc-endpoint',
        harness.deps(),
        pollingState('describe-vpc-endpoint'),
        async (input: PollingState, deps) => {
          harness.world.clock.advance(delayMs);
          return describeVpcEndpoint(input, deps);
        },
      );
      const poll = await handler({ ...state, poll: startPoll('vpcEndpoint', 900) }, lambdaContext());
      return poll.elapsedSeconds;
    };
    const first = PHASES.vpcEndpoint.initialDelaySeconds;
    expect(await elapsedAfterOneCheck(0)).toBe(first);
    expect(await elapsedAfterOneCheck(1)).toBe(first + 1);
    expect(await elapsedAfterOneCheck(1000)).toBe(first + 1);
    expect(await elapsedAfterOneCheck(1001)).toBe(first + 2);
  });

  it('a slow Atlas (429 with Retry-After 20 s, honoured inside the check) spends the budget faster', async () => {
    // Every other endpoint service read is throttled: each check waits out one Retry-After in the Lambda.
    const throttled: FaultRule[] = Array.from({ length: 100 }, (_, i) => ({
      operation: 'getPrivateEndpointService',
      occurrence: 2 * i + 1,
      effect: { kind: 'rate-limit', retryAfterSeconds: 20 },
    }));
    const stuck: FaultRule = { operation: ATLAS_LIFECYCLE.endpointServiceCreate, effect: { kind: 'stuck' } };

    const run = async (faults: FaultRule[]) => {
      h = await startHarness({ faults: [stuck, ...faults] });
      const harness = h;
      const state = await h.drive(h.request('dedicated'), 'exec-slow-atlas', 'create-atlas-endpoint');
      const result = await runUntilThrown(
        h,
        (event) => harness.call('describe-atlas-endpoint', event) as Promise<PollRecord>,
        state,
        startPoll('atlasEndpoint', 120),
      );
      await h.close();
      h = undefined;
      return result;
    };
    const quick = await run([]);
    const slow = await run(throttled);
    for (const result of [quick, slow]) expect(result.error.name).toBe(ErrorNames.DeadlineExceeded);

    // Quick: 60 + 15 + 15 + 15 + 15 = 120 s of waiting, the 5th check finds the budget spent.
    expect(quick.error.details).toMatchObject({ attempt: 5, elapsedSeconds: 120 });
    // Slow: every check took at least the 20 s Atlas asked for, and was counted.
    const waited = (result: PhaseRun) => result.waits.reduce((a, b) => a + b, 0);
    const slowAttempts = slow.error.details?.attempt as number;
    const slowElapsed = slow.error.details?.elapsedSeconds as number;
    expect(slowAttempts).toBeLessThan(5);
    expect(slowElapsed - waited(slow)).toBeGreaterThanOrEqual(20 * slowAttempts);
    for (const [i, record] of slow.records.entries()) {
      const waitsSoFar = slow.waits.slice(0, i + 1).reduce((a, b) => a + b, 0);
      expect(record.elapsedSeconds - waitsSoFar).toBeGreaterThanOrEqual(20 * (i + 1));
    }
  });
});

describe("a check follows the deployment's intervals", () => {
  /** The env the construct sets on describe-vpc-endpoint's function (see lib/private-endpoint-workflow.ts). */
  const env = (intervals?: string): Record<string, string> => ({
    [HandlerEnv.WorkflowStep]: 'describe-vpc-endpoint',
    [HandlerEnv.ManagedByTagValue]: MANAGED_BY,
    ...(intervals === undefined ? {} : { POLL_INTERVALS_VPC_ENDPOINT_SECONDS: intervals }),
  });

  const depsFrom = (harness: Harness, variables: Record<string, string>) => ({
    // The module's own reading of its environment, with the harness's EC2 operations on the world.
    ...defaultHandlerDeps('describe-vpc-endpoint', { ec2: () => () => harness.ec2() }, variables),
    logger: silentLogger(),
    now: () => harness.world.clock.now(),
  });

  it('reads POLL_INTERVALS_VPC_ENDPOINT_SECONDS once and waits 7, 9, 9, … between checks', async () => {
    h = await startHarness({ faults: [vpcEndpointStuck] });
    const harness = h;
    const state = await h.drive(h.request('dedicated'), 'exec-intervals', 'create-vpc-endpoint');
    const configured = depsFrom(h, env(' 7, 9 '));
    expect(configured.configurationError).toBeUndefined();
    expect(configured.pollIntervalsSeconds).toEqual([7, 9]);
    const handler = describeVpcEndpointHandler(configured);
    const run = await runUntilThrown(
      h,
      (event) => handler(event, lambdaContext()) as Promise<PollRecord>,
      state,
      // The first wait is the definition's ("Start … polling"); here 2 s.
      startPoll('vpcEndpoint', 60, 2),
    );
    // 2 + 7 + 9×5 = 54, then the last wait is clipped to the 6 s left.
    expect(run.waits).toEqual([2, 7, 9, 9, 9, 9, 9, 6]);
    expect(run.error.name).toBe(ErrorNames.DeadlineExceeded);
    expect(run.error.details).toMatchObject({ attempt: 8, elapsedSeconds: 60 });

    // Without the variable, the built-in schedule of the phase.
    const builtIn = describeVpcEndpointHandler(depsFrom(harness, env()));
    const first = await builtIn({ ...state, poll: startPoll('vpcEndpoint', 60) }, lambdaContext());
    const second = await builtIn({ ...state, poll: first }, lambdaContext());
    expect([first.waitSeconds, second.waitSeconds]).toEqual(PHASES.vpcEndpoint.intervalsSeconds.slice(0, 2));
    expect([first.waitSeconds, second.waitSeconds]).toEqual([5, 5]);
  });

  it.each([
    ['describe-vpc-endpoint', 'POLL_INTERVALS_VPC_ENDPOINT_SECONDS', '5,x'],
    ['describe-vpc-endpoint', 'POLL_INTERVALS_VPC_ENDPOINT_SECONDS', '1'],
    ['check-cleanup', 'POLL_INTERVALS_CLEANUP_SECONDS', '5,,10'],
  ] as const)(
    '%s with %s=%j is misconfigured: every invocation throws ConfigurationError',
    async (id, name, value) => {
      const deps = defaultHandlerDeps(
        id as StepId,
        {
          ec2: () => () => ({}) as never,
          atlas: () => ({ problems: [], client: async () => ({}) as never, onAuthFailed: () => {} }),
        },
        { [HandlerEnv.WorkflowStep]: id, [HandlerEnv.ManagedByTagValue]: MANAGED_BY, [name]: value },
      );
      expect(deps.pollIntervalsSeconds).toBeUndefined();
      expect(deps.configurationError?.name).toBe(ErrorNames.ConfigurationError);
      expect(deps.configurationError?.details).toMatchObject({ variables: [name] });
      expect(deps.configurationError?.message).toContain(`${name} must be 1 to 60 intervals`);
      expect(deps.configurationError?.message).toContain(JSON.stringify(value));
      if (id === 'describe-vpc-endpoint') {
        const error = await thrown(() => describeVpcEndpointHandler(deps)({}, lambdaContext()));
        expect(error).toBe(deps.configurationError);
      }
    },
  );

  it('only a check step reads an intervals variable (another step ignores it)', () => {
    const deps = defaultHandlerDeps(
      'summarize-failure',
      {},
      {
        [HandlerEnv.WorkflowStep]: 'summarize-failure',
        POLL_INTERVALS_LINK_SECONDS: 'nonsense',
      },
    );
    expect(deps.configurationError).toBeUndefined();
    expect(deps.pollIntervalsSeconds).toBeUndefined();
  });
});
