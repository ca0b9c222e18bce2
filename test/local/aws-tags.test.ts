/**
 * CreateTags in the simulated EC2 (what a repair uses to restore a VPC endpoint's tags), over the model and
 * through the workflow's own EC2 operations over HTTP; and the out-of-band tag removal drift is made of.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_AWS, type Ec2Error } from '../../local/cloud/aws-model.ts';
import { createInput, startHarness } from '../aws/harness.ts';
import { startTestWorld, type TestWorld } from '../support/world.ts';

let world: TestWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const SERVICE = 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0';

async function withEndpoint() {
  world = await startTestWorld();
  const aws = world.world.aws;
  aws.registerEndpointService(SERVICE, 'us-east-1');
  const { endpoint } = aws.createVpcEndpoint({
    vpcEndpointType: 'Interface',
    vpcId: DEMO_AWS.vpcId,
    serviceName: SERVICE,
    subnetIds: [...DEMO_AWS.subnetIds],
    securityGroupIds: [...DEMO_AWS.securityGroupIds],
    tagSpecifications: [{ resourceType: 'vpc-endpoint', tags: [{ key: 'team', value: 'orders' }] }],
  });
  return { world, aws, id: endpoint.id };
}

describe('CreateTags', () => {
  it('adds and overwrites tags, keeps the others; refuses unknown ids and reserved keys, changing nothing', async () => {
    const { aws, id } = await withEndpoint();
    aws.createTags({
      resourceIds: [id],
      tags: [
        { key: 'team', value: 'payments' },
        { key: 'env', value: 'prod' },
      ],
    });
    expect(aws.getVpcEndpoint(id)?.tags).toEqual({ team: 'payments', env: 'prod' });
    const code = (fn: () => void) => {
      try {
        fn();
      } catch (error) {
        return (error as Ec2Error).code;
      }
      return 'none';
    };
    expect(
      code(() =>
        aws.createTags({ resourceIds: [id, 'vpce-0000000000000dead'], tags: [{ key: 'a', value: 'b' }] }),
      ),
    ).toBe('InvalidVpcEndpointId.NotFound');
    expect(code(() => aws.createTags({ resourceIds: [id], tags: [{ key: 'aws:x', value: 'b' }] }))).toBe(
      'InvalidParameterValue',
    );
    expect(code(() => aws.createTags({ resourceIds: ['not-an-id'], tags: [{ key: 'a', value: 'b' }] }))).toBe(
      'InvalidID',
    );
    expect(aws.getVpcEndpoint(id)?.tags).toEqual({ team: 'payments', env: 'prod' });
    aws.removeTags(id, ['env']);
    expect(aws.getVpcEndpoint(id)?.tags).toEqual({ team: 'payments' });
  });

  it('the workflow tags an endpoint over HTTP (Ec2VpcEndpoints.tagVpcEndpoint), as a repair does', async () => {
    const h = await startHarness();
    try {
      const created = await h.ops.createInterfaceEndpoint(createInput());
      await h.ops.tagVpcEndpoint(created.vpcEndpointId, { Team: 'orders-2', 'cost center': 'x 1' });
      expect(h.model.getVpcEndpoint(created.vpcEndpointId)?.tags).toMatchObject({
        Team: 'orders-2',
        'cost center': 'x 1',
      });
      expect(h.log.counts().CreateTags).toBe(1);
      await h.ops.tagVpcEndpoint(created.vpcEndpointId, {});
      expect(h.log.counts().CreateTags).toBe(1);
    } finally {
      await h.close();
    }
  });
});
