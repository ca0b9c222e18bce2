/**
 * create-atlas-endpoint and describe-atlas-endpoint: the Atlas side (a serverless private endpoint, or the
 * project's AWS endpoint service for the region of a dedicated cluster).
 */
import { EndpointFailedError } from '#core/errors';
import type { AtlasSide } from '#core/state';
import {
  ATLAS_READY_STATUSES,
  nextPoll,
  type PollingState,
  type PollRecord,
  type WorkflowState,
} from '#workflow/steps';
import {
  adoptExisting,
  atlasCall,
  atlasSideLabel,
  instanceLabel,
  loggedPoll,
  quoted,
  requestKeys,
  requireAtlas,
  type StepDeps,
  targetOf,
  toAtlasSide,
} from './common.ts';

/**
 * Adopts `existing.atlas`; else looks up what Atlas already has, then creates the Atlas side only when the
 * look-up found nothing. The look-up runs before EVERY create (each retry of this step is a new invocation):
 * an earlier attempt whose answer was lost (timeout, dropped connection) may have created it.
 *
 * Ownership (`created`, i.e. compensation deletes it):
 * - serverless: the endpoint carrying this request's marker in its comment is this request's (found by the
 *   look-up, by the client's converge look-up, or made by the POST); no other endpoint is ever adopted;
 * - dedicated: the project has one service per region, so the look-up adopts the region's service (not owned:
 *   it may be someone else's, and is never deleted). When the look-up found none, the service our POST made is
 *   this request's, whether Atlas answered the POST or the client's converge look-up found it after the answer
 *   was lost; only a 409 (someone else's service appeared in between) adopts it as not owned.
 */
export async function createAtlasEndpoint(
  state: WorkflowState,
  deps: Pick<StepDeps, 'atlas' | 'logger'>,
): Promise<AtlasSide> {
  const { request } = state;
  const adopted = adoptExisting(
    state.existing?.atlas,
    deps.logger,
    `Adopting the existing ${atlasSideLabel(request.kind)}`,
    request,
    (a) => ({ atlasEndpointId: a.id, atlasStatus: a.atlasStatus }),
  );
  if (adopted !== undefined) return adopted;
  const atlas = deps.atlas(request.kind);
  const target = targetOf(request);
  const label = atlasSideLabel(request.kind);
  return atlasCall(request.kind, async () => {
    const found = await atlas.findExisting(target);
    if (found !== undefined && found.status !== 'gone' && found.status !== 'deleting') {
      const owned = found.carriesMarker;
      deps.logger.info(
        owned
          ? `Found this request's ${label} (an earlier attempt made it); adopting it`
          : `Adopting the project's existing ${label} for the region (not owned by this request)`,
        {
          ...requestKeys(request),
          atlasEndpointId: found.id,
          atlasStatus: found.atlasStatus,
          created: owned,
        },
      );
      return toAtlasSide(request.kind, found, owned);
    }
    // The look-up just before found nothing: whatever the POST made is this request's, whether Atlas answered
    // it or the client's converge look-up found it after the answer was lost. Only a 409 (the region's service
    // appeared in between, someone else's) is adopted as not owned.
    const { view, created, confirmed } = await atlas.create(target);
    const owned = view.carriesMarker || created;
    let message: string;
    if (owned && confirmed) message = `Created the ${label}`;
    else if (owned) message = `Created the ${label} (found after the create's answer was lost)`;
    else message = `Adopted the project's existing ${label} for the region (not owned by this request)`;
    deps.logger.info(message, {
      ...requestKeys(request),
      atlasEndpointId: view.id,
      atlasStatus: view.atlasStatus,
      created: owned,
    });
    return toAtlasSide(request.kind, view, owned);
  });
}

/** Statuses from which the VPC endpoint can be created (or that are further along); the definition's skip uses them too. */
const READY: ReadonlySet<string> = new Set(ATLAS_READY_STATUSES);

/**
 * Reads the Atlas side; done once it publishes its endpoint service name and is ready for a VPC endpoint.
 * FAILED -> EndpointFailed with Atlas's errorMessage; deleted or being deleted -> EndpointFailed too.
 */
export async function describeAtlasEndpoint(
  state: PollingState,
  deps: Pick<StepDeps, 'atlas' | 'logger' | 'pollTiming'>,
): Promise<PollRecord<AtlasSide>> {
  const { request } = state;
  const current = requireAtlas(state, 'describe-atlas-endpoint');
  const view = await atlasCall(request.kind, () =>
    deps.atlas(request.kind).describe(targetOf(request), current.id),
  );
  const label = atlasSideLabel(request.kind);
  const where = `for ${instanceLabel(request)} in project ${request.groupId}`;
  if (view.status === 'failed') {
    throw new EndpointFailedError(
      `Atlas reports the ${label} ${view.id} ${where} as ${view.atlasStatus}: ` +
        `${quoted(view.errorMessage, 'Atlas gave no reason')}. Check the project's Network Access > Private Endpoint page in Atlas, ` +
        'delete the failed entry there if it stays, and run the request again.',
      {
        details: { atlasEndpointId: view.id, atlasStatus: view.atlasStatus, errorMessage: view.errorMessage },
      },
    );
  }
  if (view.status === 'gone' || view.status === 'deleting') {
    throw new EndpointFailedError(
      `The ${label} ${view.id} ${where} ${view.status === 'gone' ? 'no longer exists' : 'is being deleted'} ` +
        '(deleted outside this workflow?). Run the request again once Atlas has finished deleting it.',
      { details: { atlasEndpointId: view.id, atlasStatus: view.atlasStatus } },
    );
  }
  const observed = toAtlasSide(request.kind, view, current.created);
  const done = READY.has(view.status) && view.endpointServiceName !== null;
  const poll = nextPoll(
    state.poll,
    'atlasEndpoint',
    observed,
    done,
    `status ${view.atlasStatus}`,
    deps.pollTiming(),
  );
  return loggedPoll(
    deps.logger,
    `Checked the ${label}`,
    {
      atlasEndpointId: view.id,
      atlasStatus: view.atlasStatus,
      endpointServiceName: view.endpointServiceName,
      done,
    },
    poll,
  );
}
