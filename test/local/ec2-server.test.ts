/**
 * The EC2 front through the real @aws-sdk/client-ec2: every error the model answers surfaces as an SDK
 * exception named after the EC2 code with EC2's HTTP status, SigV4 is enforced, fault-plan effects and
 * throttling behave like EC2, and the request log records what was served.
 */
import {
  CreateVpcEndpointCommand,
  type CreateVpcEndpointCommandInput,
  DeleteVpcEndpointsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { AwsModel, type AwsModelOptions, DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { VirtualClock } from '../../local/cloud/clock.ts';
import { FaultPlan, type FaultRule } from '../../local/cloud/faults.ts';
import { RequestLog } from '../../local/cloud/request-log.ts';
import { PRESETS } from '../../local/cloud/timeline.ts';
import { type HttpFront, startEc2Server } from '../../local/ec2-server.ts';
import {
  addOtherNetwork,
  CREDENTIALS,
  OTHER_SG,
  OTHER_SUBNET,
  SAME_AZ_SUBNET,
  SERVICE,
} from '../aws/harness.ts';

const fronts: HttpFront[] = [];
afterEach(async () => {
  await Promise.all(fronts.splice(0).map((f) => f.close()));
});

interface Harness {
  clock: VirtualClock;
  faults: FaultPlan;
  log: RequestLog;
  model: AwsModel;
  front: HttpFront;
  ec2: EC2Client;
  client(config?: Partial<ConstructorParameters<typeof EC2Client>[0]>): EC2Client;
}

async function start(
  options: { rules?: FaultRule[]; model?: Partial<AwsModelOptions> } = {},
): Promise<Harness> {
  const clock = new VirtualClock({ timeScale: 0 });
  const faults = new FaultPlan(options.rules ?? []);
  const log = new RequestLog();
  const model = new AwsModel({ clock, timeline: PRESETS.instant, faults, ...options.model });
  model.registerEndpointService(SERVICE, 'us-east-1');
  addOtherNetwork(model);
  const front = await startEc2Server({ model, clock, faults, log });
  fronts.push(front);
  const client = (config: Partial<ConstructorParameters<typeof EC2Client>[0]> = {}) =>
    new EC2Client({
      region: 'us-east-1',
      endpoint: front.url,
      credentials: CREDENTIALS,
      maxAttempts: 1,
      ...config,
    });
  return { clock, faults, log, model, front, ec2: client(), client };
}

function createInput(overrides: Partial<CreateVpcEndpointCommandInput> = {}): CreateVpcEndpointCommandInput {
  return {
    VpcEndpointType: 'Interface',
    VpcId: DEMO_AWS.vpcId,
    ServiceName: SERVICE,
    SubnetIds: [...DEMO_AWS.subnetIds],
    SecurityGroupIds: [...DEMO_AWS.securityGroupIds],
    ...overrides,
  };
}

interface ServiceErrorShape {
  name: string;
  message: string;
  $fault: string;
  $metadata: { httpStatusCode?: number; requestId?: string };
}

async function failure(promise: Promise<unknown>): Promise<ServiceErrorShape> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceErrorShape;
  }
  throw new Error('expected the call to fail');
}

