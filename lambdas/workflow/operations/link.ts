/**
 * link-endpoint, describe-link and read-connection-string: register the VPC endpoint with Atlas (serverless:
 * PATCH the endpoint; dedicated: create the interface endpoint), wait for AVAILABLE, read the private SRV
 * connection string Atlas publishes for it.
 */
import { EndpointFailedError, EndpointRejectedError } from '#core/errors';
import type { ConnectionState, LinkSide } from '#core/state';
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
  requireLink,
  requireVpcEndpoint,
  type StepDeps,
  targetOf,
} from './common.ts';

/**
 * Adopts `existing.link`; else, when Atlas already lists the VPC endpoint on the Atlas side (an earlier
 * attempt whose answer was lost), adopts that link without touching it; else links. A serverless endpoint
 * that is already linked is never PATCHed again (the kind client enforces it too).
 */
export async function linkEndpoint(
  state: WorkflowState,
  deps: Pick<StepDeps, 'atlas' | 'logger'>,
): Promise<LinkSide> {
  const { request } = state;
  const adopted = adoptExisting(
    state.existing?.link,
    deps.logger,
    'Adopting the existing link',
    request,
    (l) => ({
      vpcEndpointId: l.vpcEndpointId,
      atlasStatus: l.atlasStatus,
    }),
  );
  if (adopted !== undefined) return adopted;
  const atlasSide = requireAtlas(state, 'link-endpoint');
  const vpce = requireVpcEndpoint(state, 'link-endpoint');
  const atlas = deps.atlas(request.kind);
  const target = targetOf(request);
  return atlasCall(request.kind, async () => {
    const before = await atlas.describe(target, atlasSide.id);
    if (before.linkedVpcEndpointIds.includes(vpce.vpcEndpointId)) {
      const link = await atlas.describeLink(target, atlasSide.id, vpce.vpcEndpointId);
      deps.logger.info('The VPC endpoint is already linked; adopting the link', {
        ...requestKeys(request),
        vpcEndpointId: vpce.vpcEndpointId,
        atlasStatus: link.atlasStatus,
      });
      return { ...link, vpcEndpointId: vpce.vpcEndpointId, created: vpce.created };
    }
    const link = await atlas.link(target, atlasSide.id, vpce.vpcEndpointId, before);
    deps.logger.info('Linked the VPC endpoint to the Atlas side', {
      ...requestKeys(request),
      atlasEndpointId: atlasSide.id,
      vpcEndpointId: vpce.vpcEndpointId,
      atlasStatus: link.atlasStatus,
    });
    return { ...link, vpcEndpointId: vpce.vpcEndpointId, created: true };
  });
}

/** Reads the link; done at AVAILABLE. REJECTED -> EndpointRejected; FAILED, gone, deleting -> EndpointFailed. */
export async function describeLink(
  state: PollingState,
  deps: Pick<StepDeps, 'atlas' | 'logger' | 'pollTiming'>,
): Promise<PollRecord<LinkSide>> {
  const { request } = state;
  const atlasSide = requireAtlas(state, 'describe-link');
  const current = requireLink(state, 'describe-link');
  const view = await atlasCall(request.kind, () =>
    deps.atlas(request.kind).describeLink(targetOf(request), atlasSide.id, current.vpcEndpointId),
  );
  const what =
    request.kind === 'serverless'
      ? `The link of VPC endpoint ${current.vpcEndpointId} to the serverless private endpoint ${atlasSide.id}`
      : `The interface endpoint ${current.vpcEndpointId} on the endpoint service ${atlasSide.id}`;
  const details = {
    atlasEndpointId: atlasSide.id,
    vpcEndpointId: current.vpcEndpointId,
    atlasStatus: view.atlasStatus,
    errorMessage: view.errorMessage,
  };
  if (view.status === 'failed' && view.atlasStatus === 'REJECTED') {
    throw new EndpointRejectedError(
      `Atlas rejected ${what.charAt(0).toLowerCase()}${what.slice(1)} (${instanceLabel(request)}): ` +
        `${quoted(view.errorMessage, 'Atlas gave no reason')}. Check that the VPC endpoint is in ${request.region} and ` +
        `connects to ${atlasSide.endpointServiceName ?? 'the endpoint service'}, then run the request again.`,
      { details },
    );
  }
  if (view.status === 'failed') {
    throw new EndpointFailedError(
      `${what} (${instanceLabel(request)}) is ${view.atlasStatus}: ${quoted(view.errorMessage, 'Atlas gave no reason')}. ` +
        'Check the VPC endpoint in AWS and the private endpoint in Atlas, then run the request again.',
      { details },
    );
  }
  if (view.status === 'gone' || view.status === 'deleting') {
    throw new EndpointFailedError(
      `${what} ${view.status === 'gone' ? 'no longer exists' : 'is being deleted'} (deleted outside this workflow?); ` +
        `the ${atlasSideLabel(request.kind)} cannot become available. Run the request again.`,
      { details },
    );
  }
  const observed: LinkSide = { ...view, vpcEndpointId: current.vpcEndpointId, created: current.created };
  const done = view.status === 'available';
  const poll = nextPoll(state.poll, 'link', observed, done, `status ${view.atlasStatus}`, deps.pollTiming());
  return loggedPoll(
    deps.logger,
    'Checked the link',
    { vpcEndpointId: current.vpcEndpointId, atlasStatus: view.atlasStatus, done },
    poll,
  );
}

