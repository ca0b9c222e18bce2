/**
 * The compensation steps: delete-vpc-endpoint, delete-atlas-side, check-cleanup.
 *
 * They delete exactly what the record says this request created (`created: true`), nothing else, and are
 * idempotent: something already gone is success, and running a step twice does no harm. Before deleting a
 * VPC endpoint the tags are read again, so a record that somehow names a foreign endpoint cannot delete it.
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
import type { VpcEndpointOperations } from '#aws/vpc-endpoints';
import { ErrorNames, ResourceConflictError } from '#core/errors';
import { TAG_MANAGED_BY, TAG_REQUEST_ID } from '#core/tags';
import type { ResourceRef } from '#workflow/events';
import {
  type CleanupObservation,
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

/** What delete-atlas-side did (its output is discarded by the definition; logged and returned for tests). */
export interface DeleteAtlasSideResult {
  /** Deletes requested now. */
  readonly requested: readonly ResourceRef[];
  /** Deletes left to check-cleanup (the service still had interface endpoints). */
  readonly deferred: readonly ResourceRef[];
}

/** The interface endpoint (dedicated) this request made: its link, or the interface endpoint of its own VPC endpoint. */
function ownInterfaceEndpoint(state: WorkflowState): string | undefined {
  if (state.request.kind !== 'dedicated') return undefined;
  if (state.link?.created) return state.link.vpcEndpointId;
  if (state.vpcEndpoint?.created) return state.vpcEndpoint.vpcEndpointId;
  return undefined;
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

/** Deletes `$.vpcEndpoint` when this request created it (re-checking its tags). Idempotent. */
export async function deleteVpcEndpoint(
  state: WorkflowState,
  deps: Pick<StepDeps, 'vpcEndpoints' | 'managedBy' | 'logger'>,
): Promise<DeleteVpcEndpointResult> {
  const vpce = state.vpcEndpoint;
  if (vpce === undefined || !vpce.created) {
    deps.logger.info('No VPC endpoint of this request to delete', requestKeys(state.request));
    return { vpcEndpointId: vpce?.vpcEndpointId ?? '', outcome: 'not-created' };
  }
  const ops = deps.vpcEndpoints(state.request);
  const result = await deleteOwnVpcEndpoint(ops, vpce.vpcEndpointId, state, deps.managedBy);
  deps.logger.info('Deleted the VPC endpoint', { ...requestKeys(state.request), ...result });
  return result;
}

/**
 * Deletes on Atlas what this request created: serverless, the endpoint; dedicated, its interface endpoint,
 * then the endpoint service if it created it and no interface endpoint is left (else check-cleanup does it).
 */
export async function deleteAtlasSide(
  state: WorkflowState,
  deps: Pick<StepDeps, 'atlas' | 'logger'>,
): Promise<DeleteAtlasSideResult> {
  const { request } = state;
  const atlasSide = state.atlas;
  const atlas = deps.atlas(request.kind);
  const target = targetOf(request);
  const requested: ResourceRef[] = [];
  const deferred: ResourceRef[] = [];
  await atlasCall(request.kind, async () => {
    if (request.kind === 'serverless') {
      if (atlasSide?.created) {
        await atlas.remove(target, atlasSide.id);
        requested.push({ type: 'atlas-serverless-endpoint', id: atlasSide.id });
      }
      return;
    }
    if (atlasSide === undefined) return;
    const own = ownInterfaceEndpoint(state);
    if (own !== undefined) {
      await atlas.unlink(target, atlasSide.id, own);
      requested.push({ type: 'atlas-interface-endpoint', id: own });
    }
    if (!atlasSide.created) return;
    const service = await atlas.describe(target, atlasSide.id);
    const ref: ResourceRef = { type: 'atlas-endpoint-service', id: atlasSide.id };
    if (service.status === 'gone' || service.status === 'deleting') return;
    // Only a service without interface endpoints can be deleted (facts §10); else check-cleanup waits.
    const outcome =
      service.linkedVpcEndpointIds.length === 0 ? await atlas.remove(target, atlasSide.id) : 'in-use';
    if (outcome === 'deleting') requested.push(ref);
    else if (outcome === 'in-use') deferred.push(ref);
  });
  deps.logger.info('Deleted what this request created on Atlas', {
    ...requestKeys(request),
    requested,
    deferred,
  });
  return { requested, deferred };
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

  const vpce = state.vpcEndpoint;
  if (vpce?.created) {
    const ref: ResourceRef = { type: 'vpc-endpoint', id: vpce.vpcEndpointId };
    const ops = deps.vpcEndpoints(request);
    const view = await ops.describeVpcEndpoint(vpce.vpcEndpointId);
    if (view === undefined || view.state === 'deleted') gone.push(ref);
    else {
      // A delete that did not take (e.g. the endpoint went `failed`) is asked for again.
      if (view.state !== 'deleting')
        await deleteOwnVpcEndpoint(ops, vpce.vpcEndpointId, state, deps.managedBy);
      remaining.push({ ...ref, status: view.state });
    }
  }

  const atlasSide = state.atlas;
  if (atlasSide !== undefined) {
    await atlasCall(request.kind, () =>
      checkAtlas(state, atlasSide.id, deps.atlas(request.kind), targetOf(request), {
        remaining,
        gone,
        removedByAtlas,
      }),
    );
  }

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
  atlasId: string,
  atlas: EndpointKindClient,
  target: EndpointTarget,
  seen: { remaining: Remaining[]; gone: ResourceRef[]; removedByAtlas: Remaining[] },
): Promise<void> {
  const { remaining, gone } = seen;
  const atlasSide = state.atlas!;
  const kind = state.request.kind;
  if (kind === 'serverless') {
    if (!atlasSide.created) return;
    const ref: ResourceRef = { type: atlasResourceType(kind), id: atlasId };
    const view = await atlas.describe(target, atlasId);
    if (view.status === 'gone') gone.push(ref);
    else {
      if (view.status !== 'deleting') await atlas.remove(target, atlasId);
      remaining.push({ ...ref, status: view.atlasStatus });
    }
    return;
  }

  const own = ownInterfaceEndpoint(state);
  let ownStillListed = false;
  if (own !== undefined) {
    const ref: ResourceRef = { type: 'atlas-interface-endpoint', id: own };
    const link = await atlas.describeLink(target, atlasId, own);
    if (link.status === 'gone') {
      // Report it only when it was known to exist (the record has the link).
      if (state.link !== undefined) gone.push(ref);
    } else {
      ownStillListed = true;
      if (link.status !== 'deleting') await atlas.unlink(target, atlasId, own);
      remaining.push({ ...ref, status: link.atlasStatus });
    }
  }

  if (!atlasSide.created) {
    // Not this request's service: never deleted here. But Atlas removes a service together with its last
    // interface endpoint, so once this request's is gone, see what became of the service.
    if (own !== undefined && !ownStillListed) {
      const service = await atlas.describe(target, atlasId);
      const ref: ResourceRef = { type: 'atlas-endpoint-service', id: atlasId };
      if (service.status === 'gone') gone.push(ref);
      else if (service.status === 'deleting' && service.linkedVpcEndpointIds.every((id) => id === own)) {
        seen.removedByAtlas.push({ ...ref, status: service.atlasStatus });
      }
    }
    return;
  }
  const ref: ResourceRef = { type: 'atlas-endpoint-service', id: atlasId };
  const service = await atlas.describe(target, atlasId);
  if (service.status === 'gone') {
    gone.push(ref);
    return;
  }
  if (service.status === 'deleting') {
    remaining.push({ ...ref, status: service.atlasStatus });
    return;
  }
  const others = service.linkedVpcEndpointIds.filter((id) => id !== own);
  if (others.length > 0) {
    remaining.push({ ...ref, status: IN_USE_STATUS });
    return;
  }
  if (!ownStillListed && !service.linkedVpcEndpointIds.includes(own ?? '')) {
    const outcome = await atlas.remove(target, atlasId);
    if (outcome === 'gone') gone.push(ref);
    // Refused: an interface endpoint appeared since the read above; that is someone else's now.
    else if (outcome === 'in-use') remaining.push({ ...ref, status: IN_USE_STATUS });
    else remaining.push({ ...ref, status: 'DELETING' });
    return;
  }
  remaining.push({ ...ref, status: service.atlasStatus });
}
