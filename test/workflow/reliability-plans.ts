/**
 * Generated fault plans through the engine, for one endpoint kind (two files, so the kinds run in parallel
 * workers): each plan is one to three faults anywhere an execution goes (Atlas, EC2, the lease table, the
 * clouds' own transitions; the cleanup included), with rollback on or off, run against a target of its own in
 * one shared world, and must keep every invariant of test/support/reliability.ts.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EndpointKind } from '../../lambdas/core/state.ts';
import { type RunningWorld, startWorld } from '../../local/cloud/index.ts';
import { addTarget, checkRun, faultPlan, reliabilitySeed, SHORT_BUDGETS } from '../support/reliability.ts';
import { run } from './harness.ts';

/** Plans per kind and run (300 in all). */
export const PLANS_PER_KIND = 150;

export function planTests(kind: EndpointKind): void {
  describe(`generated fault plans, ${kind}`, () => {
    let world: RunningWorld;
    beforeAll(async () => {
      // A plain world: the OpenAPI contract of every answer is checked by the other suites; here it would
      // cost a third of the time of these many runs.
      world = await startWorld({ preset: 'instant', timeScale: 0 });
    });
    afterAll(async () => {
      await world.close();
    });

    it(`${PLANS_PER_KIND} plans: every execution ends named, leaves only what it names, never duplicates`, async () => {
      const seed = reliabilitySeed();
      const totals = { plans: 0, failed: 0, leaks: 0, duplicates: 0 };
      let n = 0;
      await fc.assert(
        fc.asyncProperty(faultPlan(kind), fc.boolean(), async (rules, rollbackOnFailure) => {
          n += 1;
          const target = addTarget(world.world, kind, {
            rollbackOnFailure,
            phaseBudgetSeconds: SHORT_BUDGETS,
            requestId: `plan-${kind}-${n}`,
          });
          world.world.faults.replace(rules);
          const result = await run(world, target.request, { executionName: `plan-${kind}-${n}` });
          const releaseFaulted = world.world.faults.fired.some((f) => f.operation === 'DeleteItem');
          world.world.faults.replace([]);
          const verdict = checkRun(world.world, target, result, rollbackOnFailure, releaseFaulted);
          totals.plans += 1;
          if (result.status === 'FAILED') totals.failed += 1;
          totals.leaks += verdict.leaks.length;
          totals.duplicates += verdict.duplicates.length;
          expect(
            verdict,
            `seed ${seed}: ${JSON.stringify({ rules, rollbackOnFailure, error: result.error?.error, path: result.path.slice(-6) })}`,
          ).toEqual({ leaks: [], duplicates: [], problems: [] });
        }),
        { numRuns: PLANS_PER_KIND, seed, endOnFailure: true },
      );
      console.log(
        `reliability plans (${kind}): ${totals.plans} generated plans (${totals.failed} ended failed), ` +
          `${totals.leaks} leaks, ${totals.duplicates} duplicates; seed ${seed}`,
      );
    }, 600_000);
  });
}
