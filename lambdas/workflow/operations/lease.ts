/**
 * The target lease: one connection per target. A target is what a connection is made for: the endpoint kind,
 * the Atlas project, the serverless instance (dedicated: no cluster, the connection serves them all), the AWS
 * region and the VPC (and its account). Executions that race for
 * one target (a duplicate EventBridge delivery, a double click, a retry of a caller) would each look, find
 * nothing, and each create a pair; a look-up before a create cannot prevent that, a lease can.
 *
 * validate-request takes the target's lease (a conditional write in the deployment's lease table) after the
 * request passed its checks and before it looks at what exists; an execution that finds the lease held by
 * another one ends at once with `TargetBusy`, naming that execution, having changed nothing. The lease is
 * given back by release-lease before the execution ends, whatever the ending. An execution that ended without
 * giving it back (its release failed, a step crashed after the write, it was aborted or timed out) does not
 * block the target: the next execution asks Step Functions about the holder and takes the lease over when the
 * holder no longer runs. The lease also expires at the execution's start plus its timeout (a last resort when
 * Step Functions cannot be asked). The holder is the execution ARN: a retry of validate
 * inside the same execution takes it again, any other execution cannot.
 *
 * These functions are the reusable rule (other actions on a connection take and give back the same lease).
 */

import type { ExecutionReader, ExecutionStatus } from '#aws/executions';
import type { AcquireLeaseResult, LeaseRecord } from '#aws/leases';
import { serviceIntentKey } from '#aws/service-intents';
import { AwsTransientError, TargetBusyError } from '#core/errors';
import type { ExecutionInfo, LeaseSide, WorkflowRequest } from '#core/state';
import { instanceLabel, requestKeys, type StepDeps } from './common.ts';

/**
 * Statuses of a holder that runs no step now: its lease is taken over. `UNKNOWN` is Step Functions' answer
 * `ExecutionDoesNotExist` (ASSUMPTION: an ARN Step Functions does not know runs nothing: its history expired 90
 * days after it closed, or it never ran). `PENDING_REDRIVE` counts as running (a redrive is about to resume it).
 */
export const ENDED_EXECUTION_STATUSES: ReadonlySet<ExecutionStatus> = new Set<ExecutionStatus>([
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'UNKNOWN',
]);

/** How long a lease lasts when the deployment gives no execution timeout (tools): a day. */
export const DEFAULT_LEASE_SECONDS = 24 * 3600;

export type TargetOf = Pick<WorkflowRequest, 'kind' | 'groupId' | 'instanceName' | 'region' | 'vpcId'> & {
  readonly vpcAccountId?: string;
};

/**
 * The lease key of a target (no field holds `#`; the VPC's account is empty for the workflow's own):
 * - serverless: `target#serverless#<groupId>#<instanceName>#<region>#<vpcAccountId>#<vpcId>`: one endpoint per
 *   serverless instance and VPC;
 * - dedicated: `target#dedicated#<groupId>#<region>#<vpcAccountId>#<vpcId>`, with no cluster: the project has
 *   one endpoint service per region, and one interface endpoint from a VPC serves every dedicated cluster of
 *   the project in that region (facts §10), so requests for two clusters of one project in one VPC make, and
 *   race for, one connection.
 */
export function targetLeaseKey(target: TargetOf): string {
  const account = target.vpcAccountId ?? '';
  return target.kind === 'dedicated'
    ? ['target', target.kind, target.groupId, target.region, account, target.vpcId].join('#')
    : ['target', target.kind, target.groupId, target.instanceName, target.region, account, target.vpcId].join(
        '#',
      );
}

/**
 * Takes the lease of the request's target for `execution`, until its start plus `leaseSeconds`. Undefined
 * when the deployment has no lease table (`deps.leases` absent: tools). When another execution holds it,
 * Step Functions is asked about that holder (`deps.executions`): one that has ended (succeeded, failed, timed
 * out, aborted, or unknown to Step Functions) without giving the lease back no longer blocks the target, and
 * its lease is taken over with a write conditioned on it still being the holder (of two takers, one wins).
 * Throws TargetBusy naming the holder when it still runs (or cannot be asked about).
 */
export async function acquireTargetLease(
  request: WorkflowRequest,
  execution: ExecutionInfo,
  leaseSeconds: number,
  deps: Pick<StepDeps, 'leases' | 'executions' | 'now' | 'logger'>,
): Promise<LeaseSide | undefined> {
  if (deps.leases === undefined) return undefined;
  const leases = deps.leases;
  const key = targetLeaseKey(request);
  const now = deps.now();
  const started = Date.parse(execution.startTime);
  const expiresAtMs = (Number.isFinite(started) ? started : now) + leaseSeconds * 1000;
  const input = {
    key,
    holder: execution.id,
    requestId: request.requestId,
    now,
    expiresAt: Math.ceil(expiresAtMs / 1000),
  };
  const guarded = async (write: () => Promise<AcquireLeaseResult>): Promise<AcquireLeaseResult> => {
    try {
      return await write();
    } catch (error) {
      // The write may have taken effect with its answer lost: give back what may be ours before failing (a
      // retry of this step would take it again as the same holder; another execution must not wait for it).
      await releaseAfterFailure({ key, holder: execution.id, expiresAt: '' }, request, deps);
      throw error;
    }
  };
  let result = await guarded(() => leases.acquire(input));
  let tookOverFrom: string | undefined;
  if (!result.acquired && result.holder !== undefined && deps.executions !== undefined) {
    const previous = result.holder;
    const status = await holderStatus(previous.holder, deps.executions, deps.logger);
    if (status !== undefined && ENDED_EXECUTION_STATUSES.has(status)) {
      deps.logger.warn('The target lease is held by an execution that has ended; taking it over', {
        ...requestKeys(request),
        leaseKey: key,
        previousHolder: previous.holder,
        previousHolderStatus: status,
      });
      result = await guarded(() => leases.takeOver(input, previous.holder));
      if (result.acquired) tookOverFrom = previous.holder;
    }
  }
  if (result.acquired) {
    const lease: LeaseSide = { key, holder: execution.id, expiresAt: new Date(expiresAtMs).toISOString() };
    deps.logger.info('Took the target lease', {
      ...requestKeys(request),
      lease,
      ...(tookOverFrom === undefined ? {} : { tookOverFrom }),
    });
    return lease;
  }
  const holder = result.holder;
  const who =
    holder === undefined
      ? 'another execution'
      : `execution ${holder.holder} (request id "${holder.requestId}", since ${holder.acquiredAt})`;
  throw new TargetBusyError(
    `Another execution is already working on this target (${instanceLabel(request)} in project ` +
      `${request.groupId}, VPC ${request.vpcId} in ${request.region}): ${who}. This execution changed ` +
      'nothing. Once that execution has ended, run the request again: it then finds and reports what that ' +
      'execution made instead of making a second connection.',
    {
      details: {
        leaseKey: key,
        holder: holder?.holder ?? null,
        holderRequestId: holder?.requestId ?? null,
        holderSince: holder?.acquiredAt ?? null,
      },
    },
  );
}

