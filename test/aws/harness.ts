/**
 * The simulated EC2 world for test/aws: H2's AwsModel behind its real EC2 Query front, on a frozen
 * virtual clock with the `instant` timeline, and the production client factory pointed at it.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { createEc2Client, type Ec2ClientOptions } from '../../lambdas/aws/client.ts';
import { Ec2VpcEndpoints, type Ec2VpcEndpointsOptions } from '../../lambdas/aws/vpc-endpoints.ts';
import { AwsModel, type AwsModelOptions, DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { VirtualClock } from '../../local/cloud/clock.ts';
import { FaultPlan, type FaultRule } from '../../local/cloud/faults.ts';
import { RequestLog } from '../../local/cloud/request-log.ts';
import { PRESETS } from '../../local/cloud/timeline.ts';
import { type HttpFront, startEc2Server } from '../../local/ec2-server.ts';

export const SERVICE = 'com.amazonaws.vpce.us-east-1.vpce-svc-0a1b2c3d4e5f60718';
export const OTHER_SERVICE = 'com.amazonaws.vpce.us-east-1.vpce-svc-0f1e2d3c4b5a69788';
export const CREDENTIALS = { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey };

/** A VPC other than the demo one, with one subnet and one security group (see `addOtherNetwork`). */
export const OTHER_VPC = 'vpc-0ffffffffffffff01';
export const OTHER_SUBNET = 'subnet-0ffffffffffffff01';
export const OTHER_SG = 'sg-0ffffffffffffff01';
/** A second demo-VPC subnet in the Availability Zone of the demo's first subnet (us-east-1a). */
export const SAME_AZ_SUBNET = 'subnet-0eeeeeeeeeeeeee01';

/** Seeds the network that wrong requests point at: OTHER_VPC with its subnet and group, and SAME_AZ_SUBNET. */
export function addOtherNetwork(model: AwsModel): void {
  model.addVpc({ id: OTHER_VPC, cidrBlock: '10.1.0.0/16' });
  model.addSubnet({
    id: OTHER_SUBNET,
    vpcId: OTHER_VPC,
    cidrBlock: '10.1.1.0/24',
    availabilityZone: 'us-east-1a',
  });
  model.addSecurityGroup({ id: OTHER_SG, vpcId: OTHER_VPC, name: 'other' });
  model.addSubnet({
    id: SAME_AZ_SUBNET,
    vpcId: DEMO_AWS.vpcId,
    cidrBlock: '10.0.3.0/24',
    availabilityZone: 'us-east-1a',
  });
}

export interface Harness {
  readonly clock: VirtualClock;
  readonly faults: FaultPlan;
  readonly log: RequestLog;
  readonly model: AwsModel;
  readonly front: HttpFront;
  readonly ec2: EC2Client;
  readonly ops: Ec2VpcEndpoints;
  /** Another client/ops pair on the same world (closed with the harness). */
  client(options?: Partial<Ec2ClientOptions>): EC2Client;
  close(): Promise<void>;
}

/** Short, constant backoff so retry tests take milliseconds; the SDK still decides what is retryable. */
export function fastRetries(maxAttempts = 3): ConfiguredRetryStrategy {
  return new ConfiguredRetryStrategy(maxAttempts, 5);
}

export async function startHarness(
  options: {
    rules?: readonly FaultRule[];
    model?: Partial<AwsModelOptions>;
    client?: Partial<Ec2ClientOptions>;
    ops?: Ec2VpcEndpointsOptions;
  } = {},
): Promise<Harness> {
  const clock = new VirtualClock({ timeScale: 0 });
  const faults = new FaultPlan(options.rules ?? []);
  const log = new RequestLog();
  const model = new AwsModel({ clock, timeline: PRESETS.instant, faults, ...options.model });
  model.registerEndpointService(SERVICE, 'us-east-1');
  model.registerEndpointService(OTHER_SERVICE, 'us-east-1');
  const front = await startEc2Server({ model, clock, faults, log });
  const clients: EC2Client[] = [];
  const client = (overrides: Partial<Ec2ClientOptions> = {}) => {
    const c = createEc2Client({
      region: 'us-east-1',
      endpoint: front.url,
      credentials: CREDENTIALS,
      retryStrategy: fastRetries(),
      ...options.client,
      ...overrides,
    });
    clients.push(c);
    return c;
  };
  const ec2 = client();
  return {
    clock,
    faults,
    log,
    model,
    front,
    ec2,
    ops: new Ec2VpcEndpoints(ec2, options.ops),
    client,
    close: async () => {
      for (const c of clients) c.destroy();
      await front.close();
    },
  };
}

/** A create input for the demo VPC, overridable per test. */
export function createInput(overrides: Record<string, unknown> = {}) {
  return {
    serviceName: SERVICE,
    vpcId: DEMO_AWS.vpcId,
    subnetIds: [...DEMO_AWS.subnetIds],
    securityGroupIds: [...DEMO_AWS.securityGroupIds],
    privateDnsEnabled: false,
    tags: { Team: 'payments' },
    managedBy: 'arn:aws:states:us-east-1:123456789012:stateMachine:AtlasPrivateEndpoint',
    atlas: {
      kind: 'serverless' as const,
      groupId: '5f7cac1adf5d6c6306f4b283',
      instanceName: 'orders',
      atlasEndpointId: '6a1b2c3d4e5f60718293a4b5',
      created: true,
    },
    requestId: 'exec-0001',
    ...overrides,
  };
}
