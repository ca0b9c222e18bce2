/**
 * inspect-connection: the `delete` and `check` actions (and each connection of the scheduled audit) start
 * here. It reads both sides of the connection the request names and changes nothing.
 *
 * 1. Find the connection (see lambdas/workflow/lifecycle.ts for the rules): the VPC endpoints of the target
 *    carrying this deployment's managed-by tag, tombstones included (their tags still prove whose a deleted
 *    endpoint was), narrowed by the ids the request names; the Atlas side the endpoint's tags name; the link;
 *    the private connection string.
 * 2. Decide what belongs to the connection (`owned`) and report what does not (`refused`).
 * 3. Report: status, drift, each side (the `check` output, also in the drift event).
 * 4. Plan, in the record the definition carries on:
 *    - `delete`: `atlas`, `vpcEndpoint` and `link`, with `created: true` for what belongs to the connection:
 *      the compensation steps (./cleanup.ts) then delete exactly those, in their order, and wait until gone;
 *    - `check` with `repair`: the same for the broken parts that stand in the way of a healthy connection
 *      (removed first, by the same steps), and which parts prepare-repair should try to keep (./repair.ts). A
 *      broken part that is not provably the connection's blocks the repair: the record then carries a
 *      ResourceConflict as `error`, and the definition fails the execution with it after publishing the drift.
 *
 * A plain `check` (no `repair`) takes no target lease (it changes nothing, and a check must not hold up a
 * create). It reads the lease instead, before and after it looks at both sides: when another execution holds
 * it (creating, deleting or repairing this target), what the check saw may be half done, so it reports
 * `IN_PROGRESS` naming that execution, with no drift (and so no drift event). A `delete` and a repair hold the
 * lease themselves (validate-request took it), so nothing else changes the target while they look.
 *
 * The record's `request.requestId` becomes the connection's request id (the one its tags carry): a delete or
 * check started from the console or EventBridge runs under another execution name than the create did, and
 * the ownership checks of the cleanup compare the tags with `request.requestId`.
 */
import type { AtlasEndpointView, LinkView } from '#atlas/endpoint-kind';
import type { LeaseRecord } from '#aws/leases';
import { isVpcEndpointGone, type VpcEndpointView } from '#aws/vpc-endpoints';
import { ErrorNames, ResourceConflictError } from '#core/errors';
import type { AtlasSide, ConnectionSide, LinkSide, VpcEndpointSide, WorkflowRequest } from '#core/state';
import {
  TAG_ATLAS_CREATED,
  TAG_ATLAS_ENDPOINT_ID,
  TAG_ATLAS_GROUP_ID,
  TAG_ATLAS_INSTANCE_NAME,
  TAG_ATLAS_KIND,
  TAG_MANAGED_BY,
  TAG_REQUEST_ID,
} from '#core/tags';
import type { ResourceRef } from '#workflow/events';
import type {
  CheckOutput,
  ConnectionInspection,
  ConnectionStatus,
  Drift,
  RefusedResource,
  RepairPlan,
} from '#workflow/lifecycle';
import type { CaughtError, WorkflowState } from '#workflow/steps';
import {
  atlasCall,
  atlasResourceType,
  atlasSideLabel,
  instanceLabel,
  requestKeys,
  type StepDeps,
  targetOf,
  toAtlasSide,
  toVpcEndpointSide,
} from './common.ts';
import { targetHolder } from './lease.ts';

/** EC2 states of a VPC endpoint that can never carry traffic again. */
const DEAD_STATES = new Set(['rejected', 'failed', 'expired']);

