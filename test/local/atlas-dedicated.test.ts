import { describe, expect, it } from 'vitest';
import type { StartWorldOptions } from '../../local/cloud/index.ts';
import { PRESETS, type Timeline } from '../../local/cloud/timeline.ts';
import { type AnyJson, DigestClient, demoApi, V2024 } from '../support/atlas-http.ts';
import { useTestWorlds } from '../support/world.ts';

const S = 1000;
const SLOW: Timeline = {
  ...PRESETS.realistic,
  endpointServiceCreation: 90 * S,
  endpointServiceDeletion: 60 * S,
  interfaceEndpointAcceptance: 30 * S,
  interfaceEndpointAvailable: 90 * S,
  interfaceEndpointDeletion: 30 * S,
  vpcEndpointProvisioning: 10 * S,
};

const startWorld = useTestWorlds();

async function setup(options: StartWorldOptions = {}) {
  const w = await startWorld(options);
  const api = demoApi(w);
  const { atlas, group, services } = api;
  /** Creates a service and waits (virtually) until it is ready for a VPC endpoint. */
  const readyService = async (region = 'US_EAST_1') => {
    const created = await atlas.request('POST', `${group}/privateEndpoint/endpointService`, {
      body: { providerName: 'AWS', region },
    });
    expect(created.status).toBe(200);
    w.world.clock.advance(w.world.timeline.endpointServiceCreation);
    const svc = (await atlas.request('GET', `${services}/${created.body.id}`)).body;
    expect(svc.status).toBe(options.endpointServiceReadyStatus ?? 'AVAILABLE');
    return svc as { id: string; endpointServiceName: string };
  };
  const cluster = async (name = 'orders-dedicated') =>
    (await atlas.request('GET', `${group}/clusters/${name}`, { accept: V2024 })).body;
  return { w, ...api, readyService, cluster };
}

