/**
 * Shared by fault-catalog-serverless.test.ts and fault-catalog-dedicated.test.ts (two files, so the two
 * kinds run in parallel workers). Every named fault plan (`npm start -- --fault <name>`) run through the engine for each kind it applies to,
 * with the outcome the README promises: transient faults are absorbed (and leave exactly one working pair
 * behind: no duplicate from a create whose answer was lost), the others end in their named error with nothing
 * left behind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import { DetailTypes } from '../../lambdas/workflow/events.ts';
import { StateNames } from '../../lambdas/workflow/steps.ts';
import { FAULT_CATALOG } from '../../local/cloud/fault-catalog.ts';
import type { LocalRunResult } from '../../local/engine.ts';
import { live, newWorld, requestFor, run, type TestWorld } from './harness.ts';

let world: TestWorld | undefined;
afterEach(async () => {
  if (world) {
    expect(world.contractViolations()).toEqual([]);
    await world.close();
    world = undefined;
  }
});

/** The handlers' Atlas per-attempt timeout in the slow-answer plans (ms). */
const FAST_ATLAS_TIMEOUT_MS = 1000;

/** The Atlas create operation of each kind. */
const CREATE = { serverless: 'createServerlessPrivateEndpoint', dedicated: 'createPrivateEndpointService' };

/**
 * Exactly one working pair is live, the one the output names: serverless, 1 endpoint + 1 VPC endpoint;
 * dedicated, 1 endpoint service + 1 interface endpoint + 1 VPC endpoint.
 */
function expectExactlyThePair(w: TestWorld, kind: 'serverless' | 'dedicated', result: LocalRunResult): void {
  const out = result.output as { atlasEndpointId: string; vpcEndpointId: string };
  const inv = live(w);
  expect(inv.vpcEndpoints.map((v) => [v.id, v.state])).toEqual([[out.vpcEndpointId, 'available']]);
  if (kind === 'serverless') {
    expect(inv.serverlessEndpoints.map((e) => [e.id, e.status, e.cloudProviderEndpointId])).toEqual([
      [out.atlasEndpointId, 'AVAILABLE', out.vpcEndpointId],
    ]);
    expect(inv.endpointServices).toEqual([]);
    expect(inv.interfaceEndpoints).toEqual([]);
  } else {
    expect(inv.serverlessEndpoints).toEqual([]);
    expect(inv.endpointServices.map((e) => [e.id, e.status])).toEqual([[out.atlasEndpointId, 'AVAILABLE']]);
    expect(inv.interfaceEndpoints.map((e) => [e.interfaceEndpointId, e.connectionStatus])).toEqual([
      [out.vpcEndpointId, 'AVAILABLE'],
    ]);
  }
}

export function catalogTests(kind: 'serverless' | 'dedicated'): void {
  describe(`the fault catalog, ${kind}`, () => {
    it('has at least 30 plans, each with its documented outcome', () => {
      expect(Object.keys(FAULT_CATALOG).length).toBeGreaterThanOrEqual(30);
      for (const plan of Object.values(FAULT_CATALOG)) expect(plan.outcome).toBeDefined();
    });

    const cases = Object.entries(FAULT_CATALOG)
      .filter(([, plan]) => plan.kinds.includes(kind))
      .map(([name]) => name);

    it.each(cases)('%s ends as documented', async (name) => {
      // A slow answer is slow in real time: the plan's delay stays just above the client's per-attempt timeout,
      // with both shortened from 10 s to 1 s (the handlers read ATLAS_REQUEST_TIMEOUT_MS), so the run costs 1 s.
      const rules = FAULT_CATALOG[name]!.rules;
      const slow = rules.some((r) => r.effect.kind === 'slow-response');
      world = await newWorld({
        faults: slow
          ? rules.map((r) =>
              r.effect.kind === 'slow-response'
                ? { ...r, effect: { ...r.effect, delayMs: FAST_ATLAS_TIMEOUT_MS + 1 } }
                : r,
            )
          : name,
      });
      const result = await run(
        world,
        requestFor(kind, world),
        slow ? { atlasRequestTimeoutMs: FAST_ATLAS_TIMEOUT_MS } : {},
      );
      const outcome = result.status === 'SUCCEEDED' ? 'SUCCEEDED' : result.error?.error;
      const expected = FAULT_CATALOG[name]!.outcome;
      expect(outcome, JSON.stringify(result.error)).toBe(
        typeof expected === 'string' ? expected : expected[kind],
      );
      expect(world.world.faults.fired.length, 'the plan must actually fire').toBeGreaterThan(0);
      if (outcome === 'SUCCEEDED') expectExactlyThePair(world, kind, result);
      if (name.startsWith('atlas-create-')) {
        // The create whose answer was lost took effect and was found: it was never sent again.
        const creates = world.world.log.of(CREATE[kind]).filter((e) => e.status !== 401);
        expect(creates.map((e) => e.fault)).toEqual([FAULT_CATALOG[name]?.rules[0]?.effect.kind]);
      }
      if (outcome === ErrorNames.CleanupIncomplete) {
        // What is left is exactly what the failure names as left over, in its event and its cause.
        const detail = result.events.find((e) => e.detailType === DetailTypes.Failed)?.detail as
          | { failure: { cleanup: string; resources: { id: string; disposition: string }[] } }
          | undefined;
        expect(detail).toBeDefined();
        const failure = detail!.failure;
        expect(failure.cleanup).toBe('incomplete');
        const inv = live(world);
        const liveIds = [
          ...inv.serverlessEndpoints.map((e) => e.id),
          ...inv.endpointServices.map((e) => e.id),
          ...inv.interfaceEndpoints.map((e) => e.interfaceEndpointId),
          ...inv.vpcEndpoints.map((e) => e.id),
        ];
        expect(liveIds.length).toBeGreaterThan(0);
        for (const id of liveIds) {
          expect(failure.resources).toContainEqual(expect.objectContaining({ id, disposition: 'left-over' }));
          expect(result.error?.cause).toContain(id);
        }
      } else if (outcome !== 'SUCCEEDED') {
        expect(live(world).total).toBe(0);
        const failed = result.events.find((e) => e.detailType === DetailTypes.Failed);
        const cleanup = (failed?.detail as { failure?: { cleanup?: string } } | undefined)?.failure?.cleanup;
        expect(cleanup).toBe(
          result.path.includes(StateNames.CreateAtlasEndpoint) ? 'complete' : 'not-needed',
        );
      }
    });
  });
}
