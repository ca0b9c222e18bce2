/**
 * The scenario matrix: named scenarios run through the local engine (the synthesized definition, the real
 * handlers, the simulated world over HTTP), for both endpoint kinds, and for the dedicated kind on both
 * endpoint service behaviours (facts §10: AVAILABLE before any interface endpoint today; WAITING_FOR_USER on
 * older Atlas). Each asserts the path of states, the output or the named error, the events and the inventory
 * afterwards. Today's Atlas specifics (clusters, multi-region, validation of the target) are in today.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import type { EndpointKind } from '../../lambdas/core/state.ts';
import { DetailTypes } from '../../lambdas/workflow/events.ts';
import { StateNames as S } from '../../lambdas/workflow/steps.ts';
import type { EndpointServiceReadyStatus } from '../../local/cloud/atlas-model.ts';
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

async function openWorld(setup: Parameters<typeof newWorld>[0] = {}): Promise<TestWorld> {
  world = await newWorld(setup);
  return world;
}
const open = openWorld;

const FORWARD_PATH = [
  S.ValidateRequest,
  S.CreateAtlasEndpoint,
  S.WaitForEndpointService,
  S.CheckEndpointService,
  S.CreateVpcEndpoint,
  S.CheckVpcEndpoint,
  S.LinkAtlasEndpoint,
  S.WaitForLink,
  S.CheckLink,
  S.ReadConnectionString,
  S.ShapeOutput,
  S.PublishAvailableEvent,
  S.Succeeded,
];

const CLEANUP_PATH = [
  S.DeleteVpcEndpoint,
  S.DeleteAtlasSide,
  S.CheckCleanup,
  S.SummarizeFailure,
  S.PublishFailedEvent,
  S.Failed,
];

function failedEvent(result: LocalRunResult) {
  expect(result.events.map((e) => e.detailType)).toEqual([DetailTypes.Failed]);
  return (result.events[0]!.detail as { failure: Record<string, unknown> }).failure as {
    error: string;
    cause: string;
    cleanup: string;
    rollbackOnFailure: boolean | null;
    resources: { type: string; id: string; disposition: string }[];
  };
}

function expectSucceeded(result: LocalRunResult, kind: EndpointKind) {
  expect(result.error, causeText(result)).toBeUndefined();
  expect(result.status).toBe('SUCCEEDED');
  const out = result.output as Record<string, unknown>;
  expect(out).toMatchObject({ kind, status: 'AVAILABLE' });
  expect(out.vpcEndpointId).toMatch(/^vpce-[0-9a-f]{17}$/);
  expect(out.atlasEndpointId).toMatch(/^[0-9a-f]{24}$/);
  expect(out.endpointServiceName).toMatch(/^com\.amazonaws\.vpce\.us-east-1\.vpce-svc-[0-9a-f]{17}$/);
  expect(out.privateSrvConnectionString).toMatch(/^mongodb\+srv:\/\//);
  expect(Array.isArray(out.dnsEntries) && out.dnsEntries.length > 0).toBe(true);
  expect(result.events.map((e) => e.detailType)).toEqual([DetailTypes.Available]);
  expect((result.events[0]!.detail as { output: unknown }).output).toEqual(out);
  return out as { vpcEndpointId: string; atlasEndpointId: string; endpointServiceName: string };
}

const MATRIX: readonly { kind: EndpointKind; ready: EndpointServiceReadyStatus }[] = [
  { kind: 'serverless', ready: 'AVAILABLE' },
  ...SERVICE_READY_STATUSES.map((ready) => ({ kind: 'dedicated' as const, ready })),
];

describe.each(MATRIX)('$kind scenarios (endpoint service ready as $ready)', ({ kind, ready }) => {
  const open = (setup: Parameters<typeof newWorld>[0] = {}) =>
    openWorld({ endpointServiceReadyStatus: ready, ...setup });

  it('happy path: creates both sides, links them, waits for the deployment to apply it, reads the private connection string', async () => {
    const w = await open();
    const result = await run(w, requestFor(kind, w));
    const out = expectSucceeded(result, kind);
    expectSubsequence(result.path, FORWARD_PATH);
    expect(result.path).not.toContain(S.DeleteVpcEndpoint);
    // Nothing was adopted: every phase waited.
    expect(result.path).toContain(S.WaitForEndpointService);
    expect(result.path).toContain(S.WaitForVpcEndpoint);
    // Facts §10: the deployment goes UPDATING once the link is AVAILABLE and names the VPC endpoint only when
    // IDLE again (about 4 minutes on this timeline): the connection phase looks first after 3 minutes, then
    // across its usual window (3-5 minutes), so a few reads find it.
    const reads = result.path.filter((st) => st === S.ReadConnectionString).length;
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(5);
    expect(out).toMatchObject({ pendingRegions: [] });
    const inv = live(w);
    expect(inv.vpcEndpoints.map((v) => [v.id, v.state])).toEqual([[out.vpcEndpointId, 'available']]);
    if (kind === 'serverless') {
      expect(inv.serverlessEndpoints.map((e) => [e.id, e.status])).toEqual([
        [out.atlasEndpointId, 'AVAILABLE'],
      ]);
      expect(inv.total).toBe(2);
    } else {
      expect(inv.endpointServices.map((e) => [e.id, e.status])).toEqual([[out.atlasEndpointId, 'AVAILABLE']]);
      expect(inv.interfaceEndpoints.map((e) => [e.interfaceEndpointId, e.connectionStatus])).toEqual([
        [out.vpcEndpointId, 'AVAILABLE'],
      ]);
      expect(inv.total).toBe(3);
    }
    // Polling found each change without hammering Atlas: the realistic timeline takes minutes of virtual time.
    expect(result.metrics.virtualDurationMs).toBeGreaterThan(3 * 60_000);
    const describes = Object.entries(result.metrics.atlasCalls)
      .filter(([op]) => op.startsWith('get'))
      .reduce((n, [, c]) => n + c, 0);
    // The checks fall where each transition is likely: far fewer reads than a 10-s poll would make.
    expect(describes).toBeLessThan(15);
  });

  it('re-running the same request converges on the existing pair (no duplicates)', async () => {
    const w = await open();
    const input = requestFor(kind, w, { requestId: 'orders-link-1' });
    const first = expectSucceeded(await run(w, input), kind);
    const createsBefore = { ...w.world.log.counts() };
    const again = await run(w, input, { executionName: 'a-different-execution' });
    const second = expectSucceeded(again, kind);
    expect(second).toEqual(first);
    // Everything was adopted ready: no first wait for the service or the VPC endpoint.
    expect(again.path).toContain(S.EndpointServiceAlreadyReady);
    expect(again.path).toContain(S.VpcEndpointAlreadyReady);
    expect(again.path).not.toContain(S.WaitForEndpointService);
    expect(again.path).not.toContain(S.WaitForVpcEndpoint);
    const counts = w.world.log.counts();
    for (const op of [
      'createServerlessPrivateEndpoint',
      'createPrivateEndpointService',
      'createPrivateEndpoint',
    ]) {
      expect(counts[op] ?? 0, op).toBe(createsBefore[op] ?? 0);
    }
    expect(counts.CreateVpcEndpoint ?? 0).toBe(createsBefore.CreateVpcEndpoint ?? 0);
    expect(w.world.log.of('updateServerlessPrivateEndpoint').length).toBe(kind === 'serverless' ? 1 : 0);
    expect(live(w).total).toBe(kind === 'serverless' ? 2 : 3);
  });

  it('a half-built request resumes where the last run stopped', async () => {
    // The first run creates the Atlas side, then EC2 refuses the VPC endpoint once; rollback is off, so the
    // Atlas side is kept. The second run of the same request adopts it instead of creating another.
    const w = await open({
      faults: [
        {
          operation: 'CreateVpcEndpoint',
          effect: {
            kind: 'ec2-error',
            code: 'VpcEndpointLimitExceeded',
            status: 400,
            message: 'limit reached',
          },
        },
      ],
    });
    const input = requestFor(kind, w, { requestId: 'resume-me', rollbackOnFailure: false });
    const first = await run(w, input);
    expect(first.status).toBe('FAILED');
    expect(first.error?.error).toBe(ErrorNames.AwsRequestRejected);
    const kept = failedEvent(first);
    expect(kept.cleanup).toBe('disabled');
    expect(kept.resources.map((r) => r.disposition)).toEqual(kept.resources.map(() => 'kept'));
    const atlasId = kept.resources.find((r) => r.type.startsWith('atlas-'))?.id;
    expect(atlasId).toMatch(/^[0-9a-f]{24}$/);
    expect(live(w).vpcEndpoints).toEqual([]);

    const second = await run(w, input);
    const out = expectSucceeded(second, kind);
    expect(out.atlasEndpointId).toBe(atlasId);
    const creates = w.world.log.of(
      kind === 'serverless' ? 'createServerlessPrivateEndpoint' : 'createPrivateEndpointService',
    );
    expect(creates).toHaveLength(1);
    expect(live(w).total).toBe(kind === 'serverless' ? 2 : 3);
  });

  it('Atlas FAILED while building the endpoint service: named error, cleanup, nothing left', async () => {
    const w = await open({
      faults: kind === 'serverless' ? 'serverless-reservation-failed' : 'dedicated-service-failed',
    });
    const result = await run(w, requestFor(kind, w));
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorNames.EndpointFailed);
    expect(causeText(result)).toMatch(/FAILED|failed/);
    expectSubsequence(result.path, [
      S.CreateAtlasEndpoint,
      S.CheckEndpointService,
      S.DeleteAtlasSide,
      S.Failed,
    ]);
    expect(result.path).not.toContain(S.CreateVpcEndpoint);
    const failure = failedEvent(result);
    expect(failure.error).toBe(ErrorNames.EndpointFailed);
    expect(failure.cleanup).toBe('complete');
    expect(live(w).total).toBe(0);
  });

  it('the link fails after the VPC endpoint was registered: both sides are cleaned up', async () => {
    const w = await open({
      faults: kind === 'serverless' ? 'serverless-link-failed' : 'dedicated-interface-rejected',
    });
    const result = await run(w, requestFor(kind, w));
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(
      kind === 'serverless' ? ErrorNames.EndpointFailed : ErrorNames.EndpointRejected,
    );
    expectSubsequence(result.path, [S.LinkAtlasEndpoint, S.CheckLink, ...CLEANUP_PATH]);
    const failure = failedEvent(result);
    expect(failure.cleanup).toBe('complete');
    expect(failure.resources.every((r) => r.disposition === 'deleted')).toBe(true);
    expect(failure.resources.map((r) => r.type)).toContain('vpc-endpoint');
    expect(failure.cause).toContain(
      failure.resources.find((r) => r.type === 'vpc-endpoint')?.id ?? 'missing',
    );
    expect(live(w).total).toBe(0);
  });

  it('a phase deadline is exceeded: DeadlineExceeded after the phase budget, then cleanup', async () => {
    const w = await open({ faults: kind === 'serverless' ? 'serverless-stuck' : 'dedicated-stuck' });
    const result = await run(w, requestFor(kind, w, { phaseBudgetSeconds: { atlasEndpoint: 300 } }));
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorNames.DeadlineExceeded);
    expect(causeText(result)).toMatch(/300 s/);
    const checks = result.path.filter((s) => s === S.CheckEndpointService).length;
    expect(checks).toBeGreaterThan(3);
    expect(result.metrics.virtualDurationMs).toBeGreaterThanOrEqual(300_000);
    expect(failedEvent(result).cleanup).toBe('complete');
    expect(live(w).total).toBe(0);
  });

  it('EC2 refuses the VPC endpoint: AwsRequestRejected with the AWS message, Atlas side deleted', async () => {
    const w = await open({ faults: 'ec2-limit' });
    const result = await run(w, requestFor(kind, w));
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorNames.AwsRequestRejected);
    expect(causeText(result)).toMatch(/maximum number of VPC endpoints/);
    expectSubsequence(result.path, [S.CreateVpcEndpoint, S.DeleteAtlasSide, S.Failed]);
    expect(live(w).total).toBe(0);
  });

  it('the VPC endpoint fails in AWS after creation: EndpointRejected, cleanup', async () => {
    const w = await open({ faults: 'vpc-endpoint-failed' });
    const result = await run(w, requestFor(kind, w));
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorNames.EndpointRejected);
    expectSubsequence(result.path, [S.CheckVpcEndpoint, ...CLEANUP_PATH]);
    expect(live(w).total).toBe(0);
  });

  it('recovers from bursts of 429 and 5xx (every plan of the catalog: fault-catalog.test.ts)', async () => {
    const w = await open({ faults: 'atlas-burst-mixed' });
    const result = await run(w, requestFor(kind, w));
    expectSucceeded(result, kind);
    const faulted = w.world.log.entries.filter((e) => e.fault !== undefined).map((e) => e.status);
    expect(faulted).toEqual(expect.arrayContaining([429, 500, 503]));
    expect(live(w).total).toBe(kind === 'serverless' ? 2 : 3);
  });

  it('rollbackOnFailure false keeps everything and names it in the output', async () => {
    const w = await open({
      faults: kind === 'serverless' ? 'serverless-link-failed' : 'dedicated-interface-rejected',
    });
    const result = await run(w, requestFor(kind, w, { rollbackOnFailure: false }));
    expect(result.status).toBe('FAILED');
    // The delete steps only look (so everything kept is named); no cleanup loop.
    expect(result.path).toContain(S.DeleteVpcEndpoint);
    expect(result.path).not.toContain(S.CheckCleanup);
    const deletes = w.world.log.entries.filter(
      (e) => e.service !== 'dynamodb' && (e.method === 'DELETE' || e.operation.startsWith('Delete')),
    );
    expect(deletes).toEqual([]);
    const failure = failedEvent(result);
    expect(failure.cleanup).toBe('disabled');
    expect(failure.rollbackOnFailure).toBe(false);
    const inv = live(w);
    expect(inv.total).toBeGreaterThan(0);
    const vpce = inv.vpcEndpoints[0]?.id ?? 'missing';
    expect(failure.resources).toContainEqual(
      expect.objectContaining({ type: 'vpc-endpoint', id: vpce, disposition: 'kept' }),
    );
    expect(causeText(result)).toContain(vpce);
    for (const r of failure.resources) expect(r.disposition).toBe('kept');
  });
});

describe('authentication', () => {
  it.each(['service-account', 'api-key'] as const)(
    'runs end to end with %s credentials and never leaks them',
    async (auth) => {
      const w = await open({ preset: 'instant' });
      const result = await run(w, requestFor('dedicated', w), { auth });
      expectSucceeded(result, 'dedicated');
      const kinds = new Set(
        w.world.log.entries.filter((e) => e.service === 'atlas' && e.status < 400).map((e) => e.auth),
      );
      expect([...kinds].sort()).toEqual(auth === 'api-key' ? ['digest'] : ['basic', 'bearer']);
      const text = JSON.stringify(result);
      const d = w.world.demo;
      for (const secret of [d.serviceAccount.clientSecret, d.apiKey.privateKey])
        expect(text).not.toContain(secret);
    },
  );
});

describe('serverless API retired (Atlas today)', () => {
  it('fails fast with AtlasApiGone and points to kind: dedicated, creating nothing', async () => {
    const w = await open({ serverlessRetired: true });
    const result = await run(w, requestFor('serverless', w));
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorNames.AtlasApiGone);
    expect(causeText(result)).toMatch(/dedicated/);
    expect(result.path).not.toContain(S.WaitForEndpointService);
    expect(result.metrics.providerTimeMs).toBe(0);
    expect(failedEvent(result).cleanup).toBe('not-needed');
    expect(live(w).total).toBe(0);
  });

  it('the dedicated flow still works in the same world', async () => {
    const w = await open({ serverlessRetired: true });
    expectSucceeded(await run(w, requestFor('dedicated', w)), 'dedicated');
  });
});

describe('bad input', () => {
  it('an invalid request fails with InvalidRequest naming every bad field, before anything is created', async () => {
    const w = await open();
    const result = await run(w, {
      ...requestFor('serverless', w),
      groupId: 'nope',
      subnetIds: [],
      comment: 'x'.repeat(81),
    });
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorNames.InvalidRequest);
    const cause = causeText(result);
    expect(cause).toMatch(/groupId/);
    expect(cause).toMatch(/subnetIds/);
    expect(cause).toMatch(/comment/);
    expect(w.world.log.entries.filter((e) => e.service === 'atlas' && e.method !== 'GET')).toEqual([]);
    expect(live(w).total).toBe(0);
  });
});