/**
 * What Step Functions says of a lease's holder. A throttle or an outage is thrown (the step's retrier tries
 * again); any other failure (access denied, an ARN of another state machine) is logged and answered undefined:
 * the holder then counts as running (never take a lease over on a guess).
 */
export async function holderStatus(
  holder: string,
  executions: ExecutionReader,
  logger: StepDeps['logger'],
): Promise<ExecutionStatus | undefined> {
  try {
    return await executions.statusOf(holder);
  } catch (error) {
    if (error instanceof AwsTransientError) throw error;
    logger.warn('Could not ask Step Functions about the lease holder; it counts as running', {
      holder,
      error: { name: (error as Error).name, message: (error as Error).message },
    });
    return undefined;
  }
}

/**
 * Gives back the lease the record holds, if any (a conditional delete: never another execution's).
 * `released: false` when there was none, or it was already gone or taken over after it expired.
 * A dedicated request's execution also gives back the project's endpoint service intent for the region if it
 * may still hold it (create-atlas-endpoint keeps it once it sent the POST, so that a retry knows the service
 * its own; see atlas-side.ts): when it recorded a service it created, or when a step failed before any Atlas
 * side was recorded (never in a delete, which creates nothing). The same conditional delete, on the intent's key.
 */
export async function releaseTargetLease(
  state: {
    readonly lease?: LeaseSide;
    readonly request?: WorkflowRequest;
    readonly execution?: Pick<ExecutionInfo, 'id'>;
    readonly atlas?: { readonly created: boolean };
    readonly error?: unknown;
  },
  deps: Pick<StepDeps, 'leases' | 'logger'>,
): Promise<{ readonly released: boolean }> {
  const { lease, request, execution } = state;
  if (deps.leases === undefined) return { released: false };
  const mayHoldIntent = state.atlas === undefined ? state.error !== undefined : state.atlas.created;
  if (
    request?.kind === 'dedicated' &&
    request.action !== 'delete' &&
    execution !== undefined &&
    mayHoldIntent
  ) {
    const intentKey = serviceIntentKey(request.groupId, request.region);
    if ((await deps.leases.release(intentKey, execution.id)) === 'released') {
      deps.logger.info('Gave back the endpoint service intent', { ...requestKeys(request), intentKey });
    }
  }
  if (lease === undefined) return { released: false };
  const outcome = await deps.leases.release(lease.key, lease.holder);
  deps.logger.info(
    outcome === 'released' ? 'Gave back the target lease' : 'The target lease was no longer held',
    { ...(request === undefined ? {} : requestKeys(request)), leaseKey: lease.key },
  );
  return { released: outcome === 'released' };
}

/**
 * The execution holding the request's target now, if any: what a plain check (which takes no lease) reads
 * so it reports a target another execution is working on as in progress, not as drift. Undefined when the
 * target is free, when its holder has ended (Step Functions says so: the next create or delete takes the lease
 * over), or when the deployment has no lease table. When Step Functions cannot be asked, the holder counts.
 */
export async function targetHolder(
  request: TargetOf,
  deps: Pick<StepDeps, 'leases' | 'executions' | 'now' | 'logger'>,
): Promise<LeaseRecord | undefined> {
  if (deps.leases === undefined) return undefined;
  const holder = await deps.leases.holderOf(targetLeaseKey(request), deps.now());
  if (holder === undefined || deps.executions === undefined) return holder;
  try {
    return ENDED_EXECUTION_STATUSES.has(await deps.executions.statusOf(holder.holder)) ? undefined : holder;
  } catch (error) {
    deps.logger.warn('Could not ask Step Functions about the lease holder; it counts as at work', {
      holder: holder.holder,
      error: { name: (error as Error).name, message: (error as Error).message },
    });
    return holder;
  }
}

/** Gives the lease back after a failure of the step that took it; a failure to do so is logged, not thrown. */
export async function releaseAfterFailure(
  lease: LeaseSide | undefined,
  request: WorkflowRequest,
  deps: Pick<StepDeps, 'leases' | 'logger'>,
): Promise<void> {
  try {
    await releaseTargetLease({ lease, request }, deps);
  } catch (error) {
    deps.logger.warn(
      'Could not give back the target lease; the next execution of the target takes it over once this one has ended',
      {
        ...requestKeys(request),
        error: { name: (error as Error).name, message: (error as Error).message },
      },
    );
  }
}
