/**
 * VPC endpoint lifecycle through the real @aws-sdk/client-ec2 against the EC2 front, on a frozen virtual
 * clock (timeScale 0) with the `realistic` timeline, advancing time explicitly.
 */
import {
  CreateVpcEndpointCommand,
  type CreateVpcEndpointCommandInput,
  DeleteVpcEndpointsCommand,
  DescribeVpcEndpointsCommand,
  EC2Client,
  paginateDescribeVpcEndpoints,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { afterEach, describe, expect, it } from 'vitest';
import { AWS_LIFECYCLE_FAULTS, AwsModel, DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { VirtualClock } from '../../local/cloud/clock.ts';
import { FaultPlan, type FaultRule } from '../../local/cloud/faults.ts';
import { RequestLog } from '../../local/cloud/request-log.ts';
import { PRESETS } from '../../local/cloud/timeline.ts';
import { type HttpFront, startEc2Server } from '../../local/ec2-server.ts';

const SERVICE = 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0';
const OTHER_SERVICE = 'com.amazonaws.vpce.us-east-1.vpce-svc-0fedcba9876543210';
const T = PRESETS.realistic;

const fronts: HttpFront[] = [];
afterEach(async () => {
  await Promise.all(fronts.splice(0).map((f) => f.close()));
});

async function start(rules: FaultRule[] = [], deletedRetentionMs?: number) {
  const clock = new VirtualClock({ timeScale: 0 });
  const faults = new FaultPlan(rules);
  const log = new RequestLog();
  const model = new AwsModel({
    clock,
    timeline: T,
    faults,
    ...(deletedRetentionMs === undefined ? {} : { deletedRetentionMs }),
  });
  model.registerEndpointService(SERVICE, 'us-east-1');
  model.registerEndpointService(OTHER_SERVICE, 'us-east-1');
  const front = await startEc2Server({ model, clock, faults, log });
  fronts.push(front);
  const ec2 = new EC2Client({
    region: 'us-east-1',
    endpoint: front.url,
    credentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
    maxAttempts: 1,
  });
  const create = async (overrides: Partial<CreateVpcEndpointCommandInput> = {}) => {
    const out = await ec2.send(
      new CreateVpcEndpointCommand({
        VpcEndpointType: 'Interface',
        VpcId: DEMO_AWS.vpcId,
        ServiceName: SERVICE,
        SubnetIds: [...DEMO_AWS.subnetIds],
        SecurityGroupIds: [...DEMO_AWS.securityGroupIds],
        ...overrides,
      }),
    );
    return out;
  };
  const describeOne = async (id: string): Promise<VpcEndpoint> => {
    const out = await ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }));
    expect(out.VpcEndpoints).toHaveLength(1);
    return out.VpcEndpoints![0]!;
  };
  return { clock, faults, log, model, ec2, create, describeOne };
}

