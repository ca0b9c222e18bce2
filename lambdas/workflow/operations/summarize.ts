/**
 * summarize-failure (pure: no AWS, no Atlas): the Fail state's error and cause, and the failed event's report.
 *
 * The cause is written for a person reading the console: what failed (the original error's message), which
 * request and ids were involved, and what happened to each resource:
 * - deleted: created by this request and confirmed gone by the cleanup;
 * - kept: created, and kept because `rollbackOnFailure` is false;
 * - left-over: created, and the cleanup could not confirm it gone (the error becomes CleanupIncomplete when
 *   the cleanup itself failed);
 * - not-owned: existed before this request (e.g. a shared endpoint service); never deleted. When the cleanup
 *   saw Atlas remove such a service together with its last interface endpoint (this request's, which the
 *   cleanup deleted), the cause says so rather than "left as they were".
 *
 * What to do next depends on the error: a rejected request is fixed by the caller, a configuration or
 * credential problem by whoever runs the deployment. When the Atlas create step failed in a way that may hide
 * a create that took effect (its answer lost, the look-ups failing), the cause says what to look for instead
 * of claiming nothing was created.
 */
import { ownershipMarker } from '#atlas/kind-common';

import { ErrorNames, THROWN_ERROR_NAMES } from '#core/errors';
// The id shapes a raw (unvalidated) request field must have to be echoed in the report of a rejected
// request: from the zod-free module the request schema uses too (#workflow/request would load zod).
import { GROUP_ID_PATTERN, isInstanceName, REQUEST_ID_MAX_LENGTH, VPC_ID_PATTERN } from '#core/patterns';
import type { EndpointKind } from '#core/state';
import type {
  CleanupOutcome,
  FailureReport,
  ResourceDisposition,
  ResourceReport,
  ResourceType,
} from '#workflow/events';
import {
  type CaughtError,
  type CleanupObservation,
  causeMessage,
  type FailureSummary,
  isRejectedInput,
  MAX_CAUSE_LENGTH,
  type RejectedInput,
  type SummarizeFailureInput,
  type WorkflowState,
} from '#workflow/steps';
import {
  atlasResourceType,
  IN_USE_STATUS,
  instanceLabel,
  quoted,
  RETIRED_SERVERLESS_HINT,
} from './common.ts';

/** Longest error message quoted in a cause (the cause as a whole stays under MAX_CAUSE_LENGTH). */
const MAX_MESSAGE_LENGTH = 2000;

