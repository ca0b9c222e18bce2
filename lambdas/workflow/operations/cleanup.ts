/**
 * The compensation steps: delete-vpc-endpoint, delete-atlas-side, check-cleanup.
 *
 * They delete what this request created, nothing else: what the record says it created (`created: true`),
 * and what provably belongs to the request although the record does not name it (a step that died after its
 * create took effect): VPC endpoints carrying the request's tags, serverless endpoints carrying its ownership
 * marker, interface endpoints of its VPC endpoints. They are idempotent: something already gone is success,
 * and running a step twice does no harm. Before deleting a VPC endpoint the tags are read again, so a record
 * that somehow names a foreign endpoint cannot delete it. With `rollbackOnFailure: false` the delete steps
 * delete nothing and only find, so the failure names everything that was kept (`cleanupDeletes`: a `delete`
 * and a repair removing the broken parts of its connection always delete; ./inspect.ts sets `created` on what
 * belongs to the connection, and `request.requestId` to the connection's, so the same rules find the rest).
 *
 * Dedicated clusters, in the order today's Atlas needs (facts §10): the interface endpoint (the link) goes
 * first; check-cleanup waits until it is gone; then the endpoint service is deleted only if it still exists
 * and this request created it. Atlas refuses to delete a service while an interface endpoint is attached or
 * still deleting, and removes a service together with its last interface endpoint by itself; when it does not
 * (or not yet), check-cleanup finishes the job. A refusal (`in-use`) is never an error here. A
 * service this request created but that others have linked VPC endpoints to in the meantime is left alone
 * and reported (status `IN_USE_STATUS`). A service this request did not create is never deleted here; but
 * when deleting this request's interface endpoint leaves it without any, Atlas removes it, and check-cleanup
 * waits to see that (within the cleanup budget, never failing on it) so the report can say what became of it.
 */
import type { EndpointKindClient, EndpointTarget } from '#atlas/endpoint-kind';
import type { VpcEndpointOperations, VpcEndpointView } from '#aws/vpc-endpoints';
import { ErrorNames, ResourceConflictError } from '#core/errors';
import {
  TAG_ATLAS_GROUP_ID,
  TAG_ATLAS_INSTANCE_NAME,
  TAG_ATLAS_KIND,
  TAG_MANAGED_BY,
  TAG_REQUEST_ID,
} from '#core/tags';
import type { ResourceRef } from '#workflow/events';
import {
  type CleanupObservation,
  type CleanupTarget,
  cleanupDeletes,
  nextPoll,
  type PollingState,
  type PollRecord,
  type WorkflowState,
} from '#workflow/steps';
import {
  atlasCall,
  atlasResourceType,
  IN_USE_STATUS,
  loggedPoll,
  requestKeys,
  type StepDeps,
  targetOf,
} from './common.ts';

export interface DeleteVpcEndpointResult {
  readonly vpcEndpointId: string;
  readonly outcome: 'deleting' | 'already-gone' | 'not-created';
}

/** The VPC endpoints of this request the cleanup handles: the recorded one it created, and those it found. */
export function ownVpcEndpointIds(state: WorkflowState): string[] {
  const ids = new Set<string>();
  if (state.vpcEndpoint?.created) ids.add(state.vpcEndpoint.vpcEndpointId);
  for (const target of state.cleanupVpcEndpoints ?? []) ids.add(target.id);
  return [...ids];
}

/**
 * The interface endpoints (dedicated) this request made or may have made: its link, and the interface
 * endpoint of each of its own VPC endpoints (an interface endpoint is keyed by its VPC endpoint id).
 */
function ownInterfaceEndpoints(state: WorkflowState): string[] {
  if (state.request.kind !== 'dedicated') return [];
  const ids = new Set<string>();
  if (state.link?.created) ids.add(state.link.vpcEndpointId);
  for (const id of ownVpcEndpointIds(state)) ids.add(id);
  return [...ids];
}

/** The serverless endpoints of this request the cleanup handles: the recorded one it created, and those found. */
function ownServerlessEndpoints(state: WorkflowState): string[] {
  const ids = new Set<string>();
  if (state.atlas?.created) ids.add(state.atlas.id);
  for (const target of state.cleanupAtlas ?? []) {
    if (target.type === 'atlas-serverless-endpoint') ids.add(target.id);
  }
  return [...ids];
}

