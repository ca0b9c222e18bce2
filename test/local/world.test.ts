import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  atlasToAwsRegion,
  awsToAtlasRegion,
  DEFAULT_RATE_LIMITS,
  liveResources,
  PRESETS,
  World,
} from '../../local/cloud/index.ts';
import { demoApi, V2023 } from '../support/atlas-http.ts';
import { SPEC_PATH } from '../support/contract.ts';
import { useTestWorlds } from '../support/world.ts';

const setup = useTestWorlds();

describe('World', () => {
  it('seeds the demo project, instance, cluster, credentials and AWS network', () => {
    const world = new World({ timeScale: 0 });
    expect(world.timeline).toEqual(PRESETS.realistic);
    expect(world.demo).toMatchObject({
      groupId: '5f7cac1adf5d6c6306f4b283',
      serverlessInstanceName: 'orders',
      clusterName: 'orders-dedicated',
      atlasRegion: 'US_EAST_1',
      awsRegion: 'us-east-1',
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
      securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
    });
    expect(world.demo.clusters).toEqual({
      dedicated: 'orders-dedicated',
      multiRegion: 'orders-multi-region',
      flex: 'orders-flex',
      free: 'orders-free',
      gcp: 'orders-gcp',
      elsewhere: 'orders-eu',
    });
    for (const name of Object.values(world.demo.clusters)) {
      expect(world.atlas.clusterState(world.demo.groupId, name), name).toBe('IDLE');
    }
    // Today's Atlas by default (facts §10); the older behaviours are options.
    expect(world.atlas.endpointServiceReadyStatus).toBe('AVAILABLE');
    expect(world.atlas.duplicateInterfaceEndpointStatus).toBe(409);
    expect(world.atlas.getRegionalizedPrivateEndpointSetting(world.demo.groupId)).toEqual({ enabled: false });
    const older = new World({
      endpointServiceReadyStatus: 'WAITING_FOR_USER',
      duplicateInterfaceEndpointStatus: 400,
      regionalizedPrivateEndpoints: true,
    });
    expect(older.atlas.endpointServiceReadyStatus).toBe('WAITING_FOR_USER');
    expect(older.atlas.duplicateInterfaceEndpointStatus).toBe(400);
    expect(older.atlas.getRegionalizedPrivateEndpointSetting(older.demo.groupId)).toEqual({ enabled: true });
    // A deployment applies a private endpoint at once on instant, in minutes otherwise, much longer on slow.
    expect(PRESETS.instant.privateEndpointApply).toBe(0);
    expect(PRESETS.realistic.privateEndpointApply).toBe(4 * 60_000);
    expect(PRESETS.slow.privateEndpointApply).toBeGreaterThanOrEqual(
      4 * PRESETS.realistic.privateEndpointApply,
    );
    expect(world.demo.apiKey.publicKey).toMatch(/^[a-z]{8}$/);
    expect(world.demo.apiKey.privateKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(world.atlas.project(world.demo.groupId)?.orgId).toBe(world.demo.orgId);
    expect(world.aws.getVpc(world.demo.vpcId)).toBeDefined();
    expect(world.inventory()).toEqual({
      atlas: { serverlessEndpoints: [], endpointServices: [], interfaceEndpoints: [] },
      aws: { vpcEndpoints: [] },
      dynamodb: {},
    });
    // Credentials differ per world unless fixed.
    expect(new World().demo.serviceAccount.clientSecret).not.toBe(world.demo.serviceAccount.clientSecret);
    const fixed = new World({
      credentials: { serviceAccount: { clientId: 'mdb_sa_id_fixed', clientSecret: 'mdb_sa_sk_fixed' } },
    });
    expect(fixed.demo.serviceAccount).toEqual({
      clientId: 'mdb_sa_id_fixed',
      clientSecret: 'mdb_sa_sk_fixed',
    });
  });

  it('takes a preset name or explicit timeline, a start time and rate-limit overrides', () => {
    const start = Date.parse('2027-01-01T00:00:00Z');
    const world = new World({
      preset: 'slow',
      timeScale: 0,
      start,
      rateLimits: { clusters: { capacity: 5 } },
    });
    expect(world.timeline).toBe(PRESETS.slow);
    expect(world.clock.now()).toBe(start);
    expect(world.atlas.rateLimits.limits.clusters).toEqual({ ...DEFAULT_RATE_LIMITS.clusters, capacity: 5 });
    expect(world.atlas.rateLimits.limits.privateEndpointServices).toEqual(
      DEFAULT_RATE_LIMITS.privateEndpointServices,
    );
    expect(new World({ preset: PRESETS.instant }).timeline).toBe(PRESETS.instant);
    expect(() => new World({ preset: 'fast' as 'slow' })).toThrow(/unknown timeline preset/);
  });

  it('maps Atlas and AWS region names both ways', () => {
    expect(atlasToAwsRegion('US_EAST_1')).toBe('us-east-1');
    expect(atlasToAwsRegion('AP_NORTHEAST_3')).toBe('ap-northeast-3');
    expect(atlasToAwsRegion('US_GOV_WEST_1')).toBe('us-gov-west-1');
    expect(atlasToAwsRegion('us-east-1')).toBeUndefined();
    expect(atlasToAwsRegion('CENTRAL_US')).toBeUndefined();
    expect(awsToAtlasRegion('eu-central-2')).toBe('EU_CENTRAL_2');
    expect(awsToAtlasRegion('EU-CENTRAL-2')).toBeUndefined();
    expect(awsToAtlasRegion('mars-1')).toBeUndefined();
  });
});

describe('startWorld', () => {
  it('serves both fronts on loopback ephemeral ports and closes idempotently', async () => {
    const w = await setup();
    expect(w.atlasUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(w.ec2Url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(w.atlasUrl).not.toBe(w.ec2Url);
    // Contract validation is on exactly when the OpenAPI subset is beside the repo (it is skipped, with a message, otherwise).
    expect(w.contractEnabled).toBe(existsSync(SPEC_PATH));
    await w.close();
    await w.close();
    await expect(fetch(`${w.atlasUrl}/api/atlas/v2`)).rejects.toThrow();
  });

  it('lists live resources on both sides for leak checks, and nothing once everything is deleted', async () => {
    const w = await setup({ preset: 'instant' });
    const { demo, atlas, group, serverless, services, vpce } = demoApi(w);

    const sid = (await atlas.request('POST', serverless, { body: {} })).body._id as string;
    const svcId = (
      await atlas.request('POST', `${group}/privateEndpoint/endpointService`, {
        body: { providerName: 'AWS', region: 'US_EAST_1' },
      })
    ).body.id as string;
    w.world.clock.advance(0);
    const sName = (await atlas.request('GET', `${serverless}/${sid}`)).body.endpointServiceName;
    const dName = (await atlas.request('GET', `${services}/${svcId}`)).body.endpointServiceName;
    const v1 = vpce(sName);
    const v2 = vpce(dName);
    w.world.clock.advance(0);
    await atlas.request('PATCH', `${serverless}/${sid}`, {
      body: { providerName: 'AWS', cloudProviderEndpointId: v1 },
    });
    await atlas.request('POST', `${services}/${svcId}/endpoint`, { body: { id: v2 } });

    const inv = w.world.inventory();
    expect(liveResources(inv)).toBe(5);
    expect(inv.atlas.serverlessEndpoints).toEqual([
      {
        groupId: demo.groupId,
        instanceName: 'orders',
        id: sid,
        status: 'AVAILABLE',
        cloudProviderEndpointId: v1,
      },
    ]);
    expect(inv.atlas.endpointServices).toEqual([
      {
        groupId: demo.groupId,
        id: svcId,
        regionName: 'US_EAST_1',
        status: 'AVAILABLE',
        endpointServiceName: dName,
      },
    ]);
    expect(inv.atlas.interfaceEndpoints).toEqual([
      {
        groupId: demo.groupId,
        endpointServiceId: svcId,
        interfaceEndpointId: v2,
        connectionStatus: 'AVAILABLE',
      },
    ]);
    expect(inv.aws.vpcEndpoints.map((e) => [e.id, e.state])).toEqual([
      [v1, 'available'],
      [v2, 'available'],
    ]);

    // Tear down in the workflow's compensation order: VPC endpoints, then the Atlas side.
    w.world.aws.deleteVpcEndpoints({ vpcEndpointIds: [v1, v2] });
    expect((await atlas.request('DELETE', `${serverless}/${sid}`)).status).toBe(204);
    expect((await atlas.request('DELETE', `${services}/${svcId}/endpoint/${v2}`)).status).toBe(204);
    w.world.clock.advance(0);
    // The service went away with its last interface endpoint (spec behaviour).
    expect((await atlas.request('DELETE', `${services}/${svcId}`)).status).toBe(404);
    expect(liveResources(w.world.inventory())).toBe(0);

    const counts = w.world.log.counts();
    expect(counts).toMatchObject({
      oauthToken: 1,
      createServerlessPrivateEndpoint: 1,
      getServerlessPrivateEndpoint: 1,
      updateServerlessPrivateEndpoint: 1,
      deleteServerlessPrivateEndpoint: 1,
      createPrivateEndpointService: 1,
      getPrivateEndpointService: 1,
      createPrivateEndpoint: 1,
      deletePrivateEndpoint: 1,
      deletePrivateEndpointService: 1,
    });
    expect(w.world.log.entries.every((e) => e.service === 'atlas')).toBe(true);
    expect(w.contractCounts()).toMatchObject({
      'createServerlessPrivateEndpoint 201 valid': 1,
      'createPrivateEndpoint 200 valid': 1,
      'deletePrivateEndpointService 404 valid': 1,
    });
  });

  it('wires onAtlasResponse after contract validation and passes request details', async () => {
    const seen: string[] = [];
    const bodies: unknown[] = [];
    const w = await setup({
      onAtlasResponse: (i) => {
        seen.push(`${i.method} ${i.operation} ${i.status} ${i.contentType}`);
        bodies.push(i.body);
      },
    });
    const { demo, atlas } = demoApi(w);
    await atlas.request('GET', `/api/atlas/v2/groups/${demo.groupId}/serverless/orders`, { accept: V2023 });
    expect(seen).toEqual(['POST oauthToken 200 application/json', `GET getServerlessInstance 200 ${V2023}`]);
    // The hook never sees a live access token.
    expect(bodies[0]).toEqual({ access_token: '[redacted]', expires_in: 3600, token_type: 'Bearer' });
    expect(bodies[1]).toMatchObject({ name: 'orders', groupId: demo.groupId });
  });
});
