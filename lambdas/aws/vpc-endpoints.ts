/**
 * EC2 interface VPC endpoint operations used by the workflow.
 *
 * Every method returns plain JSON views (no SDK classes, no Dates) so results can go straight into
 * the state record, and throws only the workflow's named errors for AWS failures (see ./errors.ts).
 *
 * Semantics chosen here:
 * - `describeVpcEndpoint(id)` returns `undefined` when EC2 says the id does not exist
 *   (InvalidVpcEndpointId.NotFound / InvalidVpcEndpoint.NotFound) or lists nothing for it. An
 *   endpoint EC2 still shows in state `deleted` (AWS keeps such tombstones visible for a while) is
 *   returned as a view with that state; use `isVpcEndpointGone()` to treat both alike. A malformed
 *   id is a rejected request (AwsRequestRejectedError), not "gone".
 * - `findVpcEndpoints()` skips endpoints that are `deleting` or `deleted` (unless asked for them, as the
 *   delete and check actions do: a tombstone's tags still prove whose the endpoint was). Without a `vpcId`
 *   it searches the whole region (the scheduled audit).
 * - `tagVpcEndpoint()` (CreateTags) writes tags on an existing endpoint: a repair restores the tags the
 *   workflow wrote when someone changed them.
 * - `deleteVpcEndpoint(id)` is idempotent: an unknown or already-deleted id is success.
 * - `createInterfaceEndpoint()` sends a ClientToken derived from its `idempotencyKey` (the workflow passes
 *   the execution's ARN) and the endpoint service name, so every retry inside one execution (a retried
 *   Lambda, a create whose answer was lost) returns the same endpoint instead of creating a second one,
 *   while a new execution of the same request (a re-run after a rollback) is never handed back an endpoint
 *   an earlier one made and deleted: re-runs converge through the tag look-up (validate-request) instead.
 *   It always sends `PrivateDnsEnabled` (EC2's own default for interface endpoints is true, which Atlas
 *   endpoint services refuse).
 * - `checkNetwork()` returns request issues (not errors) so validate-request can list them with the
 *   schema's issues in one InvalidRequest.
 */
import { createHash } from 'node:crypto';
import {
  CreateTagsCommand,
  CreateVpcEndpointCommand,
  DeleteVpcEndpointsCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcsCommand,
  type EC2Client,
  type Filter,
  type Tag,
  type UnsuccessfulItem,
  type VpcEndpoint,
} from '@aws-sdk/client-ec2';
import { type AwsErrorContext, isVpcEndpointNotFound, rejectedByAws, toAwsWorkflowError } from '#aws/errors';
import { AwsRequestRejectedError, AwsTransientError, type FieldIssue } from '#core/errors';
import type { EndpointKind } from '#core/state';
import {
  TAG_ATLAS_CREATED,
  TAG_ATLAS_ENDPOINT_ID,
  TAG_ATLAS_GROUP_ID,
  TAG_ATLAS_INSTANCE_NAME,
  TAG_ATLAS_KIND,
  TAG_MANAGED_BY,
  TAG_NAME,
  TAG_REQUEST_ID,
  WORKFLOW_TAG_KEYS,
} from '#core/tags';

/** EC2's limit for ClientToken. */
export const CLIENT_TOKEN_MAX_LENGTH = 64;

/** The part of an endpoint service name that names the service within its region. */
const SERVICE_ID = /^com\.amazonaws\.vpce\.[a-z0-9-]+\.(vpce-svc-[0-9a-f]+)$/;