describe('create / describe / delete lifecycle', () => {
  it('pending -> pendingAcceptance -> (Atlas accepts) available -> deleting -> deleted -> gone', async () => {
    const w = await start();
    const created = await w.create({ ClientToken: 'exec-1' });
    const ep = created.VpcEndpoint!;
    expect(ep.VpcEndpointId).toMatch(/^vpce-[0-9a-f]{17}$/);
    expect(ep.State).toBe('pending');
    expect(ep.VpcEndpointType).toBe('Interface');
    expect(ep.ServiceName).toBe(SERVICE);
    expect(ep.SubnetIds).toEqual([...DEMO_AWS.subnetIds]);
    expect(ep.Groups).toEqual([{ GroupId: DEMO_AWS.securityGroupIds[0], GroupName: 'default' }]);
    expect(ep.PrivateDnsEnabled).toBe(false);
    expect(ep.OwnerId).toBe(DEMO_AWS.accountId);
    expect(ep.CreationTimestamp).toEqual(new Date('2026-11-28T09:00:00.000Z'));
    expect(ep.NetworkInterfaceIds).toHaveLength(2);
    expect(created.ClientToken).toBe('exec-1');
    const id = ep.VpcEndpointId!;
    const svcId = 'vpce-svc-0123456789abcdef0';
    expect(ep.DnsEntries?.map((d) => d.DnsName)).toEqual([
      expect.stringMatching(
        new RegExp(`^${id}-[a-z0-9]{8}\\.${svcId}\\.us-east-1\\.vpce\\.amazonaws\\.com$`),
      ),
      expect.stringMatching(
        new RegExp(`^${id}-[a-z0-9]{8}-us-east-1a\\.${svcId}\\.us-east-1\\.vpce\\.amazonaws\\.com$`),
      ),
      expect.stringMatching(
        new RegExp(`^${id}-[a-z0-9]{8}-us-east-1b\\.${svcId}\\.us-east-1\\.vpce\\.amazonaws\\.com$`),
      ),
    ]);
    expect(new Set(ep.DnsEntries?.map((d) => d.HostedZoneId))).toEqual(new Set(['Z7HUB22UULQXV']));

    w.clock.advance(T.vpcEndpointProvisioning - 1);
    expect((await w.describeOne(id)).State).toBe('pending');
    w.clock.advance(1);
    expect((await w.describeOne(id)).State).toBe('pendingAcceptance');

    w.model.acceptVpcEndpoint(id);
    expect((await w.describeOne(id)).State).toBe('available');
    expect(w.model.inventory().map((e) => [e.id, e.state])).toEqual([[id, 'available']]);

    const deleted = await w.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id] }));
    expect(deleted.Unsuccessful).toEqual([]);
    expect((await w.describeOne(id)).State).toBe('deleting');
    // a second delete while deleting is a quiet no-op
    expect((await w.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id] }))).Unsuccessful).toEqual(
      [],
    );
    w.clock.advance(T.vpcEndpointDeletion);
    const gone = await w.describeOne(id);
    expect(gone.State).toBe('deleted');
    expect(gone.NetworkInterfaceIds).toEqual([]);
    expect(w.model.inventory()).toEqual([]);
    expect(w.model.getVpcEndpoint(id)).toBeUndefined();
    // deleting a deleted endpoint reports it as not found, without failing the call
    const again = await w.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id] }));
    expect(again.Unsuccessful?.[0]?.Error?.Code).toBe('InvalidVpcEndpoint.NotFound');

    // EC2 keeps deleted endpoints visible for a while (here the 10-minute default), then forgets them
    w.clock.advance(10 * 60 * 1000);
    await expect(w.ec2.send(new DescribeVpcEndpointsCommand({ VpcEndpointIds: [id] }))).rejects.toMatchObject(
      {
        name: 'InvalidVpcEndpointId.NotFound',
        $metadata: { httpStatusCode: 400 },
      },
    );
    const all = await w.ec2.send(new DescribeVpcEndpointsCommand({}));
    expect(all.VpcEndpoints).toEqual([]);
  });

  it('Atlas accepting while still pending makes the endpoint available as soon as it is provisioned', async () => {
    const w = await start();
    const id = (await w.create()).VpcEndpoint!.VpcEndpointId!;
    w.model.acceptVpcEndpoint(id);
    expect((await w.describeOne(id)).State).toBe('pending');
    w.clock.advance(T.vpcEndpointProvisioning);
    expect((await w.describeOne(id)).State).toBe('available');
  });

  it('Atlas rejecting -> rejected; a rejected endpoint can still be deleted', async () => {
    const w = await start();
    const id = (await w.create()).VpcEndpoint!.VpcEndpointId!;
    w.clock.advance(T.vpcEndpointProvisioning);
    w.model.rejectVpcEndpoint(id);
    expect((await w.describeOne(id)).State).toBe('rejected');
    expect(w.model.inventory()).toHaveLength(1);
    await w.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id] }));
    w.clock.advance(T.vpcEndpointDeletion);
    expect(w.model.inventory()).toEqual([]);
  });

  it('the endpoint service going away rejects the connected endpoints', async () => {
    const w = await start();
    const id = (await w.create()).VpcEndpoint!.VpcEndpointId!;
    const other = (await w.create({ ServiceName: OTHER_SERVICE })).VpcEndpoint!.VpcEndpointId!;
    w.clock.advance(T.vpcEndpointProvisioning);
    w.model.deregisterEndpointService(SERVICE);
    expect((await w.describeOne(id)).State).toBe('rejected');
    expect((await w.describeOne(other)).State).toBe('pendingAcceptance');
    await expect(w.create()).rejects.toMatchObject({ name: 'InvalidServiceName' });
  });

  it('DeleteVpcEndpoints mixes deleted and unknown ids: unknown ones are unsuccessful items', async () => {
    const w = await start();
    const id = (await w.create()).VpcEndpoint!.VpcEndpointId!;
    const out = await w.ec2.send(
      new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id, 'vpce-00000000000000000'] }),
    );
    expect(out.Unsuccessful).toEqual([
      {
        ResourceId: 'vpce-00000000000000000',
        Error: {
          Code: 'InvalidVpcEndpoint.NotFound',
          Message: "The Vpc Endpoint Id 'vpce-00000000000000000' does not exist",
        },
      },
    ]);
    expect((await w.describeOne(id)).State).toBe('deleting');
  });
});

