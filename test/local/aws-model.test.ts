/** The AWS model on its own: Atlas-facing calls, change events, validation details, buckets, faults. */
import { describe, expect, it } from 'vitest';
import {
  AWS_LIFECYCLE_FAULTS,
  AwsModel,
  type AwsModelOptions,
  type CreateVpcEndpointInput,
  DEMO_AWS,
  Ec2Error,
  ec2ErrorStatus,
  type VpcEndpointChange,
} from '../../local/cloud/aws-model.ts';
import { VirtualClock } from '../../local/cloud/clock.ts';
import { FaultPlan, type FaultRule } from '../../local/cloud/faults.ts';
import { PRESETS } from '../../local/cloud/timeline.ts';

const SERVICE = 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0';

function world(options: Partial<AwsModelOptions> & { rules?: FaultRule[] } = {}) {
  const clock = new VirtualClock({ timeScale: 0 });
  const faults = new FaultPlan(options.rules ?? []);
  const model = new AwsModel({ clock, timeline: PRESETS.instant, faults, ...options });
  model.registerEndpointService(SERVICE, 'us-east-1');
  return { clock, faults, model };
}

const INPUT: CreateVpcEndpointInput = {
  vpcEndpointType: 'Interface',
  vpcId: DEMO_AWS.vpcId,
  serviceName: SERVICE,
  subnetIds: [...DEMO_AWS.subnetIds],
  securityGroupIds: [...DEMO_AWS.securityGroupIds],
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof Ec2Error) return `${error.code} ${error.status}`;
    throw error;
  }
  throw new Error('expected an Ec2Error');
}

describe('DEMO_AWS and the seeded network', () => {
  it('has the agreed ids and a 20-character access key', () => {
    expect(DEMO_AWS.accessKeyId).toMatch(/^AKIA[A-Z0-9]{16}$/);
    const { model } = world();
    expect(model.getVpc(DEMO_AWS.vpcId)?.cidrBlock).toBe('10.0.0.0/16');
    expect(DEMO_AWS.subnetIds.map((id) => model.getSubnet(id)?.availabilityZone)).toEqual([
      'us-east-1a',
      'us-east-1b',
    ]);
    expect(model.getSecurityGroup(DEMO_AWS.securityGroupIds[0])?.vpcId).toBe(DEMO_AWS.vpcId);
    expect(model.secretFor(DEMO_AWS.accessKeyId)).toBe(DEMO_AWS.secretAccessKey);
    expect(model.secretFor('AKIAUNKNOWN000000000')).toBeUndefined();
  });

  it('seed: false starts empty', () => {
    const { model } = world({ seed: false });
    expect(model.describeVpcs().items).toEqual([]);
  });
});

describe('Atlas-facing calls', () => {
  it('registerEndpointService checks the name and that its region matches', () => {
    const { model } = world();
    expect(() => model.registerEndpointService('vpce-svc-123', 'us-east-1')).toThrow(
      /malformed service name/,
    );
    expect(() =>
      model.registerEndpointService('com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef0', 'us-east-1'),
    ).toThrow(/names region eu-west-1/);
    expect(model.hasEndpointService(SERVICE)).toBe(true);
  });

  it('a service registered in another region is not usable from this one', () => {
    const { model } = world();
    const foreign = 'com.amazonaws.vpce.eu-west-1.vpce-svc-0123456789abcdef1';
    model.registerEndpointService(foreign, 'eu-west-1');
    expect(codeOf(() => model.createVpcEndpoint({ ...INPUT, serviceName: foreign }))).toBe(
      'InvalidServiceName 400',
    );
  });

  it('accept / reject throw for unknown ids and leave terminal states alone', () => {
    const { clock, model } = world();
    expect(() => model.acceptVpcEndpoint('vpce-00000000000000000')).toThrow(/unknown VPC endpoint/);
    expect(() => model.rejectVpcEndpoint('vpce-00000000000000000')).toThrow(/unknown VPC endpoint/);
    const { endpoint } = model.createVpcEndpoint(INPUT);
    model.rejectVpcEndpoint(endpoint.id); // while pending: provisioning is cancelled
    clock.advance(60_000);
    expect(model.getVpcEndpoint(endpoint.id)?.state).toBe('rejected');
    model.acceptVpcEndpoint(endpoint.id);
    expect(model.getVpcEndpoint(endpoint.id)?.state).toBe('rejected');
  });

  it('change events follow every transition; unsubscribe stops them', () => {
    const { clock, model } = world();
    const changes: VpcEndpointChange[] = [];
    const stop = model.onVpcEndpointChange((c) => changes.push(c));
    const { endpoint } = model.createVpcEndpoint(INPUT);
    clock.settle();
    model.acceptVpcEndpoint(endpoint.id);
    model.deleteVpcEndpoints({ vpcEndpointIds: [endpoint.id] });
    clock.settle();
    expect(changes.map((c) => [c.previousState, c.endpoint.state])).toEqual([
      [undefined, 'pending'],
      ['pending', 'pendingAcceptance'],
      ['pendingAcceptance', 'available'],
      ['available', 'deleting'],
      ['deleting', 'deleted'],
    ]);
    stop();
    model.createVpcEndpoint(INPUT);
    expect(changes).toHaveLength(5);
  });

  it('getVpcEndpoint and inventory hand out copies', () => {
    const { model } = world();
    const { endpoint } = model.createVpcEndpoint(INPUT);
    const copy = model.inventory()[0]!;
    copy.state = 'available';
    copy.tags.x = 'y';
    model.getVpcEndpoint(endpoint.id)!.subnetIds.pop();
    expect(model.getVpcEndpoint(endpoint.id)).toMatchObject({
      state: 'pending',
      tags: {},
      subnetIds: [...DEMO_AWS.subnetIds],
    });
  });
});

