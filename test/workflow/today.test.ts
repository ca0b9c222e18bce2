/**
 * Today's Atlas (facts §10) through the local engine: the dedicated flow against an endpoint service that is
 * ready as AVAILABLE (today) or WAITING_FOR_USER (older Atlas), clusters that apply a private endpoint before
 * publishing its connection string, multi-region clusters, the delete order Atlas now enforces, adopted
 * resources that need no first wait, and the targets validation refuses before anything is created. Every
 * scenario names its `kind`, and runs on both endpoint service behaviours.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import { DetailTypes } from '../../lambdas/workflow/events.ts';
import { PHASES, StateNames as S } from '../../lambdas/workflow/steps.ts';
import { PRESETS, type Timeline } from '../../local/cloud/timeline.ts';
import type { LocalRunResult } from '../../local/engine.ts';
import {
  causeText,
  expectSubsequence,
  live,
  newWorld,
  requestFor,
  run,
  SERVICE_READY_STATUSES,
  type TestWorld,
} from './harness.ts';

let world: TestWorld | undefined;

afterEach(async () => {
  if (world) {
    expect(world.contractViolations()).toEqual([]);
    await world.close();
    world = undefined;
  }
});

/** Instant, except that a deployment takes the realistic 4 minutes to apply a private endpoint. */
const APPLYING: Timeline = {
  ...PRESETS.instant,
  privateEndpointApply: PRESETS.realistic.privateEndpointApply,
};

function failure(result: LocalRunResult) {
  expect(result.events.map((e) => e.detailType)).toEqual([DetailTypes.Failed]);
  return (result.events[0]!.detail as { failure: Record<string, unknown> }).failure as {
    error: string;
    cleanup: string;
    resources: { type: string; id: string; disposition: string }[];
  };
}

function output(result: LocalRunResult) {
  expect(result.error, causeText(result)).toBeUndefined();
  expect(result.status).toBe('SUCCEEDED');
  const out = result.output as {
    kind: string;
    atlasEndpointId: string;
    vpcEndpointId: string;
    privateSrvConnectionString: string | null;
    pendingRegions: string[];
  };
  expect(result.events.map((e) => e.detailType)).toEqual([DetailTypes.Available]);
  expect((result.events[0]!.detail as { output: unknown }).output).toEqual(out);
  return out;
}

/** Positions of Atlas operations in the request log (answered ones only). */
function positions(w: TestWorld, operation: string, status?: number): number[] {
  return w.world.log.entries
    .map((e, i) => ({ e, i }))
    .filter(({ e }) => e.operation === operation && (status === undefined || e.status === status))
    .map(({ i }) => i);
}