/**
 * The ClientToken for creating the VPC endpoint of attempt `key` (the workflow: the execution ARN) to endpoint
 * service `serviceName`.
 *
 * Deterministic, so every retry of the same attempt to the same service sends the same token (EC2 then
 * returns the endpoint it already made instead of a second one). The service is part of it because an
 * attempt whose Atlas side was replaced needs an endpoint to the new service: with the key alone EC2 would
 * refuse the create (IdempotentParameterMismatch). A new attempt (a new execution) gets a new token, so EC2
 * never hands it an endpoint an earlier attempt made and its rollback deleted (EC2 keeps tokens for a while).
 *
 * Readable when it fits: `<key>:<vpce-svc-…>` (the service id, which holds no `:`; the region is the EC2
 * client's, and `createInterfaceEndpoint` refuses a service in another region), when that is at most 64
 * printable ASCII characters. Otherwise (an execution ARN never fits, or a service name of another shape) the
 * SHA-256 hex, exactly 64 characters, of the UTF-8 JSON `[key, serviceName]`. Within a region, distinct (key,
 * service) pairs get distinct tokens: a readable token splits at its last `:`, and it is never 64 hex digits.
 */
export function clientTokenFor(key: string, serviceName: string): string {
  if (key.length === 0) throw new RangeError('the idempotency key must not be empty');
  if (serviceName.length === 0) throw new RangeError('serviceName must not be empty');
  const service = SERVICE_ID.exec(serviceName)?.[1];
  if (service !== undefined) {
    const readable = `${key}:${service}`;
    if (readable.length <= CLIENT_TOKEN_MAX_LENGTH && /^[\x20-\x7e]+$/.test(readable)) return readable;
  }
  return createHash('sha256')
    .update(JSON.stringify([key, serviceName]), 'utf8')
    .digest('hex');
}

/** EC2 VPC endpoint state, normalized to lower camel case (`pendingAcceptance`, `available`, …). */
export type VpcEndpointState =
  | 'pendingAcceptance'
  | 'pending'
  | 'available'
  | 'deleting'
  | 'deleted'
  | 'rejected'
  | 'failed'
  | 'expired'
  | 'partial'
  | (string & {});

export interface DnsEntryView {
  readonly dnsName: string;
  readonly hostedZoneId?: string;
}

/** A VPC endpoint as plain JSON. */
export interface VpcEndpointView {
  readonly vpcEndpointId: string;
  readonly state: VpcEndpointState;
  readonly serviceName: string;
  readonly vpcId: string;
  readonly vpcEndpointType: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly privateDnsEnabled: boolean;
  readonly dnsEntries: readonly DnsEntryView[];
  readonly tags: Readonly<Record<string, string>>;
  /** ISO timestamp, when EC2 reports one. */
  readonly createdAt?: string;
  /** EC2's last error for the endpoint (e.g. why it failed), when it reports one. */
  readonly lastError?: { readonly code: string; readonly message: string };
}

/** The Atlas side the endpoint belongs to; written as tags. */
export interface AtlasTagIds {
  readonly kind: EndpointKind;
  readonly groupId: string;
  readonly instanceName: string;
  /** Serverless: the Atlas endpoint `_id`. Dedicated: the endpoint service id. */
  readonly atlasEndpointId: string;
  /** True when the same request also created that Atlas side (written as `TAG_ATLAS_CREATED`). */
  readonly created: boolean;
}

export interface CreateInterfaceEndpointInput {
  /** `com.amazonaws.vpce.<region>.vpce-svc-…`, from Atlas. */
  readonly serviceName: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly privateDnsEnabled: boolean;
  /** The request's own tags. Workflow tag keys in here are overwritten by the workflow's values. */
  readonly tags: Readonly<Record<string, string>>;
  /** Value of the managed-by tag (the deployment's identity; IAM conditions compare it). */
  readonly managedBy: string;
  readonly atlas: AtlasTagIds;
  /** The request id, written as a tag (the re-run look-up finds the request's endpoints by it). */
  readonly requestId: string;
  /**
   * Derives the ClientToken (with `serviceName`): one value per attempt, stable across its retries (the
   * workflow passes the execution ARN). @default requestId
   */
  readonly idempotencyKey?: string;
}

export interface FindVpcEndpointsInput {
  /** Only endpoints of this VPC. @default - every VPC of the region */
  readonly vpcId?: string;
  readonly serviceName?: string;
  /** Only endpoints carrying all these tags (exact values). */
  readonly tags?: Readonly<Record<string, string>>;
  /** Also endpoints that are `deleting` or `deleted` (tombstones EC2 still lists). @default false */
  readonly includeGone?: boolean;
}