describe('EC2 errors surface in the SDK with the EC2 code, status and message', () => {
  const createCases: [string, Partial<CreateVpcEndpointCommandInput>, string, RegExp][] = [
    ['missing ServiceName', { ServiceName: undefined }, 'MissingParameter', /parameter ServiceName/],
    ['unknown endpoint type', { VpcEndpointType: 'Bogus' as never }, 'InvalidVpcEndpointType', /'Bogus'/],
    [
      'default (Gateway) type with subnets',
      { VpcEndpointType: undefined },
      'InvalidParameter',
      /Subnet IDs are only supported for Interface and GatewayLoadBalancer/,
    ],
    [
      'route tables on Interface',
      { RouteTableIds: ['rtb-0a1b2c3d4e5f60718'] },
      'InvalidParameter',
      /Route table IDs/,
    ],
    ['malformed VPC id', { VpcId: 'vpc-XYZ' }, 'InvalidVpcId.Malformed', /Invalid Vpc Id: 'vpc-XYZ'/],
    [
      'unknown VPC',
      { VpcId: 'vpc-0123456789abcdef0' },
      'InvalidVpcId.NotFound',
      /'vpc-0123456789abcdef0' does not exist/,
    ],
    [
      'unregistered service',
      { ServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-00000000000000000' },
      'InvalidServiceName',
      /The Vpc Endpoint Service 'com\.amazonaws\.vpce\.us-east-1\.vpce-svc-0{17}' does not exist/,
    ],
    [
      'malformed subnet id',
      { SubnetIds: ['subnet_1'] },
      'InvalidSubnetId.Malformed',
      /Invalid Subnet Id: 'subnet_1'/,
    ],
    [
      'unknown subnet',
      { SubnetIds: ['subnet-0123456789abcdef0'] },
      'InvalidSubnetId.NotFound',
      /subnet ID 'subnet-0123456789abcdef0' does not exist/,
    ],
    [
      'subnet of another VPC',
      { SubnetIds: [OTHER_SUBNET] },
      'InvalidParameter',
      new RegExp(`'${OTHER_SUBNET}' does not belong to the VPC '${DEMO_AWS.vpcId}'`),
    ],
    [
      'two subnets in one AZ',
      { SubnetIds: [DEMO_AWS.subnetIds[0], SAME_AZ_SUBNET] },
      'DuplicateSubnetsInSameZone',
      new RegExp(`availability zone of ${SAME_AZ_SUBNET}`),
    ],
    ['malformed group id', { SecurityGroupIds: ['group-1'] }, 'InvalidGroupId.Malformed', /"group-1"/],
    [
      'unknown group',
      { SecurityGroupIds: ['sg-0123456789abcdef0'] },
      'InvalidGroup.NotFound',
      /security group 'sg-0123456789abcdef0' does not exist/,
    ],
    [
      'group of another VPC',
      { SecurityGroupIds: [OTHER_SG] },
      'InvalidGroup.NotFound',
      new RegExp(`does not exist in VPC '${DEMO_AWS.vpcId}'`),
    ],
    [
      'private DNS on a service without a private DNS name',
      { PrivateDnsEnabled: true },
      'InvalidParameter',
      /Private DNS can't be enabled/,
    ],
    [
      'tags for another resource type',
      { TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'a', Value: 'b' }] }] },
      'InvalidParameterValue',
      /'instance' is not a valid taggable resource type/,
    ],
    [
      'reserved tag prefix',
      { TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: [{ Key: 'aws:x', Value: 'b' }] }] },
      'InvalidParameterValue',
      /reserved prefix/,
    ],
    [
      'client token over 64 characters',
      { ClientToken: 'x'.repeat(65) },
      'InvalidParameterValue',
      /clientToken/,
    ],
  ];

  it.each(createCases)('CreateVpcEndpoint: %s -> %s (400)', async (_label, overrides, code, message) => {
    const h = await start();
    const error = await failure(h.ec2.send(new CreateVpcEndpointCommand(createInput(overrides))));
    expect(error.name).toBe(code);
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.$fault).toBe('client');
    expect(error.message).toMatch(message);
    expect(error.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(h.model.inventory()).toEqual([]);
    expect(h.log.of('CreateVpcEndpoint', 400)[0]?.errorCode).toBe(code);
  });

  it('CreateVpcEndpoint: per-VPC limit -> VpcEndpointLimitExceeded (400)', async () => {
    const h = await start({ model: { endpointLimitPerVpc: 1 } });
    await h.ec2.send(new CreateVpcEndpointCommand(createInput()));
    const error = await failure(h.ec2.send(new CreateVpcEndpointCommand(createInput())));
    expect(error.name).toBe('VpcEndpointLimitExceeded');
    expect(error.$metadata.httpStatusCode).toBe(400);
    expect(error.message).toMatch(/maximum number of VPC endpoints \(1\)/);
    expect(h.model.inventory()).toHaveLength(1);
  });

  it('Describe/Delete id and parameter errors', async () => {
    const h = await start();
    const cases: [Promise<unknown>, string, RegExp][] = [
      [
        h.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: ['vpce-0123456789abcdef0'] })),
        'InvalidVpcEndpointId.NotFound',
        /The Vpc Endpoint Id 'vpce-0123456789abcdef0' does not exist/,
      ],
      [
        h.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: ['vpce-nope'] })),
        'InvalidVpcEndpointId.Malformed',
        /'vpce-nope'/,
      ],
      [
        h.ec2.send(new DescribeVpcEndpointsCommand({ Filters: [{ Name: 'colour', Values: ['red'] }] })),
        'InvalidParameterValue',
        /The filter 'colour' is invalid/,
      ],
      [
        h.ec2.send(new DescribeVpcEndpointsCommand({ NextToken: 'not-a-token' })),
        'InvalidPaginationToken',
        /not-a-token/,
      ],
      [h.ec2.send(new DescribeVpcEndpointsCommand({ MaxResults: 0 })), 'InvalidParameterValue', /maxResults/],
      [
        h.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: ['vpce-X'] })),
        'InvalidVpcEndpointId.Malformed',
        /vpce-X/,
      ],
      [
        h.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [] })),
        'MissingParameter',
        /VpcEndpointId/,
      ],
      [
        h.ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-0123456789abcdef0'] })),
        'InvalidVpcID.NotFound',
        /The vpc ID 'vpc-0123456789abcdef0' does not exist/,
      ],
      [h.ec2.send(new DescribeVpcsCommand({ VpcIds: ['vpc-1'] })), 'InvalidVpcID.Malformed', /"vpc-1"/],
      [h.ec2.send(new DescribeVpcsCommand({ MaxResults: 2 })), 'InvalidParameterValue', /between 5 and 1000/],
      [
        h.ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-0123456789abcdef0'] })),
        'InvalidSubnetID.NotFound',
        /The subnet ID 'subnet-0123456789abcdef0' does not exist/,
      ],
      [
        h.ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-x'] })),
        'InvalidSubnetID.Malformed',
        /subnet-x/,
      ],
      [
        h.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-0123456789abcdef0'] })),
        'InvalidGroup.NotFound',
        /The security group 'sg-0123456789abcdef0' does not exist/,
      ],
      [
        h.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: ['sg-x'] })),
        'InvalidGroupId.Malformed',
        /sg-x/,
      ],
    ];
    for (const [call, code, message] of cases) {
      const error = await failure(call);
      expect({ code: error.name, status: error.$metadata.httpStatusCode }).toEqual({ code, status: 400 });
      expect(error.message).toMatch(message);
    }
  });

  it('DryRun answers DryRunOperation (412) and creates nothing', async () => {
    const h = await start();
    const error = await failure(h.ec2.send(new CreateVpcEndpointCommand(createInput({ DryRun: true }))));
    expect(error.name).toBe('DryRunOperation');
    expect(error.$metadata.httpStatusCode).toBe(412);
    expect(h.model.inventory()).toEqual([]);
  });
});

