/**
 * `PrivateEndpointVpcAccessRole`: the role a `PrivateEndpointWorkflow` in another AWS account (the hub) assumes to
 * create and delete the interface VPC endpoints of VPCs in this account (a spoke). Deploy it in each VPC account
 * the workflow's `vpcAccountIds` lists, with the same external id and managed-by tag value.
 *
 * Least privilege, on both sides:
 * - Trust: only the workflow account, only its roles under the IAM path `/atlas-private-endpoint-workflow/`
 *   (the workflow gives the roles of its EC2 functions that path; `aws:PrincipalArn`), and only with the
 *   external id (`sts:ExternalId`).
 * - Permissions: the EC2 calls of the workflow and nothing else, in the allowed regions of this account:
 *   create only endpoints carrying the managed-by tag, tag only while creating, delete only endpoints carrying
 *   it, and the four Describe calls (which support no resource-level permissions).
 * - On the workflow side, only its EC2 functions may `sts:AssumeRole`, and only this role's ARN.
 */
import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { ALL_EC2_ACTIONS, ec2Statements, ec2WildcardResources } from './ec2-permissions.ts';
import { acknowledgeVpcAccessRole, type NagAcknowledgement } from './nag.ts';
import { regionProblems } from './regions.ts';

/** Default name of the role in each VPC account (the workflow builds its ARNs from the same name). */
export const DEFAULT_VPC_ACCOUNT_ROLE_NAME = 'AtlasPrivateEndpointVpcAccess';
/** IAM path of the workflow's EC2 function roles; the VPC access role trusts only roles under it. */
export const WORKFLOW_ROLE_PATH = '/atlas-private-endpoint-workflow/';

const ACCOUNT_ID = /^\d{12}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
/** What STS accepts as an external id. */
export const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;

export interface PrivateEndpointVpcAccessRoleProps {
  /** The AWS account the `PrivateEndpointWorkflow` runs in. */
  readonly workflowAccountId: string;
  /** The workflow's `vpcAccountExternalId` (2 to 1224 letters, digits or `+=,.@:/-_`). */
  readonly externalId: string;
  /**
   * The workflow's `managedByTagValue`: the role may create only endpoints carrying the managed-by tag with this
   * value, and delete only those.
   */
  readonly managedByTagValue: string;
  /**
   * Regions of this account where the workflow may create endpoints (the workflow's `allowedRegions` that hold
   * VPCs of this account).
   * @default - this stack's region
   */
  readonly allowedRegions?: readonly string[];
  /** @default 'AtlasPrivateEndpointVpcAccess' (the workflow's `vpcAccountRoleName` default) */
  readonly roleName?: string;
}

/** Every problem with the props (empty when valid). Unresolved tokens are not checked. */
export function validateVpcAccessRoleProps(props: PrivateEndpointVpcAccessRoleProps | undefined): string[] {
  if (props === undefined || props === null) return ['props: required'];
  const problems: string[] = [];
  const resolved = (v: unknown) => !Token.isUnresolved(v);
  if (typeof props.workflowAccountId !== 'string') problems.push('workflowAccountId: required');
  else if (resolved(props.workflowAccountId) && !ACCOUNT_ID.test(props.workflowAccountId)) {
    problems.push(
      `workflowAccountId: ${JSON.stringify(props.workflowAccountId)} is not a 12-digit account id`,
    );
  }
  if (typeof props.externalId !== 'string') problems.push('externalId: required');
  else if (resolved(props.externalId) && !EXTERNAL_ID.test(props.externalId)) {
    problems.push('externalId: must be 2 to 1224 letters, digits or +=,.@:/-_');
  }
  if (typeof props.managedByTagValue !== 'string') problems.push('managedByTagValue: required');
  else if (resolved(props.managedByTagValue) && !TAG_VALUE.test(props.managedByTagValue)) {
    problems.push('managedByTagValue: must be 1-256 characters of letters, digits, spaces and _.:/=+-@');
  }
  if (props.roleName !== undefined && resolved(props.roleName) && !ROLE_NAME.test(props.roleName)) {
    problems.push('roleName: must be 1-64 letters, digits or +=,.@-_');
  }
  problems.push(...regionProblems('allowedRegions', props.allowedRegions));
  return problems;
}

export class PrivateEndpointVpcAccessRole extends Construct {
  /** The role the workflow assumes. */
  readonly role: iam.Role;
  /** The regions its EC2 permissions cover. */
  readonly allowedRegions: readonly string[];
  /** The cdk-nag acknowledgements recorded on the role (each with its rule id and reason). */
  readonly nagAcknowledgements: readonly NagAcknowledgement[];

  constructor(scope: Construct, id: string, props: PrivateEndpointVpcAccessRoleProps) {
    super(scope, id);
    const problems = validateVpcAccessRoleProps(props);
    if (problems.length > 0) {
      throw new Error(
        `Invalid PrivateEndpointVpcAccessRole props:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      );
    }
    const stack = Stack.of(this);
    this.allowedRegions = props.allowedRegions ?? [stack.region];
    const workflowRoles = `arn:${stack.partition}:iam::${props.workflowAccountId}:role${WORKFLOW_ROLE_PATH}*`;
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName ?? DEFAULT_VPC_ACCOUNT_ROLE_NAME,
      description: `Lets the Atlas private endpoint workflow in account ${props.workflowAccountId} manage its interface VPC endpoints here`,
      assumedBy: new iam.AccountPrincipal(props.workflowAccountId).withConditions({
        StringEquals: { 'sts:ExternalId': props.externalId },
        ArnLike: { 'aws:PrincipalArn': workflowRoles },
      }),
    });
    const ec2 = {
      regions: this.allowedRegions,
      account: stack.account,
      managedByTagValue: props.managedByTagValue,
    };
    for (const statement of ec2Statements(this, ALL_EC2_ACTIONS, ec2)) this.role.addToPolicy(statement);
    this.nagAcknowledgements = acknowledgeVpcAccessRole(
      this.role,
      ec2WildcardResources(this, ALL_EC2_ACTIONS, ec2),
    );
  }
}