describe('lifecycle faults', () => {
  it('provision fail-transition -> failed with FailureReason and LastError', async () => {
    const w = await start([
      {
        operation: AWS_LIFECYCLE_FAULTS.provision,
        effect: { kind: 'fail-transition', errorMessage: 'no capacity in use1-az1' },
      },
    ]);
    const id = (await w.create()).VpcEndpoint!.VpcEndpointId!;
    w.clock.advance(T.vpcEndpointProvisioning);
    const ep = await w.describeOne(id);
    expect(ep.State).toBe('failed');
    expect(ep.FailureReason).toBe('no capacity in use1-az1');
    expect(ep.LastError).toEqual({ Code: 'InternalError', Message: 'no capacity in use1-az1' });
    expect(w.faults.fired).toEqual([
      expect.objectContaining({ operation: 'lifecycle:vpcEndpoint.provision' }),
    ]);
  });

  it('provision stuck -> stays pending (only the faulted occurrence)', async () => {
    const w = await start([
      { operation: AWS_LIFECYCLE_FAULTS.provision, occurrence: 2, effect: { kind: 'stuck' } },
    ]);
    const first = (await w.create()).VpcEndpoint!.VpcEndpointId!;
    const second = (await w.create()).VpcEndpoint!.VpcEndpointId!;
    w.clock.advance(24 * 60 * 60 * 1000);
    expect((await w.describeOne(first)).State).toBe('pendingAcceptance');
    expect((await w.describeOne(second)).State).toBe('pending');
  });

  it('delete stuck -> stays deleting and stays in the inventory', async () => {
    const w = await start([{ operation: AWS_LIFECYCLE_FAULTS.delete, effect: { kind: 'stuck' } }]);
    const id = (await w.create()).VpcEndpoint!.VpcEndpointId!;
    await w.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [id] }));
    w.clock.advance(24 * 60 * 60 * 1000);
    expect((await w.describeOne(id)).State).toBe('deleting');
    expect(w.model.inventory().map((e) => e.state)).toEqual(['deleting']);
  });
});

describe('ClientToken idempotency', () => {
  it('same token + same parameters returns the same endpoint and echoes the token', async () => {
    const w = await start();
    const first = await w.create({ ClientToken: 'exec-42', TagSpecifications: tagSpec({ a: '1', b: '2' }) });
    w.clock.advance(T.vpcEndpointProvisioning);
    const second = await w.create({
      ClientToken: 'exec-42',
      SubnetIds: [...DEMO_AWS.subnetIds].reverse(),
      TagSpecifications: tagSpec({ b: '2', a: '1' }),
    });
    expect(second.VpcEndpoint?.VpcEndpointId).toBe(first.VpcEndpoint?.VpcEndpointId);
    expect(second.VpcEndpoint?.State).toBe('pendingAcceptance');
    expect(second.ClientToken).toBe('exec-42');
    expect(w.model.inventory()).toHaveLength(1);
  });

  it('same token + different parameters -> IdempotentParameterMismatch (400)', async () => {
    const w = await start();
    await w.create({ ClientToken: 'exec-43' });
    for (const overrides of [
      { ServiceName: OTHER_SERVICE },
      { SubnetIds: [DEMO_AWS.subnetIds[0]] },
      { TagSpecifications: tagSpec({ a: '1' }) },
    ]) {
      await expect(w.create({ ClientToken: 'exec-43', ...overrides })).rejects.toMatchObject({
        name: 'IdempotentParameterMismatch',
        $metadata: { httpStatusCode: 400 },
      });
    }
    expect(w.model.inventory()).toHaveLength(1);
  });

  it('no token: every call creates a new endpoint and no ClientToken is returned', async () => {
    const w = await start();
    const a = await w.create();
    const b = await w.create();
    expect(a.VpcEndpoint?.VpcEndpointId).not.toBe(b.VpcEndpoint?.VpcEndpointId);
    expect(a.ClientToken).toBeUndefined();
    expect(w.model.inventory()).toHaveLength(2);
  });
});