/** What the look-up found, with the ownership of each part. */
export interface FoundConnection {
  /** The request, with the connection's request id. */
  readonly request: WorkflowRequest;
  readonly vpce: VpcEndpointView | undefined;
  readonly vpceOwned: boolean;
  /**
   * Dedicated: the VPC endpoint is another request's connection from this VPC, which serves this cluster too
   * (adopted as shared by this request's create): not this connection's, and not drift either.
   */
  readonly shared?: boolean;
  readonly atlas: AtlasEndpointView | undefined;
  readonly atlasOwned: boolean;
  /** Undefined when there is no VPC endpoint or no live Atlas side to be linked. */
  readonly link: LinkView | undefined;
  /** Null when looked for and not found; undefined when not looked for (the link is not AVAILABLE). */
  readonly connection: ConnectionSide | null | undefined;
  /**
   * The deployment's `stateName` when the connection string was looked for: UPDATING while Atlas applies a
   * private endpoint (the string comes after), IDLE once it is done; `DELETED` when the deployment is gone.
   */
  readonly deploymentState?: string;
  /** Regions of a multi-region cluster that still need a private endpoint before Atlas publishes the string. */
  readonly pendingRegions: readonly string[];
  /** Dedicated: interface endpoints of other VPC endpoints on the endpoint service. */
  readonly otherLinks: readonly string[];
  readonly refused: readonly RefusedResource[];
  /** Tags of an owned VPC endpoint that differ from what the workflow wrote or the request asks for. */
  readonly tagProblems: readonly string[];
}

function vpceRef(id: string): ResourceRef {
  return { type: 'vpc-endpoint', id };
}