describe.each(SERVICE_READY_STATUSES)('today’s Atlas, endpoint service ready as %s', (ready) => {
  const open = async (setup: Parameters<typeof newWorld>[0] = {}) => {
    world = await newWorld({ endpointServiceReadyStatus: ready, preset: 'instant', ...setup });
    return world;
  };

  it('a request that names no kind runs the dedicated flow', async () => {
    const w = await open();
    const { kind: _kind, ...noKind } = requestFor('dedicated', w);
    const out = output(await run(w, noKind));
    expect(out.kind).toBe('dedicated');
    expect(w.world.log.of('createPrivateEndpointService')).toHaveLength(1);
    expect(w.world.log.of('createServerlessPrivateEndpoint')).toHaveLength(0);
  });

  it('adopts the project’s endpoint service that is already ready, without a first wait', async () => {
    const w = await open();
    const d = w.world.demo;
    const shared = w.world.atlas.createEndpointService(d.groupId, {
      providerName: 'AWS',
      region: 'US_EAST_1',
    });
    w.world.clock.advance(0);
    expect(w.world.inventory().atlas.endpointServices.map((e) => e.status)).toEqual([ready]);
    const result = await run(w, requestFor('dedicated', w));
    const out = output(result);
    expect(out.atlasEndpointId).toBe(shared.id);
    expectSubsequence(result.path, [
      S.CreateAtlasEndpoint,
      S.EndpointServiceAlreadyReady,
      S.CreateVpcEndpoint,
    ]);
    expect(result.path).not.toContain(S.WaitForEndpointService);
    expect(result.path).not.toContain(S.CheckEndpointService);
    expect(w.world.log.of('createPrivateEndpointService')).toHaveLength(0);
  });

  it('waits for the cluster to apply the change: UPDATING about 4 minutes, then the connection string', async () => {
    const w = await open({ preset: APPLYING });
    const result = await run(w, requestFor('dedicated', w));
    const out = output(result);
    expect(out.privateSrvConnectionString).toMatch(/^mongodb\+srv:\/\/orders-dedicated-pl-0\./);
    expect(out.pendingRegions).toEqual([]);
    // The cluster is IDLE only 240 s after the link became AVAILABLE (at once here). The link is first checked
    // at 120 s, the connection string 180 s later (facts §10: 3-5 minutes), so one read finds it; the phase
    // never checks before 3 minutes nor every 10 s.
    const checks = result.path.filter((st) => st === S.ReadConnectionString).length;
    expect(checks).toBe(1);
    expect(PHASES.connection.initialDelaySeconds).toBe(180);
    expect(Math.min(...PHASES.connection.intervalsSeconds)).toBeGreaterThanOrEqual(30);
    expect(result.metrics.virtualDurationMs).toBeGreaterThanOrEqual(240_000);
    expect(w.world.atlas.clusterState(w.world.demo.groupId, 'orders-dedicated')).toBe('IDLE');
  });

  it('a cluster that stays UPDATING ends at the connection budget; cleanup deletes the interface endpoint first, waits until it is gone, then the service', async () => {
    const w = await open({ preset: 'realistic', faults: 'cluster-stuck-updating' });
    const result = await run(w, requestFor('dedicated', w, { phaseBudgetSeconds: { connection: 600 } }));
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorNames.DeadlineExceeded);
    expect(causeText(result)).toMatch(/connection string was not ready within its budget of 600 s/);
    expect(causeText(result)).toMatch(/UPDATING/);
    expectSubsequence(result.path, [
      S.ReadConnectionString,
      S.DeleteVpcEndpoint,
      S.DeleteAtlasSide,
      S.CheckCleanup,
    ]);
    expect(failure(result).cleanup).toBe('complete');
    expect(live(w).total).toBe(0);
    // Facts §10: a service with an interface endpoint cannot be deleted; the workflow never asked while one was
    // there (no refusal), and the interface endpoint was deleted before anything happened to the service.
    expect(w.world.log.of('deletePrivateEndpointService', 400)).toEqual([]);
    const [firstInterfaceDelete] = positions(w, 'deletePrivateEndpoint', 204);
    expect(firstInterfaceDelete).toBeDefined();
    for (const i of positions(w, 'deletePrivateEndpointService'))
      expect(i).toBeGreaterThan(firstInterfaceDelete!);
  });

  it('when Atlas keeps the service after its last interface endpoint, cleanup deletes it once the interface endpoint is gone', async () => {
    const w = await open({
      preset: 'realistic',
      keepServiceAfterLastEndpoint: true,
      faults: 'dedicated-interface-rejected',
    });
    const result = await run(w, requestFor('dedicated', w));
    expect(result.error?.error).toBe(ErrorNames.EndpointRejected);
    const report = failure(result);
    expect(report.cleanup).toBe('complete');
    expect(report.resources.map((r) => [r.type, r.disposition]).sort()).toEqual([
      ['atlas-endpoint-service', 'deleted'],
      ['atlas-interface-endpoint', 'deleted'],
      ['vpc-endpoint', 'deleted'],
    ]);
    expect(live(w).total).toBe(0);
    // The service DELETE came only after Atlas reported the interface endpoint gone (404), and was accepted.
    const [serviceDelete, ...more] = positions(w, 'deletePrivateEndpointService');
    expect(more).toEqual([]);
    expect(w.world.log.entries[serviceDelete!]?.status).toBe(204);
    const gone = positions(w, 'getPrivateEndpoint', 404);
    expect(gone.length).toBeGreaterThan(0);
    expect(gone[0]).toBeLessThan(serviceDelete!);
  });

  it('never deletes an adopted service the request did not create, even once it has no interface endpoint', async () => {
    const w = await open({ keepServiceAfterLastEndpoint: true, faults: 'dedicated-interface-rejected' });
    const d = w.world.demo;
    const shared = w.world.atlas.createEndpointService(d.groupId, {
      providerName: 'AWS',
      region: 'US_EAST_1',
    });
    w.world.clock.advance(0);
    const result = await run(w, requestFor('dedicated', w));
    expect(result.error?.error).toBe(ErrorNames.EndpointRejected);
    expect(failure(result).resources).toContainEqual(
      expect.objectContaining({ type: 'atlas-endpoint-service', id: shared.id, disposition: 'not-owned' }),
    );
    expect(w.world.log.of('deletePrivateEndpointService')).toEqual([]);
    const inv = live(w);
    expect(inv.endpointServices.map((e) => [e.id, e.status])).toEqual([[shared.id, ready]]);
    expect(inv.total).toBe(1);
  });

  it('a multi-region cluster without an endpoint in its other region: success, no string, pendingRegions', async () => {
    const w = await open({ preset: APPLYING });
    const result = await run(w, requestFor('dedicated', w, { instanceName: 'orders-multi-region' }));
    const out = output(result);
    expect(out.privateSrvConnectionString).toBeNull();
    expect(out.pendingRegions).toEqual(['US_WEST_2']);
    // Decided once the cluster had applied the change (IDLE), not at a deadline.
    expect(result.metrics.virtualDurationMs).toBeGreaterThanOrEqual(240_000);
    expect(result.metrics.virtualDurationMs).toBeLessThan(PHASES.connection.defaultBudgetSeconds * 1000);
    expect(w.world.log.of('getRegionalizedPrivateEndpointSetting', 200).length).toBeGreaterThan(0);
    expect(live(w).total).toBe(3);
  });

  it('a multi-region cluster with an endpoint in every region gets its connection string', async () => {
    const w = await open({ preset: APPLYING });
    w.world.atlas.seedForeignInterfaceEndpoint({
      groupId: w.world.demo.groupId,
      regionName: 'US_WEST_2',
      vpcEndpointId: 'vpce-0ccccccccccccccc3',
    });
    const out = output(await run(w, requestFor('dedicated', w, { instanceName: 'orders-multi-region' })));
    expect(out.privateSrvConnectionString).toMatch(/^mongodb\+srv:\/\/orders-multi-region-pl-/);
    expect(out.pendingRegions).toEqual([]);
  });

  it('a multi-region cluster in a regionalized project gets a string for the request’s region alone', async () => {
    const w = await open({ preset: APPLYING, regionalizedPrivateEndpoints: true });
    const out = output(await run(w, requestFor('dedicated', w, { instanceName: 'orders-multi-region' })));
    expect(out.privateSrvConnectionString).toMatch(/^mongodb\+srv:\/\/orders-multi-region-pl-0\./);
    expect(out.pendingRegions).toEqual([]);
  });
});

