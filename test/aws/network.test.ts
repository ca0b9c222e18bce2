/**
 * checkNetwork: the pre-flight check validate-request runs on the request's subnets and security groups.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsTransientError } from '../../lambdas/core/errors.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import {
  addOtherNetwork,
  type Harness,
  OTHER_SG,
  OTHER_SUBNET,
  OTHER_VPC,
  SAME_AZ_SUBNET,
  startHarness,
} from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
  addOtherNetwork(h.model);
});
afterEach(async () => {
  await h.close();
});

const demo = {
  vpcId: DEMO_AWS.vpcId,
  subnetIds: [...DEMO_AWS.subnetIds],
  securityGroupIds: [...DEMO_AWS.securityGroupIds],
};

describe('checkNetwork', () => {
  it('finds nothing wrong with the demo network', async () => {
    expect(await h.ops.checkNetwork(demo)).toEqual([]);
    expect(h.log.of('DescribeSubnets', 200)).toHaveLength(1);
    expect(h.log.of('DescribeSecurityGroups', 200)).toHaveLength(1);
  });

  it('reports every bad subnet and security group by its request field', async () => {
    const issues = await h.ops.checkNetwork({
      vpcId: DEMO_AWS.vpcId,
      subnetIds: [DEMO_AWS.subnetIds[0], 'subnet-0123456789abcdef0', OTHER_SUBNET, SAME_AZ_SUBNET],
      securityGroupIds: ['sg-0123456789abcdef0', OTHER_SG, DEMO_AWS.securityGroupIds[0]],
    });
    expect(issues).toEqual([
      {
        field: 'subnetIds[1]',
        problem: 'subnet "subnet-0123456789abcdef0" does not exist in this account in us-east-1',
      },
      {
        field: 'subnetIds[2]',
        problem: `subnet "${OTHER_SUBNET}" belongs to ${OTHER_VPC}, not to ${DEMO_AWS.vpcId}`,
      },
      {
        field: 'subnetIds[3]',
        problem: `subnet "${SAME_AZ_SUBNET}" is in us-east-1a, like subnetIds[0]; expected one subnet per Availability Zone`,
      },
      {
        field: 'securityGroupIds[0]',
        problem: 'security group "sg-0123456789abcdef0" does not exist in this account in us-east-1',
      },
      {
        field: 'securityGroupIds[1]',
        problem: `security group "${OTHER_SG}" belongs to ${OTHER_VPC}, not to ${DEMO_AWS.vpcId}`,
      },
    ]);
  });

  it('an unknown VPC is reported as such, not as subnets and groups that belong elsewhere', async () => {
    const issues = await h.ops.checkNetwork({ ...demo, vpcId: 'vpc-0123456789abcdef0' });
    expect(issues).toEqual([
      { field: 'vpcId', problem: 'there is no VPC "vpc-0123456789abcdef0" in this account in us-east-1' },
    ]);
  });

  it('throttling that outlasts the SDK retries is transient', async () => {
    h.faults.add({
      operation: 'DescribeSubnets',
      times: Number.POSITIVE_INFINITY,
      effect: { kind: 'ec2-error', code: 'RequestLimitExceeded' },
    });
    await expect(h.ops.checkNetwork(demo)).rejects.toBeInstanceOf(AwsTransientError);
  });
});
