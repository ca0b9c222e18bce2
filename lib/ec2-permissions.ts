/**
 * The EC2 permissions of the workflow, in one place for both accounts that need them: the workflow's own function
 * roles (`PrivateEndpointWorkflow`) and the role in another VPC account (`PrivateEndpointVpcAccessRole`).
 *
 * Every resource-scoped statement is written once per allowed region (`arn:<partition>:ec2:<region>:<account>:…`),
 * so a deployment can act in exactly the regions it allows: a request for any other region is refused by
 * validate-request before anything is created (`ALLOWED_REGIONS`), and IAM would refuse it anyway.
 */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { TAG_MANAGED_BY } from '#core/tags';
import type { Ec2Action } from '#workflow/steps';

/** Where and for whom the statements apply. Values may be tokens. */
export interface Ec2Scope {
  /** Regions the statements cover (at least one). */
  readonly regions: readonly string[];
  /** The account of the VPCs (the role's own account). */
  readonly account: string;
  /** The managed-by tag value that create and delete conditions compare. */
  readonly managedByTagValue: string;
}

/** A wildcard resource a statement uses, and why it is as narrow as EC2 allows (for the cdk-nag acknowledgement). */
export interface WildcardResource {
  readonly arn: string;
  readonly reason: string;
}

/** Every EC2 action the workflow calls (the role in another account needs all of them). */
export const ALL_EC2_ACTIONS: readonly Ec2Action[] = [
  'CreateVpcEndpoint',
  'CreateTags',
  'DeleteVpcEndpoints',
  'DescribeVpcEndpoints',
  'DescribeSubnets',
  'DescribeSecurityGroups',
];

/** `arn:<partition>:ec2:<region>:<account>:<resource>/*` for each region of the scope. */
export function ec2Arns(scope: IConstruct, ec2: Ec2Scope, resource: string): string[] {
  const stack = Stack.of(scope);
  return ec2.regions.map((region) =>
    stack.formatArn({ service: 'ec2', region, account: ec2.account, resource, resourceName: '*' }),
  );
}

/** Least-privilege EC2 statements for `actions`. */
export function ec2Statements(
  scope: IConstruct,
  actions: readonly Ec2Action[],
  ec2: Ec2Scope,
): iam.PolicyStatement[] {
  const arns = (...resources: string[]) => resources.flatMap((r) => ec2Arns(scope, ec2, r));
  const statements: iam.PolicyStatement[] = [];
  const describe = actions.filter((a) => a.startsWith('Describe'));
  if (describe.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'Ec2Describe',
        actions: describe.map((a) => `ec2:${a}`),
        resources: ['*'], // EC2 Describe* actions support no resource-level permissions
      }),
    );
  }
  if (actions.includes('CreateVpcEndpoint')) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'CreateTaggedVpcEndpoint',
        actions: ['ec2:CreateVpcEndpoint'],
        resources: arns('vpc-endpoint'),
        conditions: {
          StringEquals: { [`aws:RequestTag/${TAG_MANAGED_BY}`]: ec2.managedByTagValue },
          'ForAnyValue:StringEquals': { 'aws:TagKeys': [TAG_MANAGED_BY] },
        },
      }),
      new iam.PolicyStatement({
        sid: 'CreateVpcEndpointInNetwork',
        actions: ['ec2:CreateVpcEndpoint'],
        resources: arns('vpc', 'subnet', 'security-group'),
      }),
    );
  }
  if (actions.includes('CreateTags')) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'TagOnCreateOnly',
        actions: ['ec2:CreateTags'],
        resources: arns('vpc-endpoint'),
        conditions: { StringEquals: { 'ec2:CreateAction': 'CreateVpcEndpoint' } },
      }),
      // A repair restores the tags of an endpoint this deployment manages; the managed-by tag itself can only
      // be written with this deployment's value.
      new iam.PolicyStatement({
        sid: 'RetagManagedVpcEndpoints',
        actions: ['ec2:CreateTags'],
        resources: arns('vpc-endpoint'),
        conditions: {
          StringEquals: { [`aws:ResourceTag/${TAG_MANAGED_BY}`]: ec2.managedByTagValue },
          StringEqualsIfExists: { [`aws:RequestTag/${TAG_MANAGED_BY}`]: ec2.managedByTagValue },
        },
      }),
    );
  }
  if (actions.includes('DeleteVpcEndpoints')) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'DeleteManagedVpcEndpoints',
        actions: ['ec2:DeleteVpcEndpoints'],
        resources: arns('vpc-endpoint'),
        conditions: { StringEquals: { [`aws:ResourceTag/${TAG_MANAGED_BY}`]: ec2.managedByTagValue } },
      }),
    );
  }
  return statements;
}

/** The wildcard EC2 ARNs `ec2Statements` uses for `actions`, with why each is as narrow as EC2 allows. */
export function ec2WildcardResources(
  scope: IConstruct,
  actions: readonly Ec2Action[],
  ec2: Ec2Scope,
): WildcardResource[] {
  const out: WildcardResource[] = [];
  const endpointReasons: string[] = [];
  if (actions.includes('CreateVpcEndpoint')) {
    endpointReasons.push(
      `ec2:CreateVpcEndpoint only with the request tag ${TAG_MANAGED_BY}=<this deployment> (aws:RequestTag + aws:TagKeys)`,
    );
  }
  if (actions.includes('CreateTags')) {
    endpointReasons.push(
      `ec2:CreateTags only as part of CreateVpcEndpoint (ec2:CreateAction), or on endpoints tagged ${TAG_MANAGED_BY}=<this deployment> (a repair restoring tags)`,
    );
  }
  if (actions.includes('DeleteVpcEndpoints')) {
    endpointReasons.push(
      `ec2:DeleteVpcEndpoints only on endpoints tagged ${TAG_MANAGED_BY}=<this deployment>`,
    );
  }
  if (endpointReasons.length > 0) {
    for (const arn of ec2Arns(scope, ec2, 'vpc-endpoint')) {
      out.push({
        arn,
        reason: `New endpoint ids are unknown before creation; the wildcard is narrowed by tag conditions: ${endpointReasons.join('; ')}.`,
      });
    }
  }
  if (actions.includes('CreateVpcEndpoint')) {
    for (const resource of ['vpc', 'subnet', 'security-group']) {
      for (const arn of ec2Arns(scope, ec2, resource)) {
        out.push({
          arn,
          reason: `CreateVpcEndpoint also authorizes the ${resource} it attaches to; requests choose the VPC, subnets and security groups, so any ${resource} of this account in an allowed region (the endpoint itself stays tag-conditioned).`,
        });
      }
    }
  }
  return out;
}
