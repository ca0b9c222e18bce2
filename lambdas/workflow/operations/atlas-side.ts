/**
 * create-atlas-endpoint and describe-atlas-endpoint: the Atlas side (a serverless private endpoint, or the
 * project's AWS endpoint service for the region of a dedicated cluster).
 */
import type { AtlasEndpointView, EndpointKindClient, EndpointTarget } from '#atlas/endpoint-kind';
import { type ServiceIntent, serviceIntentKey, type TakeIntentInput } from '#aws/service-intents';
import { AwsTransientError, EndpointFailedError } from '#core/errors';
import type { AtlasSide, WorkflowRequest } from '#core/state';
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
import { DEFAULT_LEASE_SECONDS, ENDED_EXECUTION_STATUSES, holderStatus } from './lease.ts';

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
 *   was lost; only a 409 (someone else's service appeared in between) adopts it as not owned. Across
 *   invocations (the function died after the POST took effect, and the state machine's Retry runs the step
 *   again) the service intent remembers that the POST was sent: see {@link createEndpointServiceUnderIntent}.
 */
export async function createAtlasEndpoint(
  state: WorkflowState,
  deps: Pick<StepDeps, 'atlas' | 'logger' | 'serviceIntents' | 'executions' | 'now'>,
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
  if (request.kind === 'dedicated' && deps.serviceIntents !== undefined && state.execution !== undefined) {
    const intents = deps.serviceIntents;
    const execution = state.execution;
    return atlasCall(request.kind, () =>
      createEndpointServiceUnderIntent(request, target, atlas, execution, state.lease?.expiresAt, {
        ...deps,
        serviceIntents: intents,
      }),
    );
  }
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

/** A service the look-up found that is there to adopt (not gone, not being deleted). */
function usable(found: AtlasEndpointView | undefined): found is AtlasEndpointView {
  return found !== undefined && found.status !== 'gone' && found.status !== 'deleting';
}

/**
 * The dedicated kind's create, under the project's endpoint service intent for the region (an item of the lease
 * table, lambdas/aws/service-intents.ts). A service carries no mark and serves the whole project and region, so:
 * 1. take the intent (or find it ours already: a retry of this step in the same execution; or take it over
 *    from an execution that has ended). Held by another execution that still runs (another VPC of the project,
 *    creating the service now): adopt the region's service if it exists (not owned, as after a 409), else fail
 *    with AwsTransientError so the state's Retry tries again once that execution has made it;
 * 2. look up the region's service. Found: owned only when the intent was already marked `posting` by an earlier
 *    attempt of this execution (its look-up under the intent found none and it sent the POST; the function then
 *    died); otherwise the project's existing service, not owned, and the intent is given back at once;
 * 3. none found: mark the intent `posting`, then POST (a lost answer converges as before: owned).
 * Once marked, the intent is kept after the step (the function may die after it returned, and the retry needs
 * to know the POST was sent): release-lease gives it back at the execution's end. Other executions meanwhile
 * find the service and adopt it (step 1). It expires with the execution, and one that ended holding it is taken
 * over.
 * ASSUMPTION: only executions of this workflow create a project's endpoint service within the moment between
 * the look-up under the intent and the POST; one made by someone else in that moment, followed by a 409 whose
 * invocation then dies, would be taken for this execution's own (the same reading as a lost answer today).
 */
async function createEndpointServiceUnderIntent(
  request: WorkflowRequest,
  target: EndpointTarget,
  atlas: EndpointKindClient,
  execution: NonNullable<WorkflowState['execution']>,
  leaseExpiresAt: string | undefined,
  deps: Pick<StepDeps, 'logger' | 'executions' | 'now'> & {
    readonly serviceIntents: NonNullable<StepDeps['serviceIntents']>;
  },
): Promise<AtlasSide> {
  const intents = deps.serviceIntents;
  const label = atlasSideLabel(request.kind);
  const key = serviceIntentKey(request.groupId, request.region);
  const now = deps.now();
  const started = Date.parse(execution.startTime);
  const fromLease = leaseExpiresAt === undefined ? Number.NaN : Date.parse(leaseExpiresAt);
  const expiresAtMs = Number.isFinite(fromLease)
    ? fromLease
    : (Number.isFinite(started) ? started : now) + DEFAULT_LEASE_SECONDS * 1000;
  const input: TakeIntentInput = {
    key,
    holder: execution.id,
    requestId: request.requestId,
    now,
    expiresAt: Math.ceil(expiresAtMs / 1000),
  };
  let result = await intents.take(input);
  if (!result.taken && result.holder !== undefined && deps.executions !== undefined) {
    const previous = result.holder.holder;
    const status = await holderStatus(previous, deps.executions, deps.logger);
    if (status !== undefined && ENDED_EXECUTION_STATUSES.has(status)) {
      deps.logger.warn('The endpoint service intent is held by an execution that has ended; taking it over', {
        ...requestKeys(request),
        intentKey: key,
        previousHolder: previous,
        previousHolderStatus: status,
      });
      result = await intents.takeOver(input, previous);
    }
  }
  if (!result.taken) {
    // Another execution (another VPC of this project) is creating the region's service, or has just made it.
    const found = await atlas.findExisting(target);
    if (usable(found)) {
      deps.logger.info(
        `Adopting the project's existing ${label} for the region (not owned by this request)`,
        {
          ...requestKeys(request),
          atlasEndpointId: found.id,
          atlasStatus: found.atlasStatus,
          created: false,
        },
      );
      return toAtlasSide(request.kind, found, false);
    }
    const holder = result.holder;
    throw new AwsTransientError(
      `Another execution is creating the ${label} of project ${request.groupId} in ${request.region}` +
        `${holder === undefined ? '' : ` (execution ${holder.holder}, request id "${holder.requestId}")`}; ` +
        'this step is tried again once it has made it.',
      { details: { intentKey: key, holder: holder?.holder ?? null } },
    );
  }
  const intent: ServiceIntent = result.intent;
  const found = await atlas.findExisting(target);
  if (usable(found)) {
    // Ours only when an earlier attempt of this execution looked under the intent, found none and POSTed.
    const owned = intent.posting;
    deps.logger.info(
      owned
        ? `Found the ${label} an earlier attempt of this execution created; adopting it`
        : `Adopting the project's existing ${label} for the region (not owned by this request)`,
      { ...requestKeys(request), atlasEndpointId: found.id, atlasStatus: found.atlasStatus, created: owned },
    );
    if (!owned) await releaseIntent(key, execution.id, request, deps);
    return toAtlasSide(request.kind, found, owned);
  }
  if (!intent.posting && !(await intents.markPosting(intent))) {
    throw new AwsTransientError(
      `The ${label} intent of project ${request.groupId} in ${request.region} was taken over before the ` +
        'create; this step is tried again.',
      { details: { intentKey: key } },
    );
  }
  const { view, created, confirmed } = await atlas.create(target);
  let message: string;
  if (created && confirmed) message = `Created the ${label}`;
  else if (created) message = `Created the ${label} (found after the create's answer was lost)`;
  else message = `Adopted the project's existing ${label} for the region (not owned by this request)`;
  deps.logger.info(message, {
    ...requestKeys(request),
    atlasEndpointId: view.id,
    atlasStatus: view.atlasStatus,
    created,
  });
  if (!created) await releaseIntent(key, execution.id, request, deps);
  return toAtlasSide(request.kind, view, created);
}

/** Gives back an intent under which nothing was made; a failure is logged (it expires, or is taken over). */
async function releaseIntent(
  key: string,
  holder: string,
  request: WorkflowRequest,
  deps: Pick<StepDeps, 'logger'> & { readonly serviceIntents: NonNullable<StepDeps['serviceIntents']> },
): Promise<void> {
  try {
    await deps.serviceIntents.release(key, holder);
  } catch (error) {
    deps.logger.warn(
      'Could not give back the endpoint service intent; it is taken over once this execution has ended',
      {
        ...requestKeys(request),
        intentKey: key,
        error: { name: (error as Error).name, message: (error as Error).message },
      },
    );
  }
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
