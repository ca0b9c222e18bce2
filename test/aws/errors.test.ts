/**
 * Error mapping, end to end: every EC2 error the simulator produces reaches the caller as the right
 * named workflow error, through the real SDK (its parsing and its retries).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ec2VpcEndpoints } from '../../lambdas/aws/vpc-endpoints.ts';
import {
  AwsRequestRejectedError,
  AwsTransientError,
  ConfigurationError,
  ErrorNames,
  WorkflowError,
} from '../../lambdas/core/errors.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import type { FaultRule } from '../../local/cloud/faults.ts';
import {
  addOtherNetwork,
  createInput,
  fastRetries,
  type Harness,
  OTHER_SG,
  OTHER_SUBNET,
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

async function failure(promise: Promise<unknown>): Promise<WorkflowError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowError);
    return error as WorkflowError;
  }
  throw new Error('expected the call to fail');
}

describe('EC2 rejections become AwsRequestRejectedError with the AWS code and message', () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    [
      'unknown endpoint service',
      { serviceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-00000000000000000' },
      'InvalidServiceName',
      /does not exist/,
    ],
    ['unknown VPC', { vpcId: 'vpc-0123456789abcdef0' }, 'InvalidVpcId.NotFound', /does not exist/],
    ['malformed VPC id', { vpcId: 'vpc-XYZ' }, 'InvalidVpcId.Malformed', /Invalid Vpc Id/],
    [
      'unknown subnet',
      { subnetIds: ['subnet-0123456789abcdef0'] },
      'InvalidSubnetId.NotFound',
      /does not exist/,
    ],
    ['malformed subnet id', { subnetIds: ['subnet_1'] }, 'InvalidSubnetId.Malformed', /Invalid Subnet Id/],
    [
      'subnet of another VPC',
      { subnetIds: [OTHER_SUBNET] },
      'InvalidParameter',
      /does not belong to the VPC/,
    ],
    [
      'two subnets in one AZ',
      { subnetIds: [DEMO_AWS.subnetIds[0], SAME_AZ_SUBNET] },
      'DuplicateSubnetsInSameZone',
      /availability zone/,
    ],
    [
      'unknown security group',
      { securityGroupIds: ['sg-0123456789abcdef0'] },
      'InvalidGroup.NotFound',
      /does not exist/,
    ],
    [
      'security group of another VPC',
      { securityGroupIds: [OTHER_SG] },
      'InvalidGroup.NotFound',
      /does not exist in VPC/,
    ],
    ['malformed security group id', { securityGroupIds: ['sg_1'] }, 'InvalidGroupId.Malformed', /sg-/],
    [
      'private DNS on an Atlas service',
      { privateDnsEnabled: true },
      'InvalidParameter',
      /Private DNS can't be enabled because the service .* does not provide a private DNS name/,
    ],
    ['reserved aws: tag', { tags: { 'aws:owner': 'me' } }, 'InvalidParameterValue', /reserved prefix 'aws:'/],
    [
      'more than 50 tags',
      { tags: Object.fromEntries(Array.from({ length: 44 }, (_, i) => [`k${i}`, 'v'])) },
      'TagLimitExceeded',
      /maximum number of tags \(50\)/,
    ],
  ];

  it.each(cases)('%s', async (_name, overrides, code, message) => {
    const error = await failure(h.ops.createInterfaceEndpoint(createInput(overrides)));
    expect(error).toBeInstanceOf(AwsRequestRejectedError);
    expect(error.name).toBe(ErrorNames.AwsRequestRejected);
    expect(error.retryable).toBe(false);
    expect(error.details).toMatchObject({ operation: 'CreateVpcEndpoint', awsCode: code, httpStatus: 400 });
    expect(String(error.details.awsMessage)).toMatch(message);
    expect(error.message).toContain(`(${code})`);
    expect(error.details.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect((error.cause as Error).name).toBe(code);
    // A rejection is not retried by the SDK: exactly one request.
    expect(h.log.of('CreateVpcEndpoint')).toHaveLength(1);
    expect(h.model.inventory()).toHaveLength(0);
  });

  it('VpcEndpointLimitExceeded when the VPC has no room left', async () => {
    await h.close();
    h = await startHarness({ model: { endpointLimitPerVpc: 1 } });
    await h.ops.createInterfaceEndpoint(createInput({ requestId: 'first' }));
    const error = await failure(h.ops.createInterfaceEndpoint(createInput({ requestId: 'second' })));
    expect(error).toBeInstanceOf(AwsRequestRejectedError);
    expect(error.details).toMatchObject({ awsCode: 'VpcEndpointLimitExceeded', vpcId: DEMO_AWS.vpcId });
  });

  it.each([
    ['UnauthorizedOperation', 403],
    ['VpcEndpointLimitExceeded', 400],
  ])('%s injected by the fault plan', async (code, status) => {
    h.faults.add({ operation: 'CreateVpcEndpoint', effect: { kind: 'ec2-error', code } });
    const error = await failure(h.ops.createInterfaceEndpoint(createInput()));
    expect(error).toBeInstanceOf(AwsRequestRejectedError);
    expect(error.details).toMatchObject({ awsCode: code, httpStatus: status });
  });

  it('unknown access key (AuthFailure) and wrong secret (SignatureDoesNotMatch)', async () => {
    const unknownKey = new Ec2VpcEndpoints(
      h.client({ credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' } }),
    );
    const auth = await failure(unknownKey.describeVpcEndpoint('vpce-0123456789abcdef0'));
    expect(auth).toBeInstanceOf(AwsRequestRejectedError);
    expect(auth.details).toMatchObject({ awsCode: 'AuthFailure', httpStatus: 401 });

    const wrongSecret = new Ec2VpcEndpoints(
      h.client({ credentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: 'wrong' } }),
    );
    const signature = await failure(wrongSecret.findVpcEndpoints({ vpcId: DEMO_AWS.vpcId }));
    expect(signature).toBeInstanceOf(AwsRequestRejectedError);
    expect(signature.details).toMatchObject({ awsCode: 'SignatureDoesNotMatch', httpStatus: 403 });
    // Secrets never reach the error.
    expect(JSON.stringify(signature.toJSON())).not.toContain('wrong');
    expect(JSON.stringify(signature.toJSON())).not.toContain(DEMO_AWS.secretAccessKey);
  });

  it('a client-side credentials failure is a ConfigurationError', async () => {
    const noCredentials = new Ec2VpcEndpoints(
      h.client({
        credentials: async () => {
          const error = new Error('Could not load credentials from any providers');
          error.name = 'CredentialsProviderError';
          throw error;
        },
      }),
    );
    const error = await failure(noCredentials.describeVpcEndpoint('vpce-0123456789abcdef0'));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(h.log.entries).toHaveLength(0);
  });
});

describe('throttling, 5xx and network failures', () => {
  const transientRules: [string, FaultRule['effect'], string][] = [
    ['RequestLimitExceeded', { kind: 'ec2-error', code: 'RequestLimitExceeded' }, 'RequestLimitExceeded'],
    ['503 Unavailable', { kind: 'http-error', status: 503 }, 'Unavailable'],
    ['500 InternalError', { kind: 'http-error', status: 500 }, 'InternalError'],
  ];

  it.each(transientRules)('%s twice is absorbed by the SDK retries', async (_name, effect) => {
    h.faults.add({ operation: 'CreateVpcEndpoint', times: 2, effect });
    const view = await h.ops.createInterfaceEndpoint(createInput());
    expect(view.state).toBe('pending');
    const calls = h.log.of('CreateVpcEndpoint');
    expect(calls.map((c) => c.status)).toEqual([calls[0]!.status, calls[0]!.status, 200]);
    expect(calls[0]!.status).toBeGreaterThanOrEqual(500);
    expect(h.model.inventory()).toHaveLength(1);
  });

  it.each(transientRules)(
    '%s that persists becomes AwsTransientError after 3 attempts',
    async (_n, effect, code) => {
      h.faults.add({ operation: 'DescribeVpcEndpoints', times: Number.POSITIVE_INFINITY, effect });
      const error = await failure(h.ops.describeVpcEndpoint('vpce-0123456789abcdef0'));
      expect(error).toBeInstanceOf(AwsTransientError);
      expect(error.name).toBe(ErrorNames.AwsTransientError);
      expect(error.retryable).toBe(true);
      expect(error.details).toMatchObject({ operation: 'DescribeVpcEndpoints', awsCode: code, attempts: 3 });
      expect(h.log.of('DescribeVpcEndpoints')).toHaveLength(3);
    },
  );

  it('token-bucket throttling by the EC2 front itself', async () => {
    h.model.setThrottle({ mutating: { capacity: 1, refillPerSecond: 0 } });
    await h.ops.createInterfaceEndpoint(createInput({ requestId: 'one' }));
    const error = await failure(h.ops.deleteVpcEndpoint(h.model.inventory()[0]!.id));
    expect(error).toBeInstanceOf(AwsTransientError);
    expect(error.details).toMatchObject({ operation: 'DeleteVpcEndpoints', awsCode: 'RequestLimitExceeded' });
    expect(h.log.of('DeleteVpcEndpoints', 503)).toHaveLength(3);
  });

  it('a dropped connection is retried by the SDK; the ClientToken keeps the create single', async () => {
    h.faults.add({ operation: 'CreateVpcEndpoint', effect: { kind: 'drop-connection' } });
    const view = await h.ops.createInterfaceEndpoint(createInput());
    expect(view.vpcEndpointId).toMatch(/^vpce-/);
    expect(h.log.of('CreateVpcEndpoint').map((c) => c.status)).toEqual([0, 200]);
    expect(h.model.inventory()).toHaveLength(1);
  });

  it('connections that keep dropping become AwsTransientError with the network error', async () => {
    h.faults.add({
      operation: 'DeleteVpcEndpoints',
      times: Number.POSITIVE_INFINITY,
      effect: { kind: 'drop-connection' },
    });
    const error = await failure(h.ops.deleteVpcEndpoint('vpce-0123456789abcdef0'));
    expect(error).toBeInstanceOf(AwsTransientError);
    expect(error.details.networkError).toBe('ECONNRESET');
    expect(error.details.operation).toBe('DeleteVpcEndpoints');
    expect(h.log.of('DeleteVpcEndpoints')).toHaveLength(3);
  });

  it('an answer slower than the request timeout is a transient TimeoutError', async () => {
    const ops = new Ec2VpcEndpoints(h.client({ requestTimeoutMs: 100, retryStrategy: fastRetries(1) }));
    h.faults.add({ operation: 'DescribeVpcEndpoints', effect: { kind: 'slow-response', delayMs: 600 } });
    const error = await failure(ops.describeVpcEndpoint('vpce-0123456789abcdef0'));
    expect(error).toBeInstanceOf(AwsTransientError);
    expect(error.details.networkError).toBe('ETIMEDOUT');
  });

  it('an unreachable endpoint (nothing listening) is transient', async () => {
    const url = h.front.url;
    await h.front.close();
    const ops = new Ec2VpcEndpoints(h.client({ endpoint: url, retryStrategy: fastRetries(2) }));
    const error = await failure(ops.findVpcEndpoints({ vpcId: DEMO_AWS.vpcId }));
    expect(error).toBeInstanceOf(AwsTransientError);
    expect(error.details.networkError).toBe('ECONNREFUSED');
  });
});