/** Re-reads the tags, then deletes. Throws ResourceConflict when the endpoint is not this request's. */
async function deleteOwnVpcEndpoint(
  ops: VpcEndpointOperations,
  vpcEndpointId: string,
  state: WorkflowState,
  managedBy: string,
): Promise<DeleteVpcEndpointResult> {
  const view = await ops.describeVpcEndpoint(vpcEndpointId);
  if (view === undefined || view.state === 'deleted' || view.state === 'deleting') {
    return { vpcEndpointId, outcome: 'already-gone' };
  }
  const managed = view.tags[TAG_MANAGED_BY];
  const requestId = view.tags[TAG_REQUEST_ID];
  if (managed !== managedBy || requestId !== state.request.requestId) {
    throw new ResourceConflictError(
      `Not deleting VPC endpoint ${vpcEndpointId}: it is tagged ${TAG_MANAGED_BY}=${managed ?? '(none)'} and ` +
        `${TAG_REQUEST_ID}=${requestId ?? '(none)'}, but this deployment is ${managedBy} and this request is ` +
        `${state.request.requestId}. Check who owns it and delete it by hand if it is a leftover.`,
      { details: { vpcEndpointId, managedBy: managed ?? null, requestId: requestId ?? null } },
    );
  }
  const result = await ops.deleteVpcEndpoint(vpcEndpointId);
  return { vpcEndpointId, outcome: result.outcome === 'not-found' ? 'already-gone' : 'deleting' };
}

/**
 * This request's VPC endpoints in its VPC, by their tags (deployment, request id, Atlas target): besides the
 * recorded one, a VPC endpoint a create step made before it died (its answer lost) carries them too.
 */
export async function findOwnVpcEndpoints(
  state: Pick<WorkflowState, 'request'>,
  deps: Pick<StepDeps, 'vpcEndpoints' | 'managedBy'>,
): Promise<VpcEndpointView[]> {
  const { request } = state;
  return deps.vpcEndpoints(request).findVpcEndpoints({
    vpcId: request.vpcId,
    tags: {
      [TAG_MANAGED_BY]: deps.managedBy,
      [TAG_REQUEST_ID]: request.requestId,
      [TAG_ATLAS_KIND]: request.kind,
      [TAG_ATLAS_GROUP_ID]: request.groupId,
      [TAG_ATLAS_INSTANCE_NAME]: request.instanceName,
    },
  });
}

/**
 * Deletes this request's VPC endpoints: `$.vpcEndpoint` when it created it, and every VPC endpoint its tags
 * name (re-checking the tags before each delete). Idempotent. With `rollbackOnFailure: false` nothing is
 * deleted: the endpoints are only found, so the failure can name them as kept.
 */
export async function deleteVpcEndpoint(
  state: WorkflowState,
  deps: Pick<StepDeps, 'vpcEndpoints' | 'managedBy' | 'logger'>,
): Promise<readonly CleanupTarget[]> {
  const { request } = state;
  const targets = new Map<string, string>();
  if (state.vpcEndpoint?.created) targets.set(state.vpcEndpoint.vpcEndpointId, state.vpcEndpoint.state);
  for (const view of await findOwnVpcEndpoints(state, deps)) targets.set(view.vpcEndpointId, view.state);
  if (!cleanupDeletes(state)) {
    const kept = [...targets].map(([id, lastStatus]) => ({ type: 'vpc-endpoint' as const, id, lastStatus }));
    deps.logger.info('Found the VPC endpoints of this request (kept: rollbackOnFailure is false)', {
      ...requestKeys(request),
      kept,
    });
    return kept;
  }
  const ops = deps.vpcEndpoints(request);
  const handled: CleanupTarget[] = [];
  for (const id of targets.keys()) {
    const result = await deleteOwnVpcEndpoint(ops, id, state, deps.managedBy);
    handled.push({
      type: 'vpc-endpoint',
      id,
      lastStatus: result.outcome === 'already-gone' ? 'deleted' : 'deleting',
    });
  }
  deps.logger.info(
    handled.length === 0 ? 'No VPC endpoint of this request to delete' : 'Deleted the VPC endpoints',
    { ...requestKeys(request), vpcEndpoints: handled },
  );
  return handled;
}

/**
 * Deletes on Atlas what this request created: serverless, the recorded endpoint and every one carrying its
 * marker; dedicated, the interface endpoints of its VPC endpoints, then the endpoint service if it created it
 * and no interface endpoint is left (else check-cleanup does it). Returns what it handled beyond the record
 * (found by marker, or interface endpoints the record does not name). With `rollbackOnFailure: false` nothing
 * is deleted: they are only found.
 */