/** Shapes of secrets that must never reach a cause, whatever an error message contained. */
function redact(text: string): string {
  return text
    .replace(/mdb_sa_sk_[A-Za-z0-9_-]+/g, '[redacted]')
    .replace(/\b(Bearer|Basic|Digest)\s+[^\s,;"']{8,}/gi, '$1 [redacted]')
    .replace(
      /\b(access_token|client_?secret|private_?key|password)(["']?\s*[:=]\s*["']?)[^\s"',;]+/gi,
      '$1$2[redacted]',
    );
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function caught(error: CaughtError | undefined): { error: string; message: string } | null {
  if (error === undefined) return null;
  return {
    error: error.Error,
    message: clip(redact(causeMessage(error.Cause ?? '')), MAX_MESSAGE_LENGTH),
  };
}

export function summarizeFailure(input: SummarizeFailureInput): FailureSummary {
  return isRejectedInput(input) ? summarizeRejected(input) : summarizeState(input);
}

// ---------------------------------------------------------------------------------------------------------
// The request never validated

function stringField(raw: unknown, field: string, valid: (s: string) => boolean): string | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const value = (raw as Record<string, unknown>)[field];
  return typeof value === 'string' && valid(value) ? value : null;
}

function summarizeRejected(input: RejectedInput): FailureSummary {
  const original = caught(input.error) ?? {
    error: ErrorNames.WorkflowFailed,
    message: 'unknown error',
  };
  const raw = input.input;
  const kindValue = stringField(raw, 'kind', (s) => s === 'serverless' || s === 'dedicated');
  const rollback =
    typeof raw === 'object' &&
    raw !== null &&
    typeof (raw as Record<string, unknown>).rollbackOnFailure === 'boolean'
      ? ((raw as Record<string, unknown>).rollbackOnFailure as boolean)
      : null;
  const actionValue = stringField(raw, 'action', (s) => s === 'create' || s === 'delete' || s === 'check');
  // A delete or a check refused here changed nothing (they create nothing anyway).
  const lifecycle = actionValue === 'delete' || actionValue === 'check' ? actionValue : undefined;
  const cause = clip(
    `${original.error}: ${quoted(original.message, 'no message')}. ${lifecycle === undefined ? 'Nothing was created' : 'Nothing was changed'}; ${nextStep(original.error, lifecycle)}.`,
    MAX_CAUSE_LENGTH,
  );
  const report: FailureReport = {
    action:
      (actionValue as FailureReport['action']) ??
      (typeof raw === 'object' && raw !== null && !('action' in raw) ? 'create' : null),
    requestId: stringField(raw, 'requestId', (s) => s.length > 0 && s.length <= REQUEST_ID_MAX_LENGTH),
    kind: kindValue as EndpointKind | null,
    groupId: stringField(raw, 'groupId', (s) => GROUP_ID_PATTERN.test(s)),
    instanceName: stringField(raw, 'instanceName', isInstanceName),
    vpcId: stringField(raw, 'vpcId', (s) => VPC_ID_PATTERN.test(s)),
    error: original.error,
    cause,
    originalError: original,
    cleanupError: null,
    rollbackOnFailure: rollback,
    cleanup: 'not-needed',
    resources: [],
  };
  return { error: original.error, cause, report };
}

/** What to do about an error that happened before anything was created, by its name (and the action). */
function nextStep(error: string, lifecycle?: 'delete' | 'check'): string {
  switch (error) {
    case ErrorNames.InvalidRequest:
      return 'fix the request and start a new execution';
    case ErrorNames.ConfigurationError:
      return "fix the deployment's configuration or the Atlas credential secret as the message says, then start a new execution";
    case ErrorNames.AtlasAuthFailed:
      return (
        "check the Atlas credentials in the secret (valid, of the project's organization, with the Project " +
        "Owner role) and the organization's API access list, then start a new execution"
      );
    case ErrorNames.AtlasTransientError:
      return 'Atlas kept failing or did not answer in time, even after retries: start a new execution later';
    case ErrorNames.AwsTransientError:
      return 'EC2 kept throttling or failing, even after retries: start a new execution later';
    case ErrorNames.TargetBusy:
      return lifecycle === undefined
        ? 'once the execution named above has ended, start a new execution (it converges on what that one made)'
        : `once the execution named above has ended, start the ${lifecycle} again (it then sees what that one made or removed)`;
    case ErrorNames.AtlasNotFound:
      return 'check that the project and the instance or cluster exist and that the credentials can see them, then start a new execution';
    default:
      return 'start a new execution once the problem the message describes is fixed';
  }
}

/**
 * Errors after which an Atlas create may have taken effect unseen: its answer was lost and every look-up since
 * failed too (AtlasTransientError), or the invocation died (a Lambda or Step Functions error, not a named one).
 */
function createMayHaveTakenEffect(error: string): boolean {
  return (
    error === ErrorNames.AtlasTransientError || !(THROWN_ERROR_NAMES as readonly string[]).includes(error)
  );
}

// ---------------------------------------------------------------------------------------------------------
// A validated request that failed later

interface Tracked {
  readonly type: ResourceType;
  readonly id: string;
  readonly created: boolean;
  readonly lastStatus: string | undefined;
}

/** The resources the record knows about, in creation order. */
function trackedResources(state: WorkflowState): Tracked[] {
  const out: Tracked[] = [];
  const kind = state.request.kind;
  if (state.atlas !== undefined) {
    out.push({
      type: atlasResourceType(kind),
      id: state.atlas.id,
      created: state.atlas.created,
      lastStatus: state.atlas.atlasStatus,
    });
  }
  if (state.vpcEndpoint !== undefined) {
    out.push({
      type: 'vpc-endpoint',
      id: state.vpcEndpoint.vpcEndpointId,
      created: state.vpcEndpoint.created,
      lastStatus: state.vpcEndpoint.state,
    });
  }
  // Serverless: the link is the endpoint itself (already listed). Dedicated: the interface endpoint.
  if (kind === 'dedicated' && state.link !== undefined) {
    out.push({
      type: 'atlas-interface-endpoint',
      id: state.link.vpcEndpointId,
      created: state.link.created,
      lastStatus: state.link.atlasStatus,
    });
  }
  // What the cleanup found of this request's own beyond the record (its tags, its marker): a step that died
  // after its create took effect. Created by this request, like anything carrying its tags or marker.
  for (const found of [...(state.cleanupVpcEndpoints ?? []), ...(state.cleanupAtlas ?? [])]) {
    if (!out.some((r) => r.type === found.type && r.id === found.id)) {
      out.push({ type: found.type, id: found.id, created: true, lastStatus: found.lastStatus });
    }
  }
  return out;
}

/** The last cleanup observation: the recorded one, else the one a failed cleanup check left in `$.poll`. */
function lastCleanup(state: WorkflowState): CleanupObservation | undefined {
  if (state.cleanup !== undefined) return state.cleanup;
  if (state.poll?.phase === 'cleanup' && state.poll.observed !== undefined) {
    return state.poll.observed as CleanupObservation;
  }
  return undefined;
}

function summarizeState(state: WorkflowState): FailureSummary {
  const { request } = state;
  const action = request.action ?? 'create';
  // A delete's own failure is its cleanup's (the deletes are the cleanup steps): there is no other error.
  const deleteFailed = action === 'delete' && state.error === undefined && state.cleanupError !== undefined;
  const original = caught(deleteFailed ? state.cleanupError : state.error) ?? {
    error: ErrorNames.WorkflowFailed,
    message: 'the execution failed without a recorded error',
  };
  const cleanupError = caught(state.cleanupError);
  // A delete deletes whatever its request says about rollbacks, and so does a repair removing broken parts
  // (before prepare-repair); a repair never rolls back what it built (its rollbackOnFailure is false).
  const removing =
    action === 'delete' ||
    (action === 'check' && state.cleanupError !== undefined && state.repairRun === undefined);
  const rollback = removing ? true : request.rollbackOnFailure;
  const observation = lastCleanup(state);
  const same = (a: { type: string; id: string }, b: { type: string; id: string }) =>
    a.type === b.type && a.id === b.id;

  const resources: ResourceReport[] = trackedResources(state).map((r) => {
    let disposition: ResourceDisposition;
    let lastStatus = r.lastStatus;
    if (!r.created) {
      disposition = 'not-owned';
      // Never deleted by this request; the cleanup may have seen Atlas remove it (see removedByAtlas).
      if (observation?.gone.some((x) => same(x, r))) lastStatus = 'DELETED';
      else lastStatus = observation?.remaining.find((x) => same(x, r))?.status ?? lastStatus;
    } else if (!rollback) disposition = 'kept';
    else {
      const left = observation?.remaining.find((x) => same(x, r));
      if (left !== undefined) {
        disposition = 'left-over';
        lastStatus = left.status;
      } else if (observation?.gone.some((x) => same(x, r))) {
        disposition = 'deleted';
        lastStatus = 'DELETED';
      } else if (cleanupError === null && state.cleanup !== undefined) {
        // The cleanup finished and no longer saw it (e.g. Atlas removed it together with something else).
        disposition = 'deleted';
      } else disposition = 'left-over';
    }
    return lastStatus === undefined
      ? { type: r.type, id: r.id, disposition }
      : { type: r.type, id: r.id, disposition, lastStatus };
  });

  const owned = resources.some((r) => r.disposition !== 'not-owned');
  let cleanup: CleanupOutcome;
  if (!owned) cleanup = 'not-needed';
  else if (!rollback) cleanup = 'disabled';
  else if (cleanupError !== null || resources.some((r) => r.disposition === 'left-over'))
    cleanup = 'incomplete';
  else cleanup = 'complete';

  // With rollback off the delete steps only look (the cause says when that look failed): nothing was to go.
  let error = original.error;
  if (cleanupError !== null && rollback)
    error = action === 'delete' ? ErrorNames.DeleteIncomplete : ErrorNames.CleanupIncomplete;
  const observed = (r: ResourceReport, where: 'gone' | 'remaining') =>
    observation?.[where].some((x) => same(x, r)) ?? false;
  const removedByAtlas = {
    gone: resources.filter((r) => r.disposition === 'not-owned' && observed(r, 'gone')),
    going: resources.filter((r) => r.disposition === 'not-owned' && observed(r, 'remaining')),
  };
  const cause = clip(
    buildCause(state, original, deleteFailed ? null : cleanupError, resources, removedByAtlas, rollback),
    MAX_CAUSE_LENGTH,
  );
  const report: FailureReport = {
    action,
    requestId: request.requestId,
    kind: request.kind,
    groupId: request.groupId,
    instanceName: request.instanceName,
    vpcId: request.vpcId,
    error,
    cause,
    originalError: original,
    cleanupError,
    rollbackOnFailure: rollback,
    cleanup,
    resources,
  };
  return { error, cause, report };
}

const TYPE_LABEL: Readonly<Record<ResourceType, string>> = {
  'atlas-serverless-endpoint': 'Atlas serverless private endpoint',
  'atlas-endpoint-service': 'Atlas endpoint service',
  'atlas-interface-endpoint': 'Atlas interface endpoint',
  'vpc-endpoint': 'VPC endpoint',
};

function list(resources: readonly ResourceReport[]): string {
  return resources
    .map((r) => {
      const status =
        r.lastStatus !== undefined && r.disposition === 'left-over' ? ` (last seen ${r.lastStatus})` : '';
      return `${TYPE_LABEL[r.type]} ${r.id}${status}`;
    })
    .join(', ');
}

function buildCause(
  state: WorkflowState,
  original: { error: string; message: string },
  cleanupError: { error: string; message: string } | null,
  resources: readonly ResourceReport[],
  removedByAtlas: { readonly gone: readonly ResourceReport[]; readonly going: readonly ResourceReport[] },
  /** Whether the cleanup deleted (else it only looked: `rollbackOnFailure` false). */
  rollback: boolean,
): string {
  const { request } = state;
  const action = request.action ?? 'create';
  const parts: string[] = [];
  const message = quoted(original.message, 'no message');
  if (action === 'delete' && state.error === undefined) {
    parts.push(`${ErrorNames.DeleteIncomplete}: the delete did not finish (${original.error}: ${message}).`);
  } else if (action === 'check' && state.error === undefined && cleanupError !== null) {
    parts.push('The repair could not remove the broken parts of the connection.');
  } else parts.push(`${original.error}: ${message}.`);
  parts.push(
    `Request ${request.requestId}: ${instanceLabel(request)} in project ${request.groupId}, ` +
      `VPC ${request.vpcId} (${request.region}).`,
  );
  if (
    original.error === 'AtlasApiGone' &&
    request.kind === 'serverless' &&
    !message.includes('"kind": "dedicated"')
  ) {
    parts.push(RETIRED_SERVERLESS_HINT);
  }
  if (cleanupError !== null && rollback) {
    parts.push(
      `The cleanup failed too (${cleanupError.error}: ${quoted(cleanupError.message, 'no message')}).`,
    );
  } else if (cleanupError !== null) {
    parts.push(
      `Looking for what this request made failed (${cleanupError.error}: ${quoted(cleanupError.message, 'no message')}); ` +
        `resources carrying the request id "${request.requestId}" that are not named below may exist.`,
    );
  }
  const by = (d: ResourceDisposition) => resources.filter((r) => r.disposition === d);
  const deleted = by('deleted');
  const kept = by('kept');
  const leftOver = by('left-over');
  const notOwned = by('not-owned');
  if (deleted.length > 0) parts.push(`Deleted: ${list(deleted)}.`);
  if (kept.length > 0 && action === 'check') {
    parts.push(
      `Kept (a repair never deletes the connection it was asked to fix): ${list(kept)}. Run the check with ` +
        '"repair": true again to resume with them, or delete the connection.',
    );
  } else if (kept.length > 0) {
    parts.push(
      `Kept because rollbackOnFailure is false: ${list(kept)}. Delete them yourself, or run the request again ` +
        `with requestId "${request.requestId}" to resume with them.`,
    );
  }
  if (leftOver.length > 0) {
    const inUse = leftOver.filter((r) => r.lastStatus === IN_USE_STATUS);
    const stuck = leftOver.filter((r) => r.lastStatus !== IN_USE_STATUS);
    if (stuck.length > 0 && action === 'delete') {
      parts.push(
        `Left (not confirmed gone): ${list(stuck)}. Run the delete again once the problem is fixed, or delete them by hand.`,
      );
    } else if (stuck.length > 0) {
      parts.push(`Left over (the cleanup could not confirm them gone): ${list(stuck)}. Delete them by hand.`);
    }
    if (inUse.length > 0) {
      parts.push(
        `Not deleted because other VPC endpoints now use it: ${inUse.map((r) => `${TYPE_LABEL[r.type]} ${r.id}`).join(', ')}. ` +
          'Delete it once they are gone.',
      );
    }
  }
  const untouched = notOwned.filter(
    (r) => !removedByAtlas.gone.includes(r) && !removedByAtlas.going.includes(r),
  );
  if (untouched.length > 0) parts.push(`Not owned by this request, left as they were: ${list(untouched)}.`);
  if (removedByAtlas.gone.length > 0) {
    parts.push(
      `Not owned by this request and not deleted by it, but removed by Atlas together with its last interface ` +
        `endpoint (this request's, deleted by the cleanup): ${list(removedByAtlas.gone)}.`,
    );
  }
  if (removedByAtlas.going.length > 0) {
    parts.push(
      `Not owned by this request and not deleted by it; Atlas was removing it together with its last interface ` +
        `endpoint (this request's, deleted by the cleanup), still DELETING at the last check: ${list(removedByAtlas.going)}.`,
    );
  }
  if (resources.length === 0) parts.push(nothingRecorded(state, original.error));
  return parts.join(' ');
}

/**
 * The cause's last sentence when the record holds no resource: the failure came before the Atlas side was
 * recorded, i.e. in the Atlas create step (or before it).
 */
function nothingRecorded(state: WorkflowState, error: string): string {
  const { request } = state;
  if (request.action !== undefined) return 'Nothing was changed.';
  if (state.atlas === undefined && createMayHaveTakenEffect(error)) {
    const lost =
      'Nothing was recorded as created, but an Atlas create may have taken effect with its answer lost.';
    if (request.kind === 'serverless') {
      return (
        `${lost} A serverless private endpoint of ${instanceLabel(request)} whose comment ends with ` +
        `${ownershipMarker(request.requestId)} is this request's: run the request again with requestId ` +
        `"${request.requestId}" to resume with it, or delete it.`
      );
    }
    return (
      `${lost} If project ${request.groupId} has an AWS endpoint service for ${request.region} that no interface ` +
      'endpoint uses, this request may have made it; the workflow never deletes a service it cannot prove it ' +
      'made, so delete it by hand if nothing needs it.'
    );
  }
  const hint =
    error === ErrorNames.ConfigurationError || error === ErrorNames.AtlasAuthFailed
      ? `; ${nextStep(error)}`
      : '';
  return `Nothing had been created${hint}.`;
}
