/**
 * What every step's domain function shares: its dependencies, the Atlas target of a request, the ownership
 * tag, and the messages people read in the console when something goes wrong.
 *
 * Domain functions are plain async functions `(input, deps) => output`. They know Atlas and EC2 semantics
 * (through `EndpointKindClient` and `VpcEndpointOperations`), never the Lambda runtime: the handlers in
 * lambdas/handlers/ build the dependencies once per container and call exactly one of these per invocation.
 */
import type { AtlasLogger } from '#atlas/client';
import type { AtlasEndpointView, EndpointKindClient, EndpointTarget } from '#atlas/endpoint-kind';
import { ownershipMarker } from '#atlas/kind-common';
import type { ExecutionReader } from '#aws/executions';
import type { LeaseStore } from '#aws/leases';
import type { ServiceIntentStore } from '#aws/service-intents';
import type { VpcEndpointOperations, VpcEndpointView } from '#aws/vpc-endpoints';
import { AtlasApiGoneError, ConfigurationError, ErrorNames, type WorkflowError } from '#core/errors';
import type {
  AtlasSide,
  EndpointKind,
  LinkSide,
  VpcEndpointSide,
  VpcLocation,
  WorkflowRequest,
} from '#core/state';
import type { ResourceType } from '#workflow/events';
import type { PollRecord, PollTiming, WorkflowState } from '#workflow/steps';

/** The logger methods the domain uses (a Powertools `Logger` fits). */
export type StepLogger = AtlasLogger;

/**
 * Everything a step may use. Each domain function takes only the part it needs (`Pick<StepDeps, …>`), so a
 * step that never calls Atlas cannot reach it.
 */
export interface StepDeps {
  /** The Atlas client of one endpoint kind, already bounded by the invocation's deadline. */
  readonly atlas: (kind: EndpointKind) => EndpointKindClient;
  /**
   * EC2 VPC endpoint operations where a VPC lives (the request's `region`, and its `vpcAccountId` when the
   * VPC is in another account: the operations then run with that account's role). Pass the request.
   */
  readonly vpcEndpoints: (where: VpcLocation) => VpcEndpointOperations;
  /** The deployment's managed-by tag value (`MANAGED_BY_TAG_VALUE`). */
  readonly managedBy: string;
  /** The target leases (steps with lease actions; absent where the deployment has no lease table: tools). */
  readonly leases?: LeaseStore;
  /** Step Functions' view of a lease's holder (validate-request: is the holder still running?). */
  readonly executions?: ExecutionReader;
  /** The dedicated endpoint service create intents (create-atlas-endpoint; absent without a lease table). */
  readonly serviceIntents?: ServiceIntentStore;
  readonly logger: StepLogger;
  /** The clock (epoch ms): the whole-run deadline, the lease's expiry. */
  readonly now: () => number;
  /**
   * Check steps: pass to `nextPoll` — the seconds this invocation has run so far (read when called) and the
   * deployment's intervals of the phase.
   */
  readonly pollTiming: () => PollTiming;
}

/** Cleanup status of an endpoint service this request created that other interface endpoints now use. */
export const IN_USE_STATUS = 'IN_USE_BY_OTHER_INTERFACE_ENDPOINTS';

/**
 * The Atlas target of a request, with the request's ownership marker: a serverless endpoint whose comment
 * carries it was made by this request (or an earlier run with the same request id), and nothing else is.
 */
export function targetOf(request: WorkflowRequest): EndpointTarget {
  return {
    groupId: request.groupId,
    instanceName: request.instanceName,
    region: request.region,
    ...(request.comment === undefined ? {} : { comment: request.comment }),
    ownershipMarker: ownershipMarker(request.requestId),
  };
}

/** "serverless private endpoint" / "endpoint service": what the Atlas side is called in messages. */
export function atlasSideLabel(kind: EndpointKind): string {
  return kind === 'serverless' ? 'serverless private endpoint' : 'endpoint service';
}

/** "serverless instance orders" / "dedicated cluster orders-dedicated". */
export function instanceLabel(request: Pick<WorkflowRequest, 'kind' | 'instanceName'>): string {
  return `${request.kind === 'serverless' ? 'serverless instance' : 'dedicated cluster'} ${request.instanceName}`;
}

/** Text quoted inside a sentence: trimmed, without its own final period (the sentence adds one). */
export function quoted(text: string | null | undefined, fallback: string): string {
  const trimmed = (text ?? '').trim().replace(/[.\s]+$/, '');
  return trimmed === '' ? fallback : trimmed;
}

