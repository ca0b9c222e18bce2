/**
 * Generated fault plans through the engine, for one endpoint kind (two files, so the kinds run in parallel
 * workers): each plan is one to three faults anywhere an execution goes (Atlas, EC2, the lease table, the
 * clouds' own transitions; the cleanup included), with rollback on or off, run against a target of its own in
 * one shared world, and must keep every invariant of test/support/reliability.ts.
 *
 * Every {@link DELETE_EVERY}th plan then deletes the connection with the same request body (`"action":
 * "delete"`) under a fault plan of its own (`deleteFaultPlan`): the delete keeps the delete invariants, and
 * when it fails, a second delete without faults does; in the end nothing of the target is left but what the
 * delete names as refused. A lease the create could not give back (its release kept failing) belongs to an
 * execution that has ended: the delete takes it over, never TargetBusy.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import type { EndpointKind } from '../../lambdas/core/state.ts';
import type { FaultRule } from '../../local/cloud/faults.ts';
import { type RunningWorld, startWorld } from '../../local/cloud/index.ts';
import type { LocalRunResult } from '../../local/engine.ts';
import {
  addTarget,
  checkDelete,
  checkRun,
  deleteFaultPlan,
  faultPlan,
  type LiveResource,
  leaseOf,
  liveFor,
  reliabilitySeed,
  SHORT_BUDGETS,
  type Target,
} from '../support/reliability.ts';
import { causeText, run } from './harness.ts';

/** Plans per kind and run (300 in all). */
export const PLANS_PER_KIND = 150;
/** Every this many plans, the plan's connection is deleted afterwards (30 deletes per kind). */
export const DELETE_EVERY = 5;

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
      const totals = {
        plans: 0,
        shared: 0,
        failed: 0,
        leaks: 0,
        duplicates: 0,
        deletes: 0,
        deletesFailed: 0,
        takenOver: 0,
      };
      let n = 0;
      /** Dedicated: the last target whose connection stands, for a later target to share. */
      let shareable: Target | undefined;

      /** Runs the delete under `rules` and checks the delete invariants. */
      const deleteOnce = async (
        target: Target,
        rules: FaultRule[],
        name: string,
        plan: unknown,
        baseline: readonly LiveResource[],
      ): Promise<LocalRunResult> => {
        world.world.faults.replace(rules);
        const result = await run(world, { ...target.request, action: 'delete' }, { executionName: name });
        const releaseFaulted = world.world.faults.fired.some((f) => f.operation === 'DeleteItem');
        world.world.faults.replace([]);
        expect(
          checkDelete(world.world, target, result, releaseFaulted, baseline),
          `seed ${seed}: ${JSON.stringify({ ...(plan as object), deleteRules: rules, error: result.error?.error, cause: causeText(result).slice(0, 300) })}`,
        ).toEqual({ leaks: [], duplicates: [], problems: [] });
        return result;
      };

      /**
       * The delete after the plan, under faults, then clean. A lease the create left behind (its release failed)
       * belongs to an execution that has ended: the delete takes it over instead of waiting for its expiry.
       */
      const deleteAfter = async (
        target: Target,
        deleteRules: FaultRule[],
        plan: unknown,
        baseline: readonly LiveResource[],
      ) => {
        const held = leaseOf(world.world, target);
        if (held !== undefined) totals.takenOver += 1;
        totals.deletes += 1;
        const first = await deleteOnce(target, deleteRules, `plan-${kind}-${n}-delete`, plan, baseline);
        expect(first.error?.error, `seed ${seed}: a lease of an ended execution blocks nothing`).not.toBe(
          ErrorNames.TargetBusy,
        );
        if (first.status === 'SUCCEEDED') return;
        totals.deletesFailed += 1;
        const second = await deleteOnce(target, [], `plan-${kind}-${n}-delete-again`, plan, baseline);
        expect(second.status, `seed ${seed}: ${causeText(second)}`).toBe('SUCCEEDED');
      };

      await fc.assert(
        fc.asyncProperty(
          faultPlan(kind),
          fc.boolean(),
          deleteFaultPlan(kind),
          fc.boolean(),
          async (rules, rollbackOnFailure, deleteRules, share) => {
            n += 1;
            // Dedicated: about half the plans after a connection stands target another cluster of its project
            // from its VPC, so they must adopt that connection as shared (and never make a second one).
            const partner =
              kind === 'dedicated' &&
              share &&
              shareable !== undefined &&
              leaseOf(world.world, shareable) === undefined
                ? shareable
                : undefined;
            const target = addTarget(
              world.world,
              kind,
              { rollbackOnFailure, phaseBudgetSeconds: SHORT_BUDGETS, requestId: `plan-${kind}-${n}` },
              partner,
            );
            const baseline = partner === undefined ? [] : liveFor(world.world, target);
            if (partner !== undefined) totals.shared += 1;
            world.world.faults.replace(rules);
            const result = await run(world, target.request, { executionName: `plan-${kind}-${n}` });
            const releaseFaulted = world.world.faults.fired.some((f) => f.operation === 'DeleteItem');
            world.world.faults.replace([]);
            const verdict = checkRun(
              world.world,
              target,
              result,
              rollbackOnFailure,
              releaseFaulted,
              baseline,
            );
            totals.plans += 1;
            if (result.status === 'FAILED') totals.failed += 1;
            totals.leaks += verdict.leaks.length;
            totals.duplicates += verdict.duplicates.length;
            expect(
              verdict,
              `seed ${seed}: ${JSON.stringify({ rules, rollbackOnFailure, sharesWith: target.sharesWith, error: result.error?.error, path: result.path.slice(-6) })}`,
            ).toEqual({ leaks: [], duplicates: [], problems: [] });
            const deleted = n % DELETE_EVERY === 0;
            if (deleted) await deleteAfter(target, deleteRules, { rules, rollbackOnFailure }, baseline);
            // A connection that stands (made here, or the shared one this target adopted) can be shared next.
            if (result.status === 'SUCCEEDED' && (!deleted || partner !== undefined)) shareable = target;
          },
        ),
        { numRuns: PLANS_PER_KIND, seed, endOnFailure: true },
      );
      console.log(
        `reliability plans (${kind}): ${totals.plans} generated plans (${totals.failed} ended failed, ` +
          `${totals.shared} sharing another cluster's connection), ` +
          `${totals.leaks} leaks, ${totals.duplicates} duplicates; ${totals.deletes} deletes after them ` +
          `(${totals.deletesFailed} failed under their faults, then deleted again; ${totals.takenOver} took over a lease left behind); seed ${seed}`,
      );
    }, 600_000);
  });
}
