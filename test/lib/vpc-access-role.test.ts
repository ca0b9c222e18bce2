/**
 * `PrivateEndpointVpcAccessRole`, the role in a VPC account: exactly who may assume it, exactly what it may do,
 * cdk-nag clean, and consistent with what the workflow assumes and how its roles are named.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { TAG_MANAGED_BY } from '../../lambdas/core/tags.ts';
import {
  DEFAULT_VPC_ACCOUNT_ROLE_NAME,
  PrivateEndpointVpcAccessRole,
  type PrivateEndpointVpcAccessRoleProps,
  validateVpcAccessRoleProps,
  WORKFLOW_ROLE_PATH,
} from '../../lib/vpc-access-role.ts';
import { CDK_JSON_CONTEXT, logicalIdOf, synthWorkflow } from './support.ts';

const HUB = '123456789012';
const SPOKE = '210987654321';
const PROPS: PrivateEndpointVpcAccessRoleProps = {
  workflowAccountId: HUB,
  externalId: 'orders-platform-external-id',
  managedByTagValue: 'orders-platform',
};

function synthRole(props: Partial<PrivateEndpointVpcAccessRoleProps> = {}, nag = false) {
  const outdir = mkdtempSync(join(tmpdir(), 'ape-spoke-'));
  const app = new App({
    outdir,
    builtinCloudFormationValidation: false,
    context: { ...CDK_JSON_CONTEXT, '@aws-cdk/core:validationReportJson': true },
  });
  const stack = new Stack(app, 'Spoke', { env: { account: SPOKE, region: 'us-east-1' } });
  const access = new PrivateEndpointVpcAccessRole(stack, 'VpcAccess', { ...PROPS, ...props });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: false }));
  try {
    let failed: unknown;
    try {
      app.synth();
    } catch (e) {
      failed = e;
    }
    const violations = nag
      ? (
          JSON.parse(readFileSync(join(outdir, 'policy-validation-report.json'), 'utf8')) as {
            pluginReports: { violations: { ruleName: string }[] }[];
          }
        ).pluginReports.flatMap((r) => r.violations.map((v) => v.ruleName))
      : [];
    if (failed !== undefined && violations.length === 0) throw failed;
    return { stack, access, template: Template.fromStack(stack), violations };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe('PrivateEndpointVpcAccessRole', () => {
  it('trusts only the workflow account, only its roles under the workflow path, only with the external id', () => {
    const { template } = synthRole();
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: DEFAULT_VPC_ACCOUNT_ROLE_NAME,
      AssumeRolePolicyDocument: Match.objectEquals({
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${HUB}:root` },
            Condition: {
              StringEquals: { 'sts:ExternalId': 'orders-platform-external-id' },
              ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${HUB}:role${WORKFLOW_ROLE_PATH}*` },
            },
          },
        ],
      }),
    });
  });

  it('may do exactly the workflow EC2 calls in its account and allowed regions, with the tag conditions', () => {
    const { template } = synthRole({ allowedRegions: ['us-east-1', 'eu-central-1'] });
    const arns = (resource: string) => [
      `arn:aws:ec2:eu-central-1:${SPOKE}:${resource}/*`,
      `arn:aws:ec2:us-east-1:${SPOKE}:${resource}/*`,
    ];
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: Match.objectEquals({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'Ec2Describe',
            Effect: 'Allow',
            Action: ['ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcEndpoints'],
            Resource: '*',
          },
          {
            Sid: 'CreateTaggedVpcEndpoint',
            Effect: 'Allow',
            Action: 'ec2:CreateVpcEndpoint',
            Resource: arns('vpc-endpoint'),
            Condition: {
              StringEquals: { [`aws:RequestTag/${TAG_MANAGED_BY}`]: 'orders-platform' },
              'ForAnyValue:StringEquals': { 'aws:TagKeys': [TAG_MANAGED_BY] },
            },
          },
          {
            Sid: 'CreateVpcEndpointInNetwork',
            Effect: 'Allow',
            Action: 'ec2:CreateVpcEndpoint',
            Resource: [...arns('security-group'), ...arns('subnet'), ...arns('vpc')].sort(),
          },
          {
            Sid: 'TagOnCreateOnly',
            Effect: 'Allow',
            Action: 'ec2:CreateTags',
            Resource: arns('vpc-endpoint'),
            Condition: { StringEquals: { 'ec2:CreateAction': 'CreateVpcEndpoint' } },
          },
          {
            Sid: 'RetagManagedVpcEndpoints',
            Effect: 'Allow',
            Action: 'ec2:CreateTags',
            Resource: arns('vpc-endpoint'),
            Condition: {
              StringEquals: { [`aws:ResourceTag/${TAG_MANAGED_BY}`]: 'orders-platform' },
              StringEqualsIfExists: { [`aws:RequestTag/${TAG_MANAGED_BY}`]: 'orders-platform' },
            },
          },
          {
            Sid: 'DeleteManagedVpcEndpoints',
            Effect: 'Allow',
            Action: 'ec2:DeleteVpcEndpoints',
            Resource: arns('vpc-endpoint'),
            Condition: { StringEquals: { [`aws:ResourceTag/${TAG_MANAGED_BY}`]: 'orders-platform' } },
          },
        ],
      }),
    });
  });

  it('is cdk-nag clean, every acknowledgement with a reason', () => {
    const { violations, access } = synthRole({}, true);
    expect(violations).toEqual([]);
    expect(access.nagAcknowledgements.length).toBeGreaterThan(1);
    for (const ack of access.nagAcknowledgements) expect(ack.reason.length).toBeGreaterThan(40);
  });

  it('reports every bad prop at once', () => {
    expect(
      validateVpcAccessRoleProps({
        workflowAccountId: '12345',
        externalId: 'x',
        managedByTagValue: 'bad{value}',
        allowedRegions: ['mars-north-1', 'mars-north-1'],
        roleName: 'no spaces allowed',
      }),
    ).toEqual([
      'workflowAccountId: "12345" is not a 12-digit account id',
      'externalId: must be 2 to 1224 letters, digits or +=,.@:/-_',
      'managedByTagValue: must be 1-256 characters of letters, digits, spaces and _.:/=+-@',
      'roleName: must be 1-64 letters, digits or +=,.@-_',
      'allowedRegions[0]: "mars-north-1" is not an AWS region MongoDB Atlas supports (e.g. us-east-1)',
      'allowedRegions[1]: "mars-north-1" is not an AWS region MongoDB Atlas supports (e.g. us-east-1)',
      'allowedRegions: contains duplicates',
    ]);
    expect(() => synthRole({ workflowAccountId: 'hub' })).toThrow(
      /Invalid PrivateEndpointVpcAccessRole props/,
    );
  });

  it('matches the workflow: it is the role the workflow assumes, and it trusts the path of the roles that assume it', () => {
    const hub = synthWorkflow({
      vpcAccountIds: [SPOKE],
      vpcAccountExternalId: PROPS.externalId,
      managedByTagValue: PROPS.managedByTagValue,
    });
    const { access, stack } = synthRole();
    expect(hub.workflow.vpcAccountRoleArns[SPOKE]).toBe(
      stack.resolve(`arn:aws:iam::${SPOKE}:role/${DEFAULT_VPC_ACCOUNT_ROLE_NAME}`),
    );
    expect(stack.resolve(access.role.roleArn)).toEqual({
      'Fn::GetAtt': [logicalIdOf(stack, access.role), 'Arn'],
    });
    expect(
      Template.fromStack(stack).toJSON().Resources[logicalIdOf(stack, access.role)].Properties.RoleName,
    ).toBe(DEFAULT_VPC_ACCOUNT_ROLE_NAME);
    const createRole = hub.workflow.functions['create-vpc-endpoint'].role!;
    const role = hub.template.toJSON().Resources[logicalIdOf(hub.stack, createRole)];
    expect(role.Properties.Path).toBe(WORKFLOW_ROLE_PATH);
  });
});