export function atlasResourceType(kind: EndpointKind): ResourceType {
  return kind === 'serverless' ? 'atlas-serverless-endpoint' : 'atlas-endpoint-service';
}

/** What to do about the retired serverless private endpoint API. */
export const RETIRED_SERVERLESS_HINT =
  'MongoDB retired serverless private endpoints on 2026-01-22 and migrated serverless instances to Flex or ' +
  'dedicated clusters; private endpoints now need a dedicated cluster. Re-run with "kind": "dedicated" and ' +
  'the cluster name as "instanceName".';

function isNamed(error: unknown, name: string): error is WorkflowError {
  return error instanceof Error && error.name === name;
}

/**
 * Runs Atlas calls for `kind` and turns a 410 Gone into a message that says what to do: for serverless,
 * that the API is retired and the dedicated kind is the way forward.
 */
export async function atlasCall<T>(kind: EndpointKind, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isNamed(error, ErrorNames.AtlasApiGone)) {
      const operation =
        typeof error.details?.operation === 'string' ? error.details.operation : 'the request';
      const message =
        kind === 'serverless'
          ? `Atlas answered 410 Gone to ${operation}: the serverless private endpoint API no longer exists. ${RETIRED_SERVERLESS_HINT}`
          : `Atlas answered 410 Gone to ${operation}: this API version was retired. Update the workflow to a current release.`;
      throw new AtlasApiGoneError(message, { details: { ...error.details, kind }, cause: error });
    }
    throw error;
  }
}

/** The step was handed a record without a key the definition always provides: a wiring bug. */
export function missingKey(step: string, key: string): ConfigurationError {
  return new ConfigurationError(
    `Step ${step} received a state record without $.${key}; the state machine definition does not match ` +
      'lambdas/workflow/steps.ts (redeploy the stack from one version of the project)',
    { details: { step, key } },
  );
}

export function requireAtlas(state: WorkflowState, step: string): AtlasSide {
  if (state.atlas === undefined) throw missingKey(step, 'atlas');
  return state.atlas;
}

export function requireVpcEndpoint(state: WorkflowState, step: string): VpcEndpointSide {
  if (state.vpcEndpoint === undefined) throw missingKey(step, 'vpcEndpoint');
  return state.vpcEndpoint;
}

export function requireLink(state: WorkflowState, step: string): LinkSide {
  if (state.link === undefined) throw missingKey(step, 'link');
  return state.link;
}

/**
 * The side `find-existing` already found for this request (`state.existing.<side>`), logged as adopted with
 * `keys` of it; undefined when the step has to make it.
 */
export function adoptExisting<T extends { readonly created: boolean }>(
  side: T | undefined,
  logger: StepLogger,
  message: string,
  request: WorkflowRequest,
  keys: (side: T) => Record<string, unknown>,
): T | undefined {
  if (side !== undefined)
    logger.info(message, { ...requestKeys(request), ...keys(side), created: side.created });
  return side;
}

/**
 * Logs one check of a polling step with `fields` and where the poll stands (checks so far, seconds counted
 * against the budget, the next wait); returns the poll. `poll` comes from `nextPoll(…, deps.pollTiming())`.
 */
export function loggedPoll<T>(
  logger: StepLogger,
  message: string,
  fields: Record<string, unknown>,
  poll: PollRecord<T>,
): PollRecord<T> {
  logger.info(message, {
    ...fields,
    attempt: poll.attempt,
    elapsedSeconds: poll.elapsedSeconds,
    budgetSeconds: poll.budgetSeconds,
    nextWaitSeconds: poll.waitSeconds,
  });
  return poll;
}

/** The workflow's ids of a request, for log lines. */
export function requestKeys(request: WorkflowRequest): Record<string, string> {
  return {
    requestId: request.requestId,
    kind: request.kind,
    groupId: request.groupId,
    instanceName: request.instanceName,
    vpcId: request.vpcId,
    region: request.region,
  };
}

export function toAtlasSide(kind: EndpointKind, view: AtlasEndpointView, created: boolean): AtlasSide {
  return {
    kind,
    id: view.id,
    status: view.status,
    atlasStatus: view.atlasStatus,
    endpointServiceName: view.endpointServiceName,
    errorMessage: view.errorMessage,
    created,
  };
}

export function toVpcEndpointSide(view: VpcEndpointView, created: boolean): VpcEndpointSide {
  return {
    vpcEndpointId: view.vpcEndpointId,
    state: view.state,
    serviceName: view.serviceName,
    dnsEntries: view.dnsEntries,
    created,
  };
}