export interface DeleteVpcEndpointResult {
  readonly vpcEndpointId: string;
  /** `deleting`: EC2 accepted the deletion. `not-found`: nothing to delete (already gone or unknown). */
  readonly outcome: 'deleting' | 'not-found';
}

export interface CheckNetworkInput {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
}

/** The operations the handlers use; implemented by `Ec2VpcEndpoints`. */
export interface VpcEndpointOperations {
  /**
   * Checks, before anything is created, that the VPC exists, that every subnet and security group exists
   * and belongs to it, and that the subnets sit in distinct Availability Zones. Returns request issues (field paths
   * such as `subnetIds[1]`) for validate-request to report in its InvalidRequest; empty when all is well.
   */
  checkNetwork(input: CheckNetworkInput): Promise<FieldIssue[]>;
  createInterfaceEndpoint(input: CreateInterfaceEndpointInput): Promise<VpcEndpointView>;
  describeVpcEndpoint(vpcEndpointId: string): Promise<VpcEndpointView | undefined>;
  findVpcEndpoints(input: FindVpcEndpointsInput): Promise<VpcEndpointView[]>;
  deleteVpcEndpoint(vpcEndpointId: string): Promise<DeleteVpcEndpointResult>;
  /** Writes `tags` (CreateTags: added or overwritten, others kept) on an existing endpoint. */
  tagVpcEndpoint(vpcEndpointId: string, tags: Readonly<Record<string, string>>): Promise<void>;
}

/** States in which an endpoint no longer exists for practical purposes. */
const GONE_STATES: ReadonlySet<string> = new Set(['deleting', 'deleted']);

/** True when the endpoint does not exist or is being / has been deleted. */
export function isVpcEndpointGone(view: VpcEndpointView | undefined): boolean {
  return view === undefined || GONE_STATES.has(view.state);
}

/** `PendingAcceptance` / `pendingAcceptance` -> `pendingAcceptance`. */
export function normalizeState(state: string | undefined): VpcEndpointState {
  if (state === undefined || state === '') return 'unknown';
  return state.charAt(0).toLowerCase() + state.slice(1);
}

/** The region inside an endpoint service name (`com.amazonaws.vpce.us-east-1.vpce-svc-…` -> `us-east-1`). */
export function serviceNameRegion(serviceName: string): string | undefined {
  return /^com\.amazonaws\.vpce\.([a-z0-9-]+)\.vpce-svc-[0-9a-f]+$/.exec(serviceName)?.[1];
}

/**
 * The full tag set written on a new endpoint: a default Name, the request tags, then the workflow's own tags
 * (`WORKFLOW_TAG_KEYS`, in that order, always last; a request tag with one of those keys is replaced).
 */
export function endpointTags(input: CreateInterfaceEndpointInput): Record<string, string> {
  // A Map (not property assignment) so that any key, even "__proto__", is kept as data.
  const tags = new Map<string, string>();
  if (!Object.hasOwn(input.tags, TAG_NAME)) tags.set(TAG_NAME, `atlas-${input.atlas.instanceName}`);
  const workflowKeys: ReadonlySet<string> = new Set(WORKFLOW_TAG_KEYS);
  for (const [key, value] of Object.entries(input.tags)) if (!workflowKeys.has(key)) tags.set(key, value);
  tags.set(TAG_MANAGED_BY, input.managedBy);
  tags.set(TAG_REQUEST_ID, input.requestId);
  tags.set(TAG_ATLAS_KIND, input.atlas.kind);
  tags.set(TAG_ATLAS_GROUP_ID, input.atlas.groupId);
  tags.set(TAG_ATLAS_INSTANCE_NAME, input.atlas.instanceName);
  tags.set(TAG_ATLAS_ENDPOINT_ID, input.atlas.atlasEndpointId);
  tags.set(TAG_ATLAS_CREATED, String(input.atlas.created));
  return Object.fromEntries(tags);
}

