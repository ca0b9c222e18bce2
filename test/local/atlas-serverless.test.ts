import { describe, expect, it } from 'vitest';
import type { StartWorldOptions } from '../../local/cloud/index.ts';
import { PRESETS, type Timeline } from '../../local/cloud/timeline.ts';
import { type AnyJson, DigestClient, demoApi } from '../support/atlas-http.ts';
import { useTestWorlds } from '../support/world.ts';

const S = 1000;
/** Explicit durations so intermediate states are observable. */
const SLOW: Timeline = {
  ...PRESETS.realistic,
  serverlessReservation: 60 * S,
  serverlessAcceptance: 120 * S,
  serverlessDeletion: 30 * S,
  vpcEndpointProvisioning: 10 * S,
};

const startWorld = useTestWorlds();

async function setup(options: StartWorldOptions = {}) {
  const w = await startWorld(options);
  const api = demoApi(w);
  return { w, ...api, base: api.serverless };
}

describe('serverless private endpoint lifecycle', () => {
  it('goes RESERVATION_REQUESTED -> RESERVED -> INITIATING -> AVAILABLE -> DELETING -> gone on the timeline', async () => {
    const { w, atlas, base, vpce } = await setup({ preset: SLOW });
    const created = await atlas.request('POST', base, { body: { comment: 'orders app' } });
    expect(created.status).toBe(201);
    expect(created.headers.get('content-type')).toBe('application/vnd.atlas.2023-01-01+json');
    expect(created.body).toMatchObject({
      status: 'RESERVATION_REQUESTED',
      endpointServiceName: null,
      comment: 'orders app',
      providerName: 'AWS',
    });
    const id: string = created.body._id;
    expect(id).toMatch(/^[a-f0-9]{24}$/);

    w.world.clock.advance(59 * S);
    expect((await atlas.request('GET', `${base}/${id}`)).body.status).toBe('RESERVATION_REQUESTED');
    w.world.clock.advance(1 * S);
    const reserved = await atlas.request('GET', `${base}/${id}`);
    expect(reserved.body.status).toBe('RESERVED');
    const serviceName: string = reserved.body.endpointServiceName;
    expect(serviceName).toMatch(/^com\.amazonaws\.vpce\.us-east-1\.vpce-svc-[0-9a-f]{17}$/);
    expect(w.world.aws.hasEndpointService(serviceName)).toBe(true);

    const vpceId = vpce(serviceName);
    w.world.clock.advance(10 * S);
    expect(w.world.aws.getVpcEndpoint(vpceId)?.state).toBe('pendingAcceptance');

    const patched = await atlas.request('PATCH', `${base}/${id}`, {
      body: { providerName: 'AWS', cloudProviderEndpointId: vpceId },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ status: 'INITIATING', cloudProviderEndpointId: vpceId });
    w.world.clock.advance(119 * S);
    expect((await atlas.request('GET', `${base}/${id}`)).body.status).toBe('INITIATING');
    w.world.clock.advance(1 * S);
    expect((await atlas.request('GET', `${base}/${id}`)).body.status).toBe('AVAILABLE');
    expect(w.world.aws.getVpcEndpoint(vpceId)?.state).toBe('available');

    const list = await atlas.request('GET', base);
    expect(Array.isArray(list.body)).toBe(true);
    expect(list.body.map((e: AnyJson) => e._id)).toEqual([id]);

    const deleted = await atlas.request('DELETE', `${base}/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect((await atlas.request('GET', `${base}/${id}`)).body.status).toBe('DELETING');
    w.world.clock.advance(30 * S);
    const gone = await atlas.request('GET', `${base}/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.errorCode).toBe('RESOURCE_NOT_FOUND');
    // Atlas removed its endpoint service: AWS rejected the connection.
    expect(w.world.aws.hasEndpointService(serviceName)).toBe(false);
    expect(w.world.aws.getVpcEndpoint(vpceId)?.state).toBe('rejected');
  });

  it('shows the private connection string on the serverless instance once AVAILABLE', async () => {
    const { w, atlas, base, vpce, demo } = await setup();
    const instancePath = `/api/atlas/v2/groups/${demo.groupId}/serverless/orders`;
    const before = await atlas.request('GET', instancePath);
    expect(before.status).toBe(200);
    expect(before.body.connectionStrings.privateEndpoint).toBeUndefined();
    expect(before.body.connectionStrings.standardSrv).toMatch(
      /^mongodb\+srv:\/\/orders\.[a-z0-9]{5}\.mongodb\.net$/,
    );
    expect(before.body.providerSettings).toMatchObject({
      providerName: 'SERVERLESS',
      backingProviderName: 'AWS',
      regionName: 'US_EAST_1',
    });

    const id = (await atlas.request('POST', base, { body: {} })).body._id;
    w.world.clock.advance(0);
    const name = (await atlas.request('GET', `${base}/${id}`)).body.endpointServiceName;
    const vpceId = vpce(name);
    w.world.clock.advance(0);
    await atlas.request('PATCH', `${base}/${id}`, {
      body: { providerName: 'AWS', cloudProviderEndpointId: vpceId },
    });
    expect((await atlas.request('GET', `${base}/${id}`)).body.status).toBe('AVAILABLE');

    const after = await atlas.request('GET', instancePath);
    const pe = after.body.connectionStrings.privateEndpoint;
    expect(pe).toHaveLength(1);
    expect(pe[0]).toMatchObject({
      type: 'MONGOS',
      endpoints: [{ endpointId: vpceId, providerName: 'AWS', region: 'US_EAST_1' }],
    });
    expect(pe[0].srvConnectionString).toMatch(/^mongodb\+srv:\/\/orders-pe-0\.[a-z0-9]{5}\.mongodb\.net$/);
  });

  it('the instance goes UPDATING once the endpoint is AVAILABLE and names it only when IDLE again (facts §10)', async () => {
    const { w, atlas, base, vpce, demo } = await setup({ preset: SLOW });
    const instancePath = `/api/atlas/v2/groups/${demo.groupId}/serverless/orders`;
    const id = (await atlas.request('POST', base, { body: {} })).body._id;
    w.world.clock.advance(60 * S);
    const name = (await atlas.request('GET', `${base}/${id}`)).body.endpointServiceName;
    const vpceId = vpce(name);
    w.world.clock.advance(10 * S);
    await atlas.request('PATCH', `${base}/${id}`, {
      body: { providerName: 'AWS', cloudProviderEndpointId: vpceId },
    });
    w.world.clock.advance(120 * S);
    expect((await atlas.request('GET', `${base}/${id}`)).body.status).toBe('AVAILABLE');
    const updating = (await atlas.request('GET', instancePath)).body;
    expect(updating.stateName).toBe('UPDATING');
    expect(updating.connectionStrings.privateEndpoint).toBeUndefined();
    w.world.clock.advance(w.world.timeline.privateEndpointApply);
    const idle = (await atlas.request('GET', instancePath)).body;
    expect(idle.stateName).toBe('IDLE');
    expect(idle.connectionStrings.privateEndpoint[0].endpoints[0].endpointId).toBe(vpceId);
  });

  it('answers for names that are clusters now: NOT_SERVERLESS_TENANT_CLUSTER (Flex), CANNOT_USE_CLUSTER_IN_SERVERLESS_INSTANCE_API', async () => {
    const { atlas, demo } = await setup();
    const group = `/api/atlas/v2/groups/${demo.groupId}`;
    const flex = await atlas.request('GET', `${group}/serverless/orders-flex`);
    expect(flex.status).toBe(400);
    expect(flex.body.errorCode).toBe('NOT_SERVERLESS_TENANT_CLUSTER');
    for (const name of ['orders-dedicated', 'orders-free']) {
      const cluster = await atlas.request('GET', `${group}/serverless/${name}`);
      expect(cluster.status, name).toBe(400);
      expect(cluster.body.errorCode, name).toBe('CANNOT_USE_CLUSTER_IN_SERVERLESS_INSTANCE_API');
    }
    const endpoints = await atlas.request(
      'GET',
      `${group}/privateEndpoint/serverless/instance/orders-flex/endpoint`,
    );
    expect(endpoints.body.errorCode).toBe('NOT_SERVERLESS_TENANT_CLUSTER');
  });

  it('fails the link when the VPC endpoint does not exist, belongs to another service, or was deleted', async () => {
    const { w, atlas, base, vpce } = await setup();
    const make = async () => {
      const id = (await atlas.request('POST', base, { body: {} })).body._id as string;
      w.world.clock.advance(0);
      const name = (await atlas.request('GET', `${base}/${id}`)).body.endpointServiceName as string;
      return { id, name };
    };
    const a = await make();
    const b = await make();

    await atlas.request('PATCH', `${base}/${a.id}`, {
      body: { providerName: 'AWS', cloudProviderEndpointId: 'vpce-0123456789abcdef0' },
    });
    const missing = await atlas.request('GET', `${base}/${a.id}`);
    expect(missing.body.status).toBe('FAILED');
    expect(missing.body.errorMessage).toMatch(/does not exist/);

    // b's link names a VPC endpoint made for a's service.
    const wrong = vpce(a.name);
    w.world.clock.advance(0);
    await atlas.request('PATCH', `${base}/${b.id}`, {
      body: { providerName: 'AWS', cloudProviderEndpointId: wrong },
    });
    const mismatched = await atlas.request('GET', `${base}/${b.id}`);
    expect(mismatched.body.status).toBe('FAILED');
    expect(mismatched.body.errorMessage).toMatch(/not connected to endpoint service/);
    expect(w.world.aws.getVpcEndpoint(wrong)?.state).toBe('pendingAcceptance');

    const c = await make();
    const deletedVpce = vpce(c.name);
    w.world.clock.advance(0);
    w.world.aws.deleteVpcEndpoints({ vpcEndpointIds: [deletedVpce] });
    w.world.clock.advance(0);
    await atlas.request('PATCH', `${base}/${c.id}`, {
      body: { providerName: 'AWS', cloudProviderEndpointId: deletedVpce },
    });
    expect((await atlas.request('GET', `${base}/${c.id}`)).body.status).toBe('FAILED');
  });

  it('refuses a PATCH outside RESERVED with TENANT_PRIVATE_ENDPOINT_PROVIDER_UPDATE_INVALID', async () => {
    const { w, atlas, base, vpce } = await setup({ preset: SLOW });
    const id = (await atlas.request('POST', base, { body: {} })).body._id;
    const early = await atlas.request('PATCH', `${base}/${id}`, {
      body: { providerName: 'AWS', cloudProviderEndpointId: 'vpce-0123456789abcdef0' },
    });
    expect(early.status).toBe(400);
    expect(early.body).toMatchObject({
      error: 400,
      errorCode: 'TENANT_PRIVATE_ENDPOINT_PROVIDER_UPDATE_INVALID',
      parameters: ['RESERVATION_REQUESTED'],
      reason: 'Bad Request',
    });

    w.world.clock.advance(60 * S);
    const name = (await atlas.request('GET', `${base}/${id}`)).body.endpointServiceName;
    const vpceId = vpce(name);
    w.world.clock.advance(10 * S);
    const noId = await atlas.request('PATCH', `${base}/${id}`, { body: { providerName: 'AWS' } });
    expect(noId.status).toBe(400);
    expect(noId.body.errorCode).toBe('MISSING_ATTRIBUTE');
    await atlas.request('PATCH', `${base}/${id}`, {
      body: { providerName: 'AWS', cloudProviderEndpointId: vpceId },
    });
    w.world.clock.advance(120 * S);
    const again = await atlas.request('PATCH', `${base}/${id}`, {
      body: { providerName: 'AWS', cloudProviderEndpointId: vpceId },
    });
    expect(again.status).toBe(400);
    expect(again.body.errorCode).toBe('TENANT_PRIVATE_ENDPOINT_PROVIDER_UPDATE_INVALID');
    expect(again.body.detail).toBe('The private endpoint can not be updated in its current state AVAILABLE.');
    expect(w.world.log.of('updateServerlessPrivateEndpoint', 400)).toHaveLength(3);
  });

  it('answers 404 for unknown project, instance and endpoint, and 400 for a cluster in the serverless API', async () => {
    const { atlas, base, demo } = await setup();
    const project = await atlas.request('GET', base.replace(demo.groupId, 'aaaaaaaaaaaaaaaaaaaaaaaa'));
    expect(project.status).toBe(404);
    expect(project.body.errorCode).toBe('GROUP_NOT_FOUND');
    const instance = await atlas.request('GET', base.replace('/orders/', '/nope/'));
    expect(instance.status).toBe(404);
    expect(instance.body).toMatchObject({
      errorCode: 'SERVERLESS_INSTANCE_NOT_FOUND',
      parameters: ['nope', demo.groupId],
    });
    const endpoint = await atlas.request('GET', `${base}/bbbbbbbbbbbbbbbbbbbbbbbb`);
    expect(endpoint.status).toBe(404);
    expect(endpoint.body.errorCode).toBe('RESOURCE_NOT_FOUND');
    const cluster = await atlas.request('GET', base.replace('/orders/', '/orders-dedicated/'));
    expect(cluster.status).toBe(400);
    expect(cluster.body.errorCode).toBe('CANNOT_USE_CLUSTER_IN_SERVERLESS_INSTANCE_API');
    const viaInstanceApi = await atlas.request(
      'GET',
      `/api/atlas/v2/groups/${demo.groupId}/serverless/orders-dedicated`,
    );
    expect(viaInstanceApi.body.errorCode).toBe('CANNOT_USE_CLUSTER_IN_SERVERLESS_INSTANCE_API');
  });

  it('works the same with API-key digest authentication', async () => {
    const { w, base, demo, vpce } = await setup();
    const digest = new DigestClient(w.atlasUrl, demo.apiKey.publicKey, demo.apiKey.privateKey);
    const id = (await digest.request('POST', base, { body: {} })).body._id;
    w.world.clock.advance(0);
    const name = (await digest.request('GET', `${base}/${id}`)).body.endpointServiceName;
    const vpceId = vpce(name);
    w.world.clock.advance(0);
    await digest.request('PATCH', `${base}/${id}`, {
      body: { providerName: 'AWS', cloudProviderEndpointId: vpceId },
    });
    expect((await digest.request('GET', `${base}/${id}`)).body.status).toBe('AVAILABLE');
    expect(digest.challenges).toBe(1);
    const auths = w.world.log.entries.map((e) => `${e.auth} ${e.status}`);
    expect(auths).toEqual(['none 401', 'digest 201', 'digest 200', 'digest 200', 'digest 200']);
  });
});

