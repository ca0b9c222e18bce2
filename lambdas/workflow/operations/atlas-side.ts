/**
 * create-atlas-endpoint and describe-atlas-endpoint: the Atlas side (a serverless private endpoint, or the
 * project's AWS endpoint service for the region of a dedicated cluster).
 */
import { EndpointFailedError } from '#workflow/errors';
import type { AtlasSide } from '#workflow/state';
import { nextPoll, type PollingState, type PollRecord, type WorkflowState } from '#workflow/steps';
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

/** Adopts `existing.atlas`, else creates the Atlas side (dedicated: a 409 adopts the region's service). */
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
  const { view, created } = await atlasCall(request.kind, () =>
    deps.atlas(request.kind).create(targetOf(request)),
  );
  deps.logger.info(
    created
      ? `Created the ${atlasSideLabel(request.kind)}`
      : `Adopted the project's existing ${atlasSideLabel(request.kind)} for the region`,
    { ...requestKeys(request), atlasEndpointId: view.id, atlasStatus: view.atlasStatus, created },
  );
  return toAtlasSide(request.kind, view, created);
}

/** Statuses from which the VPC endpoint can be created (or that are further along). */
const READY = new Set(['ready-for-vpc-endpoint', 'linking', 'available']);

/**
 * Reads the Atlas side; done once it publishes its endpoint service name and is ready for a VPC endpoint.
 * FAILED -> EndpointFailed with Atlas's errorMessage; deleted or being deleted -> EndpointFailed too.
 */
export async function describeAtlasEndpoint(
  state: PollingState,
  deps: Pick<StepDeps, 'atlas' | 'logger'>,
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
  const poll = nextPoll(state.poll, 'atlasEndpoint', observed, done, `status ${view.atlasStatus}`);
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