function linkRef(request: WorkflowRequest, atlasId: string, vpcEndpointId: string): ResourceRef {
  return request.kind === 'dedicated'
    ? { type: 'atlas-interface-endpoint', id: vpcEndpointId }
    : { type: 'atlas-serverless-endpoint', id: atlasId };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** Newest first (EC2 creation time), so a later replacement wins over an older tombstone. */
function newestFirst(a: VpcEndpointView, b: VpcEndpointView): number {
  return (b.createdAt ?? '').localeCompare(a.createdAt ?? '');
}

/**
 * Picks the connection's VPC endpoint among the candidates: a live one before a tombstone. Several live ones
 * of different requests for one target (two connections) need the request to name which.
 */
function pickVpcEndpoint(
  candidates: readonly VpcEndpointView[],
  request: WorkflowRequest,
): VpcEndpointView | undefined {
  const live = candidates.filter((v) => !isVpcEndpointGone(v)).sort(newestFirst);
  const requestIds = new Set(live.map((v) => v.tags[TAG_REQUEST_ID]));
  if (live.length > 1 && requestIds.size > 1) {
    const own = live.filter((v) => v.tags[TAG_REQUEST_ID] === request.requestId);
    if (own.length > 0) return own[0];
    throw new ResourceConflictError(
      `${live.length} connections of this deployment exist for the ${instanceLabel(request)} in project ` +
        `${request.groupId} and ${request.vpcId}: ${live
          .map((v) => `${v.vpcEndpointId} (request ${v.tags[TAG_REQUEST_ID] ?? 'unknown'})`)
          .join(', ')}. Name the one meant with "vpcEndpointId" or "requestId" (a create's output has both).`,
      { details: { vpcEndpointIds: live.map((v) => v.vpcEndpointId) } },
    );
  }
  if (live.length > 0) return live[0];
  return [...candidates].sort(newestFirst)[0];
}

/** Why a VPC endpoint the request points at is not provably the connection's, or undefined when it is. */
function vpceNotOwnedReason(
  vpce: VpcEndpointView,
  request: WorkflowRequest,
  managedBy: string,
): string | undefined {
  const managed = vpce.tags[TAG_MANAGED_BY];
  if (managed !== managedBy) {
    return `it is not tagged ${TAG_MANAGED_BY}=<this deployment> (found ${managed === undefined ? 'no such tag' : `"${managed}"`})`;
  }
  const requestId = nonEmpty(vpce.tags[TAG_REQUEST_ID]);
  if (requestId === undefined) return `its ${TAG_REQUEST_ID} tag is missing`;
  const named = request.lookup?.requestId;
  if (named !== undefined && requestId !== named) {
    return `it belongs to request ${requestId}, not to the request id ${named} the request names`;
  }
  // Dedicated: one VPC endpoint serves every cluster of the project in the region (facts §10); a request for
  // another cluster that adopted it as shared must not remove it (only the request that made it may).
  const madeFor = vpce.tags[TAG_ATLAS_INSTANCE_NAME];
  if (request.kind === 'dedicated' && madeFor !== undefined && madeFor !== request.instanceName) {
    return (
      `it was made for cluster ${madeFor} (request ${requestId}) and is shared by the project's clusters in ` +
      'the region; only that request deletes it'
    );
  }
  return undefined;
}

/**
 * Dedicated: the live VPC endpoint of the request's VPC to the project's endpoint service of the region that
 * the service lists as an interface endpoint (facts §10: it serves every dedicated cluster of the project
 * there), whoever made it; validate-request adopts the same one as shared. Undefined when there is none.
 */
async function sharedVpcEndpoint(
  request: WorkflowRequest,
  deps: Pick<StepDeps, 'atlas' | 'vpcEndpoints'>,
): Promise<VpcEndpointView | undefined> {
  const service = await atlasCall(request.kind, () =>
    deps.atlas(request.kind).findExisting(targetOf(request)),
  );
  if (service === undefined || service.endpointServiceName === null) return undefined;
  if (service.status === 'gone' || service.status === 'deleting') return undefined;
  const found = await deps
    .vpcEndpoints(request)
    .findVpcEndpoints({ vpcId: request.vpcId, serviceName: service.endpointServiceName });
  return found
    .filter((v) => !isVpcEndpointGone(v) && !DEAD_STATES.has(v.state))
    .find((v) => service.linkedVpcEndpointIds.includes(v.vpcEndpointId));
}

/** Looks both sides up. Throws ResourceConflict when the target has several connections and none is named. */
export async function findConnection(
  request: WorkflowRequest,
  deps: Pick<StepDeps, 'atlas' | 'vpcEndpoints' | 'managedBy'>,
): Promise<FoundConnection> {
  const lookup = request.lookup ?? {};
  const ops = deps.vpcEndpoints(request);
  const refused: RefusedResource[] = [];

  // 1. The VPC endpoint.
  // ASSUMPTION: EC2 keeps listing a deleted VPC endpoint (state `deleted`, tags intact) for a while, as the
  // simulator does for 10 minutes; no source gives the period. Within it, a tombstone's tags prove whose the
  // endpoint was, so the interface endpoint it leaves behind can be removed; after it, that proof is gone.
  const tagged = await ops.findVpcEndpoints({
    vpcId: request.vpcId,
    tags: {
      [TAG_MANAGED_BY]: deps.managedBy,
      [TAG_ATLAS_KIND]: request.kind,
      [TAG_ATLAS_GROUP_ID]: request.groupId,
      [TAG_ATLAS_INSTANCE_NAME]: request.instanceName,
    },
    includeGone: true,
  });
  let candidates = tagged;
  if (lookup.vpcEndpointId !== undefined) {
    candidates = tagged.filter((v) => v.vpcEndpointId === lookup.vpcEndpointId);
    if (candidates.length === 0) {
      const named = await ops.describeVpcEndpoint(lookup.vpcEndpointId);
      if (named !== undefined && named.vpcId === request.vpcId) candidates = [named];
    }
  } else if (lookup.requestId !== undefined) {
    candidates = tagged.filter((v) => v.tags[TAG_REQUEST_ID] === lookup.requestId);
  }
  let shared: VpcEndpointView | undefined;
  if (
    request.kind === 'dedicated' &&
    lookup.vpcEndpointId === undefined &&
    !candidates.some((v) => !isVpcEndpointGone(v))
  ) {
    // Nothing of this cluster's own: the connection another request made from this VPC serves it (shared).
    shared = await sharedVpcEndpoint(request, deps);
    if (shared !== undefined) candidates = [...candidates, shared];
  }
  const vpce = pickVpcEndpoint(candidates, request);
  const isShared = shared !== undefined && vpce?.vpcEndpointId === shared.vpcEndpointId;
  const notOwned = vpce === undefined ? undefined : vpceNotOwnedReason(vpce, request, deps.managedBy);
  const vpceOwned = vpce !== undefined && notOwned === undefined;
  if (vpce !== undefined && notOwned !== undefined) {
    refused.push({ ...vpceRef(vpce.vpcEndpointId), reason: `not provably this connection's: ${notOwned}` });
  }
  const connectionRequest: WorkflowRequest = {
    ...request,
    requestId: (vpceOwned ? vpce?.tags[TAG_REQUEST_ID] : undefined) ?? lookup.requestId ?? request.requestId,
  };
  const target = targetOf(connectionRequest);
  const atlasClient = deps.atlas(request.kind);

  return atlasCall(request.kind, async () => {
    // 2. The Atlas side.
    const taggedAtlasId = vpce === undefined ? undefined : nonEmpty(vpce.tags[TAG_ATLAS_ENDPOINT_ID]);
    const atlasId = lookup.atlasEndpointId ?? taggedAtlasId;
    let atlas: AtlasEndpointView | undefined;
    if (atlasId !== undefined) atlas = await atlasClient.describe(target, atlasId);
    else atlas = await atlasClient.findExisting(target, vpce?.vpcEndpointId);
    const atlasCreatedTag = vpceOwned && vpce?.tags[TAG_ATLAS_CREATED] === 'true';
    const atlasOwned =
      atlas !== undefined && (atlas.carriesMarker || (atlasCreatedTag && taggedAtlasId === atlas.id));
    if (atlas !== undefined && atlas.status !== 'gone' && !atlasOwned) {
      const why =
        request.kind === 'dedicated'
          ? "the project's endpoint service for the region, which this connection did not create (its VPC " +
            `endpoint's ${TAG_ATLAS_CREATED} tag is not "true")`
          : 'its comment carries no ownership marker of this connection, and no VPC endpoint of it says it ' +
            'created it';
      refused.push({
        type: atlasResourceType(request.kind),
        id: atlas.id,
        reason: `not created by this connection: ${why}`,
      });
    }

    // 3. The link, and the connection string once the link is AVAILABLE.
    let link: LinkView | undefined;
    let connection: ConnectionSide | null | undefined;
    let deploymentState: string | undefined;
    let pendingRegions: readonly string[] = [];
    const atlasLive = atlas !== undefined && atlas.status !== 'gone' && atlas.status !== 'deleting';
    if (vpce !== undefined && atlas !== undefined && atlasLive) {
      link = atlas.linkedVpcEndpointIds.includes(vpce.vpcEndpointId)
        ? await atlasClient.describeLink(target, atlas.id, vpce.vpcEndpointId)
        : { status: 'gone', atlasStatus: 'DELETED', errorMessage: null };
      if (link.status === 'available') {
        try {
          const deployment = await atlasClient.describeDeployment(target, vpce.vpcEndpointId);
          connection = deployment.connection ?? null;
          deploymentState = deployment.stateName;
          if (connection === null && deployment.stateName === 'IDLE' && deployment.awsRegions.length > 1) {
            pendingRegions = await atlasClient.missingRegions(target, deployment);
          }
        } catch (error) {
          // The instance or cluster itself is gone: no connection string (reported as drift).
          if (!(error instanceof Error && error.name === ErrorNames.AtlasNotFound)) throw error;
          connection = null;
          deploymentState = 'DELETED';
        }
      }
    }
    const otherLinks =
      atlas === undefined ? [] : atlas.linkedVpcEndpointIds.filter((id) => id !== vpce?.vpcEndpointId);

    // 4. Tags of an owned, live VPC endpoint.
    const tagProblems: string[] = [];
    if (vpce !== undefined && vpceOwned && !isVpcEndpointGone(vpce)) {
      const expect = (key: string, wanted: string | undefined) => {
        const actual = vpce.tags[key];
        if (wanted !== undefined && actual !== wanted) {
          tagProblems.push(
            `${key} is ${actual === undefined ? 'missing' : `"${actual}"`}, expected "${wanted}"`,
          );
        }
      };
      expect(TAG_ATLAS_ENDPOINT_ID, atlas?.status === 'gone' ? undefined : atlas?.id);
      const created = vpce.tags[TAG_ATLAS_CREATED];
      if (created !== 'true' && created !== 'false') {
        tagProblems.push(`${TAG_ATLAS_CREATED} is ${created === undefined ? 'missing' : `"${created}"`}`);
      }
      for (const [key, value] of Object.entries(request.tags)) expect(key, value);
    }

    return {
      request: connectionRequest,
      vpce,
      vpceOwned,
      shared: isShared,
      atlas,
      atlasOwned,
      link,
      connection,
      ...(deploymentState === undefined ? {} : { deploymentState }),
      pendingRegions,
      otherLinks,
      refused,
      tagProblems,
    };
  });
}

/** The drift the found connection shows, and its overall status. */
export function assess(found: FoundConnection): { status: ConnectionStatus; drift: Drift[] } {
  const { request, vpce, atlas, link, connection } = found;
  const drift: Drift[] = [];
  const atlasLabel = atlasSideLabel(request.kind);
  const atlasLive = atlas !== undefined && atlas.status !== 'gone' && atlas.status !== 'deleting';
  // Atlas still has this connection's side: it is the connection's, or it lists the VPC endpoint.
  const atlasHoldsConnection =
    atlasLive &&
    (found.atlasOwned || (vpce !== undefined && atlas!.linkedVpcEndpointIds.includes(vpce.vpcEndpointId)));
  // Nothing left, or only the VPC endpoint's tombstone (a connection deleted on purpose looks like this too).
  if ((vpce === undefined || isVpcEndpointGone(vpce)) && !atlasHoldsConnection) {
    drift.push({
      kind: 'connection-missing',
      detail:
        `No VPC endpoint of this deployment connects ${request.vpcId} to the ${instanceLabel(request)} in ` +
        `project ${request.groupId}, and no Atlas side of it was found`,
    });
    return { status: 'ABSENT', drift };
  }

  if (vpce === undefined) {
    drift.push({
      kind: 'vpc-endpoint-deleted',
      detail: `The ${atlasLabel} ${atlas!.id} of this connection has no VPC endpoint in ${request.vpcId} any more`,
    });
  } else if (isVpcEndpointGone(vpce)) {
    drift.push({
      kind: 'vpc-endpoint-deleted',
      resource: vpceRef(vpce.vpcEndpointId),
      detail: `VPC endpoint ${vpce.vpcEndpointId} is ${vpce.state} (deleted outside the workflow)`,
    });
  } else if (DEAD_STATES.has(vpce.state)) {
    const why = vpce.lastError === undefined ? '' : ` (${vpce.lastError.code}: ${vpce.lastError.message})`;
    drift.push({
      kind: 'vpc-endpoint-rejected',
      resource: vpceRef(vpce.vpcEndpointId),
      detail: `VPC endpoint ${vpce.vpcEndpointId} is ${vpce.state}${why}`,
    });
  }
  if (vpce !== undefined && !found.vpceOwned && found.shared !== true) {
    const refusal = found.refused.find((r) => r.type === 'vpc-endpoint' && r.id === vpce.vpcEndpointId);
    drift.push({
      kind: 'tags-changed',
      resource: vpceRef(vpce.vpcEndpointId),
      detail: `VPC endpoint ${vpce.vpcEndpointId} is ${refusal?.reason ?? 'not provably this connection'}`,
    });
  } else if (found.tagProblems.length > 0 && vpce !== undefined) {
    drift.push({
      kind: 'tags-changed',
      resource: vpceRef(vpce.vpcEndpointId),
      detail: `Tags of VPC endpoint ${vpce.vpcEndpointId} changed: ${found.tagProblems.join('; ')}`,
    });
  }

  if (atlas !== undefined) {
    const ref: ResourceRef = { type: atlasResourceType(request.kind), id: atlas.id };
    if (atlas.status === 'gone' || atlas.status === 'deleting') {
      drift.push({
        kind: 'atlas-gone',
        resource: ref,
        detail: `The ${atlasLabel} ${atlas.id} ${atlas.status === 'gone' ? 'no longer exists' : 'is being deleted'}`,
      });
    } else if (atlas.status === 'failed') {
      drift.push({
        kind: 'atlas-failed',
        resource: ref,
        detail: `The ${atlasLabel} ${atlas.id} is ${atlas.atlasStatus}${atlas.errorMessage ? `: ${atlas.errorMessage}` : ''}`,
      });
    }
  } else if (vpce !== undefined && found.vpceOwned) {
    drift.push({
      kind: 'atlas-gone',
      detail: `VPC endpoint ${vpce.vpcEndpointId} names no Atlas side that still exists`,
    });
  }

  const vpceLive = vpce !== undefined && !isVpcEndpointGone(vpce) && !DEAD_STATES.has(vpce.state);
  if (link !== undefined && vpce !== undefined && atlas !== undefined && atlas.status !== 'failed') {
    const ref = linkRef(request, atlas.id, vpce.vpcEndpointId);
    if (link.status === 'failed') {
      drift.push({
        kind: 'atlas-failed',
        resource: ref,
        detail: `Atlas reports the link of VPC endpoint ${vpce.vpcEndpointId} as ${link.atlasStatus}${link.errorMessage ? `: ${link.errorMessage}` : ''}`,
      });
    } else if ((link.status === 'gone' && vpce.state === 'available') || link.status === 'deleting') {
      drift.push({
        kind: 'atlas-gone',
        resource: ref,
        detail: `Atlas ${link.status === 'gone' ? 'no longer lists' : 'is deleting'} the link of VPC endpoint ${vpce.vpcEndpointId}`,
      });
    }
  }
  // Missing only once the deployment is done applying it (UPDATING comes first, facts §10), and not while a
  // multi-region cluster waits for endpoints in other regions (the create ends that way too).
  const stillApplying = found.deploymentState === 'UPDATING' || found.pendingRegions.length > 0;
  if (vpceLive && link?.status === 'available' && connection === null && !stillApplying) {
    drift.push({
      kind: 'connection-string-missing',
      resource: vpceRef(vpce!.vpcEndpointId),
      detail: `The link of VPC endpoint ${vpce!.vpcEndpointId} is AVAILABLE, but the ${instanceLabel(request)} lists no private connection string for it`,
    });
  }

  if (drift.length > 0) return { status: 'DRIFTED', drift };
  const healthy =
    vpce?.state === 'available' &&
    link?.status === 'available' &&
    connection !== null &&
    connection !== undefined;
  return { status: healthy ? 'HEALTHY' : 'PENDING', drift };
}

/** The check's report of the found connection. */
export function reportOf(found: FoundConnection): CheckOutput {
  const { request, vpce, atlas, link, connection } = found;
  const { status, drift } = assess(found);
  return {
    action: 'check',
    kind: request.kind,
    groupId: request.groupId,
    instanceName: request.instanceName,
    vpcId: request.vpcId,
    region: request.region,
    requestId: request.requestId,
    status,
    healthy: status === 'HEALTHY',
    drift,
    atlas:
      atlas === undefined
        ? null
        : {
            id: atlas.id,
            status: atlas.atlasStatus,
            endpointServiceName: atlas.endpointServiceName,
            owned: found.atlasOwned,
          },
    vpcEndpoint:
      vpce === undefined
        ? null
        : {
            id: vpce.vpcEndpointId,
            state: vpce.state,
            serviceName: vpce.serviceName,
            owned: found.vpceOwned,
          },
    link:
      link === undefined || vpce === undefined
        ? null
        : { vpcEndpointId: vpce.vpcEndpointId, status: link.atlasStatus },
    privateSrvConnectionString: connection?.srvConnectionString ?? null,
    pendingRegions: found.pendingRegions,
    inProgress: null,
    refused: found.refused,
    repaired: false,
    connection: null,
  };
}

/** What the cleanup steps should delete: the record's `atlas`, `vpcEndpoint` and `link`. */
export interface Removal {
  readonly atlas?: AtlasSide;
  readonly vpcEndpoint?: VpcEndpointSide;
  readonly link?: LinkSide;
}

/** Delete: everything that belongs to the connection (`created: true`); the Atlas side also when not owned, so
 * the cleanup can see Atlas remove a shared service together with the connection's last interface endpoint. */
export function deletionOf(found: FoundConnection): Removal {
  const { request, vpce, atlas, link } = found;
  const out: { -readonly [K in keyof Removal]: Removal[K] } = {};
  if (vpce !== undefined && found.vpceOwned) out.vpcEndpoint = toVpcEndpointSide(vpce, true);
  if (atlas !== undefined && atlas.status !== 'gone')
    out.atlas = toAtlasSide(request.kind, atlas, found.atlasOwned);
  if (
    request.kind === 'dedicated' &&
    vpce !== undefined &&
    found.vpceOwned &&
    link !== undefined &&
    link.status !== 'gone'
  ) {
    out.link = { ...link, vpcEndpointId: vpce.vpcEndpointId, created: true };
  }
  return out;
}

/**
 * Repair: the broken parts to remove before the create path runs, what prepare-repair should try to keep,
 * and what blocks the repair (a broken part that is not the connection's).
 */
export function repairOf(
  found: FoundConnection,
  drift: readonly Drift[],
): {
  removal: Removal;
  plan: RepairPlan;
  blockers: RefusedResource[];
} {
  const { request, vpce, atlas, link } = found;
  const tagsChanged = drift.some((d) => d.kind === 'tags-changed');
  const blockers: RefusedResource[] = [];
  const removal: { -readonly [K in keyof Removal]: Removal[K] } = {};
  const vpceBroken = vpce !== undefined && (isVpcEndpointGone(vpce) || DEAD_STATES.has(vpce.state));
  const atlasBroken = atlas !== undefined && atlas.status === 'failed';
  const atlasMissing = atlas === undefined || atlas.status === 'gone' || atlas.status === 'deleting';
  const linkFailed = link?.status === 'failed' || link?.status === 'deleting';

  const block = (ref: ResourceRef, why: string) =>
    blockers.push({
      ...ref,
      reason: `${why}, and it is not provably this connection's: remove it yourself, then repair again`,
    });

  // What has to go. A VPC endpoint that can never carry traffic again; one whose Atlas side failed or is gone
  // (it connects to that side's endpoint service name); a failed link and its VPC endpoint.
  let removeVpce = vpceBroken || (vpce !== undefined && (atlasBroken || atlasMissing || linkFailed));
  let removeAtlas = atlasBroken;
  let removeLink = request.kind === 'dedicated' && vpce !== undefined && (removeVpce || linkFailed);
  if (request.kind === 'serverless' && atlas !== undefined && !atlasMissing) {
    // A serverless endpoint is linked once, for good: linked to anything but a live VPC endpoint of this
    // connection, it can never serve again, and it goes with its VPC endpoint.
    const vpceLive = vpce !== undefined && !vpceBroken;
    const linkedElsewhere =
      atlas.linkedVpcEndpointIds.length > 0 &&
      !(vpceLive && atlas.linkedVpcEndpointIds.includes(vpce!.vpcEndpointId));
    if (removeVpce || linkFailed || linkedElsewhere) {
      removeAtlas = true;
      removeVpce = vpce !== undefined;
    }
  }
  if (vpce !== undefined && !found.vpceOwned && (removeVpce || tagsChanged)) {
    block(vpceRef(vpce.vpcEndpointId), `VPC endpoint ${vpce.vpcEndpointId} has to be replaced or retagged`);
    removeVpce = false;
    removeLink = false;
  }
  if (removeAtlas && !found.atlasOwned) {
    block(
      { type: atlasResourceType(request.kind), id: atlas!.id },
      `The ${atlasSideLabel(request.kind)} ${atlas!.id} is ${atlas!.atlasStatus}`,
    );
    removeAtlas = false;
  }
  if (removeVpce && vpce !== undefined) removal.vpcEndpoint = toVpcEndpointSide(vpce, true);
  if ((removeAtlas || removeLink) && atlas !== undefined && !atlasMissing) {
    removal.atlas = toAtlasSide(request.kind, atlas, removeAtlas);
  }
  if (removeLink && vpce !== undefined && link !== undefined && link.status !== 'gone') {
    removal.link = { ...link, vpcEndpointId: vpce.vpcEndpointId, created: true };
  }
  const plan: RepairPlan = {
    keepAtlas: atlas !== undefined && !atlasMissing && !removeAtlas,
    atlasOwned: found.atlasOwned,
    keepVpcEndpoint: vpce !== undefined && !removeVpce && !vpceBroken && found.vpceOwned,
  };
  return { removal, plan, blockers };
}

/** The ResourceConflict that stops a repair, as the Catch of a task would record it. */
function blockedRepair(request: WorkflowRequest, blockers: readonly RefusedResource[]): CaughtError {
  const error = new ResourceConflictError(
    `Cannot repair the connection of the ${instanceLabel(request)} in project ${request.groupId} and ` +
      `${request.vpcId}: ${blockers.map((b) => `${b.type} ${b.id}: ${b.reason}`).join('; ')}. Nothing was changed.`,
  );
  return { Error: error.name, Cause: error.message };
}

/** The report of a connection another execution is working on: what was seen, not judged. */
export function inProgressReport(report: CheckOutput, holder: LeaseRecord): CheckOutput {
  return {
    ...report,
    status: 'IN_PROGRESS',
    healthy: false,
    drift: [],
    inProgress: { executionArn: holder.holder, requestId: holder.requestId, since: holder.acquiredAt },
  };
}

/** inspect-connection: the record for the path of the request's action (see the module comment). */
export async function inspectConnection(
  state: WorkflowState,
  deps: Pick<StepDeps, 'atlas' | 'vpcEndpoints' | 'managedBy' | 'logger' | 'leases' | 'now'>,
): Promise<WorkflowState> {
  // A plain check holds no lease: it asks whether another execution does, before and after it looks.
  const plainCheck = state.request.action === 'check' && state.request.repair !== true;
  const before = plainCheck ? await targetHolder(state.request, deps) : undefined;
  const found = await findConnection(state.request, deps);
  const holder = before ?? (plainCheck ? await targetHolder(state.request, deps) : undefined);
  const report = holder === undefined ? reportOf(found) : inProgressReport(reportOf(found), holder);
  const base = {
    request: found.request,
    settings: state.settings,
    existing: {},
    ...(state.execution === undefined ? {} : { execution: state.execution }),
    ...(state.lease === undefined ? {} : { lease: state.lease }),
  };
  let record: WorkflowState;
  if (state.request.action === 'delete') {
    const inspection: ConnectionInspection = { report, blockers: [] };
    record = { ...base, inspection, ...deletionOf(found) };
  } else if (state.request.repair === true && report.drift.length > 0) {
    const { removal, plan, blockers } = repairOf(found, report.drift);
    const inspection: ConnectionInspection = { report, blockers, repair: plan };
    record =
      blockers.length > 0
        ? { ...base, inspection, error: blockedRepair(found.request, blockers) }
        : { ...base, inspection, ...removal };
  } else {
    record = { ...base, inspection: { report, blockers: [] } };
  }
  deps.logger.info('Inspected the connection', {
    ...requestKeys(found.request),
    action: state.request.action ?? 'create',
    status: report.status,
    ...(report.inProgress === null ? {} : { inProgress: report.inProgress }),
    drift: report.drift.map((d) => d.kind),
    vpcEndpoint: report.vpcEndpoint,
    atlas: report.atlas,
    refused: report.refused,
    toDelete: {
      atlas: record.atlas?.created === true ? record.atlas.id : null,
      vpcEndpoint: record.vpcEndpoint?.created === true ? record.vpcEndpoint.vpcEndpointId : null,
      link: record.link?.created === true ? record.link.vpcEndpointId : null,
    },
  });
  return record;
}
