/**
 * The EC2 client factory: region from the environment, the SDK's own AWS_ENDPOINT_URL_EC2 support,
 * and the default retry budget, checked against the simulated EC2 front.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEc2Client, DEFAULT_EC2_MAX_ATTEMPTS } from '../../lambdas/aws/client.ts';
import { Ec2VpcEndpoints } from '../../lambdas/aws/vpc-endpoints.ts';
import { AwsTransientError, ConfigurationError } from '../../lambdas/core/errors.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { CREDENTIALS, createInput, type Harness, startHarness } from './harness.ts';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

/** Sets process.env entries for one test and restores them afterwards. */
function withEnv(values: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

describe('createEc2Client', () => {
  it('takes the region from AWS_REGION, then AWS_DEFAULT_REGION', async () => {
    const a = createEc2Client({ env: { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'us-west-2' } });
    const b = createEc2Client({ env: { AWS_DEFAULT_REGION: 'us-west-2' } });
    expect(await a.config.region()).toBe('eu-west-1');
    expect(await b.config.region()).toBe('us-west-2');
    expect(await a.config.maxAttempts()).toBe(DEFAULT_EC2_MAX_ATTEMPTS);
    a.destroy();
    b.destroy();
  });

  it('fails loudly without a usable region', () => {
    expect(() => createEc2Client({ env: {} })).toThrow(ConfigurationError);
    expect(() => createEc2Client({ env: { AWS_REGION: '  ' } })).toThrow(/AWS_REGION is not set/);
    expect(() => createEc2Client({ env: { AWS_REGION: 'US_EAST_1' } })).toThrow(/not an AWS region name/);
    expect(() => createEc2Client({ region: 'us-east-1', maxAttempts: 0 })).toThrow(ConfigurationError);
  });

  it('reaches the endpoint named by AWS_ENDPOINT_URL_EC2 with no endpoint in code (SDK behaviour)', async () => {
    const restore = withEnv({
      AWS_ENDPOINT_URL_EC2: h.front.url,
      AWS_ENDPOINT_URL: undefined,
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
    });
    try {
      const ec2 = createEc2Client({ env: { AWS_REGION: 'us-east-1' } });
      const view = await new Ec2VpcEndpoints(ec2).createInterfaceEndpoint(createInput());
      expect(h.model.getVpcEndpoint(view.vpcEndpointId)).toBeDefined();
      expect(h.log.of('CreateVpcEndpoint', 200)).toEqual([
        expect.objectContaining({ auth: 'sigv4', service: 'ec2' }),
      ]);
      ec2.destroy();
    } finally {
      restore();
    }
  });

  it('also honours the generic AWS_ENDPOINT_URL', async () => {
    const restore = withEnv({
      AWS_ENDPOINT_URL_EC2: undefined,
      AWS_ENDPOINT_URL: h.front.url,
      AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: undefined,
    });
    try {
      const ec2 = createEc2Client({ env: { AWS_REGION: 'us-east-1' }, credentials: CREDENTIALS });
      expect(await new Ec2VpcEndpoints(ec2).findVpcEndpoints({ vpcId: DEMO_AWS.vpcId })).toEqual([]);
      expect(h.log.of('DescribeVpcEndpoints', 200)).toHaveLength(1);
      ec2.destroy();
    } finally {
      restore();
    }
  });

  it('retries with the SDK standard strategy: 3 attempts by default', async () => {
    const ec2 = createEc2Client({ region: 'us-east-1', endpoint: h.front.url, credentials: CREDENTIALS });
    const ops = new Ec2VpcEndpoints(ec2);

    h.faults.add({ operation: 'CreateVpcEndpoint', times: 2, effect: { kind: 'http-error', status: 503 } });
    await ops.createInterfaceEndpoint(createInput());
    expect(h.log.of('CreateVpcEndpoint').map((e) => e.status)).toEqual([503, 503, 200]);

    h.faults.add({
      operation: 'DescribeVpcEndpoints',
      times: Number.POSITIVE_INFINITY,
      effect: { kind: 'http-error', status: 503 },
    });
    await expect(ops.findVpcEndpoints({ vpcId: DEMO_AWS.vpcId })).rejects.toBeInstanceOf(AwsTransientError);
    expect(h.log.of('DescribeVpcEndpoints')).toHaveLength(DEFAULT_EC2_MAX_ATTEMPTS);
    ec2.destroy();
  });
});
