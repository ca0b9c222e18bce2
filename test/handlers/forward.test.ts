/**
 * The forward path, step by step, against the world: every step's happy path for both kinds and both auth
 * methods, then convergence (a re-run adopts instead of duplicating) and resuming a half-built endpoint.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { VpcEndpointSide } from '../../lambdas/core/state.ts';
import {
  TAG_ATLAS_CREATED,
  TAG_ATLAS_ENDPOINT_ID,
  TAG_ATLAS_GROUP_ID,
  TAG_ATLAS_INSTANCE_NAME,
  TAG_ATLAS_KIND,
  TAG_MANAGED_BY,
  TAG_REQUEST_ID,
} from '../../lambdas/core/tags.ts';
import { PHASES, type PollRecord, startPoll, type WorkflowState } from '../../lambdas/workflow/steps.ts';
import { ATLAS_LIFECYCLE } from '../../local/cloud/atlas-model.ts';
import { PRESETS } from '../../local/cloud/timeline.ts';
import { type AuthMethod, type Harness, KINDS, MANAGED_BY, startHarness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const AUTHS: readonly AuthMethod[] = ['service-account', 'api-key'];

describe.each(KINDS)('%s: every forward step', (kind) => {
  it.each(AUTHS)('runs the whole forward path with %s credentials', async (auth) => {
    h = await startHarness({ auth });
    const input = h.request(kind, { tags: { Team: 'payments' } });

    const validated = await h.call('validate-request', { input, executionName: 'exec-happy' });
    expect(validated.request).toMatchObject({ kind, requestId: 'exec-happy', rollbackOnFailure: true });
    expect(validated.existing).toEqual({});
    expect(validated.settings.phaseBudgetSeconds.atlasEndpoint).toBe(3600);
    expect(h.inventory().aws.vpcEndpoints).toHaveLength(0);

    const atlas = await h.call('create-atlas-endpoint', validated);
    expect(atlas).toMatchObject({ kind, created: true, status: 'pending', endpointServiceName: null });
    let state: WorkflowState = { ...validated, atlas };

    // describe-atlas-endpoint: one check after the first wait sees the service name (instant timeline).
    const atlasPoll = await h.call('describe-atlas-endpoint', {
      ...state,
      poll: startPoll('atlasEndpoint', 3600),
    });
    expect(atlasPoll).toMatchObject({ phase: 'atlasEndpoint', attempt: 1, done: true, waitSeconds: 0 });
    expect(atlasPoll.observed).toMatchObject({
      id: atlas.id,
      status: 'ready-for-vpc-endpoint',
      created: true,
    });
    expect(atlasPoll.observed?.endpointServiceName).toMatch(/^com\.amazonaws\.vpce\.us-east-1\.vpce-svc-/);
    state = { ...state, atlas: atlasPoll.observed! };

    const vpce = await h.call('create-vpc-endpoint', state);
    expect(vpce).toMatchObject({ created: true, serviceName: state.atlas!.endpointServiceName });
    const record = h.inventory().aws.vpcEndpoints.find((v) => v.id === vpce.vpcEndpointId)!;
    expect(record.tags).toMatchObject({
      Team: 'payments',
      Name: `atlas-${input.instanceName}`,
      [TAG_MANAGED_BY]: MANAGED_BY,
      [TAG_REQUEST_ID]: 'exec-happy',
      [TAG_ATLAS_KIND]: kind,
      [TAG_ATLAS_GROUP_ID]: h.demo.groupId,
      [TAG_ATLAS_INSTANCE_NAME]: input.instanceName,
      [TAG_ATLAS_ENDPOINT_ID]: atlas.id,
      [TAG_ATLAS_CREATED]: 'true',
    });
    // The ClientToken names the request and the endpoint service (readable: it fits in 64 characters).
    const serviceId = state.atlas!.endpointServiceName!.split('.').at(-1);
    expect(serviceId).toMatch(/^vpce-svc-[0-9a-f]+$/);
    expect(record.clientToken).toBe(`exec-happy:${serviceId}`);
    expect(record.privateDnsEnabled).toBe(false);
    state = { ...state, vpcEndpoint: vpce };

    const vpcPoll = await h.call('describe-vpc-endpoint', { ...state, poll: startPoll('vpcEndpoint', 900) });
    expect(vpcPoll.done).toBe(true);
    expect(vpcPoll.observed).toMatchObject({ state: 'pendingAcceptance', created: true });
    state = { ...state, vpcEndpoint: vpcPoll.observed! };

    const link = await h.call('link-endpoint', state);
    expect(link).toMatchObject({ vpcEndpointId: vpce.vpcEndpointId, created: true, status: 'linking' });
    state = { ...state, link };

    const linkPoll = await h.call('describe-link', { ...state, poll: startPoll('link', 3600) });
    expect(linkPoll).toMatchObject({ phase: 'link', done: true });
    expect(linkPoll.observed).toMatchObject({ status: 'available', atlasStatus: 'AVAILABLE', created: true });
    state = { ...state, link: linkPoll.observed! };

    const connection = await h.call('read-connection-string', {
      ...state,
      poll: startPoll('connection', 1800),
    });
    expect(connection.done).toBe(true);
    expect(connection.observed?.srvConnectionString).toMatch(/^mongodb\+srv:\/\//);
    if (kind === 'dedicated') expect(connection.observed?.connectionString).toMatch(/^mongodb:\/\//);

    // Exactly one of each on both sides, nothing else.
    const inv = h.inventory();
    expect(inv.aws.vpcEndpoints.map((v) => [v.id, v.state])).toEqual([[vpce.vpcEndpointId, 'available']]);
    if (kind === 'serverless') {
      expect(inv.atlas.serverlessEndpoints).toEqual([
        expect.objectContaining({
          id: atlas.id,
          status: 'AVAILABLE',
          cloudProviderEndpointId: vpce.vpcEndpointId,
        }),
      ]);
      expect(inv.atlas.endpointServices).toEqual([]);
    } else {
      expect(inv.atlas.endpointServices.map((s) => s.id)).toEqual([atlas.id]);
      expect(inv.atlas.interfaceEndpoints).toEqual([
        expect.objectContaining({ interfaceEndpointId: vpce.vpcEndpointId, connectionStatus: 'AVAILABLE' }),
      ]);
    }
  });
});

describe.each(KINDS)('%s: convergence', (kind) => {
  it('a re-run with the same requestId finds the pair and adopts it without creating or PATCHing anything', async () => {
    h = await startHarness();
    const input = h.request(kind, { requestId: 'orders-link-1' });
    const first = await h.drive(input, 'exec-1');
    const before = h.inventory();
    const mutatingBefore = mutations(h);

    const validated = await h.call('validate-request', { input, executionName: 'exec-2' });
    expect(validated.request.requestId).toBe('orders-link-1');
    expect(validated.existing.atlas).toMatchObject({
      id: first.atlas!.id,
      created: true,
      // A dedicated service stays "ready" (AVAILABLE with a name); a serverless endpoint is itself the link.
      status: kind === 'serverless' ? 'available' : 'ready-for-vpc-endpoint',
    });
    expect(validated.existing.vpcEndpoint).toMatchObject({
      vpcEndpointId: first.vpcEndpoint!.vpcEndpointId,
      created: true,
      state: 'available',
    });
    expect(validated.existing.link).toMatchObject({
      vpcEndpointId: first.vpcEndpoint!.vpcEndpointId,
      atlasStatus: 'AVAILABLE',
      created: true,
    });

    const second = await h.drive(input, 'exec-2');
    expect(second.atlas?.id).toBe(first.atlas!.id);
    expect(second.vpcEndpoint?.vpcEndpointId).toBe(first.vpcEndpoint!.vpcEndpointId);
    expect(second.connection).toEqual(first.connection);
    expect(h.inventory()).toEqual(before);
    // Nothing was created, linked or PATCHed the second time.
    expect(mutations(h)).toEqual(mutatingBefore);
  });

  it('a re-run whose Atlas side was replaced creates the VPC endpoint to the new service and reaches AVAILABLE', async () => {
    h = await startHarness();
    const input = h.request(kind, { requestId: 'reused-1' });
    const first = await h.drive(input, 'exec-first', 'create-vpc-endpoint');
    // The Atlas side is deleted by hand; the VPC endpoint to its (now retired) service stays.
    if (kind === 'serverless') {
      h.world.atlas.deleteServerlessEndpoint(h.demo.groupId, input.instanceName as string, first.atlas!.id);
    } else {
      h.world.atlas.deleteEndpointService(h.demo.groupId, 'AWS', first.atlas!.id);
    }
    h.world.clock.advance(60_000);

    // The same request id again: a new Atlas side (a new service name), then a VPC endpoint to it.
    const second = await h.drive(input, 'exec-second');
    expect(second.atlas).toMatchObject({ created: true });
    expect(second.atlas!.id).not.toBe(first.atlas!.id);
    expect(second.atlas!.endpointServiceName).not.toBe(first.atlas!.endpointServiceName);
    expect(second.vpcEndpoint).toMatchObject({
      created: true,
      serviceName: second.atlas!.endpointServiceName,
    });
    expect(second.vpcEndpoint!.vpcEndpointId).not.toBe(first.vpcEndpoint!.vpcEndpointId);
    expect(second.link).toMatchObject({
      vpcEndpointId: second.vpcEndpoint!.vpcEndpointId,
      atlasStatus: 'AVAILABLE',
      created: true,
    });
    expect(second.connection?.srvConnectionString).toMatch(/^mongodb\+srv:/);
    expect(h.ec2Calls().filter((c) => c.startsWith('CreateVpcEndpoint '))).toEqual([
      'CreateVpcEndpoint 200',
      'CreateVpcEndpoint 200',
    ]);
    // Each endpoint carries the request id tag and a ClientToken naming its execution and its own service.
    const serviceId = (name: string | null) => name!.split('.').at(-1);
    const byId = new Map(h.inventory().aws.vpcEndpoints.map((v) => [v.id, v]));
    for (const [run, execution] of [
      [first, 'exec-first'],
      [second, 'exec-second'],
    ] as const) {
      const record = byId.get(run.vpcEndpoint!.vpcEndpointId)!;
      expect(record.tags[TAG_REQUEST_ID]).toBe('reused-1');
      expect(record.clientToken).toBe(`${execution}:${serviceId(run.atlas!.endpointServiceName)}`);
    }
  });

  it('another request for the same (project, instance, VPC) adopts the pair but owns none of it', async () => {
    h = await startHarness();
    const first = await h.drive(h.request(kind), 'exec-a');
    const before = h.inventory();
    const validated = await h.call('validate-request', { input: h.request(kind), executionName: 'exec-b' });
    expect(validated.existing.atlas).toMatchObject({ id: first.atlas!.id, created: false });
    expect(validated.existing.vpcEndpoint).toMatchObject({
      vpcEndpointId: first.vpcEndpoint!.vpcEndpointId,
      created: false,
    });
    expect(validated.existing.link).toMatchObject({ created: false });
    const second = await h.drive(h.request(kind), 'exec-b');
    expect(second.connection).toEqual(first.connection);
    expect(h.inventory()).toEqual(before);
  });

  it('resumes a half-built endpoint: Atlas side and VPC endpoint exist, the link does not', async () => {
    h = await startHarness();
    const input = h.request(kind, { requestId: 'resume-1' });
    const half = await h.drive(input, 'exec-crashed', 'describe-vpc-endpoint');
    expect(h.inventory().aws.vpcEndpoints).toHaveLength(1);

    const validated = await h.call('validate-request', { input, executionName: 'exec-resume' });
    expect(validated.existing.atlas).toMatchObject({ id: half.atlas!.id, created: true });
    expect(validated.existing.vpcEndpoint).toMatchObject({
      vpcEndpointId: half.vpcEndpoint!.vpcEndpointId,
      created: true,
    });
    expect(validated.existing.link).toBeUndefined();

    const done = await h.drive(input, 'exec-resume');
    expect(done.link).toMatchObject({ vpcEndpointId: half.vpcEndpoint!.vpcEndpointId, created: true });
    expect(done.connection?.srvConnectionString).toMatch(/^mongodb\+srv:/);
    const inv = h.inventory();
    expect(inv.aws.vpcEndpoints).toHaveLength(1);
    expect(inv.atlas.serverlessEndpoints.length + inv.atlas.endpointServices.length).toBe(1);
  });

  it('link-endpoint adopts a link an earlier attempt made (lost answer) instead of linking again', async () => {
    h = await startHarness();
    const state = await h.drive(h.request(kind), 'exec-lost', 'describe-vpc-endpoint');
    const first = await h.call('link-endpoint', state);
    const linkCalls = () =>
      h!
        .atlasCalls()
        .filter(
          (c) => c.startsWith('updateServerlessPrivateEndpoint') || c.startsWith('createPrivateEndpoint '),
        );
    expect(linkCalls()).toHaveLength(1);
    // The Lambda is retried with the same input (its first answer never reached Step Functions).
    const again = await h.call('link-endpoint', state);
    expect(again).toMatchObject({ vpcEndpointId: first.vpcEndpointId, created: true });
    expect(linkCalls()).toHaveLength(1);
  });
});

describe('polling on the phase schedule', () => {
  it('describe-vpc-endpoint keeps waiting while the endpoint is pending, then records it', async () => {
    h = await startHarness({ preset: { ...PRESETS.instant, vpcEndpointProvisioning: 27_000 } });
    const state = await h.drive(h.request('dedicated'), 'exec-pending', 'create-vpc-endpoint');
    let poll: PollRecord<VpcEndpointSide> = startPoll('vpcEndpoint', 900);
    const seen: [number, boolean, number, string][] = [];
    do {
      h.world.clock.advance(poll.waitSeconds * 1000);
      poll = await h.call('describe-vpc-endpoint', { ...state, poll });
      seen.push([poll.attempt, poll.done, poll.elapsedSeconds, poll.observed!.state]);
    } while (!poll.done);
    // The first check at 20 s (the usual duration), then every 5 s across the usual window: ready at 27 s is
    // seen at 30 s, the schedule of PHASES.vpcEndpoint.
    expect(seen).toEqual([
      [1, false, 20, 'pending'],
      [2, false, 25, 'pending'],
      [3, true, 30, 'pendingAcceptance'],
    ]);
  });

  it('read-connection-string reports no string (and the cluster state) until Atlas publishes it', async () => {
    h = await startHarness({
      faults: [{ operation: ATLAS_LIFECYCLE.interfaceEndpointAvailable, effect: { kind: 'stuck' } }],
    });
    const state = await h.drive(h.request('dedicated'), 'exec-no-string', 'link-endpoint');
    const poll = await h.call('read-connection-string', { ...state, poll: startPoll('connection', 1800) });
    expect(poll).toMatchObject({
      phase: 'connection',
      attempt: 1,
      done: false,
      observed: { atlasStatus: 'IDLE', srvConnectionString: null, pendingRegions: [] },
      waitSeconds: PHASES.connection.intervalsSeconds[0],
    });
  });

  it('read-connection-string waits while the cluster is UPDATING, then reads the string once IDLE', async () => {
    h = await startHarness({ preset: { ...PRESETS.instant, privateEndpointApply: 240_000 } });
    const state = await h.drive(h.request('dedicated'), 'exec-updating', 'link-endpoint');
    const linked = await h.poll('link', state);
    const first = await h.call('read-connection-string', { ...linked, poll: startPoll('connection', 1800) });
    expect(first).toMatchObject({
      done: false,
      observed: { atlasStatus: 'UPDATING', srvConnectionString: null, pendingRegions: [] },
    });
    h.world.clock.advance(240_000);
    const second = await h.call('read-connection-string', { ...linked, poll: first });
    expect(second.done).toBe(true);
    expect(second.observed).toMatchObject({ atlasStatus: 'IDLE', pendingRegions: [] });
    expect(second.observed?.srvConnectionString).toMatch(/^mongodb\+srv:\/\/orders-dedicated-pl-0\./);
  });
});

describe('dedicated: a shared endpoint service', () => {
  it('adopts the region service that exists before the request, with created false', async () => {
    h = await startHarness();
    const shared = h.world.atlas.createEndpointService(h.demo.groupId, {
      providerName: 'AWS',
      region: 'US_EAST_1',
    });
    const state = await h.drive(h.request('dedicated'), 'exec-shared');
    expect(state.existing.atlas).toMatchObject({ id: shared.id, created: false });
    expect(state.atlas).toMatchObject({ id: shared.id, created: false });
    expect(state.vpcEndpoint?.created).toBe(true);
    expect(state.link?.created).toBe(true);
    const tags = h.inventory().aws.vpcEndpoints[0]!.tags;
    expect(tags[TAG_ATLAS_CREATED]).toBe('false');
    expect(h.inventory().atlas.endpointServices).toHaveLength(1);
  });

  it('adopts a service created by another execution in between (created false), found before any POST', async () => {
    h = await startHarness();
    const validated = await h.call('validate-request', {
      input: h.request('dedicated'),
      executionName: 'exec-race',
    });
    expect(validated.existing).toEqual({});
    // Another execution creates the region's service in between.
    const other = h.world.atlas.createEndpointService(h.demo.groupId, {
      providerName: 'AWS',
      region: 'US_EAST_1',
    });
    const atlas = await h.call('create-atlas-endpoint', validated);
    expect(atlas).toMatchObject({ id: other.id, created: false });
    // The create step looks before it POSTs: no create was sent at all.
    expect(h.atlasCalls().filter((c) => c.startsWith('createPrivateEndpointService'))).toEqual([]);
    expect(h.atlasCalls()).toContain('listPrivateEndpointService 200');
  });

  it('adopts the service on 409 (created false) when it appears between the look-up and the POST', async () => {
    h = await startHarness();
    const validated = await h.call('validate-request', {
      input: h.request('dedicated'),
      executionName: 'exec-race-409',
    });
    // Another execution creates the region's service right after this step's look-up.
    let other: { id: string } | undefined;
    const take = h.world.faults.take.bind(h.world.faults);
    h.world.faults.take = (operation) => {
      if (operation === 'createPrivateEndpointService' && other === undefined) {
        other = h!.world.atlas.createEndpointService(h!.demo.groupId, {
          providerName: 'AWS',
          region: 'US_EAST_1',
        });
      }
      return take(operation);
    };
    const atlas = await h.call('create-atlas-endpoint', validated);
    expect(atlas).toMatchObject({ id: other?.id, created: false });
    expect(h.atlasCalls()).toContain('createPrivateEndpointService 409');
    expect(h.inventory().atlas.endpointServices).toHaveLength(1);
  });
});

/** Atlas and EC2 calls that create, link or change something. */
function mutations(harness: Harness): string[] {
  return [...harness.atlasCalls(), ...harness.ec2Calls()].filter((c) =>
    /^(create|update|delete)|^CreateVpcEndpoint|^DeleteVpcEndpoints/i.test(c),
  );
}
