/**
 * Dedicated clusters of one project in one VPC share one connection (facts §10: the project has one endpoint
 * service per region, and one interface endpoint from a VPC serves every dedicated cluster of the project in
 * that region). A request for a second cluster adopts the first request's VPC endpoint and interface endpoint
 * as shared (not owned): it never makes a second pair, its rollback and its delete leave the shared pair, and
 * the delete of the request that made it removes it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import type { WorkflowOutput } from '../../lambdas/core/state.ts';
import type { LocalRunResult } from '../../local/engine.ts';
import { causeText, live, newWorld, requestFor, run, type TestWorld } from './harness.ts';
import { checkOutput, deleteOutput, nextName } from './lifecycle-harness.ts';

let world: TestWorld | undefined;
afterEach(async () => {
  if (world) {
    expect(world.contractViolations()).toEqual([]);
    await world.close();
    world = undefined;
  }
});

const SECOND = 'reports-dedicated';

/** A world whose demo project has a second dedicated cluster in the demo region. */
async function twoClusterWorld(setup: Parameters<typeof newWorld>[0] = {}): Promise<TestWorld> {
  const w = await newWorld({ preset: 'instant', ...setup });
  w.world.atlas.addCluster({
    groupId: w.world.demo.groupId,
    name: SECOND,
    regionName: w.world.demo.atlasRegion,
  });
  return w;
}

function requests(w: TestWorld) {
  return {
    first: requestFor('dedicated', w, { requestId: 'orders-link' }),
    second: requestFor('dedicated', w, { instanceName: SECOND, requestId: 'reports-link' }),
  };
}

function succeeded(result: LocalRunResult): WorkflowOutput {
  expect(result.status, causeText(result)).toBe('SUCCEEDED');
  return result.output as WorkflowOutput;
}

/** Never two live interface endpoints or VPC endpoints for one project, region and VPC. */
function expectOnePair(w: TestWorld) {
  const inv = live(w);
  const vpces = inv.vpcEndpoints.filter((v) => v.state !== 'deleted' && v.state !== 'deleting');
  expect(vpces.map((v) => v.id)).toHaveLength(1);
  expect(inv.interfaceEndpoints.map((i) => i.interfaceEndpointId)).toEqual([vpces[0]!.id]);
  expect(inv.endpointServices).toHaveLength(1);
  return vpces[0]!.id;
}