export async function deleteAtlasSide(
  state: WorkflowState,
  deps: Pick<StepDeps, 'atlas' | 'logger'>,
): Promise<readonly CleanupTarget[]> {
  const { request } = state;
  const rollback = cleanupDeletes(state);
  const atlasSide = state.atlas;
  const atlas = deps.atlas(request.kind);
  const target = targetOf(request);
  const handled: CleanupTarget[] = [];
  const requested: ResourceRef[] = [];
  const deferred: ResourceRef[] = [];
  await atlasCall(request.kind, async () => {
    if (request.kind === 'serverless') {
      const ids = new Map<string, string>();
      if (atlasSide?.created) ids.set(atlasSide.id, atlasSide.atlasStatus);
      for (const view of await atlas.findOwned(target)) {
        ids.set(view.id, view.atlasStatus);
        if (view.id !== atlasSide?.id) {
          handled.push({ type: 'atlas-serverless-endpoint', id: view.id, lastStatus: view.atlasStatus });
        }
      }
      if (!rollback) return;
      for (const id of ids.keys()) {
        await atlas.remove(target, id);
        requested.push({ type: 'atlas-serverless-endpoint', id });
      }
      return;
    }
    if (atlasSide === undefined) return;
    for (const own of ownInterfaceEndpoints(state)) {
      const recorded = state.link?.created === true && state.link.vpcEndpointId === own;
      if (!recorded) {
        // Only one that exists is this request's to report (most VPC endpoints found never got one).
        const link = await atlas.describeLink(target, atlasSide.id, own);
        if (link.status === 'gone') continue;
        handled.push({ type: 'atlas-interface-endpoint', id: own, lastStatus: link.atlasStatus });
      }
      if (!rollback) continue;
      await atlas.unlink(target, atlasSide.id, own);
      requested.push({ type: 'atlas-interface-endpoint', id: own });
    }
    if (!rollback || !atlasSide.created) return;
    const service = await atlas.describe(target, atlasSide.id);
    const ref: ResourceRef = { type: 'atlas-endpoint-service', id: atlasSide.id };
    if (service.status === 'gone' || service.status === 'deleting') return;
    // Only a service without interface endpoints can be deleted (facts §10); else check-cleanup waits.
    const outcome =
      service.linkedVpcEndpointIds.length === 0 ? await atlas.remove(target, atlasSide.id) : 'in-use';
    if (outcome === 'deleting') requested.push(ref);
    else if (outcome === 'in-use') deferred.push(ref);
  });
  deps.logger.info(
    rollback
      ? 'Deleted what this request created on Atlas'
      : 'Found what this request created on Atlas (kept: rollbackOnFailure is false)',
    { ...requestKeys(request), requested, deferred, found: handled },
  );
  return handled;
}

type Remaining = CleanupObservation['remaining'][number];

/**
 * Looks at everything the cleanup deletes, finishes deletes that had to wait (or that need asking again),
 * and is done when nothing remains. DeadlineExceeded once the cleanup budget is spent.
 */
export async function checkCleanup(
  state: PollingState,
  deps: Pick<StepDeps, 'atlas' | 'vpcEndpoints' | 'managedBy' | 'logger' | 'pollTiming'>,
): Promise<PollRecord<CleanupObservation>> {
  const { request } = state;
  const remaining: Remaining[] = [];
  const gone: ResourceRef[] = [];
  /** Not this request's, and Atlas is removing it (see checkAtlas): waited for, but never worth failing over. */
  const removedByAtlas: Remaining[] = [];

  const ops = deps.vpcEndpoints(request);
  for (const id of ownVpcEndpointIds(state)) {
    const ref: ResourceRef = { type: 'vpc-endpoint', id };
    const view = await ops.describeVpcEndpoint(id);
    if (view === undefined || view.state === 'deleted') gone.push(ref);
    else {
      // A delete that did not take (e.g. the endpoint went `failed`) is asked for again.
      if (view.state !== 'deleting') await deleteOwnVpcEndpoint(ops, id, state, deps.managedBy);
      remaining.push({ ...ref, status: view.state });
    }
  }

  await atlasCall(request.kind, () =>
    checkAtlas(state, deps.atlas(request.kind), targetOf(request), { remaining, gone, removedByAtlas }),
  );

  const observed: CleanupObservation = { remaining: [...remaining, ...removedByAtlas], gone };
  const ownDone = remaining.every((r) => r.status === IN_USE_STATUS);
  const statusText = observed.remaining.map((r) => `${r.type} ${r.id} ${r.status}`).join(', ');
  const timing = deps.pollTiming();
  const next = (done: boolean) => nextPoll(state.poll, 'cleanup', observed, done, statusText, timing);
  let poll: PollRecord<CleanupObservation>;
  try {
    poll = next(ownDone && removedByAtlas.length === 0);
  } catch (error) {
    // Out of budget while only Atlas's own removal of a service that is not ours is still under way: the
    // cleanup of what this request owns is complete, and the report says the service was still DELETING.
    if (!(ownDone && error instanceof Error && error.name === ErrorNames.DeadlineExceeded)) throw error;
    poll = next(true);
  }
  return loggedPoll(
    deps.logger,
    'Checked the cleanup',
    { ...requestKeys(request), remaining: observed.remaining, gone, done: poll.done },
    poll,
  );
}