// Validation reads only the project and the deployment, before any endpoint service exists: the endpoint
// service behaviour takes no part, so these run once.
describe('today’s Atlas: targets refused before anything is created', () => {
  it('refuses, before anything is created, targets without private endpoints or a node in the region', async () => {
    world = await newWorld({ preset: 'instant' });
    const w = world;
    const cases = [
      ['dedicated', 'orders-flex', 'instanceName', /is a Flex cluster\. .*dedicated clusters/],
      ['dedicated', 'orders-free', 'instanceName', /is a free \(M0\) cluster\. .*upgrade it/],
      ['dedicated', 'orders-gcp', 'instanceName', /has no node on AWS \(its nodes are on GCP\)/],
      ['dedicated', 'orders-eu', 'region', /has no node in us-east-1 \(its AWS regions: eu-west-1\)/],
      ['serverless', 'orders-flex', 'instanceName', /no longer a serverless instance.*now a Flex cluster/],
      [
        'serverless',
        'orders-dedicated',
        'instanceName',
        /now a dedicated cluster; run the request with "kind": "dedicated"/,
      ],
      ['serverless', 'orders-gone', 'instanceName', /no serverless instance named "orders-gone".*migrated/],
    ] as const;
    for (const [kind, instanceName, field, problem] of cases) {
      const label = `${kind} ${instanceName}`;
      const result = await run(w, requestFor(kind, w, { instanceName }));
      expect(result.error?.error, label).toBe(ErrorNames.InvalidRequest);
      expect(causeText(result), label).toContain(`${field}:`);
      expect(causeText(result), label).toMatch(problem);
      expect(result.path, label).not.toContain(S.CreateAtlasEndpoint);
      expect(failure(result).cleanup, label).toBe('not-needed');
    }
    const writes = w.world.log.entries.filter(
      (e) => e.service === 'atlas' && e.method !== 'GET' && e.operation !== 'oauthToken',
    );
    expect(writes).toEqual([]);
    expect(w.world.log.entries.filter((e) => e.operation === 'CreateVpcEndpoint')).toEqual([]);
    expect(live(w).total).toBe(0);
  });
});