describe('tags, filters and paging', () => {
  it('tags applied at create come back as tagSet and drive tag:<key> / tag-key filters', async () => {
    const w = await start();
    const a = (await w.create({ TagSpecifications: tagSpec({ 'atlas:groupId': 'g1', Name: 'orders' }) }))
      .VpcEndpoint!;
    const b = (await w.create({ TagSpecifications: tagSpec({ 'atlas:groupId': 'g2' }) })).VpcEndpoint!;
    await w.create({ ServiceName: OTHER_SERVICE });
    expect(a.Tags).toEqual([
      { Key: 'atlas:groupId', Value: 'g1' },
      { Key: 'Name', Value: 'orders' },
    ]);
    const ids = async (filters: { Name: string; Values: string[] }[]) =>
      (await w.ec2.send(new DescribeVpcEndpointsCommand({ Filters: filters }))).VpcEndpoints?.map(
        (e) => e.VpcEndpointId,
      );
    expect(await ids([{ Name: 'tag:atlas:groupId', Values: ['g1'] }])).toEqual([a.VpcEndpointId]);
    expect(await ids([{ Name: 'tag:atlas:groupId', Values: ['g*'] }])).toEqual([
      a.VpcEndpointId,
      b.VpcEndpointId,
    ]);
    expect(await ids([{ Name: 'tag-key', Values: ['Name'] }])).toEqual([a.VpcEndpointId]);
    expect(
      await ids([
        { Name: 'service-name', Values: [SERVICE] },
        { Name: 'vpc-id', Values: [DEMO_AWS.vpcId] },
      ]),
    ).toEqual([a.VpcEndpointId, b.VpcEndpointId]);
    expect(await ids([{ Name: 'vpc-endpoint-id', Values: [b.VpcEndpointId!] }])).toEqual([b.VpcEndpointId]);
    expect(await ids([{ Name: 'vpc-id', Values: ['vpc-00000000000000000'] }])).toEqual([]);
    w.clock.advance(T.vpcEndpointProvisioning);
    w.model.acceptVpcEndpoint(a.VpcEndpointId!);
    expect(await ids([{ Name: 'vpc-endpoint-state', Values: ['available', 'failed'] }])).toEqual([
      a.VpcEndpointId,
    ]);
    expect(await ids([{ Name: 'vpc-endpoint-state', Values: ['pendingAcceptance'] }])).toHaveLength(2);
  });

  it('MaxResults/NextToken paging, also through the SDK paginator', async () => {
    const w = await start();
    const created: string[] = [];
    for (let i = 0; i < 7; i++) created.push((await w.create()).VpcEndpoint!.VpcEndpointId!);
    const first = await w.ec2.send(new DescribeVpcEndpointsCommand({ MaxResults: 3 }));
    expect(first.VpcEndpoints).toHaveLength(3);
    expect(first.NextToken).toBeTruthy();
    const seen: string[] = [];
    for await (const page of paginateDescribeVpcEndpoints({ client: w.ec2, pageSize: 3 }, {})) {
      expect(page.VpcEndpoints!.length).toBeLessThanOrEqual(3);
      seen.push(...page.VpcEndpoints!.map((e) => e.VpcEndpointId!));
    }
    expect(seen).toEqual(created);
    expect(w.log.of('DescribeVpcEndpoints')).toHaveLength(4);
    const clamped = await w.ec2.send(new DescribeVpcEndpointsCommand({ MaxResults: 5000 }));
    expect(clamped.VpcEndpoints).toHaveLength(7);
    expect(clamped.NextToken).toBeUndefined();
  });
});

describe('inventory and request log', () => {
  it('inventory lists live endpoints on both sides of a delete; the log records every call', async () => {
    const w = await start([], 0);
    const keep = (await w.create({ ClientToken: 'keep' })).VpcEndpoint!.VpcEndpointId!;
    const drop = (await w.create()).VpcEndpoint!.VpcEndpointId!;
    await w.ec2.send(new DeleteVpcEndpointsCommand({ VpcEndpointIds: [drop] }));
    expect(w.model.inventory().map((e) => [e.id, e.state])).toEqual([
      [keep, 'pending'],
      [drop, 'deleting'],
    ]);
    w.clock.advance(T.vpcEndpointDeletion);
    const inventory = w.model.inventory();
    expect(inventory.map((e) => e.id)).toEqual([keep]);
    expect(inventory[0]).toMatchObject({
      serviceName: SERVICE,
      region: 'us-east-1',
      vpcId: DEMO_AWS.vpcId,
      clientToken: 'keep',
      subnetIds: [...DEMO_AWS.subnetIds],
      securityGroupIds: [...DEMO_AWS.securityGroupIds],
    });
    // with a zero retention the deleted endpoint is forgotten at once
    await expect(w.describeOne(drop)).rejects.toMatchObject({ name: 'InvalidVpcEndpointId.NotFound' });
    expect(w.log.entries.map((e) => [e.operation, e.status, e.auth])).toEqual([
      ['CreateVpcEndpoint', 200, 'sigv4'],
      ['CreateVpcEndpoint', 200, 'sigv4'],
      ['DeleteVpcEndpoints', 200, 'sigv4'],
      ['DescribeVpcEndpoints', 400, 'sigv4'],
    ]);
    expect(w.log.entries.at(-1)?.errorCode).toBe('InvalidVpcEndpointId.NotFound');
    expect(w.log.counts()).toEqual({ CreateVpcEndpoint: 2, DeleteVpcEndpoints: 1, DescribeVpcEndpoints: 1 });
  });
});

function tagSpec(tags: Record<string, string>) {
  return [
    {
      ResourceType: 'vpc-endpoint' as const,
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    },
  ];
}
