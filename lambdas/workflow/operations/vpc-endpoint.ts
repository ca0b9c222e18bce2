/**
 * create-vpc-endpoint and describe-vpc-endpoint: the AWS interface VPC endpoint to the Atlas endpoint
 * service, created in the request's region with the workflow's tags and a ClientToken from the execution
 * (its ARN) and the endpoint service name: retries inside the execution get the same endpoint, a new execution
 * of the same request never gets one an earlier execution made (and maybe deleted); re-runs converge through
 * validate-request's tag look-up instead.
 */
import { type CreateInterfaceEndpointInput, endpointTags } from '#aws/vpc-endpoints';
import { AwsRequestRejectedError, EndpointRejectedError, ErrorNames } from '#core/errors';
import type { AtlasSide, VpcEndpointSide } from '#core/state';
import { TAG_NAME } from '#core/tags';
import {
  nextPoll,
  type PollingState,
  type PollRecord,
  VPC_ENDPOINT_READY_STATES,
  type WorkflowState,
} from '#workflow/steps';
import {
  adoptExisting,
  loggedPoll,
  missingKey,
  requestKeys,
  requireAtlas,
  requireVpcEndpoint,
  type StepDeps,
  toVpcEndpointSide,
} from './common.ts';

/** What the create sends for the record's request and Atlas side (the tags are derived from it). */
function createInput(
  state: WorkflowState,
  atlas: AtlasSide,
  serviceName: string,
  managedBy: string,
): CreateInterfaceEndpointInput {
  const { request } = state;
  return {
    serviceName,
    vpcId: request.vpcId,
    subnetIds: request.subnetIds,
    securityGroupIds: request.securityGroupIds,
    privateDnsEnabled: request.privateDnsEnabled,
    tags: request.tags,
    managedBy,
    atlas: {
      kind: request.kind,
      groupId: request.groupId,
      instanceName: request.instanceName,
      atlasEndpointId: atlas.id,
      created: atlas.created,
    },
    requestId: request.requestId,
    idempotencyKey: state.execution?.id ?? request.requestId,
  };
}

/**
 * A repair adopting the connection's VPC endpoint puts back the tags the create writes (the workflow's own
 * and the request's) where someone changed or removed them. The console Name is left as it is.
 */
async function restoreTags(
  state: WorkflowState,
  adopted: VpcEndpointSide,
  deps: Pick<StepDeps, 'vpcEndpoints' | 'managedBy' | 'logger'>,
): Promise<void> {
  const atlas = requireAtlas(state, 'create-vpc-endpoint');
  const ops = deps.vpcEndpoints(state.request);
  const view = await ops.describeVpcEndpoint(adopted.vpcEndpointId);
  if (view === undefined) return;
  const wanted = endpointTags(createInput(state, atlas, adopted.serviceName, deps.managedBy));
  const changed = Object.fromEntries(
    Object.entries(wanted).filter(
      ([key, value]) =>
        view.tags[key] !== value && (key !== TAG_NAME || Object.hasOwn(state.request.tags, TAG_NAME)),
    ),
  );
  if (Object.keys(changed).length === 0) return;
  await ops.tagVpcEndpoint(adopted.vpcEndpointId, changed);
  deps.logger.info('Restored the tags of the VPC endpoint', {
    ...requestKeys(state.request),
    vpcEndpointId: adopted.vpcEndpointId,
    tags: Object.keys(changed),
  });
}

/**
 * Adopts `existing.vpcEndpoint` (a repair also restores its tags), else creates the tagged interface endpoint
 * for the Atlas service name.
 */
