/**
 * Regions and accounts through the whole path: the synthesized state machine, the real handlers, the SDK's own
 * AssumeRole credential provider against the simulated STS (SigV4 checked), and a world with two AWS accounts.
 *
 * - A VPC in the second account (request field `vpcAccountId`) is connected through the role there: the VPC
 *   endpoint exists in that account, none in the workflow's own, and a failure after it was created deletes it
 *   through the same role.
 * - A request for an account or a region the deployment does not allow is refused by validation with
 *   `InvalidRequest` before any EC2, STS or Atlas write happens.
 * - A deployment whose external id the role does not trust fails at validation (ConfigurationError), with
 *   nothing created.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import { TAG_MANAGED_BY } from '../../lambdas/core/tags.ts';
import { StateNames } from '../../lambdas/workflow/steps.ts';
import { resolveIntrinsics } from '../../lib/asl.ts';
import { PrivateEndpointVpcAccessRole } from '../../lib/vpc-access-role.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { FAULT_CATALOG } from '../../local/cloud/fault-catalog.ts';
import type { LocalWorkflowProps } from '../../local/engine.ts';
import { type LocalRunResult, runLocalWorkflow } from '../../local/engine.ts';
import { startTestWorld, type TestWorld } from '../support/world.ts';
import { causeText, live } from './harness.ts';

let world: TestWorld | undefined;
afterEach(async () => {
  await world?.close();
  expect(world?.contractViolations() ?? []).toEqual([]);
  world = undefined;
});

async function newWorld(faults: string | undefined = undefined): Promise<TestWorld> {
  world = await startTestWorld({
    preset: 'instant',
    timeScale: 0,
    faults: faults === undefined ? [] : FAULT_CATALOG[faults]!.rules,
  });
  return world;
}

/** A deployment that reaches the demo's second account (the values its role trusts). */
function hubProps(w: TestWorld, overrides: LocalWorkflowProps = {}): LocalWorkflowProps {
  return {
    vpcAccountIds: [w.world.demo.spoke.accountId],
    vpcAccountExternalId: w.world.demo.spoke.externalId,
    managedByTagValue: 'orders-platform',
    ...overrides,
  };
}

/** A dedicated request for the second account's VPC. */
function spokeRequest(w: TestWorld, extra: Record<string, unknown> = {}) {
  const d = w.world.demo;
  return {
    kind: 'dedicated',
    groupId: d.groupId,
    instanceName: d.clusterName,
    region: d.awsRegion,
    vpcAccountId: d.spoke.accountId,
    vpcId: d.spoke.vpcId,
    subnetIds: [...d.spoke.subnetIds],
    securityGroupIds: [...d.spoke.securityGroupIds],
    ...extra,
  };
}

/**
 * Replaces the world's role in the second account with the trust `PrivateEndpointVpcAccessRole` synthesizes for
 * this deployment, so the run proves the construct's trust policy admits the workflow's functions.
 */
function installSynthesizedRole(w: TestWorld): void {
  const d = w.world.demo;
  const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Spoke', { env: { account: d.spoke.accountId, region: d.awsRegion } });
  new PrivateEndpointVpcAccessRole(stack, 'VpcAccess', {
    workflowAccountId: DEMO_AWS.accountId,
    externalId: d.spoke.externalId,
    managedByTagValue: 'orders-platform',
  });
  const [role] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Role'));
  const [statement] = (
    resolveIntrinsics(role!.Properties.AssumeRolePolicyDocument) as {
      Statement: {
        Principal: { AWS: string };
        Condition: { StringEquals: Record<string, string>; ArnLike: Record<string, string> };
      }[];
    }
  ).Statement;
  const trustedAccount = /^arn:aws:iam::(\d{12}):root$/.exec(statement!.Principal.AWS)![1]!;
  const arn = w.world.iam.addRole({
    accountId: d.spoke.accountId,
    name: role!.Properties.RoleName,
    trust: {
      accountId: trustedAccount,
      externalId: statement!.Condition.StringEquals['sts:ExternalId'],
      principalArnLike: statement!.Condition.ArnLike['aws:PrincipalArn'],
    },
  });
  expect(arn).toBe(d.spoke.roleArn);
}

function run(w: TestWorld, input: unknown, props: LocalWorkflowProps): Promise<LocalRunResult> {
  const d = w.world.demo;
  return runLocalWorkflow({
    input,
    props,
    target: {
      atlasUrl: w.atlasUrl,
      ec2Url: w.ec2Url,
      stsUrl: w.stsUrl,
      dynamodbUrl: w.dynamodbUrl,
      atlasCredentials: d.serviceAccount,
      awsCredentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
      awsRegion: d.awsRegion,
    },
    clock: w.world.clock,
    requestLog: w.world.log,
  });
}

const calls = (w: TestWorld, service: 'atlas' | 'ec2' | 'sts') =>
  w.world.log.entries.filter((e) => e.service === service);
const writes = (w: TestWorld) =>
  w.world.log.entries.filter(
    (e) =>
      (e.service === 'atlas' && e.method !== 'GET' && e.operation !== 'oauthToken') ||
      e.operation === 'CreateVpcEndpoint',
  );