describe('createVpcEndpoint details', () => {
  it('without security groups the VPC default group is used', () => {
    const { model } = world();
    const { endpoint } = model.createVpcEndpoint({ ...INPUT, securityGroupIds: [] });
    expect(endpoint.securityGroupIds).toEqual([...DEMO_AWS.securityGroupIds]);
  });

  it('private DNS defaults to on only for services that offer a name, and can be turned off', () => {
    const { model } = world();
    const named = 'com.amazonaws.vpce.us-east-1.vpce-svc-0aaaaaaaaaaaaaaaa';
    model.registerEndpointService(named, 'us-east-1', { privateDnsName: 'db.example.com' });
    expect(model.createVpcEndpoint({ ...INPUT, serviceName: named }).endpoint.privateDnsEnabled).toBe(true);
    expect(
      model.createVpcEndpoint({ ...INPUT, serviceName: named, privateDnsEnabled: false }).endpoint
        .privateDnsEnabled,
    ).toBe(false);
    expect(model.createVpcEndpoint(INPUT).endpoint.privateDnsEnabled).toBe(false);
  });

  it('a subnet in an AZ the service does not serve is refused', () => {
    const { model } = world();
    const zonal = 'com.amazonaws.vpce.us-east-1.vpce-svc-0bbbbbbbbbbbbbbbb';
    model.registerEndpointService(zonal, 'us-east-1', { availabilityZones: ['us-east-1a'] });
    expect(codeOf(() => model.createVpcEndpoint({ ...INPUT, serviceName: zonal }))).toBe(
      'InvalidParameter 400',
    );
    expect(
      model.createVpcEndpoint({ ...INPUT, serviceName: zonal, subnetIds: [DEMO_AWS.subnetIds[0]] }).endpoint
        .dnsEntries,
    ).toHaveLength(2);
  });

  it('other endpoint types and missing parameters are refused', () => {
    const { model } = world();
    expect(codeOf(() => model.createVpcEndpoint({ ...INPUT, vpcEndpointType: 'GatewayLoadBalancer' }))).toBe(
      'InvalidParameter 400',
    );
    expect(
      codeOf(() => model.createVpcEndpoint({ ...INPUT, vpcEndpointType: undefined, subnetIds: [] })),
    ).toBe('InvalidParameter 400');
    expect(codeOf(() => model.createVpcEndpoint({ ...INPUT, vpcId: undefined }))).toBe(
      'MissingParameter 400',
    );
    expect(
      codeOf(() =>
        model.createVpcEndpoint({
          ...INPUT,
          tagSpecifications: [{ resourceType: 'vpc-endpoint', tags: [{ key: 'a' }, { key: 'a' }] }],
        }),
      ),
    ).toBe('InvalidParameterValue 400');
    const many = Array.from({ length: 51 }, (_, i) => ({ key: `k${i}`, value: 'v' }));
    expect(
      codeOf(() =>
        model.createVpcEndpoint({
          ...INPUT,
          tagSpecifications: [{ resourceType: 'vpc-endpoint', tags: many }],
        }),
      ),
    ).toBe('TagLimitExceeded 400');
  });

  it('the per-VPC limit counts endpoints that are not deleted yet', () => {
    const { clock, model } = world({ endpointLimitPerVpc: 2 });
    const a = model.createVpcEndpoint(INPUT).endpoint.id;
    model.createVpcEndpoint(INPUT);
    expect(codeOf(() => model.createVpcEndpoint(INPUT))).toBe('VpcEndpointLimitExceeded 400');
    model.deleteVpcEndpoints({ vpcEndpointIds: [a] });
    expect(codeOf(() => model.createVpcEndpoint(INPUT))).toBe('VpcEndpointLimitExceeded 400');
    clock.settle();
    expect(model.createVpcEndpoint(INPUT).endpoint.state).toBe('pending');
  });

  it('endpoint network interfaces take subnet addresses until deleted', () => {
    const { clock, model } = world();
    const before = model.getSubnet(DEMO_AWS.subnetIds[0])!.availableIpAddressCount;
    const { endpoint } = model.createVpcEndpoint(INPUT);
    expect(model.getSubnet(DEMO_AWS.subnetIds[0])!.availableIpAddressCount).toBe(before - 1);
    model.deleteVpcEndpoints({ vpcEndpointIds: [endpoint.id] });
    clock.settle();
    expect(model.getSubnet(DEMO_AWS.subnetIds[0])!.availableIpAddressCount).toBe(before);
  });

  it('a token whose endpoint has been forgotten no longer dedupes', () => {
    const { clock, model } = world({ deletedRetentionMs: 1000 });
    const first = model.createVpcEndpoint({ ...INPUT, clientToken: 't' }).endpoint.id;
    model.deleteVpcEndpoints({ vpcEndpointIds: [first] });
    clock.settle();
    expect(model.createVpcEndpoint({ ...INPUT, clientToken: 't' }).endpoint.id).toBe(first);
    clock.advance(1000);
    expect(model.createVpcEndpoint({ ...INPUT, clientToken: 't' }).endpoint.id).not.toBe(first);
  });
});