describe('SigV4', () => {
  it('accepts a correctly signed request and logs auth sigv4', async () => {
    const h = await start();
    const out = await h.ec2.send(new DescribeVpcsCommand({ VpcIds: [DEMO_AWS.vpcId] }));
    expect(out.Vpcs?.[0]?.CidrBlock).toBe('10.0.0.0/16');
    expect(h.log.entries).toEqual([
      expect.objectContaining({
        service: 'ec2',
        operation: 'DescribeVpcs',
        status: 200,
        auth: 'sigv4',
        path: '/',
      }),
    ]);
  });

  it('unknown access key -> AuthFailure (401)', async () => {
    const h = await start();
    const ec2 = h.client({
      credentials: { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'whatever' },
    });
    const error = await failure(ec2.send(new DescribeVpcsCommand({})));
    expect(error.name).toBe('AuthFailure');
    expect(error.$metadata.httpStatusCode).toBe(401);
    expect(error.message).toBe('AWS was not able to validate the provided access credentials');
  });

  it('wrong secret -> SignatureDoesNotMatch (403), and the secret never appears in the answer', async () => {
    const h = await start();
    const ec2 = h.client({
      credentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: 'wrong-secret-value' },
    });
    const error = await failure(ec2.send(new DescribeVpcsCommand({})));
    expect(error.name).toBe('SignatureDoesNotMatch');
    expect(error.$metadata.httpStatusCode).toBe(403);
    expect(error.message).not.toContain(DEMO_AWS.secretAccessKey);
    expect(error.message).not.toContain('wrong-secret-value');
  });

  it('a request tampered with after signing is refused', async () => {
    const h = await start();
    h.ec2.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body: string };
        request.body = request.body.replace(DEMO_AWS.vpcId, 'vpc-0ffffffffffffff01');
        return next(args);
      },
      // the deserialize step wraps the HTTP handler, so this runs after the signer
      { step: 'deserialize', name: 'tamper' },
    );
    const error = await failure(h.ec2.send(new DescribeVpcsCommand({ VpcIds: [DEMO_AWS.vpcId] })));
    expect(error.name).toBe('SignatureDoesNotMatch');
  });

  it('another region answers as that region\u2019s EC2, where the demo VPC is not; a region that does not exist -> SignatureDoesNotMatch', async () => {
    const h = await start();
    // One endpoint stands for every region (AWS_ENDPOINT_URL_EC2): eu-west-1 has none of us-east-1's VPCs.
    const elsewhere = await h.client({ region: 'eu-west-1' }).send(new DescribeVpcsCommand({}));
    expect(elsewhere.Vpcs ?? []).toEqual([]);
    const home = await h.client({ region: 'us-east-1' }).send(new DescribeVpcsCommand({}));
    expect(home.Vpcs?.map((v) => v.VpcId)).toContain(DEMO_AWS.vpcId);
    const error = await failure(h.client({ region: 'xx-nowhere-9' }).send(new DescribeVpcsCommand({})));
    expect(error.name).toBe('SignatureDoesNotMatch');
    expect(error.message).toMatch(/valid region/);
  });

  it('no Authorization header -> MissingAuthenticationToken (403), logged with auth none', async () => {
    const h = await start();
    const res = await fetch(`${h.front.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=DescribeVpcs&Version=2016-11-15',
    });
    expect(res.status).toBe(403);
    const xml = await res.text();
    expect(xml).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Response><Errors><Error><Code>MissingAuthenticationToken<\/Code><Message>[^<]+<\/Message><\/Error><\/Errors><RequestID>[0-9a-f-]{36}<\/RequestID><\/Response>$/,
    );
    expect(h.log.entries[0]).toMatchObject({ operation: 'DescribeVpcs', status: 403, auth: 'none' });
  });

  it('unknown Action (signed) -> InvalidAction (400); wrong Version -> NoSuchVersion', async () => {
    const h = await start();
    const rewrite = (from: RegExp, to: string) => {
      const ec2 = h.client();
      ec2.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { body: string; headers: Record<string, string> };
          request.body = request.body.replace(from, to);
          request.headers['content-length'] = String(Buffer.byteLength(request.body));
          return next(args);
        },
        { step: 'build', priority: 'low', name: 'rewriteBody' },
      );
      return ec2;
    };
    const invalid = await failure(
      rewrite(/^Action=DescribeVpcs/, 'Action=DescribeUnicorns').send(new DescribeVpcsCommand({})),
    );
    expect(invalid.name).toBe('InvalidAction');
    expect(invalid.$metadata.httpStatusCode).toBe(400);
    expect(h.log.entries.at(-1)?.operation).toBe('DescribeUnicorns');
    const version = await failure(
      rewrite(/Version=2016-11-15/, 'Version=2015-01-01').send(new DescribeVpcsCommand({})),
    );
    expect(version.name).toBe('NoSuchVersion');
  });
});

describe('fault plan effects by EC2 Action name', () => {
  it('http-error 500 -> InternalError, 503 -> Unavailable (server faults)', async () => {
    const h = await start({
      rules: [
        { operation: 'DescribeVpcEndpoints', effect: { kind: 'http-error', status: 500 } },
        { operation: 'DescribeVpcEndpoints', occurrence: 2, effect: { kind: 'http-error', status: 503 } },
      ],
    });
    const first = await failure(h.ec2.send(new DescribeVpcEndpointsCommand({})));
    expect([first.name, first.$metadata.httpStatusCode, first.$fault]).toEqual([
      'InternalError',
      500,
      'server',
    ]);
    const second = await failure(h.ec2.send(new DescribeVpcEndpointsCommand({})));
    expect([second.name, second.$metadata.httpStatusCode]).toEqual(['Unavailable', 503]);
    const third = await h.ec2.send(new DescribeVpcEndpointsCommand({}));
    expect(third.VpcEndpoints).toEqual([]);
    expect(h.log.entries.map((e) => [e.status, e.fault])).toEqual([
      [500, 'http-error'],
      [503, 'http-error'],
      [200, undefined],
    ]);
  });

  it('ec2-error uses the real status of the code (or the given one) and message', async () => {
    const h = await start({
      rules: [
        { operation: 'CreateVpcEndpoint', effect: { kind: 'ec2-error', code: 'RequestLimitExceeded' } },
        {
          operation: 'CreateVpcEndpoint',
          occurrence: 2,
          effect: { kind: 'ec2-error', code: 'UnauthorizedOperation' },
        },
        {
          operation: 'CreateVpcEndpoint',
          occurrence: 3,
          effect: { kind: 'ec2-error', code: 'VpcEndpointLimitExceeded', message: 'quota says no' },
        },
        {
          operation: 'CreateVpcEndpoint',
          occurrence: 4,
          effect: { kind: 'ec2-error', code: 'InvalidServiceName', status: 400 },
        },
      ],
    });
    const seen: [string, number | undefined, string][] = [];
    for (let i = 0; i < 4; i++) {
      const e = await failure(h.ec2.send(new CreateVpcEndpointCommand(createInput())));
      seen.push([e.name, e.$metadata.httpStatusCode, e.message]);
    }
    expect(seen).toEqual([
      ['RequestLimitExceeded', 503, 'Request limit exceeded.'],
      ['UnauthorizedOperation', 403, 'You are not authorized to perform this operation.'],
      ['VpcEndpointLimitExceeded', 400, 'quota says no'],
      ['InvalidServiceName', 400, expect.stringContaining('does not exist')],
    ]);
    expect(h.model.inventory()).toEqual([]);
  });

  it('the SDK retries an injected 500 and then succeeds (retry-then-succeed)', async () => {
    const h = await start({
      rules: [{ operation: 'DescribeVpcs', effect: { kind: 'http-error', status: 500 } }],
    });
    const out = await h.client({ maxAttempts: 3 }).send(new DescribeVpcsCommand({}));
    expect(out.Vpcs).toHaveLength(2);
    expect(out.$metadata.attempts).toBe(2);
    expect(h.log.of('DescribeVpcs').map((e) => e.status)).toEqual([500, 200]);
  });

  it('drop-connection destroys the socket: the SDK sees a network error, the log status 0', async () => {
    const h = await start({ rules: [{ operation: 'DescribeSubnets', effect: { kind: 'drop-connection' } }] });
    const error = await failure(h.ec2.send(new DescribeSubnetsCommand({})));
    expect(error.$metadata?.httpStatusCode).toBeUndefined();
    expect((error as unknown as { code?: string }).code).toBe('ECONNRESET');
    expect(h.log.entries).toEqual([
      expect.objectContaining({ operation: 'DescribeSubnets', status: 0, fault: 'drop-connection' }),
    ]);
    const out = await h.ec2.send(new DescribeSubnetsCommand({}));
    expect(out.Subnets).toHaveLength(4);
  });

  it('slow-response: the answer waits delayMs; a client timeout fires but the create already happened', async () => {
    const h = await start({
      rules: [{ operation: 'CreateVpcEndpoint', effect: { kind: 'slow-response', delayMs: 3000 } }],
    });
    const impatient = h.client({ requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true } });
    const started = performance.now();
    const error = await failure(
      impatient.send(new CreateVpcEndpointCommand(createInput({ ClientToken: 'slow-1' }))),
    );
    expect(error.name).toBe('TimeoutError');
    // The client gave up at its own 100 ms timeout, long before the 3 s answer (the margin absorbs a busy
    // machine; waiting for the answer would still fail this).
    expect(performance.now() - started).toBeLessThan(2000);
    expect(h.model.inventory()).toHaveLength(1);
    // the retry with the same ClientToken converges on the endpoint the lost answer described
    const retried = await h.ec2.send(new CreateVpcEndpointCommand(createInput({ ClientToken: 'slow-1' })));
    expect(retried.VpcEndpoint?.VpcEndpointId).toBe(h.model.inventory()[0]?.id);
    expect(h.model.inventory()).toHaveLength(1);
    expect(h.log.of('CreateVpcEndpoint').map((e) => e.fault)).toEqual(['slow-response', undefined]);
  });

  it('slow-response without a client timeout answers after the delay', async () => {
    const h = await start({
      rules: [{ operation: 'DescribeVpcs', effect: { kind: 'slow-response', delayMs: 150 } }],
    });
    const started = performance.now();
    const out = await h.ec2.send(new DescribeVpcsCommand({}));
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(out.Vpcs).toHaveLength(2);
  });
});

describe('token-bucket throttling', () => {
  it('mutating calls beyond the bucket get RequestLimitExceeded (503) until virtual time refills it', async () => {
    const h = await start({ model: { throttle: { mutating: { capacity: 2, refillPerSecond: 1 } } } });
    await h.ec2.send(new CreateVpcEndpointCommand(createInput()));
    await h.ec2.send(new CreateVpcEndpointCommand(createInput()));
    const error = await failure(h.ec2.send(new CreateVpcEndpointCommand(createInput())));
    expect([error.name, error.$metadata.httpStatusCode, error.$fault]).toEqual([
      'RequestLimitExceeded',
      503,
      'server', // the SDK classifies by status; EC2 answers throttling with 503
    ]);
    // non-mutating calls have no bucket configured here
    await h.ec2.send(new DescribeVpcEndpointsCommand({}));
    h.clock.advance(1000);
    await h.ec2.send(new CreateVpcEndpointCommand(createInput()));
    expect(h.model.inventory()).toHaveLength(3);
    expect(h.log.of('CreateVpcEndpoint', 503)).toHaveLength(1);
  });

  it('setThrottle turns a non-mutating bucket on at runtime and off again', async () => {
    const h = await start();
    h.model.setThrottle({ nonMutating: { capacity: 1, refillPerSecond: 0.5 } });
    await h.ec2.send(new DescribeVpcsCommand({}));
    expect((await failure(h.ec2.send(new DescribeVpcsCommand({})))).name).toBe('RequestLimitExceeded');
    h.model.setThrottle(undefined);
    await h.ec2.send(new DescribeVpcsCommand({}));
  });
});

describe('describe resources', () => {
  it('DescribeVpcs / DescribeSubnets / DescribeSecurityGroups with ids and vpc-id filters', async () => {
    const h = await start();
    const vpcs = await h.ec2.send(
      new DescribeVpcsCommand({ Filters: [{ Name: 'tag:Name', Values: ['demo'] }] }),
    );
    expect(vpcs.Vpcs?.map((v) => [v.VpcId, v.State, v.IsDefault, v.OwnerId])).toEqual([
      [DEMO_AWS.vpcId, 'available', false, DEMO_AWS.accountId],
    ]);
    expect(vpcs.Vpcs?.[0]?.CidrBlockAssociationSet?.[0]?.CidrBlockState?.State).toBe('associated');
    const subnets = await h.ec2.send(
      new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [DEMO_AWS.vpcId] }] }),
    );
    expect(subnets.Subnets?.map((s) => [s.SubnetId, s.AvailabilityZone, s.AvailabilityZoneId])).toEqual([
      [DEMO_AWS.subnetIds[0], 'us-east-1a', 'use1-az1'],
      [DEMO_AWS.subnetIds[1], 'us-east-1b', 'use1-az2'],
      [SAME_AZ_SUBNET, 'us-east-1a', 'use1-az1'],
    ]);
    const byId = await h.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [DEMO_AWS.subnetIds[1]] }));
    expect(byId.Subnets?.map((s) => s.CidrBlock)).toEqual(['10.0.2.0/24']);
    const groups = await h.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'vpc-id', Values: [DEMO_AWS.vpcId] }] }),
    );
    expect(groups.SecurityGroups?.map((g) => [g.GroupId, g.GroupName, g.Description])).toEqual([
      [DEMO_AWS.securityGroupIds[0], 'default', 'default VPC security group'],
    ]);
    const byName = await h.ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['other'] }));
    expect(byName.SecurityGroups?.map((g) => g.GroupId)).toEqual([OTHER_SG]);
  });

  it('DescribeVpcs pages with MaxResults/NextToken', async () => {
    const h = await start();
    for (let i = 0; i < 5; i++)
      h.model.addVpc({ id: `vpc-0000000000000000${i}`, cidrBlock: `10.${10 + i}.0.0/16` });
    const first = await h.ec2.send(new DescribeVpcsCommand({ MaxResults: 5 }));
    expect(first.Vpcs).toHaveLength(5);
    expect(first.NextToken).toBeTruthy();
    const second = await h.ec2.send(new DescribeVpcsCommand({ MaxResults: 5, NextToken: first.NextToken }));
    expect(second.Vpcs).toHaveLength(2);
    expect(second.NextToken).toBeUndefined();
  });
});