describe('two dedicated clusters of one project in one VPC', () => {
  it('the second request adopts the first one connection as shared, with its own connection string', async () => {
    world = await twoClusterWorld();
    const { first, second } = requests(world);
    const a = succeeded(await run(world, first, { executionName: nextName('share-a') }));
    expect(a.vpcEndpointOwned).toBe(true);
    const b = succeeded(await run(world, second, { executionName: nextName('share-b') }));
    expect(b.vpcEndpointId).toBe(a.vpcEndpointId);
    expect(b.atlasEndpointId).toBe(a.atlasEndpointId);
    expect(b.vpcEndpointOwned).toBe(false);
    expect(b.instanceName).toBe(SECOND);
    // The connection string is the second cluster's (its privateEndpoint[] entry naming the VPC endpoint).
    expect(b.privateSrvConnectionString).toMatch(new RegExp(`^mongodb\\+srv://${SECOND}-pl-`));
    expect(a.privateSrvConnectionString).not.toBe(b.privateSrvConnectionString);
    expect(expectOnePair(world)).toBe(a.vpcEndpointId);
    // Nothing was created on either side by the second request.
    expect(world.world.log.of('CreateVpcEndpoint').filter((e) => e.status < 400)).toHaveLength(1);
    expect(world.world.log.of('createPrivateEndpoint').filter((e) => e.status < 400)).toHaveLength(1);

    // A check of the second cluster sees the shared connection healthy (not ABSENT, no drift event).
    const checked = checkOutput(
      await run(world, { ...second, action: 'check' }, { executionName: nextName('share-b-check') }),
    );
    expect(checked.status, JSON.stringify(checked.drift)).toBe('HEALTHY');
    expect(checked.vpcEndpoint).toMatchObject({ id: a.vpcEndpointId, owned: false });
    expect(checked.privateSrvConnectionString).toBe(b.privateSrvConnectionString);
    // A delete from the plain request body finds it too, and leaves it.
    const plain = deleteOutput(
      await run(world, { ...second, action: 'delete' }, { executionName: nextName('share-b-delete-body') }),
    );
    expect(plain.deleted).toEqual([]);
    expect(plain.refused.map((r) => r.id)).toContain(a.vpcEndpointId);

    // The second request's delete (from its output) leaves the shared pair and says why.
    const bDeleted = deleteOutput(
      await run(world, { ...b, action: 'delete' }, { executionName: nextName('share-b-delete') }),
    );
    expect(bDeleted.deleted).toEqual([]);
    expect(bDeleted.refused.map((r) => r.id)).toContain(a.vpcEndpointId);
    expect(bDeleted.refused.find((r) => r.id === a.vpcEndpointId)?.reason).toMatch(/request orders-link/);
    expect(expectOnePair(world)).toBe(a.vpcEndpointId);
    // Even when it names the VPC endpoint without a request id.
    const withoutRequestId = requestFor('dedicated', world, { instanceName: SECOND });
    const named = deleteOutput(
      await run(
        world,
        { ...withoutRequestId, action: 'delete', vpcEndpointId: a.vpcEndpointId },
        { executionName: nextName('share-b-delete-named') },
      ),
    );
    expect(named.deleted).toEqual([]);
    expect(named.refused.find((r) => r.id === a.vpcEndpointId)?.reason).toMatch(
      /made for cluster orders-dedicated .*shared/,
    );
    expect(expectOnePair(world)).toBe(a.vpcEndpointId);

    // The delete of the request that made it removes it (and with it the second cluster's connection).
    const aDeleted = deleteOutput(
      await run(world, { ...a, action: 'delete' }, { executionName: nextName('share-a-delete') }),
    );
    expect(aDeleted.deleted.map((r) => r.id)).toContain(a.vpcEndpointId);
    expect(live(world).interfaceEndpoints).toEqual([]);
  });

  it('a failure of the second request after it adopted the pair rolls back nothing of it', async () => {
    world = await twoClusterWorld();
    const { first, second } = requests(world);
    const a = succeeded(await run(world, first, { executionName: nextName('share-a') }));
    // The second cluster never finishes applying the endpoint: the connection phase runs out.
    world.world.atlas.connectionStringsWithheld.add(`${world.world.demo.groupId}/${SECOND}`);
    const b = await run(
      world,
      { ...second, phaseBudgetSeconds: { connection: 60 } },
      { executionName: nextName('share-b') },
    );
    expect(b.status).toBe('FAILED');
    expect(b.error?.error).toBe(ErrorNames.DeadlineExceeded);
    expect(causeText(b)).toContain(a.vpcEndpointId);
    expect(causeText(b)).toMatch(/Not owned by this request/);
    expect(expectOnePair(world)).toBe(a.vpcEndpointId);
    expect(world.world.log.of('DeleteVpcEndpoints')).toEqual([]);
    expect(world.world.log.of('deletePrivateEndpoint')).toEqual([]);
  });

  it('concurrent requests for both clusters leave one pair, and both clusters end connected', async () => {
    world = await twoClusterWorld();
    const { first, second } = requests(world);
    const [ra, rb] = await Promise.all([
      run(world, first, { executionName: nextName('race-a') }),
      run(world, second, { executionName: nextName('race-b') }),
    ]);
    // One target (project, region, VPC): the later one is refused up front, naming the running execution,
    // unless it started after the first had ended.
    const outcomes = [ra, rb].map((r) => r.error?.error ?? r.status).sort();
    expect([['SUCCEEDED', 'SUCCEEDED'], [ErrorNames.TargetBusy, 'SUCCEEDED'].sort()]).toContainEqual(
      outcomes,
    );
    for (const [r, other] of [
      [ra, rb],
      [rb, ra],
    ] as const) {
      if (r.error?.error === ErrorNames.TargetBusy) expect(causeText(r)).toContain(other.executionName);
    }
    const pair = expectOnePair(world);
    // A re-run of a refused one converges on the shared pair.
    for (const [r, input] of [
      [ra, first],
      [rb, second],
    ] as const) {
      if (r.status === 'SUCCEEDED') continue;
      const again = succeeded(await run(world, input, { executionName: nextName('race-again') }));
      expect(again.vpcEndpointId).toBe(pair);
    }
    expect(expectOnePair(world)).toBe(pair);
  });
});