async function checkAtlas(
  state: WorkflowState,
  atlas: EndpointKindClient,
  target: EndpointTarget,
  seen: { remaining: Remaining[]; gone: ResourceRef[]; removedByAtlas: Remaining[] },
): Promise<void> {
  const { remaining, gone } = seen;
  const kind = state.request.kind;
  if (kind === 'serverless') {
    for (const id of ownServerlessEndpoints(state)) {
      const ref: ResourceRef = { type: atlasResourceType(kind), id };
      const view = await atlas.describe(target, id);
      if (view.status === 'gone') gone.push(ref);
      else {
        if (view.status !== 'deleting') await atlas.remove(target, id);
        remaining.push({ ...ref, status: view.atlasStatus });
      }
    }
    return;
  }

  const atlasSide = state.atlas;
  if (atlasSide === undefined) return;
  const atlasId = atlasSide.id;
  const own = ownInterfaceEndpoints(state);
  /** Interface endpoints known to have existed: the recorded link, and those delete-atlas-side found. */
  const known = new Set<string>(
    (state.cleanupAtlas ?? []).filter((t) => t.type === 'atlas-interface-endpoint').map((t) => t.id),
  );
  if (state.link !== undefined) known.add(state.link.vpcEndpointId);
  let ownStillListed = false;
  for (const id of own) {
    const ref: ResourceRef = { type: 'atlas-interface-endpoint', id };
    const link = await atlas.describeLink(target, atlasId, id);
    if (link.status === 'gone') {
      // Report it only when it was known to exist.
      if (known.has(id)) gone.push(ref);
    } else {
      ownStillListed = true;
      if (link.status !== 'deleting') await atlas.unlink(target, atlasId, id);
      remaining.push({ ...ref, status: link.atlasStatus });
    }
  }

  const ref: ResourceRef = { type: 'atlas-endpoint-service', id: atlasId };
  if (!atlasSide.created) {
    // Not this request's service: never deleted here. But Atlas removes a service together with its last
    // interface endpoint, so once this request's are gone, see what became of the service.
    if (own.some((id) => known.has(id)) && !ownStillListed) {
      const service = await atlas.describe(target, atlasId);
      if (service.status === 'gone') gone.push(ref);
      else if (
        service.status === 'deleting' &&
        service.linkedVpcEndpointIds.every((id) => own.includes(id))
      ) {
        seen.removedByAtlas.push({ ...ref, status: service.atlasStatus });
      }
    }
    return;
  }
  const service = await atlas.describe(target, atlasId);
  if (service.status === 'gone') {
    gone.push(ref);
    return;
  }
  if (service.status === 'deleting') {
    remaining.push({ ...ref, status: service.atlasStatus });
    return;
  }
  const others = service.linkedVpcEndpointIds.filter((id) => !own.includes(id));
  if (others.length > 0) {
    remaining.push({ ...ref, status: IN_USE_STATUS });
    return;
  }
  if (!ownStillListed && !service.linkedVpcEndpointIds.some((id) => own.includes(id))) {
    const outcome = await atlas.remove(target, atlasId);
    if (outcome === 'gone') gone.push(ref);
    // Refused: an interface endpoint appeared since the read above; that is someone else's now.
    else if (outcome === 'in-use') remaining.push({ ...ref, status: IN_USE_STATUS });
    else remaining.push({ ...ref, status: 'DELETING' });
    return;
  }
  remaining.push({ ...ref, status: service.atlasStatus });
}