/**
 * Reads the instance or cluster (the connection phase). Facts §10 ("connection strings"): after the link is
 * AVAILABLE the deployment applies the change (stateName UPDATING) and names the VPC endpoint in
 * `privateEndpoint[]` only once IDLE again. Done when:
 * - an entry names this VPC endpoint: the connection string (and `pendingRegions: []`);
 * - or the deployment is IDLE without one and is a multi-region cluster that still lacks a private endpoint in
 *   another region while the project is not in regionalized mode (facts §10, "multi-region clusters"): Atlas
 *   publishes nothing until those regions have endpoints, so waiting would only run into the deadline. The
 *   phase then succeeds with a null string and `pendingRegions` naming them (the output says what to do).
 * Otherwise the phase keeps polling (DeadlineExceeded after its budget, e.g. a cluster that stays UPDATING).
 */
export async function readConnectionString(
  state: PollingState,
  deps: Pick<StepDeps, 'atlas' | 'logger' | 'pollTiming'>,
): Promise<PollRecord<ConnectionState>> {
  const { request } = state;
  const vpce = requireVpcEndpoint(state, 'read-connection-string');
  const atlas = deps.atlas(request.kind);
  const target = targetOf(request);
  const { observed, done } = await atlasCall(
    request.kind,
    async (): Promise<{ observed: ConnectionState; done: boolean }> => {
      const deployment = await atlas.describeDeployment(target, vpce.vpcEndpointId);
      const atlasStatus = deployment.stateName;
      if (deployment.connection !== undefined) {
        return { observed: { atlasStatus, ...deployment.connection, pendingRegions: [] }, done: true };
      }
      if (atlasStatus === 'IDLE' && deployment.awsRegions.length > 1) {
        const pendingRegions = await atlas.missingRegions(target, deployment);
        if (pendingRegions.length > 0) {
          return { observed: { atlasStatus, srvConnectionString: null, pendingRegions }, done: true };
        }
      }
      return { observed: { atlasStatus, srvConnectionString: null, pendingRegions: [] }, done: false };
    },
  );
  if (done && observed.pendingRegions.length > 0) {
    deps.logger.warn(
      `The ${instanceLabel(request)} publishes its private connection string only once every region has a ` +
        'private endpoint; create one in each pending region (or enable regionalized private endpoints)',
      { ...requestKeys(request), vpcEndpointId: vpce.vpcEndpointId, pendingRegions: observed.pendingRegions },
    );
  }
  const poll = nextPoll(
    state.poll,
    'connection',
    observed,
    done,
    `${instanceLabel(request)} ${observed.atlasStatus}, no private connection string for ${vpce.vpcEndpointId} yet`,
    deps.pollTiming(),
  );
  return loggedPoll(
    deps.logger,
    'Checked the private connection string',
    {
      vpcEndpointId: vpce.vpcEndpointId,
      stateName: observed.atlasStatus,
      found: observed.srvConnectionString !== null,
      pendingRegions: observed.pendingRegions,
    },
    poll,
  );
}