export async function createVpcEndpoint(
  state: WorkflowState,
  deps: Pick<StepDeps, 'vpcEndpoints' | 'managedBy' | 'logger'>,
): Promise<VpcEndpointSide> {
  const { request } = state;
  const adopted = adoptExisting(
    state.existing?.vpcEndpoint,
    deps.logger,
    'Adopting the existing VPC endpoint',
    request,
    (v) => ({ vpcEndpointId: v.vpcEndpointId, state: v.state }),
  );
  if (adopted !== undefined) {
    if (state.repairRun !== undefined && adopted.created) await restoreTags(state, adopted, deps);
    return adopted;
  }
  const atlas = requireAtlas(state, 'create-vpc-endpoint');
  if (atlas.endpointServiceName === null)
    throw missingKey('create-vpc-endpoint', 'atlas.endpointServiceName');
  try {
    const view = await deps
      .vpcEndpoints(request)
      .createInterfaceEndpoint(createInput(state, atlas, atlas.endpointServiceName, deps.managedBy));
    deps.logger.info('Created the VPC endpoint', {
      ...requestKeys(request),
      vpcEndpointId: view.vpcEndpointId,
      state: view.state,
      serviceName: view.serviceName,
    });
    return toVpcEndpointSide(view, true);
  } catch (error) {
    if (
      error instanceof Error &&
      error.name === ErrorNames.AwsRequestRejected &&
      (error as AwsRequestRejectedError).details.awsCode === 'IdempotentParameterMismatch'
    ) {
      // The ClientToken covers this execution and the endpoint service: an earlier attempt of this execution
      // sent other parameters (only a state record changed by hand between retries can do that).
      throw new AwsRequestRejectedError(
        `EC2 refused to create the VPC endpoint: an earlier attempt of this execution (request id ` +
          `"${request.requestId}") sent other parameters (subnets, security groups, private DNS or tags) for ` +
          `a VPC endpoint to ${atlas.endpointServiceName}, and EC2 keeps the ClientToken of that create. Start ` +
          `a new execution of the request (it finds the endpoint, tagged with this request id in ${request.vpcId}, ` +
          'if it exists).',
        { details: (error as AwsRequestRejectedError).details, cause: error },
      );
    }
    throw error;
  }
}

/** EC2 states in which Atlas can accept the endpoint, or has. */
const READY: ReadonlySet<string> = new Set(VPC_ENDPOINT_READY_STATES);
/** EC2 states the endpoint never leaves. */
const DEAD = new Set(['rejected', 'failed', 'expired', 'deleting', 'deleted']);

/** Reads the VPC endpoint; done at pendingAcceptance or available; rejected/failed/gone -> EndpointRejected. */
export async function describeVpcEndpoint(
  state: PollingState,
  deps: Pick<StepDeps, 'vpcEndpoints' | 'logger' | 'pollTiming'>,
): Promise<PollRecord<VpcEndpointSide>> {
  const { request } = state;
  const current = requireVpcEndpoint(state, 'describe-vpc-endpoint');
  const view = await deps.vpcEndpoints(request).describeVpcEndpoint(current.vpcEndpointId);
  if (view === undefined || DEAD.has(view.state)) {
    const seen = view === undefined ? 'no longer exists' : `is ${view.state}`;
    const reason = view?.lastError ? ` (${view.lastError.code}: ${view.lastError.message})` : '';
    throw new EndpointRejectedError(
      `VPC endpoint ${current.vpcEndpointId} in ${request.vpcId} ${seen}${reason}; it can no longer connect ` +
        `to the Atlas endpoint service ${current.serviceName}. Check that the Atlas side still exists and that ` +
        'the subnets and security groups allow it, then run the request again.',
      {
        details: {
          vpcEndpointId: current.vpcEndpointId,
          state: view?.state ?? 'deleted',
          serviceName: current.serviceName,
          awsCode: view?.lastError?.code,
        },
      },
    );
  }
  const observed = toVpcEndpointSide(view, current.created);
  const done = READY.has(view.state);
  const poll = nextPoll(state.poll, 'vpcEndpoint', observed, done, `state ${view.state}`, deps.pollTiming());
  return loggedPoll(
    deps.logger,
    'Checked the VPC endpoint',
    { vpcEndpointId: view.vpcEndpointId, state: view.state, done },
    poll,
  );
}