describe('serverless lifecycle faults', () => {
  it('reservation fail-transition -> FAILED with errorMessage; stuck -> RESERVATION_REQUESTED forever', async () => {
    const { w, atlas, base } = await setup({
      faults: [
        {
          operation: 'lifecycle:serverlessEndpoint.reserve',
          effect: { kind: 'fail-transition', errorMessage: 'boom' },
        },
        { operation: 'lifecycle:serverlessEndpoint.reserve', occurrence: 2, effect: { kind: 'stuck' } },
      ],
    });
    const a = (await atlas.request('POST', base, { body: {} })).body._id;
    const b = (await atlas.request('POST', base, { body: {} })).body._id;
    w.world.clock.advance(3_600 * S);
    expect((await atlas.request('GET', `${base}/${a}`)).body).toMatchObject({
      status: 'FAILED',
      errorMessage: 'boom',
    });
    expect((await atlas.request('GET', `${base}/${b}`)).body).toMatchObject({
      status: 'RESERVATION_REQUESTED',
      endpointServiceName: null,
    });
    // A FAILED endpoint can still be deleted.
    expect((await atlas.request('DELETE', `${base}/${a}`)).status).toBe(204);
    w.world.clock.advance(0);
    expect((await atlas.request('GET', `${base}/${a}`)).status).toBe(404);
  });

  it('accept fail-transition -> FAILED; accept stuck -> INITIATING; delete stuck -> DELETING', async () => {
    const { w, atlas, base, vpce } = await setup({
      faults: [
        { operation: 'lifecycle:serverlessEndpoint.accept', effect: { kind: 'fail-transition' } },
        { operation: 'lifecycle:serverlessEndpoint.accept', occurrence: 2, effect: { kind: 'stuck' } },
        { operation: 'lifecycle:serverlessEndpoint.delete', effect: { kind: 'stuck' } },
      ],
    });
    const link = async () => {
      const id = (await atlas.request('POST', base, { body: {} })).body._id as string;
      w.world.clock.advance(0);
      const name = (await atlas.request('GET', `${base}/${id}`)).body.endpointServiceName;
      const vpceId = vpce(name);
      w.world.clock.advance(0);
      await atlas.request('PATCH', `${base}/${id}`, {
        body: { providerName: 'AWS', cloudProviderEndpointId: vpceId },
      });
      w.world.clock.advance(3_600 * S);
      return { id, vpceId, body: (await atlas.request('GET', `${base}/${id}`)).body };
    };
    const failed = await link();
    expect(failed.body.status).toBe('FAILED');
    expect(failed.body.errorMessage).toEqual(expect.any(String));
    expect(w.world.aws.getVpcEndpoint(failed.vpceId)?.state).toBe('pendingAcceptance');
    const stuck = await link();
    expect(stuck.body.status).toBe('INITIATING');

    await atlas.request('DELETE', `${base}/${stuck.id}`);
    w.world.clock.advance(3_600 * S);
    expect((await atlas.request('GET', `${base}/${stuck.id}`)).body.status).toBe('DELETING');
    expect(w.world.faults.fired.map((f) => f.operation)).toEqual([
      'lifecycle:serverlessEndpoint.accept',
      'lifecycle:serverlessEndpoint.accept',
      'lifecycle:serverlessEndpoint.delete',
    ]);
  });
});