describe('a VPC in another account', () => {
  it('is connected through the role in that account: the endpoint exists there, signed with assumed credentials', async () => {
    const w = await newWorld();
    installSynthesizedRole(w);
    const result = await run(w, spokeRequest(w), hubProps(w));
    expect(result.status, causeText(result)).toBe('SUCCEEDED');

    const spokeEndpoints = w.world.spokeAws.inventory();
    expect(spokeEndpoints).toHaveLength(1);
    expect(w.world.aws.inventory()).toEqual([]);
    const [endpoint] = spokeEndpoints;
    expect(endpoint!.vpcId).toBe(w.world.demo.spoke.vpcId);
    expect(endpoint!.ownerId).toBe(w.world.demo.spoke.accountId);
    expect(endpoint!.tags[TAG_MANAGED_BY]).toBe('orders-platform');
    expect((result.output as { vpcEndpointId: string }).vpcEndpointId).toBe(endpoint!.id);

    // Every EC2 call went to the second account with assumed credentials; the STS calls succeeded and each
    // function's credential provider called AssumeRole once (the EC2 client memoizes it).
    const assumes = calls(w, 'sts');
    expect(assumes.length).toBeGreaterThan(0);
    expect(assumes.every((e) => e.operation === 'AssumeRole' && e.status === 200)).toBe(true);
    const ec2Functions = new Set(
      result.history
        .filter((h) => h.kind === 'entered')
        .map((h) => h.state)
        .filter((s) =>
          [StateNames.ValidateRequest, StateNames.CreateVpcEndpoint, StateNames.CheckVpcEndpoint].includes(
            s as never,
          ),
        ),
    );
    expect(assumes.length).toBe(ec2Functions.size);
    expect(calls(w, 'ec2').every((e) => e.status === 200 && e.auth === 'sigv4')).toBe(true);
  });

  it('a failure after the endpoint was created deletes it through the same role', async () => {
    const w = await newWorld('dedicated-interface-rejected');
    const result = await run(w, spokeRequest(w), hubProps(w));
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorNames.EndpointRejected);
    expect(result.path).toContain(StateNames.DeleteVpcEndpoint);
    expect(live(w).total).toBe(0);
    expect(w.world.log.of('DeleteVpcEndpoints', 200)).toHaveLength(1);
  });

  it('a deployment whose external id the role does not trust fails at validation, creating nothing', async () => {
    const w = await newWorld();
    const result = await run(w, spokeRequest(w), hubProps(w, { vpcAccountExternalId: 'not-the-agreed-id' }));
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorNames.ConfigurationError);
    expect(causeText(result)).toContain(`Cannot assume ${w.world.demo.spoke.roleArn}`);
    expect(causeText(result)).toContain('AccessDenied');
    expect(calls(w, 'sts').every((e) => e.errorCode === 'AccessDenied')).toBe(true);
    expect(writes(w)).toEqual([]);
    expect(live(w).total).toBe(0);
  });
});

describe('refused before anything is created', () => {
  it('an account the deployment does not list: InvalidRequest naming vpcAccountId, no STS, EC2 or Atlas call', async () => {
    const w = await newWorld();
    const result = await run(w, spokeRequest(w), {});
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorNames.InvalidRequest);
    expect(causeText(result)).toMatch(
      /vpcAccountId: account 210987654321 is not one this deployment may reach/,
    );
    expect(result.path).not.toContain(StateNames.CreateAtlasEndpoint);
    expect(calls(w, 'sts')).toEqual([]);
    expect(calls(w, 'ec2')).toEqual([]);
    expect(calls(w, 'atlas')).toEqual([]);
    expect(live(w).total).toBe(0);

    // Listing another account does not open this one either.
    const other = await run(w, spokeRequest(w), hubProps(w, { vpcAccountIds: ['333333333333'] }));
    expect(other.error?.error).toBe(ErrorNames.InvalidRequest);
    expect(causeText(other)).toContain('(allowed: 333333333333)');
    expect(calls(w, 'sts')).toEqual([]);
  });

  it('a region the deployment does not allow: InvalidRequest naming region and the allowed ones, no call', async () => {
    const w = await newWorld();
    const d = w.world.demo;
    const request = {
      kind: 'dedicated',
      groupId: d.groupId,
      instanceName: d.clusterName,
      region: 'eu-west-1',
      vpcId: d.vpcId,
      subnetIds: [...d.subnetIds],
      securityGroupIds: [...d.securityGroupIds],
    };
    const result = await run(w, request, {});
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorNames.InvalidRequest);
    expect(causeText(result)).toContain(
      'region: "eu-west-1" is not a region this deployment allows (allowed: us-east-1)',
    );
    expect(calls(w, 'ec2')).toEqual([]);
    expect(calls(w, 'atlas')).toEqual([]);
    expect(live(w).total).toBe(0);

    // The same request in a deployment that allows the region gets past this check to the network check, which
    // finds none of the subnets in eu-west-1 of the simulated world (the region is the only difference).
    const allowed = await run(w, request, { allowedRegions: ['us-east-1', 'eu-west-1'] });
    expect(allowed.error?.error).toBe(ErrorNames.InvalidRequest);
    expect(causeText(allowed)).not.toContain('is not a region this deployment allows');
    expect(causeText(allowed)).toMatch(
      /subnet "subnet-[0-9a-f]+" does not exist in this account in eu-west-1/,
    );
    expect(live(w).total).toBe(0);
  });
});
