/**
 * Both endpoint kinds, both auth methods, every EndpointKindClient method, against the simulated Atlas
 * (and EC2, for real VPC endpoint ids) over HTTP.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ATLAS_LIFECYCLE } from '../../local/cloud/atlas-model.ts';
import { PRESETS } from '../../local/cloud/timeline.ts';
import { type AtlasHarness, AUTH_METHODS, KINDS, startAtlasHarness, thrown } from './harness.ts';

const CASES = KINDS.flatMap((kind) => AUTH_METHODS.map((method) => [kind, method] as const));

describe.each(CASES)('%s endpoints, %s auth', (kind, method) => {
  let h: AtlasHarness;
  beforeEach(async () => {
    h = await startAtlasHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('goes through the whole lifecycle with every method', async () => {
    const k = h.kind(kind, method);
    const t = h.target(kind, 'orders app');
    expect(k.kind).toBe(kind);

    expect(await k.findExisting(t)).toBeUndefined();
    const { view, created } = await k.create(t);
    expect(created).toBe(true);
    expect(view).toMatchObject({ status: 'pending', endpointServiceName: null, linkedVpcEndpointIds: [] });
    expect(view.atlasStatus).toBe(kind === 'serverless' ? 'RESERVATION_REQUESTED' : 'INITIATING');

    h.tick();
    const ready = await k.describe(t, view.id);
    expect(ready).toMatchObject({ id: view.id, status: 'ready-for-vpc-endpoint', errorMessage: null });
    // Facts §10: a dedicated endpoint service is AVAILABLE (with its name) before any interface endpoint.
    expect(ready.atlasStatus).toBe(kind === 'serverless' ? 'RESERVED' : 'AVAILABLE');
    expect(ready.endpointServiceName).toMatch(/^com\.amazonaws\.vpce\.us-east-1\.vpce-svc-[0-9a-f]{17}$/);
    expect((await k.findExisting(t))?.id).toBe(view.id);

    const vpce = await h.createVpcEndpoint(ready.endpointServiceName ?? '');
    expect(await k.readConnectionString(t, vpce)).toBeUndefined();
    expect(await k.describeDeployment(t, vpce)).toEqual({
      tier: kind,
      stateName: 'IDLE',
      providers: ['AWS'],
      awsRegions: ['US_EAST_1'],
    });

    const link = await k.link(t, view.id, vpce);
    expect(link.status).toBe('linking');
    expect(link.atlasStatus).toBe(kind === 'serverless' ? 'INITIATING' : 'PENDING_ACCEPTANCE');
    h.tick();
    h.tick();
    expect(await k.describeLink(t, view.id, vpce)).toEqual({
      status: 'available',
      atlasStatus: 'AVAILABLE',
      errorMessage: null,
    });
    // Linking again converges on the existing link instead of writing twice.
    expect((await k.link(t, view.id, vpce)).status).toBe('available');
    expect(await k.findExisting(t, vpce)).toMatchObject({ id: view.id, linkedVpcEndpointIds: [vpce] });

    const connection = await k.readConnectionString(t, vpce);
    expect(connection?.srvConnectionString).toMatch(/^mongodb\+srv:\/\/\S+\.mongodb\.net/);
    if (kind === 'dedicated') expect(connection?.connectionString).toMatch(/^mongodb:\/\//);
    const deployment = await k.describeDeployment(t, vpce);
    expect(deployment).toMatchObject({ stateName: 'IDLE', connection });
    expect(await k.missingRegions(t, deployment)).toEqual([]);

    await k.unlink(t, view.id, vpce);
    // Dedicated: on the instant timeline Atlas has already removed the service with its last interface
    // endpoint (spec) by the time the DELETE arrives.
    expect(await k.remove(t, view.id)).toBe(kind === 'serverless' ? 'deleting' : 'gone');
    h.tick();
    h.tick();
    expect(await k.describe(t, view.id)).toMatchObject({
      id: view.id,
      status: 'gone',
      atlasStatus: 'DELETED',
    });
    expect(await k.describeLink(t, view.id, vpce)).toEqual({
      status: 'gone',
      atlasStatus: 'DELETED',
      errorMessage: null,
    });
    // Both removals are idempotent.
    await k.unlink(t, view.id, vpce);
    expect(await k.remove(t, view.id)).toBe('gone');
    expect(await k.findExisting(t, vpce)).toBeUndefined();

    const writes = h.calls().filter((c) => /^(update|create)\w*PrivateEndpoint /.test(c));
    expect(writes).toEqual(
      kind === 'serverless'
        ? ['createServerlessPrivateEndpoint 201', 'updateServerlessPrivateEndpoint 200']
        : ['createPrivateEndpoint 200', 'createPrivateEndpoint 409'],
    );
    const scheme = method === 'service-account' ? 'bearer' : 'digest';
    const api = h.world.log.entries.filter(
      (e) => e.service === 'atlas' && e.operation !== 'oauthToken' && e.status !== 401,
    );
    expect(api.length).toBeGreaterThan(10);
    expect(new Set(api.map((e) => e.auth))).toEqual(new Set([scheme]));
  });

  it('reports a failed Atlas side with its errorMessage', async () => {
    h.world.faults.add({
      operation:
        kind === 'serverless' ? ATLAS_LIFECYCLE.serverlessReserve : ATLAS_LIFECYCLE.endpointServiceCreate,
      effect: { kind: 'fail-transition', errorMessage: 'no capacity in us-east-1' },
    });
    const k = h.kind(kind, method);
    const t = h.target(kind);
    const { view } = await k.create(t);
    h.tick();
    expect(await k.describe(t, view.id)).toMatchObject({
      status: 'failed',
      atlasStatus: 'FAILED',
      errorMessage: 'no capacity in us-east-1',
    });
    // A failed endpoint is not adopted by findExisting (serverless) / is reported as failed (dedicated).
    const found = await k.findExisting(t);
    if (kind === 'serverless') expect(found).toBeUndefined();
    else expect(found?.status).toBe('failed');
  });

  it('reports a rejected link as failed with the rejection message', async () => {
    h.world.faults.add({
      operation:
        kind === 'serverless' ? ATLAS_LIFECYCLE.serverlessAccept : ATLAS_LIFECYCLE.interfaceEndpointAccept,
      effect: { kind: 'fail-transition', errorMessage: 'endpoint rejected' },
    });
    const k = h.kind(kind, method);
    const t = h.target(kind);
    const { view } = await k.create(t);
    h.tick();
    const ready = await k.describe(t, view.id);
    const vpce = await h.createVpcEndpoint(ready.endpointServiceName ?? '');
    await k.link(t, view.id, vpce);
    h.tick();
    h.tick();
    expect(await k.describeLink(t, view.id, vpce)).toEqual({
      status: 'failed',
      atlasStatus: kind === 'serverless' ? 'FAILED' : 'REJECTED',
      errorMessage: 'endpoint rejected',
    });
  });

  it('surfaces a 404 for an unknown instance or cluster with Atlas errorCode', async () => {
    const k = h.kind(kind, method);
    const t = { ...h.target(kind), instanceName: 'no-such-deployment' };
    const error = await thrown(() => k.readConnectionString(t, 'vpce-0123456789abcdef0'));
    expect(error.name).toBe('AtlasNotFound');
    expect(error.details).toMatchObject({
      status: 404,
      operation: kind === 'serverless' ? 'getServerlessInstance' : 'getCluster',
      errorCode: kind === 'serverless' ? 'SERVERLESS_INSTANCE_NOT_FOUND' : 'CLUSTER_NOT_FOUND',
    });
  });

  it('fails with ConfigurationError on a region Atlas does not serve, before calling Atlas', async () => {
    const k = h.kind(kind, method);
    const t = { ...h.target(kind), region: 'mars-north-1' };
    if (kind === 'dedicated') {
      await expect(k.create(t)).rejects.toMatchObject({ name: 'ConfigurationError' });
      expect(h.calls()).toEqual([]);
    } else {
      // The serverless endpoint takes the instance's region; the target region is not sent.
      expect((await k.create(t)).created).toBe(true);
    }
  });
});

describe('serverless specifics', () => {
  let h: AtlasHarness;
  beforeEach(async () => {
    h = await startAtlasHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('never PATCHes an endpoint already linked to another VPC endpoint', async () => {
    const k = h.kind('serverless', 'service-account');
    const t = h.target('serverless');
    const { view } = await k.create(t);
    h.tick();
    const name = (await k.describe(t, view.id)).endpointServiceName ?? '';
    const first = await h.createVpcEndpoint(name);
    const second = await h.createVpcEndpoint(name);
    await k.link(t, view.id, first);
    const error = await thrown(() => k.link(t, view.id, second));
    expect(error.name).toBe('ResourceConflict');
    expect(error.details).toMatchObject({ linkedVpcEndpointId: first, vpcEndpointId: second });
    await expect(k.describeLink(t, view.id, second)).rejects.toMatchObject({ name: 'ResourceConflict' });
    expect(h.world.log.of('updateServerlessPrivateEndpoint')).toHaveLength(1);
  });

  it('adopts an unlinked endpoint with the same comment, and not one with another comment', async () => {
    const k = h.kind('serverless', 'api-key');
    const mine = await k.create(h.target('serverless', 'app A'));
    await k.create(h.target('serverless', 'app B'));
    h.tick();
    expect((await k.findExisting(h.target('serverless', 'app A')))?.id).toBe(mine.view.id);
    expect(await k.findExisting(h.target('serverless', 'app C'))).toBeUndefined();
    expect(await k.findExisting(h.target('serverless'))).toBeDefined();
  });

  it('rejects a comment over 80 characters with Atlas VALIDATION_ERROR, without retrying', async () => {
    const k = h.kind('serverless', 'service-account');
    const error = await thrown(() => k.create(h.target('serverless', 'x'.repeat(81))));
    expect(error.name).toBe('AtlasRequestRejected');
    expect(error.details).toMatchObject({
      status: 400,
      errorCode: 'VALIDATION_ERROR',
      operation: 'createServerlessPrivateEndpoint',
    });
    expect(h.world.log.of('createServerlessPrivateEndpoint')).toHaveLength(1);
  });
});

describe('serverless API retired (410)', () => {
  it.each(AUTH_METHODS)(
    'every serverless endpoint call fails with AtlasApiGone VERSION_GONE (%s)',
    async (method) => {
      const h = await startAtlasHarness({ serverlessRetired: true });
      try {
        const k = h.kind('serverless', method);
        const t = h.target('serverless');
        for (const call of [
          () => k.create(t),
          () => k.findExisting(t),
          () => k.describe(t, '0123456789abcdef01234567'),
          () => k.remove(t, '0123456789abcdef01234567'),
        ]) {
          const error = await thrown(call);
          expect(error.name).toBe('AtlasApiGone');
          expect(error.details).toMatchObject({ status: 410, errorCode: 'VERSION_GONE' });
        }
        // Each was tried once: 410 is permanent.
        expect(h.world.log.entries.filter((e) => e.status === 410)).toHaveLength(4);
      } finally {
        await h.close();
      }
    },
  );
});

describe('dedicated specifics', () => {
  let h: AtlasHarness;
  beforeEach(async () => {
    h = await startAtlasHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('adopts the region service on 409 and reports it as not created here', async () => {
    const k = h.kind('dedicated', 'service-account');
    const t = h.target('dedicated');
    const first = await k.create(t);
    h.tick();
    const second = await k.create(t);
    expect(second.created).toBe(false);
    expect(second.view).toMatchObject({ id: first.view.id, status: 'ready-for-vpc-endpoint' });
    expect(h.world.log.of('createPrivateEndpointService', 409)[0]?.errorCode).toBe(
      'PRIVATE_ENDPOINT_SERVICE_ALREADY_EXISTS_FOR_REGION',
    );
  });

  it('finds the service that lists a given VPC endpoint', async () => {
    const k = h.kind('dedicated', 'api-key');
    const t = h.target('dedicated');
    const { view } = await k.create(t);
    h.tick();
    const vpce = await h.createVpcEndpoint((await k.describe(t, view.id)).endpointServiceName ?? '');
    await k.link(t, view.id, vpce);
    expect(await k.findExisting(t, vpce)).toMatchObject({ id: view.id, linkedVpcEndpointIds: [vpce] });
    expect(await k.findExisting({ ...t, region: 'eu-west-1' })).toBeUndefined();
  });

  it('surfaces a link attempt on a service that is not ready as AtlasRequestRejected with the errorCode', async () => {
    h.world.faults.add({ operation: ATLAS_LIFECYCLE.endpointServiceCreate, effect: { kind: 'stuck' } });
    const k = h.kind('dedicated', 'service-account');
    const t = h.target('dedicated');
    const { view } = await k.create(t);
    h.tick();
    const error = await thrown(() => k.link(t, view.id, 'vpce-0123456789abcdef0'));
    expect(error.name).toBe('AtlasRequestRejected');
    expect(error.details).toMatchObject({ status: 400, errorCode: 'ENDPOINT_SERVICE_NOT_READY' });
  });

  /** A created service with one AVAILABLE interface endpoint (instant world); ids. */
  async function linked(k: ReturnType<AtlasHarness['kind']>, t: ReturnType<AtlasHarness['target']>) {
    const { view } = await k.create(t);
    h.tick();
    const vpce = await h.createVpcEndpoint((await k.describe(t, view.id)).endpointServiceName ?? '');
    await k.link(t, view.id, vpce);
    h.tick();
    h.tick();
    return { id: view.id, vpce };
  }

  it('remove reports a service that still has an interface endpoint as in-use, whatever code Atlas sends', async () => {
    await h.close();
    h = await startAtlasHarness({ preset: { ...PRESETS.instant, interfaceEndpointDeletion: 30_000 } });
    const k = h.kind('dedicated', 'service-account');
    const t = h.target('dedicated');
    const { id, vpce } = await linked(k, t);
    expect(await k.remove(t, id)).toBe('in-use');
    expect(h.world.log.of('deletePrivateEndpointService', 400)).toHaveLength(1);
    // Still refused while the interface endpoint is being deleted (facts §10)...
    await k.unlink(t, id, vpce);
    expect(await k.describeLink(t, id, vpce)).toMatchObject({ status: 'deleting' });
    expect(await k.remove(t, id)).toBe('in-use');
    // ...then Atlas removes the service together with its last interface endpoint.
    h.tick(30_000);
    expect(await k.remove(t, id)).toBe('gone');
    expect(h.world.inventory().atlas.endpointServices).toEqual([]);
  });

  it('reads connectionStatus NONE (facts §10) as linking', async () => {
    await h.close();
    h = await startAtlasHarness({
      preset: { ...PRESETS.instant, vpcEndpointProvisioning: 10_000, interfaceEndpointAcceptance: 30_000 },
    });
    const k = h.kind('dedicated', 'service-account');
    const t = h.target('dedicated');
    const { view } = await k.create(t);
    h.tick();
    const name = (await k.describe(t, view.id)).endpointServiceName ?? '';
    const vpce = h.world.aws.createVpcEndpoint({
      vpcId: h.demo.vpcId,
      serviceName: name,
      vpcEndpointType: 'Interface',
      subnetIds: [...h.demo.subnetIds],
      securityGroupIds: [...h.demo.securityGroupIds],
    }).endpoint.id;
    expect(await k.link(t, view.id, vpce)).toEqual({
      status: 'linking',
      atlasStatus: 'NONE',
      errorMessage: null,
    });
    expect((await k.describeLink(t, view.id, vpce)).status).toBe('linking');
  });

  it.each([409, 400] as const)(
    'converges on an existing interface endpoint when Atlas answers a duplicate with %i',
    async (status) => {
      await h.close();
      h = await startAtlasHarness({ duplicateInterfaceEndpointStatus: status });
      const k = h.kind('dedicated', 'service-account');
      const t = h.target('dedicated');
      const { id, vpce } = await linked(k, t);
      expect(await k.link(t, id, vpce)).toMatchObject({ status: 'available', atlasStatus: 'AVAILABLE' });
      expect(h.world.log.of('createPrivateEndpoint', status)).toHaveLength(1);
    },
  );

  it('describes Flex, free, GCP, multi-region and serverless deployments by tier and AWS regions', async () => {
    const k = h.kind('dedicated', 'api-key');
    const t = (instanceName: string) => ({ ...h.target('dedicated'), instanceName });
    expect(await k.describeDeployment(t('orders-flex'))).toEqual({
      tier: 'flex',
      stateName: 'UNKNOWN',
      providers: [],
      awsRegions: [],
    });
    expect(await k.describeDeployment(t('orders-free'))).toMatchObject({
      tier: 'free',
      providers: ['AWS'],
      awsRegions: [],
    });
    expect(await k.describeDeployment(t('orders-gcp'))).toMatchObject({
      tier: 'dedicated',
      providers: ['GCP'],
      awsRegions: [],
    });
    expect(await k.describeDeployment(t('orders-multi-region'))).toMatchObject({
      tier: 'dedicated',
      stateName: 'IDLE',
      awsRegions: ['US_EAST_1', 'US_WEST_2'],
    });
    expect((await k.describeDeployment(t('orders'))).tier).toBe('serverless');
    const s = h.kind('serverless', 'api-key');
    expect((await s.describeDeployment(t('orders-flex'))).tier).toBe('flex');
    expect((await s.describeDeployment(t('orders-dedicated'))).tier).toBe('cluster');
    expect(await s.describeDeployment(t('orders'))).toMatchObject({
      tier: 'serverless',
      stateName: 'IDLE',
      awsRegions: ['US_EAST_1'],
    });
  });

  it('missingRegions names the regions of a multi-region cluster without an AVAILABLE endpoint', async () => {
    const k = h.kind('dedicated', 'service-account');
    const multi = { ...h.target('dedicated'), instanceName: 'orders-multi-region' };
    const before = await k.describeDeployment(multi);
    expect(await k.missingRegions(multi, before)).toEqual(['US_EAST_1', 'US_WEST_2']);
    const { vpce } = await linked(k, multi);
    const after = await k.describeDeployment(multi, vpce);
    expect(after.connection).toBeUndefined();
    expect(await k.missingRegions(multi, after)).toEqual(['US_WEST_2']);
    h.world.atlas.seedForeignInterfaceEndpoint({
      groupId: h.demo.groupId,
      regionName: 'US_WEST_2',
      vpcEndpointId: 'vpce-0bbbbbbbbbbbbbbb2',
    });
    const both = await k.describeDeployment(multi, vpce);
    expect(both.connection?.srvConnectionString).toMatch(/^mongodb\+srv:\/\//);
    expect(await k.missingRegions(multi, both)).toEqual([]);
    // A single-region cluster needs nothing else (and no call is made for it).
    const calls = h.calls().length;
    expect(
      await k.missingRegions(h.target('dedicated'), await k.describeDeployment(h.target('dedicated'))),
    ).toEqual([]);
    expect(h.calls().length).toBe(calls + 1);
  });

  it('missingRegions is empty in regionalized private endpoint mode', async () => {
    h.world.atlas.setRegionalizedPrivateEndpoints(h.demo.groupId, true);
    const k = h.kind('dedicated', 'service-account');
    const multi = { ...h.target('dedicated'), instanceName: 'orders-multi-region' };
    expect(await k.missingRegions(multi, await k.describeDeployment(multi))).toEqual([]);
    expect(h.world.log.of('getRegionalizedPrivateEndpointSetting', 200)).toHaveLength(1);
  });
});