describe('retired serverless API (today\u2019s Atlas)', () => {
  it('answers 410 VERSION_GONE for every serverless private endpoint operation', async () => {
    const { w, atlas, base, demo } = await setup({ serverlessRetired: true });
    const id = 'cccccccccccccccccccccccc';
    const calls: [string, string, unknown?][] = [
      ['GET', base],
      ['POST', base, {}],
      ['GET', `${base}/${id}`],
      ['PATCH', `${base}/${id}`, { providerName: 'AWS', cloudProviderEndpointId: 'vpce-0123456789abcdef0' }],
      ['DELETE', `${base}/${id}`],
    ];
    for (const [method, path, body] of calls) {
      const res = await atlas.request(method, path, body === undefined ? {} : { body });
      expect(res.status, `${method} ${path}`).toBe(410);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.body).toMatchObject({ error: 410, errorCode: 'VERSION_GONE', reason: 'Gone' });
      expect(res.body.detail).toContain('2026-01-22');
      expect(res.body.detail).toMatch(/dedicated cluster/i);
    }
    expect(w.world.log.entries.filter((e) => e.status === 410)).toHaveLength(5);
    expect(w.world.inventory().atlas.serverlessEndpoints).toEqual([]);
    // The instance read and the dedicated flow still work.
    expect(
      (await atlas.request('GET', `/api/atlas/v2/groups/${demo.groupId}/serverless/orders`)).status,
    ).toBe(200);
    const svc = await atlas.request(
      'POST',
      `/api/atlas/v2/groups/${demo.groupId}/privateEndpoint/endpointService`,
      {
        body: { providerName: 'AWS', region: 'US_EAST_1' },
      },
    );
    expect(svc.status).toBe(200);
  });
});
