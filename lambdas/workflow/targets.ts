/**
 * Where a deployment may create VPC endpoints: the AWS regions it allows, and the AWS accounts other than its own
 * whose VPCs it may reach (hub and spoke). The construct writes both into the functions' environment, from the
 * same props it writes the IAM policies from, so a request validation accepts is one IAM allows:
 *
 * | variable | functions | value |
 * |---|---|---|
 * | `ALLOWED_REGIONS` | validate-request | comma-separated AWS region names (`us-east-1,eu-west-1`) |
 * | `WORKFLOW_ACCOUNT_ID` | EC2 steps | the workflow's own account (a request naming it needs no role) |
 * | `VPC_ACCOUNT_ROLE_ARNS` | EC2 steps | comma-separated ARNs of the role to assume in each other account |
 * | `VPC_ACCOUNT_EXTERNAL_ID` | EC2 steps | the external id those roles' trust policies require |
 *
 * Unset `ALLOWED_REGIONS` means "not restricted" (a handler run outside a deployment, e.g. by a test); the
 * construct always sets it. Unset `VPC_ACCOUNT_ROLE_ARNS` means "only the workflow's own account".
 */
import type { FieldIssue } from '#core/errors';
import type { VpcLocation } from '#core/state';
import type { Environment } from './config.ts';
import { HandlerEnv } from './steps.ts';

/** The request field naming the VPC's account. */
export const VPC_ACCOUNT_FIELD = 'vpcAccountId';

export const ACCOUNT_ID_PATTERN = /^\d{12}$/;
const REGION_PATTERN = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const ROLE_ARN_PATTERN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;
/** What STS accepts as an external id (2-1224 characters of letters, digits and `+=,.@:/-` and `_`). */
export const EXTERNAL_ID_PATTERN = /^[\w+=,.@:/-]{2,1224}$/;

export interface DeploymentTargets {
  /** Regions requests may name; undefined when the environment does not restrict them. */
  readonly allowedRegions?: readonly string[];
  /** The workflow's own account, when known. */
  readonly workflowAccountId?: string;
  /** Other accounts requests may name, each with the role the EC2 steps assume there. */
  readonly vpcAccountRoles: ReadonlyMap<string, string>;
  /** The external id the roles' trust policies require. */
  readonly externalId?: string;
}

/** A problem with one of the variables above (a deployment bug, reported as ConfigurationError). */
export interface TargetProblem {
  readonly variable: string;
  readonly problem: string;
}

function list(value: string | undefined): string[] | undefined {
  const text = value?.trim();
  if (text === undefined || text === '') return undefined;
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Reads the targets from a function's environment; never throws. */
export function loadDeploymentTargets(env: Environment): {
  targets: DeploymentTargets;
  problems: TargetProblem[];
} {
  const problems: TargetProblem[] = [];
  const regions = list(env[HandlerEnv.AllowedRegions]);
  for (const region of regions ?? []) {
    if (!REGION_PATTERN.test(region)) {
      problems.push({
        variable: HandlerEnv.AllowedRegions,
        problem: `${HandlerEnv.AllowedRegions}: ${JSON.stringify(region)} is not an AWS region name`,
      });
    }
  }
  const account = env[HandlerEnv.WorkflowAccountId]?.trim() || undefined;
  if (account !== undefined && !ACCOUNT_ID_PATTERN.test(account)) {
    problems.push({
      variable: HandlerEnv.WorkflowAccountId,
      problem: `${HandlerEnv.WorkflowAccountId}: ${JSON.stringify(account)} is not a 12-digit AWS account id`,
    });
  }
  const roles = new Map<string, string>();
  for (const arn of list(env[HandlerEnv.VpcAccountRoleArns]) ?? []) {
    const roleAccount = ROLE_ARN_PATTERN.exec(arn)?.[1];
    if (roleAccount === undefined) {
      problems.push({
        variable: HandlerEnv.VpcAccountRoleArns,
        problem: `${HandlerEnv.VpcAccountRoleArns}: ${JSON.stringify(arn)} is not an IAM role ARN`,
      });
    } else if (roles.has(roleAccount)) {
      problems.push({
        variable: HandlerEnv.VpcAccountRoleArns,
        problem: `${HandlerEnv.VpcAccountRoleArns}: two roles for account ${roleAccount}`,
      });
    } else roles.set(roleAccount, arn);
  }
  const externalId = env[HandlerEnv.VpcAccountExternalId]?.trim() || undefined;
  if (externalId !== undefined && !EXTERNAL_ID_PATTERN.test(externalId)) {
    problems.push({
      variable: HandlerEnv.VpcAccountExternalId,
      problem: `${HandlerEnv.VpcAccountExternalId}: must be 2 to 1224 letters, digits or +=,.@:/-_`,
    });
  }
  if (roles.size > 0 && externalId === undefined) {
    problems.push({
      variable: HandlerEnv.VpcAccountExternalId,
      problem: `${HandlerEnv.VpcAccountExternalId} is not set, but ${HandlerEnv.VpcAccountRoleArns} names roles to assume`,
    });
  }
  return {
    targets: {
      ...(regions === undefined ? {} : { allowedRegions: regions }),
      ...(account === undefined ? {} : { workflowAccountId: account }),
      vpcAccountRoles: roles,
      ...(externalId === undefined ? {} : { externalId }),
    },
    problems,
  };
}

/**
 * The role to assume for a VPC location: undefined for the workflow's own account (no `vpcAccountId`, or the
 * workflow's own id). Throws nothing: a location validation refused never reaches an EC2 step.
 */
export function roleFor(where: VpcLocation, targets: DeploymentTargets): string | undefined {
  const account = where.vpcAccountId;
  if (account === undefined || account === targets.workflowAccountId) return undefined;
  return targets.vpcAccountRoles.get(account);
}

/**
 * Request issues for a region or account this deployment does not allow (empty when both are allowed). Run by
 * validate-request before anything is looked up or created.
 */
export function targetIssues(
  where: { readonly region?: unknown; readonly vpcAccountId?: unknown },
  targets: DeploymentTargets,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const allowed = targets.allowedRegions;
  if (allowed !== undefined && typeof where.region === 'string' && !allowed.includes(where.region)) {
    issues.push({
      field: 'region',
      problem:
        `"${where.region}" is not a region this deployment allows (allowed: ${allowed.join(', ')}); its IAM ` +
        'policies cover only those. Add the region to the allowedRegions setting and deploy again',
    });
  }
  const account = where.vpcAccountId;
  if (
    typeof account === 'string' &&
    ACCOUNT_ID_PATTERN.test(account) &&
    account !== targets.workflowAccountId &&
    !targets.vpcAccountRoles.has(account)
  ) {
    const known = [...targets.vpcAccountRoles.keys()];
    issues.push({
      field: VPC_ACCOUNT_FIELD,
      problem:
        `account ${account} is not one this deployment may reach (${known.length === 0 ? 'it reaches only its own account' : `allowed: ${known.join(', ')}`}). ` +
        'Add it to the vpcAccountIds setting and deploy the VPC access role (PrivateEndpointVpcAccessRole) in that account',
    });
  }
  return issues;
}