/** Converts an SDK VpcEndpoint into the plain view. */
export function toVpcEndpointView(endpoint: VpcEndpoint): VpcEndpointView {
  const tags = Object.fromEntries(
    (endpoint.Tags ?? []).flatMap((tag) => (tag.Key === undefined ? [] : [[tag.Key, tag.Value ?? '']])),
  );
  const dnsEntries: DnsEntryView[] = (endpoint.DnsEntries ?? [])
    .filter((d) => d.DnsName !== undefined)
    .map((d) =>
      d.HostedZoneId ? { dnsName: d.DnsName!, hostedZoneId: d.HostedZoneId } : { dnsName: d.DnsName! },
    );
  const view: {
    -readonly [K in keyof VpcEndpointView]: VpcEndpointView[K];
  } = {
    vpcEndpointId: endpoint.VpcEndpointId ?? '',
    state: normalizeState(endpoint.State),
    serviceName: endpoint.ServiceName ?? '',
    vpcId: endpoint.VpcId ?? '',
    vpcEndpointType: endpoint.VpcEndpointType ?? '',
    subnetIds: [...(endpoint.SubnetIds ?? [])],
    securityGroupIds: (endpoint.Groups ?? []).flatMap((g) => (g.GroupId ? [g.GroupId] : [])),
    privateDnsEnabled: endpoint.PrivateDnsEnabled ?? false,
    dnsEntries,
    tags,
  };
  if (endpoint.CreationTimestamp !== undefined) view.createdAt = endpoint.CreationTimestamp.toISOString();
  if (endpoint.LastError?.Code !== undefined || endpoint.LastError?.Message !== undefined) {
    view.lastError = { code: endpoint.LastError.Code ?? '', message: endpoint.LastError.Message ?? '' };
  }
  return view;
}

export interface Ec2VpcEndpointsOptions {
  /** MaxResults per DescribeVpcEndpoints page in `findVpcEndpoints`. @default 100 */
  readonly pageSize?: number;
}

/** The workflow's VPC endpoint operations over one EC2 client. */
export class Ec2VpcEndpoints implements VpcEndpointOperations {
  private readonly pageSize: number;

  constructor(
    private readonly ec2: EC2Client,
    options: Ec2VpcEndpointsOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 100;
  }

