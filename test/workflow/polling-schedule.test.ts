/**
 * The construct's `pollingSchedule` through the local engine: the synthesized "Start … polling" Pass carries
 * the first wait, the template gives the check function `POLL_INTERVALS_<PHASE>_SECONDS`, the engine loads
 * the handler module with that environment, and the check follows it until the phase budget runs out.
 */
import { Duration } from 'aws-cdk-lib';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import { StateNames } from '../../lambdas/workflow/steps.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { runLocalWorkflow } from '../../local/engine.ts';
import { causeText, newWorld, requestFor, type TestWorld } from './harness.ts';

let world: TestWorld | undefined;
afterEach(async () => {
  await world?.close();
  expect(world?.contractViolations() ?? []).toEqual([]);
  world = undefined;
});

describe('pollingSchedule in the local engine', () => {
  it('waits the configured first delay and intervals, counts the checks, and ends in DeadlineExceeded', async () => {
    world = await newWorld({ preset: 'instant', faults: 'dedicated-stuck' });
    const d = world.world.demo;
    const waits: number[] = [];
    const result = await runLocalWorkflow({
      input: requestFor('dedicated', world, { phaseBudgetSeconds: { atlasEndpoint: 60 } }),
      target: {
        atlasUrl: world.atlasUrl,
        ec2Url: world.ec2Url,
        dynamodbUrl: world.dynamodbUrl,
        atlasCredentials: d.serviceAccount,
        awsCredentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
        awsRegion: d.awsRegion,
      },
      clock: world.world.clock,
      requestLog: world.world.log,
      props: {
        pollingSchedule: {
          atlasEndpoint: {
            initialDelay: Duration.seconds(3),
            intervals: [Duration.seconds(7), Duration.seconds(11)],
          },
        },
      },
      onWait: (state, seconds) => {
        if (state === StateNames.WaitForEndpointService) waits.push(seconds);
      },
    });

    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorNames.DeadlineExceeded);
    expect(causeText(result)).toMatch(/within its budget of 60 s/);
    // The first wait from the definition, then the intervals from the check function's env (11 repeats).
    expect(waits.slice(0, 4)).toEqual([3, 7, 11, 11]);
    expect(waits.slice(2, -1).every((w) => w === 11)).toBe(true);
    const checks = result.path.filter((s) => s === StateNames.CheckEndpointService).length;
    expect(checks).toBe(waits.length);
    // Each check's own run time (real milliseconds in the engine, rounded up) counts at least a second, so the
    // waits alone add up to less than the budget when the deadline fires.
    const waited = waits.reduce((a, b) => a + b, 0);
    expect(waited).toBeLessThanOrEqual(60 - checks);
    expect(waited).toBeGreaterThan(60 - 2 * checks - 11);
    expect(result.path).toContain(StateNames.CheckCleanup);
  });
});