describe('lifecycle faults and throttling', () => {
  it('delete fail-transition -> failed; the endpoint stays in the inventory', () => {
    const { clock, model } = world({
      rules: [{ operation: AWS_LIFECYCLE_FAULTS.delete, effect: { kind: 'fail-transition' } }],
    });
    const { endpoint } = model.createVpcEndpoint(INPUT);
    model.deleteVpcEndpoints({ vpcEndpointIds: [endpoint.id] });
    clock.settle();
    expect(model.inventory()).toEqual([
      expect.objectContaining({
        id: endpoint.id,
        state: 'failed',
        failureReason: expect.stringMatching(/deleted/),
      }),
    ]);
  });

  it('token buckets refill with virtual time', () => {
    const { clock, model } = world({ throttle: { mutating: { capacity: 2, refillPerSecond: 2 } } });
    expect([
      model.admit('CreateVpcEndpoint'),
      model.admit('DeleteVpcEndpoints'),
      model.admit('CreateVpcEndpoint'),
    ]).toEqual([true, true, false]);
    expect(model.admit('DescribeVpcEndpoints')).toBe(true);
    clock.advance(499);
    expect(model.admit('CreateVpcEndpoint')).toBe(false);
    clock.advance(501);
    expect([
      model.admit('CreateVpcEndpoint'),
      model.admit('CreateVpcEndpoint'),
      model.admit('CreateVpcEndpoint'),
    ]).toEqual([true, true, false]);
  });

  it('Ec2Error carries EC2 statuses', () => {
    expect(
      [
        'RequestLimitExceeded',
        'AuthFailure',
        'UnauthorizedOperation',
        'InternalError',
        'DryRunOperation',
        'InvalidVpcId.NotFound',
      ].map(ec2ErrorStatus),
    ).toEqual([503, 401, 403, 500, 412, 400]);
    const error = new Ec2Error('RequestLimitExceeded');
    expect([error.name, error.code, error.status, error.message]).toEqual([
      'Ec2Error',
      'RequestLimitExceeded',
      503,
      'Request limit exceeded.',
    ]);
  });
});