describe.each(['AVAILABLE', 'WAITING_FOR_USER'] as const)(
  'dedicated private endpoint service lifecycle, service ready as %s',
  (ready) => {
    it('service INITIATING -> ready before any interface endpoint; interface PENDING_ACCEPTANCE -> PENDING -> AVAILABLE; cluster UPDATING -> IDLE, then the connection string', async () => {
      const { w, atlas, group, services, vpce, cluster } = await setup({
        preset: SLOW,
        endpointServiceReadyStatus: ready,
      });
      const created = await atlas.request('POST', `${group}/privateEndpoint/endpointService`, {
        body: { providerName: 'AWS', region: 'US_EAST_1' },
      });
      expect(created.status).toBe(200);
      expect(created.body).toEqual({
        cloudProvider: 'AWS',
        endpointServiceName: null,
        errorMessage: null,
        id: expect.stringMatching(/^[a-f0-9]{24}$/),
        interfaceEndpoints: [],
        regionName: 'US_EAST_1',
        status: 'INITIATING',
      });
      const id: string = created.body.id;

      w.world.clock.advance(89 * S);
      expect((await atlas.request('GET', `${services}/${id}`)).body.status).toBe('INITIATING');
      w.world.clock.advance(1 * S);
      const waiting = (await atlas.request('GET', `${services}/${id}`)).body;
      // Facts §10: today AVAILABLE before any interface endpoint exists; WAITING_FOR_USER is the older behaviour.
      expect(waiting).toMatchObject({ status: ready, interfaceEndpoints: [] });
      expect(waiting.endpointServiceName).toMatch(/^com\.amazonaws\.vpce\.us-east-1\.vpce-svc-[0-9a-f]{17}$/);

      const listed = await atlas.request('GET', services);
      expect(listed.status).toBe(200);
      expect(listed.body.map((s: AnyJson) => s.id)).toEqual([id]);

      const vpceId = vpce(waiting.endpointServiceName);
      w.world.clock.advance(10 * S);
      const ie = await atlas.request('POST', `${services}/${id}/endpoint`, { body: { id: vpceId } });
      expect(ie.status).toBe(200);
      expect(ie.body).toEqual({
        cloudProvider: 'AWS',
        connectionStatus: 'PENDING_ACCEPTANCE',
        deleteRequested: false,
        errorMessage: null,
        interfaceEndpointId: vpceId,
      });
      expect((await atlas.request('GET', `${services}/${id}`)).body.interfaceEndpoints).toEqual([vpceId]);

      const iePath = `${services}/${id}/endpoint/${vpceId}`;
      w.world.clock.advance(30 * S);
      expect((await atlas.request('GET', iePath)).body.connectionStatus).toBe('PENDING');
      expect(w.world.aws.getVpcEndpoint(vpceId)?.state).toBe('available');
      expect((await atlas.request('GET', `${services}/${id}`)).body.status).toBe(ready);

      expect((await cluster()).connectionStrings.privateEndpoint).toBe(undefined);
      w.world.clock.advance(90 * S);
      expect((await atlas.request('GET', iePath)).body.connectionStatus).toBe('AVAILABLE');
      expect((await atlas.request('GET', `${services}/${id}`)).body.status).toBe('AVAILABLE');

      // Facts §10 ("connection strings"): the cluster applies the change first; the entry comes when IDLE.
      const applying = await cluster();
      expect(applying.stateName).toBe('UPDATING');
      expect(applying.connectionStrings.privateEndpoint).toBe(undefined);
      expect(w.world.atlas.clusterState(w.world.demo.groupId, 'orders-multi-region')).toBe('UPDATING');
      expect(w.world.atlas.clusterState(w.world.demo.groupId, 'orders-eu')).toBe('IDLE');
      w.world.clock.advance(w.world.timeline.privateEndpointApply - 1);
      expect((await cluster()).stateName).toBe('UPDATING');
      w.world.clock.advance(1);

      const clusterPath = `${group}/clusters/orders-dedicated`;
      const idle = await atlas.request('GET', clusterPath, { accept: V2024 });
      expect(idle.status).toBe(200);
      expect(idle.headers.get('content-type')).toBe(V2024);
      expect(idle.body.stateName).toBe('IDLE');
      const pe = idle.body.connectionStrings.privateEndpoint;
      expect(pe).toHaveLength(1);
      expect(pe[0]).toMatchObject({
        type: 'MONGOD',
        endpoints: [{ endpointId: vpceId, providerName: 'AWS', region: 'US_EAST_1' }],
      });
      expect(pe[0].connectionString).toMatch(/^mongodb:\/\/pl-0-us-east-1\.[a-z0-9]{5}\.mongodb\.net:1024,/);
      expect(pe[0].srvConnectionString).toMatch(
        /^mongodb\+srv:\/\/orders-dedicated-pl-0\.[a-z0-9]{5}\.mongodb\.net$/,
      );
      expect(pe[0].srvShardOptimizedConnectionString).toMatch(/^mongodb\+srv:\/\//);
      expect(idle.body.connectionStrings.awsPrivateLinkSrv).toEqual({ [vpceId]: pe[0].srvConnectionString });
    });

    it('keeps the service after its last endpoint when keepServiceAfterLastEndpoint is set', async () => {
      const { w, atlas, services, vpce, readyService } = await setup({
        keepServiceAfterLastEndpoint: true,
        endpointServiceReadyStatus: ready,
      });
      const svc = await readyService();
      const vpceId = vpce(svc.endpointServiceName);
      w.world.clock.advance(0);
      await atlas.request('POST', `${services}/${svc.id}/endpoint`, { body: { id: vpceId } });
      w.world.clock.advance(0);
      w.world.clock.advance(0);
      expect((await atlas.request('GET', `${services}/${svc.id}`)).body.status).toBe('AVAILABLE');
      await atlas.request('DELETE', `${services}/${svc.id}/endpoint/${vpceId}`);
      w.world.clock.advance(0);
      const after = (await atlas.request('GET', `${services}/${svc.id}`)).body;
      expect(after).toMatchObject({ status: ready, interfaceEndpoints: [] });
    });
  },
);

describe('dedicated private endpoint services and clusters', () => {
  it('rejects a second service for the same project and region with 409 (either region spelling)', async () => {
    const { atlas, group } = await setup();
    const path = `${group}/privateEndpoint/endpointService`;
    expect(
      (await atlas.request('POST', path, { body: { providerName: 'AWS', region: 'US_EAST_1' } })).status,
    ).toBe(200);
    for (const region of ['US_EAST_1', 'us-east-1']) {
      const dup = await atlas.request('POST', path, { body: { providerName: 'AWS', region } });
      expect(dup.status).toBe(409);
      expect(dup.body).toEqual({
        detail: 'A private endpoint service already exists for AWS region US_EAST_1.',
        error: 409,
        errorCode: 'PRIVATE_ENDPOINT_SERVICE_ALREADY_EXISTS_FOR_REGION',
        parameters: ['AWS', 'US_EAST_1'],
        reason: 'Conflict',
      });
    }
    const other = await atlas.request('POST', path, { body: { providerName: 'AWS', region: 'eu-west-1' } });
    expect(other.status).toBe(200);
    expect(other.body.regionName).toBe('EU_WEST_1');
    const bad = await atlas.request('POST', path, { body: { providerName: 'AWS', region: 'MARS_NORTH_1' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errorCode).toBe('INVALID_REGION');
  });

  it('rejects an interface endpoint that does not exist or belongs to another service', async () => {
    const { w, atlas, services, vpce, readyService } = await setup();
    const east = await readyService('US_EAST_1');
    const ghost = await atlas.request('POST', `${services}/${east.id}/endpoint`, {
      body: { id: 'vpce-0123456789abcdef0' },
    });
    // Atlas sees no such VPC endpoint in AWS: NONE ("not configured", facts §10) until it gives up on it.
    expect(ghost.body.connectionStatus).toBe('NONE');
    w.world.clock.advance(0);
    const rejected = (await atlas.request('GET', `${services}/${east.id}/endpoint/vpce-0123456789abcdef0`))
      .body;
    expect(rejected.connectionStatus).toBe('REJECTED');
    expect(rejected.errorMessage).toMatch(/does not exist/);

    // A VPC endpoint for a serverless endpoint's service is not connected to this endpoint service.
    const serverlessBase = `/api/atlas/v2/groups/${w.world.demo.groupId}/privateEndpoint/serverless/instance/orders/endpoint`;
    const sid = (await atlas.request('POST', serverlessBase, { body: {} })).body._id;
    w.world.clock.advance(0);
    const foreignName = (await atlas.request('GET', `${serverlessBase}/${sid}`)).body.endpointServiceName;
    const foreign = vpce(foreignName);
    w.world.clock.advance(0);
    await atlas.request('POST', `${services}/${east.id}/endpoint`, { body: { id: foreign } });
    w.world.clock.advance(0);
    const wrong = (await atlas.request('GET', `${services}/${east.id}/endpoint/${foreign}`)).body;
    expect(wrong.connectionStatus).toBe('REJECTED');
    expect(wrong.errorMessage).toMatch(/not connected to endpoint service/);
  });

  it.each([409, 400] as const)(
    'answers %i for a duplicate interface endpoint (world option) and 400 while the service is not ready',
    async (status) => {
      const { w, atlas, group, services, vpce, readyService } = await setup({
        preset: SLOW,
        duplicateInterfaceEndpointStatus: status,
      });
      const svc = await readyService();
      const vpceId = vpce(svc.endpointServiceName);
      expect(
        (await atlas.request('POST', `${services}/${svc.id}/endpoint`, { body: { id: vpceId } })).status,
      ).toBe(200);
      const dup = await atlas.request('POST', `${services}/${svc.id}/endpoint`, { body: { id: vpceId } });
      expect(dup.status).toBe(status);
      expect(dup.body).toMatchObject({ error: status, errorCode: 'INTERFACE_ENDPOINT_ALREADY_EXISTS' });

      const second = await atlas.request('POST', `${group}/privateEndpoint/endpointService`, {
        body: { providerName: 'AWS', region: 'US_WEST_2' },
      });
      const early = await atlas.request('POST', `${services}/${second.body.id}/endpoint`, {
        body: { id: 'vpce-0123456789abcdef0' },
      });
      expect(early.status).toBe(400);
      expect(early.body).toMatchObject({
        errorCode: 'ENDPOINT_SERVICE_NOT_READY',
        parameters: [second.body.id, 'INITIATING'],
      });
      expect(w.world.inventory().atlas.interfaceEndpoints).toHaveLength(1);
    },
  );

  it('answers connectionStatus NONE while AWS has not created the VPC endpoint yet', async () => {
    const { w, atlas, services, vpce, readyService } = await setup({ preset: SLOW });
    const svc = await readyService();
    const vpceId = vpce(svc.endpointServiceName);
    expect(w.world.aws.getVpcEndpoint(vpceId)?.state).toBe('pending');
    const ie = await atlas.request('POST', `${services}/${svc.id}/endpoint`, { body: { id: vpceId } });
    expect(ie.status).toBe(200);
    expect(ie.body.connectionStatus).toBe('NONE');
    expect(
      (await atlas.request('GET', `${services}/${svc.id}/endpoint/${vpceId}`)).body.connectionStatus,
    ).toBe('NONE');
    w.world.clock.advance(30 * S);
    expect(
      (await atlas.request('GET', `${services}/${svc.id}/endpoint/${vpceId}`)).body.connectionStatus,
    ).toBe('PENDING');
    w.world.clock.advance(90 * S);
    expect(
      (await atlas.request('GET', `${services}/${svc.id}/endpoint/${vpceId}`)).body.connectionStatus,
    ).toBe('AVAILABLE');
  });

  it('deleting the last interface endpoint removes it, then the service (as the spec says)', async () => {
    const { w, atlas, services, vpce, readyService } = await setup({ preset: SLOW });
    const svc = await readyService();
    const vpceId = vpce(svc.endpointServiceName);
    w.world.clock.advance(10 * S);
    await atlas.request('POST', `${services}/${svc.id}/endpoint`, { body: { id: vpceId } });
    w.world.clock.advance(120 * S);
    const iePath = `${services}/${svc.id}/endpoint/${vpceId}`;
    expect((await atlas.request('GET', iePath)).body.connectionStatus).toBe('AVAILABLE');

    expect((await atlas.request('DELETE', iePath)).status).toBe(204);
    expect((await atlas.request('GET', iePath)).body).toMatchObject({
      connectionStatus: 'DELETING',
      deleteRequested: true,
    });
    w.world.clock.advance(30 * S);
    const gone = await atlas.request('GET', iePath);
    expect(gone.status).toBe(404);
    expect(w.world.aws.getVpcEndpoint(vpceId)?.state).toBe('rejected');
    expect((await atlas.request('GET', `${services}/${svc.id}`)).body.status).toBe('DELETING');
    w.world.clock.advance(60 * S);
    expect((await atlas.request('GET', `${services}/${svc.id}`)).status).toBe(404);
    expect(w.world.aws.hasEndpointService(svc.endpointServiceName)).toBe(false);
    expect(w.world.inventory().atlas.endpointServices).toEqual([]);
  });

  it('refuses to delete a service while an interface endpoint is attached or still deleting', async () => {
    const { w, atlas, services, vpce, readyService } = await setup({ preset: SLOW });
    const svc = await readyService();
    const vpceId = vpce(svc.endpointServiceName);
    w.world.clock.advance(10 * S);
    await atlas.request('POST', `${services}/${svc.id}/endpoint`, { body: { id: vpceId } });
    w.world.clock.advance(30 * S);
    const refused = await atlas.request('DELETE', `${services}/${svc.id}`);
    // Facts §10: refused while an interface endpoint is attached; the code is an ASSUMPTION (see atlas-model.ts).
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({
      error: 400,
      errorCode: 'PRIVATE_ENDPOINT_SERVICE_HAS_INTERFACE_ENDPOINTS',
      parameters: [svc.id, vpceId],
    });
    const iePath = `${services}/${svc.id}/endpoint/${vpceId}`;
    expect((await atlas.request('GET', iePath)).body.connectionStatus).toBe('PENDING');
    expect((await atlas.request('GET', `${services}/${svc.id}`)).body.status).toBe('AVAILABLE');

    expect((await atlas.request('DELETE', iePath)).status).toBe(204);
    expect((await atlas.request('GET', iePath)).body.connectionStatus).toBe('DELETING');
    // Still refused while the interface endpoint is deleting.
    expect((await atlas.request('DELETE', `${services}/${svc.id}`)).status).toBe(400);
    w.world.clock.advance(30 * S);
    expect((await atlas.request('GET', iePath)).status).toBe(404);
    // Removing the last interface endpoint removed the service too; a DELETE now is accepted (idempotent).
    expect((await atlas.request('GET', `${services}/${svc.id}`)).body.status).toBe('DELETING');
    expect((await atlas.request('DELETE', `${services}/${svc.id}`)).status).toBe(204);
    w.world.clock.advance(60 * S);
    expect((await atlas.request('GET', `${services}/${svc.id}`)).status).toBe(404);
    expect((await atlas.request('DELETE', `${services}/${svc.id}`)).status).toBe(404);
    const inv = w.world.inventory();
    expect(inv.atlas.endpointServices).toEqual([]);
    expect(inv.atlas.interfaceEndpoints).toEqual([]);
  });

  it('deletes a service without interface endpoints at once (DELETING, then gone)', async () => {
    const { w, atlas, services, readyService } = await setup({ preset: SLOW });
    const svc = await readyService();
    expect((await atlas.request('DELETE', `${services}/${svc.id}`)).status).toBe(204);
    expect((await atlas.request('GET', `${services}/${svc.id}`)).body.status).toBe('DELETING');
    w.world.clock.advance(60 * S);
    expect((await atlas.request('GET', `${services}/${svc.id}`)).status).toBe(404);
    expect(w.world.aws.hasEndpointService(svc.endpointServiceName)).toBe(false);
  });

  it('answers 404 CLUSTER_NOT_FOUND, 400 for a serverless instance in the cluster API, and 406 for old versions', async () => {
    const { atlas, group } = await setup();
    const missing = await atlas.request('GET', `${group}/clusters/nope`, { accept: V2024 });
    expect(missing.status).toBe(404);
    expect(missing.body.errorCode).toBe('CLUSTER_NOT_FOUND');
    const serverless = await atlas.request('GET', `${group}/clusters/orders`, { accept: V2024 });
    expect(serverless.status).toBe(400);
    expect(serverless.body.errorCode).toBe('CANNOT_USE_SERVERLESS_INSTANCE_IN_CLUSTER_API');
    // Facts §10 ("Flex clusters"): the cluster API refuses a Flex cluster with this 400.
    const flex = await atlas.request('GET', `${group}/clusters/orders-flex`, { accept: V2024 });
    expect(flex.status).toBe(400);
    expect(flex.body).toMatchObject({ error: 400, errorCode: 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API' });
    for (const accept of ['application/vnd.atlas.2023-01-01+json', 'application/vnd.atlas.2023-02-01+json']) {
      const old = await atlas.request('GET', `${group}/clusters/orders-dedicated`, { accept });
      expect(old.status).toBe(406);
      expect(old.body.errorCode).toBe('INVALID_VERSION_DATE');
    }
  });

  it('runs the whole dedicated flow with digest authentication', async () => {
    const { w, group, services, vpce, demo } = await setup();
    const digest = new DigestClient(w.atlasUrl, demo.apiKey.publicKey, demo.apiKey.privateKey);
    const svc = (
      await digest.request('POST', `${group}/privateEndpoint/endpointService`, {
        body: { providerName: 'AWS', region: 'US_EAST_1' },
      })
    ).body;
    w.world.clock.advance(0);
    const name = (await digest.request('GET', `${services}/${svc.id}`)).body.endpointServiceName;
    const vpceId = vpce(name);
    w.world.clock.advance(0);
    await digest.request('POST', `${services}/${svc.id}/endpoint`, { body: { id: vpceId } });
    w.world.clock.advance(0);
    w.world.clock.advance(0);
    expect(
      (await digest.request('GET', `${services}/${svc.id}/endpoint/${vpceId}`)).body.connectionStatus,
    ).toBe('AVAILABLE');
    const cluster = await digest.request('GET', `${group}/clusters/orders-dedicated`, { accept: V2024 });
    expect(cluster.body.connectionStrings.privateEndpoint[0].endpoints[0].endpointId).toBe(vpceId);
  });
});

describe('the demo clusters (facts §10)', () => {
  /** A US_EAST_1 interface endpoint, AVAILABLE (instant preset); its VPC endpoint id. */
  async function availableEndpoint(api: Awaited<ReturnType<typeof setup>>): Promise<string> {
    const { w, atlas, services, vpce, readyService } = api;
    const svc = await readyService();
    const vpceId = vpce(svc.endpointServiceName);
    w.world.clock.advance(0);
    await atlas.request('POST', `${services}/${svc.id}/endpoint`, { body: { id: vpceId } });
    w.world.clock.advance(0);
    w.world.clock.advance(0);
    expect(
      (await atlas.request('GET', `${services}/${svc.id}/endpoint/${vpceId}`)).body.connectionStatus,
    ).toBe('AVAILABLE');
    return vpceId;
  }

  it('a multi-region cluster publishes privateEndpoint[] only once every region has an endpoint', async () => {
    const api = await setup({ preset: { ...PRESETS.instant, privateEndpointApply: 240 * S } });
    const { w, atlas, group, cluster } = api;
    expect((await atlas.request('GET', `${group}/privateEndpoint/regionalMode`)).body).toEqual({
      enabled: false,
    });
    const before = await cluster('orders-multi-region');
    expect(
      before.replicationSpecs[0].regionConfigs.map((r: AnyJson) => [
        r.providerName,
        r.regionName,
        r.priority,
      ]),
    ).toEqual([
      ['AWS', 'US_EAST_1', 7],
      ['AWS', 'US_WEST_2', 6],
    ]);
    const east = await availableEndpoint(api);
    expect((await cluster('orders-multi-region')).stateName).toBe('UPDATING');
    w.world.clock.advance(240 * S);
    const applied = await cluster('orders-multi-region');
    expect(applied.stateName).toBe('IDLE');
    expect(applied.connectionStrings.privateEndpoint).toBeUndefined();
    // The single-region cluster in the same region has its entry.
    expect((await cluster()).connectionStrings.privateEndpoint).toHaveLength(1);

    const west = 'vpce-0aaaaaaaaaaaaaaa1';
    w.world.atlas.seedForeignInterfaceEndpoint({
      groupId: w.world.demo.groupId,
      regionName: 'US_WEST_2',
      vpcEndpointId: west,
    });
    const both = await cluster('orders-multi-region');
    expect(both.connectionStrings.privateEndpoint).toHaveLength(1);
    expect(both.connectionStrings.privateEndpoint[0].endpoints).toEqual([
      { endpointId: east, providerName: 'AWS', region: 'US_EAST_1' },
      { endpointId: west, providerName: 'AWS', region: 'US_WEST_2' },
    ]);
  });

  it('in regionalized private endpoint mode each region gets its own entry', async () => {
    const api = await setup({ regionalizedPrivateEndpoints: true });
    const { atlas, group, cluster } = api;
    const mode = await atlas.request('GET', `${group}/privateEndpoint/regionalMode`);
    expect(mode.status).toBe(200);
    expect(mode.headers.get('content-type')).toBe('application/vnd.atlas.2023-01-01+json');
    expect(mode.body).toEqual({ enabled: true });
    const east = await availableEndpoint(api);
    const pe = (await cluster('orders-multi-region')).connectionStrings.privateEndpoint;
    expect(pe).toHaveLength(1);
    expect(pe[0].endpoints).toEqual([{ endpointId: east, providerName: 'AWS', region: 'US_EAST_1' }]);
  });

  it('free (TENANT), GCP and other-region clusters never go UPDATING for a US_EAST_1 endpoint', async () => {
    const api = await setup();
    const { cluster } = api;
    const free = await cluster('orders-free');
    expect(free.replicationSpecs[0].regionConfigs).toEqual([
      {
        backingProviderName: 'AWS',
        electableSpecs: { effectiveInstanceSize: 'M0', instanceSize: 'M0' },
        priority: 7,
        providerName: 'TENANT',
        regionName: 'US_EAST_1',
      },
    ]);
    const gcp = await cluster('orders-gcp');
    expect(gcp.replicationSpecs[0].regionConfigs[0]).toMatchObject({
      providerName: 'GCP',
      regionName: 'CENTRAL_US',
      electableSpecs: { instanceSize: 'M10', nodeCount: 3 },
    });
    await availableEndpoint(api);
    for (const name of ['orders-free', 'orders-gcp', 'orders-eu']) {
      const c = await cluster(name);
      expect(c.stateName, name).toBe('IDLE');
      expect(c.connectionStrings.privateEndpoint, name).toBeUndefined();
    }
  });

  it('a fault plan can keep a cluster UPDATING (no connection string ever)', async () => {
    const api = await setup({
      faults: [
        {
          operation: 'lifecycle:deployment.applyPrivateEndpoint',
          times: Number.POSITIVE_INFINITY,
          effect: { kind: 'stuck' },
        },
      ],
    });
    await availableEndpoint(api);
    api.w.world.clock.advance(3_600 * S);
    const c = await api.cluster();
    expect(c.stateName).toBe('UPDATING');
    expect(c.connectionStrings.privateEndpoint).toBeUndefined();
  });
});

describe('dedicated lifecycle faults', () => {
  it('service create fail-transition -> FAILED; stuck -> INITIATING', async () => {
    const { w, atlas, group, services } = await setup({
      faults: [
        {
          operation: 'lifecycle:endpointService.create',
          effect: { kind: 'fail-transition', errorMessage: 'no capacity' },
        },
        { operation: 'lifecycle:endpointService.create', occurrence: 2, effect: { kind: 'stuck' } },
      ],
    });
    const a = (
      await atlas.request('POST', `${group}/privateEndpoint/endpointService`, {
        body: { providerName: 'AWS', region: 'US_EAST_1' },
      })
    ).body.id;
    const b = (
      await atlas.request('POST', `${group}/privateEndpoint/endpointService`, {
        body: { providerName: 'AWS', region: 'US_EAST_2' },
      })
    ).body.id;
    w.world.clock.advance(3_600 * S);
    expect((await atlas.request('GET', `${services}/${a}`)).body).toMatchObject({
      status: 'FAILED',
      errorMessage: 'no capacity',
      endpointServiceName: null,
    });
    expect((await atlas.request('GET', `${services}/${b}`)).body.status).toBe('INITIATING');
  });

  it('interface accept fail -> REJECTED; available stuck -> PENDING; delete stuck -> DELETING', async () => {
    const { w, atlas, services, vpce, readyService } = await setup({
      faults: [
        { operation: 'lifecycle:interfaceEndpoint.accept', effect: { kind: 'fail-transition' } },
        { operation: 'lifecycle:interfaceEndpoint.available', effect: { kind: 'stuck' } },
        { operation: 'lifecycle:interfaceEndpoint.delete', effect: { kind: 'stuck' } },
      ],
    });
    const svc = await readyService();
    const first = vpce(svc.endpointServiceName);
    const second = vpce(svc.endpointServiceName);
    w.world.clock.advance(0);
    await atlas.request('POST', `${services}/${svc.id}/endpoint`, { body: { id: first } });
    w.world.clock.advance(0);
    const rejected = (await atlas.request('GET', `${services}/${svc.id}/endpoint/${first}`)).body;
    expect(rejected.connectionStatus).toBe('REJECTED');
    expect(rejected.errorMessage).toEqual(expect.any(String));
    await atlas.request('POST', `${services}/${svc.id}/endpoint`, { body: { id: second } });
    w.world.clock.advance(3_600 * S);
    expect(
      (await atlas.request('GET', `${services}/${svc.id}/endpoint/${second}`)).body.connectionStatus,
    ).toBe('PENDING');
    await atlas.request('DELETE', `${services}/${svc.id}/endpoint/${second}`);
    w.world.clock.advance(3_600 * S);
    expect(
      (await atlas.request('GET', `${services}/${svc.id}/endpoint/${second}`)).body.connectionStatus,
    ).toBe('DELETING');
  });

  it('service delete fail-transition -> FAILED with the service still listed', async () => {
    const { w, atlas, services, readyService } = await setup({
      faults: [{ operation: 'lifecycle:endpointService.delete', effect: { kind: 'fail-transition' } }],
    });
    const svc = await readyService();
    await atlas.request('DELETE', `${services}/${svc.id}`);
    w.world.clock.advance(0);
    expect((await atlas.request('GET', `${services}/${svc.id}`)).body.status).toBe('FAILED');
    expect(w.world.inventory().atlas.endpointServices.map((s) => s.status)).toEqual(['FAILED']);
  });
});