  async checkNetwork(input: CheckNetworkInput): Promise<FieldIssue[]> {
    const issues: FieldIssue[] = [];
    // Filters (not id lists) so that unknown ids simply come back missing instead of failing the call.
    const subnetIds = [...new Set(input.subnetIds)];
    const groupIds = [...new Set(input.securityGroupIds)];
    const [vpcs, subnets, groups] = await Promise.all([
      guarded({ operation: 'DescribeVpcs', vpcId: input.vpcId }, () =>
        this.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'vpc-id', Values: [input.vpcId] }] })),
      ).then((r) => r.Vpcs ?? []),
      subnetIds.length === 0
        ? []
        : guarded({ operation: 'DescribeSubnets', vpcId: input.vpcId }, () =>
            this.ec2.send(
              new DescribeSubnetsCommand({ Filters: [{ Name: 'subnet-id', Values: subnetIds }] }),
            ),
          ).then((r) => r.Subnets ?? []),
      groupIds.length === 0
        ? []
        : guarded({ operation: 'DescribeSecurityGroups', vpcId: input.vpcId }, () =>
            this.ec2.send(
              new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: groupIds }] }),
            ),
          ).then((r) => r.SecurityGroups ?? []),
    ]);
    const region = await this.ec2.config.region();
    // A VPC that does not exist: say so, rather than that every subnet "belongs to another VPC".
    const vpcExists = vpcs.some((v) => v.VpcId === input.vpcId);
    if (!vpcExists) {
      issues.push({
        field: 'vpcId',
        problem: `there is no VPC "${input.vpcId}" in this account in ${region}`,
      });
    }

    const zoneOwner = new Map<string, number>();
    input.subnetIds.forEach((id, index) => {
      const field = `subnetIds[${index}]`;
      const subnet = subnets.find((s) => s.SubnetId === id);
      if (subnet === undefined) {
        issues.push({ field, problem: `subnet "${id}" does not exist in this account in ${region}` });
      } else if (subnet.VpcId !== input.vpcId) {
        if (vpcExists)
          issues.push({ field, problem: `subnet "${id}" belongs to ${subnet.VpcId}, not to ${input.vpcId}` });
      } else if (subnet.AvailabilityZone !== undefined) {
        const first = zoneOwner.get(subnet.AvailabilityZone);
        if (first === undefined) zoneOwner.set(subnet.AvailabilityZone, index);
        else if (input.subnetIds[first] !== id)
          issues.push({
            field,
            problem:
              `subnet "${id}" is in ${subnet.AvailabilityZone}, like subnetIds[${first}]; ` +
              'expected one subnet per Availability Zone',
          });
      }
    });
    input.securityGroupIds.forEach((id, index) => {
      const field = `securityGroupIds[${index}]`;
      const group = groups.find((g) => g.GroupId === id);
      if (group === undefined) {
        issues.push({ field, problem: `security group "${id}" does not exist in this account in ${region}` });
      } else if (group.VpcId !== input.vpcId && vpcExists) {
        issues.push({
          field,
          problem: `security group "${id}" belongs to ${group.VpcId}, not to ${input.vpcId}`,
        });
      }
    });
    return issues;
  }

  async createInterfaceEndpoint(input: CreateInterfaceEndpointInput): Promise<VpcEndpointView> {
    const context: AwsErrorContext = {
      operation: 'CreateVpcEndpoint',
      serviceName: input.serviceName,
      vpcId: input.vpcId,
    };
    // The endpoint service must live in the client's region; EC2 would only say "InvalidServiceName".
    const serviceRegion = serviceNameRegion(input.serviceName);
    const clientRegion = await this.ec2.config.region();
    if (serviceRegion !== undefined && serviceRegion !== clientRegion) {
      throw new AwsRequestRejectedError(
        `Endpoint service ${input.serviceName} is in ${serviceRegion}, but the EC2 client works in ${clientRegion}: ` +
          'the VPC endpoint must be created in the region of the endpoint service',
        { details: { ...context, serviceRegion, clientRegion } },
      );
    }
    const tags: Tag[] = Object.entries(endpointTags(input)).map(([Key, Value]) => ({ Key, Value }));
    const response = await guarded(context, () =>
      this.ec2.send(
        new CreateVpcEndpointCommand({
          VpcEndpointType: 'Interface',
          VpcId: input.vpcId,
          ServiceName: input.serviceName,
          SubnetIds: [...input.subnetIds],
          SecurityGroupIds: [...input.securityGroupIds],
          PrivateDnsEnabled: input.privateDnsEnabled,
          ClientToken: clientTokenFor(input.idempotencyKey ?? input.requestId, input.serviceName),
          TagSpecifications: [{ ResourceType: 'vpc-endpoint', Tags: tags }],
        }),
      ),
    );
    if (response.VpcEndpoint?.VpcEndpointId === undefined) {
      // Nothing usable came back; the same ClientToken makes a retry safe.
      throw new AwsTransientError('EC2 CreateVpcEndpoint answered without a VPC endpoint', {
        details: { operation: context.operation, serviceName: input.serviceName, vpcId: input.vpcId },
      });
    }
    return toVpcEndpointView(response.VpcEndpoint);
  }

  async describeVpcEndpoint(vpcEndpointId: string): Promise<VpcEndpointView | undefined> {
    const context: AwsErrorContext = { operation: 'DescribeVpcEndpoints', vpcEndpointId };
    let endpoints: VpcEndpoint[];
    try {
      const response = await this.ec2.send(
        new DescribeVpcEndpointsCommand({ VpcEndpointIds: [vpcEndpointId] }),
      );
      endpoints = response.VpcEndpoints ?? [];
    } catch (error) {
      if (isVpcEndpointNotFound(error)) return undefined;
      throw toAwsWorkflowError(error, context);
    }
    const found = endpoints.find((e) => e.VpcEndpointId === vpcEndpointId);
    return found === undefined ? undefined : toVpcEndpointView(found);
  }

  async findVpcEndpoints(input: FindVpcEndpointsInput): Promise<VpcEndpointView[]> {
    const context: AwsErrorContext = {
      operation: 'DescribeVpcEndpoints',
      ...(input.vpcId === undefined ? {} : { vpcId: input.vpcId }),
      ...(input.serviceName === undefined ? {} : { serviceName: input.serviceName }),
    };
    const filters: Filter[] = input.vpcId === undefined ? [] : [{ Name: 'vpc-id', Values: [input.vpcId] }];
    if (input.serviceName !== undefined) filters.push({ Name: 'service-name', Values: [input.serviceName] });
    for (const [key, value] of Object.entries(input.tags ?? {}))
      filters.push({ Name: `tag:${key}`, Values: [value] });

    const views: VpcEndpointView[] = [];
    let nextToken: string | undefined;
    const seenTokens = new Set<string>();
    do {
      const token = nextToken;
      const response = await guarded(context, () =>
        this.ec2.send(
          new DescribeVpcEndpointsCommand({ Filters: filters, MaxResults: this.pageSize, NextToken: token }),
        ),
      );
      for (const endpoint of response.VpcEndpoints ?? []) views.push(toVpcEndpointView(endpoint));
      nextToken = response.NextToken || undefined;
      if (nextToken !== undefined) {
        if (seenTokens.has(nextToken)) break; // a server repeating itself must not loop us forever
        seenTokens.add(nextToken);
      }
    } while (nextToken !== undefined);

    // EC2 applied the filters; re-check them so a lenient server cannot hand back a foreign endpoint.
    return views.filter(
      (v) =>
        (input.includeGone === true || !GONE_STATES.has(v.state)) &&
        (input.vpcId === undefined || v.vpcId === input.vpcId) &&
        (input.serviceName === undefined || v.serviceName === input.serviceName) &&
        Object.entries(input.tags ?? {}).every(([k, value]) => v.tags[k] === value),
    );
  }

  async deleteVpcEndpoint(vpcEndpointId: string): Promise<DeleteVpcEndpointResult> {
    const context: AwsErrorContext = { operation: 'DeleteVpcEndpoints', vpcEndpointId };
    let unsuccessful: UnsuccessfulItem[];
    try {
      const response = await this.ec2.send(
        new DeleteVpcEndpointsCommand({ VpcEndpointIds: [vpcEndpointId] }),
      );
      unsuccessful = response.Unsuccessful ?? [];
    } catch (error) {
      if (isVpcEndpointNotFound(error)) return { vpcEndpointId, outcome: 'not-found' };
      throw toAwsWorkflowError(error, context);
    }
    const failure = unsuccessful.find((u) => u.ResourceId === undefined || u.ResourceId === vpcEndpointId);
    if (failure === undefined) return { vpcEndpointId, outcome: 'deleting' };
    const code = failure.Error?.Code ?? 'Unknown';
    if (isVpcEndpointNotFound({ Code: code })) return { vpcEndpointId, outcome: 'not-found' };
    throw rejectedByAws(context, code, failure.Error?.Message ?? 'no message');
  }

  async tagVpcEndpoint(vpcEndpointId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    const entries = Object.entries(tags);
    if (entries.length === 0) return;
    await guarded({ operation: 'CreateTags', vpcEndpointId }, () =>
      this.ec2.send(
        new CreateTagsCommand({
          Resources: [vpcEndpointId],
          Tags: entries.map(([Key, Value]) => ({ Key, Value })),
        }),
      ),
    );
  }
}

/** Runs one EC2 call and converts its failure into a workflow error. */
async function guarded<T>(context: AwsErrorContext, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toAwsWorkflowError(error, context);
  }
}
