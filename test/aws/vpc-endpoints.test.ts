/**
 * VPC endpoint operations through the real @aws-sdk/client-ec2 against the simulated EC2 front.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clientTokenFor, Ec2VpcEndpoints, isVpcEndpointGone } from '../../lambdas/aws/vpc-endpoints.ts';
import { AwsRequestRejectedError } from '../../lambdas/core/errors.ts';
import {
  TAG_ATLAS_CREATED,
  TAG_ATLAS_ENDPOINT_ID,
  TAG_ATLAS_GROUP_ID,
  TAG_ATLAS_INSTANCE_NAME,
  TAG_ATLAS_KIND,
  TAG_MANAGED_BY,
  TAG_REQUEST_ID,
} from '../../lambdas/core/tags.ts';
import { AWS_LIFECYCLE_FAULTS, DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { PRESETS } from '../../local/cloud/timeline.ts';
import { createInput, type Harness, OTHER_SERVICE, SERVICE, startHarness } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('createInterfaceEndpoint', () => {
  it('creates an Interface endpoint with the request tags plus the workflow tags', async () => {
    const view = await h.ops.createInterfaceEndpoint(createInput());

    expect(view.vpcEndpointId).toMatch(/^vpce-[0-9a-f]{17}$/);
    expect(view).toMatchObject({
      state: 'pending',
      serviceName: SERVICE,
      vpcId: DEMO_AWS.vpcId,
      vpcEndpointType: 'Interface',
      subnetIds: DEMO_AWS.subnetIds,
      securityGroupIds: DEMO_AWS.securityGroupIds,
      privateDnsEnabled: false,
    });
    expect(view.tags).toEqual({
      Name: 'atlas-orders',
      Team: 'payments',
      [TAG_MANAGED_BY]: 'arn:aws:states:us-east-1:123456789012:stateMachine:AtlasPrivateEndpoint',
      [TAG_REQUEST_ID]: 'exec-0001',
      [TAG_ATLAS_KIND]: 'serverless',
      [TAG_ATLAS_GROUP_ID]: '5f7cac1adf5d6c6306f4b283',
      [TAG_ATLAS_INSTANCE_NAME]: 'orders',
      [TAG_ATLAS_ENDPOINT_ID]: '6a1b2c3d4e5f60718293a4b5',
      [TAG_ATLAS_CREATED]: 'true',
    });
    expect(view.dnsEntries.length).toBe(3);
    for (const entry of view.dnsEntries) expect(entry.dnsName).toContain(`${view.vpcEndpointId}-`);
    expect(view.createdAt).toBe(new Date(h.clock.now()).toISOString());
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);

    // What EC2 stored: the ClientToken derived from the request id and the service, private DNS explicitly off.
    const stored = h.model.getVpcEndpoint(view.vpcEndpointId);
    expect(stored?.clientToken).toBe('exec-0001:vpce-svc-0a1b2c3d4e5f60718');
    expect(stored?.privateDnsEnabled).toBe(false);
    expect(stored?.tags).toEqual(view.tags);
  });

  it('keeps a Name tag the request sets, and workflow tags cannot be overridden by request tags', async () => {
    const view = await h.ops.createInterfaceEndpoint(
      createInput({ tags: { Name: 'my-endpoint', [TAG_MANAGED_BY]: 'someone-else' } }),
    );
    expect(view.tags.Name).toBe('my-endpoint');
    expect(view.tags[TAG_MANAGED_BY]).toBe(
      'arn:aws:states:us-east-1:123456789012:stateMachine:AtlasPrivateEndpoint',
    );
  });

  it('is idempotent per request id: a repeated call returns the same endpoint and creates no duplicate', async () => {
    const first = await h.ops.createInterfaceEndpoint(createInput());
    const second = await h.ops.createInterfaceEndpoint(createInput());
    const third = await new Ec2VpcEndpoints(h.client()).createInterfaceEndpoint(createInput());

    expect(second.vpcEndpointId).toBe(first.vpcEndpointId);
    expect(third.vpcEndpointId).toBe(first.vpcEndpointId);
    expect(h.model.inventory()).toHaveLength(1);
    expect(h.log.of('CreateVpcEndpoint', 200)).toHaveLength(3);

    const other = await h.ops.createInterfaceEndpoint(createInput({ requestId: 'exec-0002' }));
    expect(other.vpcEndpointId).not.toBe(first.vpcEndpointId);
    expect(h.model.inventory()).toHaveLength(2);
  });

  it('hashes a request id EC2 cannot take as a ClientToken, still deterministically', async () => {
    const longId = `run-${'x'.repeat(100)}`;
    const unicodeId = 'exécution-1';
    const a = await h.ops.createInterfaceEndpoint(createInput({ requestId: longId }));
    const b = await h.ops.createInterfaceEndpoint(createInput({ requestId: longId }));
    const c = await h.ops.createInterfaceEndpoint(createInput({ requestId: unicodeId }));
    expect(b.vpcEndpointId).toBe(a.vpcEndpointId);
    expect(h.model.getVpcEndpoint(a.vpcEndpointId)?.clientToken).toBe(
      createHash('sha256')
        .update(JSON.stringify([longId, SERVICE]))
        .digest('hex'),
    );
    expect(h.model.getVpcEndpoint(c.vpcEndpointId)?.clientToken).toBe(clientTokenFor(unicodeId, SERVICE));
    expect(clientTokenFor(unicodeId, SERVICE)).toMatch(/^[0-9a-f]{64}$/);
    // The tag keeps the readable request id.
    expect(a.tags[TAG_REQUEST_ID]).toBe(longId);
    expect(h.model.inventory()).toHaveLength(2);
  });

  it('surfaces IdempotentParameterMismatch when the same request id comes back with other parameters', async () => {
    await h.ops.createInterfaceEndpoint(createInput());
    const error = await rejection(
      h.ops.createInterfaceEndpoint(createInput({ subnetIds: [DEMO_AWS.subnetIds[0]] })),
    );
    expect(error).toBeInstanceOf(AwsRequestRejectedError);
    expect((error as AwsRequestRejectedError).details).toMatchObject({
      operation: 'CreateVpcEndpoint',
      awsCode: 'IdempotentParameterMismatch',
      httpStatus: 400,
    });
    expect(h.model.inventory()).toHaveLength(1);
  });

  it('reuses a request id for another endpoint service: creates that endpoint, and each repeat converges', async () => {
    // The earlier Atlas side was replaced: the same request id now needs an endpoint to a new service.
    const first = await h.ops.createInterfaceEndpoint(createInput({ requestId: 'reused-1' }));
    const moved = await h.ops.createInterfaceEndpoint(
      createInput({
        requestId: 'reused-1',
        serviceName: OTHER_SERVICE,
        atlas: { ...createInput().atlas, atlasEndpointId: '6a1b2c3d4e5f60718293a4b6' },
      }),
    );
    expect(moved.vpcEndpointId).not.toBe(first.vpcEndpointId);
    expect(moved).toMatchObject({ serviceName: OTHER_SERVICE, state: 'pending' });
    expect(moved.tags[TAG_REQUEST_ID]).toBe('reused-1');
    expect(h.model.getVpcEndpoint(first.vpcEndpointId)?.clientToken).toBe(
      'reused-1:vpce-svc-0a1b2c3d4e5f60718',
    );
    expect(h.model.getVpcEndpoint(moved.vpcEndpointId)?.clientToken).toBe(
      'reused-1:vpce-svc-0f1e2d3c4b5a69788',
    );
    // A retried create of either one returns the endpoint it already made.
    const again = await h.ops.createInterfaceEndpoint(
      createInput({
        requestId: 'reused-1',
        serviceName: OTHER_SERVICE,
        atlas: { ...createInput().atlas, atlasEndpointId: '6a1b2c3d4e5f60718293a4b6' },
      }),
    );
    expect(again.vpcEndpointId).toBe(moved.vpcEndpointId);
    expect((await h.ops.createInterfaceEndpoint(createInput({ requestId: 'reused-1' }))).vpcEndpointId).toBe(
      first.vpcEndpointId,
    );
    expect(h.log.of('CreateVpcEndpoint', 400)).toHaveLength(0);
    expect(h.model.inventory()).toHaveLength(2);
  });

  it('refuses, before calling EC2, an endpoint service in another region than the client', async () => {
    const error = await rejection(
      h.ops.createInterfaceEndpoint(
        createInput({ serviceName: 'com.amazonaws.vpce.eu-west-1.vpce-svc-0a1b2c3d4e5f60718' }),
      ),
    );
    expect(error).toBeInstanceOf(AwsRequestRejectedError);
    expect((error as Error).message).toMatch(/is in eu-west-1, but the EC2 client works in us-east-1/);
    expect(h.log.of('CreateVpcEndpoint')).toHaveLength(0);
  });
});

describe('describeVpcEndpoint and the endpoint lifecycle', () => {
  it('follows pending -> pendingAcceptance -> available as the world provisions and Atlas accepts', async () => {
    const { vpcEndpointId } = await h.ops.createInterfaceEndpoint(createInput());
    // instant preset: provisioning is due at once; the next request settles the clock.
    expect((await h.ops.describeVpcEndpoint(vpcEndpointId))?.state).toBe('pendingAcceptance');
    h.model.acceptVpcEndpoint(vpcEndpointId);
    const available = await h.ops.describeVpcEndpoint(vpcEndpointId);
    expect(available?.state).toBe('available');
    expect(isVpcEndpointGone(available)).toBe(false);
  });

  it('shows a rejected endpoint as rejected', async () => {
    const { vpcEndpointId } = await h.ops.createInterfaceEndpoint(createInput());
    h.model.rejectVpcEndpoint(vpcEndpointId);
    expect((await h.ops.describeVpcEndpoint(vpcEndpointId))?.state).toBe('rejected');
  });

  it('reports a failed provisioning with EC2 last error', async () => {
    h.faults.add({
      operation: AWS_LIFECYCLE_FAULTS.provision,
      effect: { kind: 'fail-transition', errorMessage: 'no capacity in us-east-1a' },
    });
    const { vpcEndpointId } = await h.ops.createInterfaceEndpoint(createInput());
    const view = await h.ops.describeVpcEndpoint(vpcEndpointId);
    expect(view?.state).toBe('failed');
    expect(view?.lastError).toEqual({ code: 'InternalError', message: 'no capacity in us-east-1a' });
  });

  it('keeps reporting pending while provisioning is stuck, with time advancing', async () => {
    h.faults.add({ operation: AWS_LIFECYCLE_FAULTS.provision, effect: { kind: 'stuck' } });
    const { vpcEndpointId } = await h.ops.createInterfaceEndpoint(createInput());
    h.clock.advance(60 * 60 * 1000);
    expect((await h.ops.describeVpcEndpoint(vpcEndpointId))?.state).toBe('pending');
  });

  it('moves with the clock on a realistic timeline', async () => {
    await h.close();
    h = await startHarness({ model: { timeline: PRESETS.realistic } });
    const { vpcEndpointId } = await h.ops.createInterfaceEndpoint(createInput());
    expect((await h.ops.describeVpcEndpoint(vpcEndpointId))?.state).toBe('pending');
    h.clock.advance(19_999);
    expect((await h.ops.describeVpcEndpoint(vpcEndpointId))?.state).toBe('pending');
    h.clock.advance(1);
    expect((await h.ops.describeVpcEndpoint(vpcEndpointId))?.state).toBe('pendingAcceptance');
  });

  it('returns undefined for an id EC2 does not know', async () => {
    expect(await h.ops.describeVpcEndpoint('vpce-0123456789abcdef0')).toBeUndefined();
    expect(h.log.of('DescribeVpcEndpoints')[0]?.errorCode).toBe('InvalidVpcEndpointId.NotFound');
    expect(isVpcEndpointGone(undefined)).toBe(true);
  });

  it('rejects a malformed id instead of calling it gone', async () => {
    const error = await rejection(h.ops.describeVpcEndpoint('vpce-XYZ'));
    expect(error).toBeInstanceOf(AwsRequestRejectedError);
    expect((error as AwsRequestRejectedError).details).toMatchObject({
      operation: 'DescribeVpcEndpoints',
      vpcEndpointId: 'vpce-XYZ',
      awsCode: 'InvalidVpcEndpointId.Malformed',
    });
  });
});

describe('deleteVpcEndpoint', () => {
  it('deletes, is idempotent while deleting and after deletion, and the endpoint ends gone', async () => {
    const { vpcEndpointId } = await h.ops.createInterfaceEndpoint(createInput());

    h.faults.add({ operation: AWS_LIFECYCLE_FAULTS.delete, effect: { kind: 'stuck' } });
    expect(await h.ops.deleteVpcEndpoint(vpcEndpointId)).toEqual({ vpcEndpointId, outcome: 'deleting' });
    const deleting = await h.ops.describeVpcEndpoint(vpcEndpointId);
    expect(deleting?.state).toBe('deleting');
    expect(isVpcEndpointGone(deleting)).toBe(true);
    expect(await h.ops.deleteVpcEndpoint(vpcEndpointId)).toEqual({ vpcEndpointId, outcome: 'deleting' });
    expect(h.model.inventory()).toHaveLength(1);
  });

  it('treats an already deleted endpoint and an unknown id as success', async () => {
    const { vpcEndpointId } = await h.ops.createInterfaceEndpoint(createInput());
    expect((await h.ops.deleteVpcEndpoint(vpcEndpointId)).outcome).toBe('deleting');

    // instant preset: deletion completes on the next request; EC2 keeps a `deleted` tombstone for a while.
    const tombstone = await h.ops.describeVpcEndpoint(vpcEndpointId);
    expect(tombstone?.state).toBe('deleted');
    expect(isVpcEndpointGone(tombstone)).toBe(true);
    expect(await h.ops.deleteVpcEndpoint(vpcEndpointId)).toEqual({ vpcEndpointId, outcome: 'not-found' });
    expect(h.model.inventory()).toHaveLength(0);

    // After the tombstone expires the id is unknown to EC2 altogether.
    h.clock.advance(h.model.deletedRetentionMs + 1);
    expect(await h.ops.describeVpcEndpoint(vpcEndpointId)).toBeUndefined();
    expect(await h.ops.deleteVpcEndpoint(vpcEndpointId)).toEqual({ vpcEndpointId, outcome: 'not-found' });
    expect(await h.ops.deleteVpcEndpoint('vpce-0123456789abcdef0')).toEqual({
      vpcEndpointId: 'vpce-0123456789abcdef0',
      outcome: 'not-found',
    });
    // EC2 reported those per id in `Unsuccessful`; the call itself succeeded.
    expect(h.log.of('DeleteVpcEndpoints', 200)).toHaveLength(4);
  });

  it('rejects a malformed id', async () => {
    const error = await rejection(h.ops.deleteVpcEndpoint('not-an-id'));
    expect(error).toBeInstanceOf(AwsRequestRejectedError);
    expect((error as AwsRequestRejectedError).details.awsCode).toBe('InvalidVpcEndpointId.Malformed');
  });
});

describe('findVpcEndpoints', () => {
  it('finds by VPC and service name, skipping deleting and deleted endpoints', async () => {
    const a = await h.ops.createInterfaceEndpoint(createInput({ requestId: 'a' }));
    const b = await h.ops.createInterfaceEndpoint(createInput({ requestId: 'b' }));
    const other = await h.ops.createInterfaceEndpoint(
      createInput({ requestId: 'c', serviceName: OTHER_SERVICE }),
    );

    const bySvc = await h.ops.findVpcEndpoints({ vpcId: DEMO_AWS.vpcId, serviceName: SERVICE });
    expect(bySvc.map((v) => v.vpcEndpointId).sort()).toEqual([a.vpcEndpointId, b.vpcEndpointId].sort());
    const byVpc = await h.ops.findVpcEndpoints({ vpcId: DEMO_AWS.vpcId });
    expect(byVpc).toHaveLength(3);

    await h.ops.deleteVpcEndpoint(a.vpcEndpointId); // -> deleted on the next request (instant)
    h.faults.add({ operation: AWS_LIFECYCLE_FAULTS.delete, effect: { kind: 'stuck' } });
    await h.ops.deleteVpcEndpoint(b.vpcEndpointId); // stays deleting
    expect(await h.ops.findVpcEndpoints({ vpcId: DEMO_AWS.vpcId, serviceName: SERVICE })).toEqual([]);
    const remaining = await h.ops.findVpcEndpoints({ vpcId: DEMO_AWS.vpcId });
    expect(remaining.map((v) => v.vpcEndpointId)).toEqual([other.vpcEndpointId]);
  });

  it('filters by tags, e.g. to converge on the endpoint of one request', async () => {
    const a = await h.ops.createInterfaceEndpoint(createInput({ requestId: 'run-a' }));
    await h.ops.createInterfaceEndpoint(createInput({ requestId: 'run-b' }));
    const found = await h.ops.findVpcEndpoints({
      vpcId: DEMO_AWS.vpcId,
      serviceName: SERVICE,
      tags: { [TAG_REQUEST_ID]: 'run-a', [TAG_ATLAS_GROUP_ID]: '5f7cac1adf5d6c6306f4b283' },
    });
    expect(found.map((v) => v.vpcEndpointId)).toEqual([a.vpcEndpointId]);
    expect(
      await h.ops.findVpcEndpoints({ vpcId: DEMO_AWS.vpcId, tags: { [TAG_REQUEST_ID]: 'nope' } }),
    ).toEqual([]);
  });

  it('returns nothing for another VPC', async () => {
    await h.ops.createInterfaceEndpoint(createInput());
    expect(await h.ops.findVpcEndpoints({ vpcId: 'vpc-0ffffffffffffff01', serviceName: SERVICE })).toEqual(
      [],
    );
  });

  it('follows NextToken across pages', async () => {
    const paged = new Ec2VpcEndpoints(h.client(), { pageSize: 2 });
    const created = [];
    for (let i = 0; i < 5; i++)
      created.push(await paged.createInterfaceEndpoint(createInput({ requestId: `p${i}` })));
    h.log.clear();
    const found = await paged.findVpcEndpoints({ vpcId: DEMO_AWS.vpcId, serviceName: SERVICE });
    expect(found.map((v) => v.vpcEndpointId).sort()).toEqual(created.map((v) => v.vpcEndpointId).sort());
    expect(h.log.of('DescribeVpcEndpoints', 200)).toHaveLength(3);
  });
});
