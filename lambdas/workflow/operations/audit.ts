/**
 * list-connections: the scheduled audit's first step. Every connection this deployment manages in a region
 * is found through its VPC endpoints' tags (managed-by, then kind, project, instance and request id); each
 * becomes one check request, which the definition's Map hands to inspect-connection. Tombstones (endpoints
 * EC2 still lists as `deleting` or `deleted`) are included: one deleted outside the workflow while Atlas
 * still has the connection's side is exactly the drift the audit is for (a connection deleted on purpose
 * checks as ABSENT, which the audit does not report as drift).
 *
 * Where: every region the deployment allows (`ALLOWED_REGIONS`; without it, its default region) in its own
 * account and in each account it reaches through a role (`VPC_ACCOUNT_ROLE_ARNS`). The audit input is
 * `{ "action": "audit" }`, optionally with `"region"` (only that region).
 */
import type { VpcEndpointView } from '#aws/vpc-endpoints';
import { type FieldIssue, InvalidRequestError } from '#core/errors';
import { isSupportedAwsRegion } from '#core/regions';
import type { EndpointKind, WorkflowRequest } from '#core/state';
import {
  TAG_ATLAS_GROUP_ID,
  TAG_ATLAS_INSTANCE_NAME,
  TAG_ATLAS_KIND,
  TAG_MANAGED_BY,
  TAG_REQUEST_ID,
} from '#core/tags';
import type { Environment } from '#workflow/config';
import { AUDIT_ACTION, type AuditPlan, type RefusedResource } from '#workflow/lifecycle';
import type { RequestDefaults } from '#workflow/request';
import type { ListConnectionsInput } from '#workflow/steps';
import { loadDeploymentTargets } from '#workflow/targets';
import type { StepDeps } from './common.ts';

const AUDIT_FIELDS = ['action', 'region'];

/** The regions the audit input asks for (its `region`, else every allowed one), or InvalidRequest. */
function auditRegions(
  input: unknown,
  defaults: RequestDefaults,
  allowed: readonly string[] | undefined,
): string[] {
  const issues: FieldIssue[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidRequestError([{ field: '(input)', problem: 'expected {"action": "audit"}' }]);
  }
  const raw = input as Record<string, unknown>;
  if (raw.action !== AUDIT_ACTION) {
    issues.push({ field: 'action', problem: `expected "${AUDIT_ACTION}"` });
  }
  for (const key of Object.keys(raw)) {
    if (!AUDIT_FIELDS.includes(key)) {
      issues.push({
        field: key,
        problem: `is not a field of the audit input; expected only ${AUDIT_FIELDS.join(', ')}`,
      });
    }
  }
  const regions = raw.region !== undefined ? [raw.region] : (allowed ?? [defaults.region]);
  const region = regions.find((r) => typeof r !== 'string' || !isSupportedAwsRegion(r)) ?? regions[0];
  if (typeof region !== 'string' || !isSupportedAwsRegion(region)) {
    issues.push({
      field: 'region',
      problem:
        region === undefined
          ? 'is required (no deployment default region is set)'
          : 'expected an AWS region name that MongoDB Atlas supports, e.g. "us-east-1"',
    });
  }
  if (typeof raw.region === 'string' && allowed !== undefined && !allowed.includes(raw.region)) {
    issues.push({
      field: 'region',
      problem: `is not one of the regions this deployment allows (${allowed.join(', ')})`,
    });
  }
  if (issues.length > 0) throw new InvalidRequestError(issues);
  return regions as string[];
}

export async function listConnections(
  input: ListConnectionsInput,
  deps: Pick<StepDeps, 'vpcEndpoints' | 'managedBy' | 'logger'> & {
    readonly defaults: RequestDefaults;
    readonly env: Environment;
  },
): Promise<AuditPlan> {
  const { targets } = loadDeploymentTargets(deps.env);
  const regions = auditRegions(input.input, deps.defaults, targets.allowedRegions);
  // The workflow's own account, then each account it reaches through a role.
  const accounts: (string | undefined)[] = [undefined, ...targets.vpcAccountRoles.keys()];
  const found: { vpce: VpcEndpointView; region: string; vpcAccountId: string | undefined }[] = [];
  for (const region of regions) {
    for (const vpcAccountId of accounts) {
      const where = vpcAccountId === undefined ? { region } : { region, vpcAccountId };
      const endpoints = await deps
        .vpcEndpoints(where)
        .findVpcEndpoints({ tags: { [TAG_MANAGED_BY]: deps.managedBy }, includeGone: true });
      for (const vpce of endpoints) found.push({ vpce, region, vpcAccountId });
    }
  }

  const connections = new Map<string, { request: WorkflowRequest }>();
  const unidentified: RefusedResource[] = [];
  for (const { vpce, region, vpcAccountId } of found) {
    const kind = vpce.tags[TAG_ATLAS_KIND];
    const groupId = vpce.tags[TAG_ATLAS_GROUP_ID];
    const instanceName = vpce.tags[TAG_ATLAS_INSTANCE_NAME];
    const requestId = vpce.tags[TAG_REQUEST_ID];
    if ((kind !== 'serverless' && kind !== 'dedicated') || !groupId || !instanceName || !requestId) {
      unidentified.push({
        type: 'vpc-endpoint',
        id: vpce.vpcEndpointId,
        reason: `carries this deployment's managed-by tag, but not the kind, project, instance and request id tags of a connection`,
      });
      continue;
    }
    const key = JSON.stringify([
      region,
      vpcAccountId ?? '',
      vpce.vpcId,
      kind,
      groupId,
      instanceName,
      requestId,
    ]);
    if (connections.has(key)) continue;
    connections.set(key, {
      request: {
        action: 'check',
        kind: kind as EndpointKind,
        groupId,
        instanceName,
        vpcId: vpce.vpcId,
        subnetIds: [],
        securityGroupIds: [],
        region,
        ...(vpcAccountId === undefined ? {} : { vpcAccountId }),
        privateDnsEnabled: false,
        tags: {},
        requestId,
        rollbackOnFailure: false,
        lookup: { requestId },
      },
    });
  }
  deps.logger.info('Listed the connections to audit', {
    regions,
    accounts: accounts.map((a) => a ?? 'own'),
    connections: connections.size,
    unidentified: unidentified.map((u) => u.id),
  });
  return { region: regions.join(','), connections: [...connections.values()], unidentified };
}
