/**
 * The whole life of a connection: the vocabulary of the `delete` and `check` actions and of the scheduled
 * audit, shared by the runtime (the steps that inspect, repair and summarize), the definition (lib/ shapes
 * outputs and events from these field names) and the tests.
 *
 * How a `delete` or `check` finds its connection (lambdas/workflow/operations/inspect.ts):
 * - the VPC endpoints of the target (kind, project, instance, VPC) that carry this deployment's managed-by tag,
 *   including ones EC2 still shows as `deleting` or `deleted`; narrowed by the ids the request names
 *   (`requestId`, `vpcEndpointId`, `atlasEndpointId`, e.g. from a create's output);
 * - the Atlas side the endpoint's `atlas-endpoint-id` tag names (or the request's `atlasEndpointId`; a
 *   serverless endpoint carrying the request's ownership marker when no VPC endpoint is left);
 * - the link (serverless: the endpoint's own status; dedicated: the interface endpoint of the VPC endpoint),
 *   and the private connection string Atlas lists for the VPC endpoint.
 *
 * What belongs to the connection (and may be deleted): a VPC endpoint carrying this deployment's managed-by
 * tag and a request id; the interface endpoint of such a VPC endpoint; the Atlas side when that VPC endpoint's
 * `atlas-created` tag says the same request created it (or, serverless, when its comment carries the request's
 * ownership marker). Anything else is reported, never touched.
 *
 * This module has no runtime imports, so lib/ can use it.
 */
import type { EndpointKind, WorkflowOutput, WorkflowRequest } from '#core/state';
import type { ResourceRef } from './events.ts';

/**
 * Kinds of drift a check reports.
 * - `connection-missing`: nothing of the connection exists on either side.
 * - `vpc-endpoint-deleted`: the VPC endpoint is gone (deleted outside the workflow) while Atlas still has
 *   the connection's side.
 * - `vpc-endpoint-rejected`: the VPC endpoint is `rejected`, `failed` or `expired` in AWS.
 * - `atlas-failed`: the Atlas side is FAILED, or Atlas REJECTED / FAILED the link.
 * - `atlas-gone`: the Atlas side (or, with a live VPC endpoint, its link) no longer exists.
 * - `connection-string-missing`: the link is AVAILABLE and the deployment is done applying it (IDLE), but Atlas
 *   lists no private connection string for it (and no other region is waiting for an endpoint).
 * - `tags-changed`: the VPC endpoint's tags differ from what the workflow wrote (or what the request asks for).
 */
export type DriftKind =
  | 'connection-missing'
  | 'vpc-endpoint-deleted'
  | 'vpc-endpoint-rejected'
  | 'atlas-failed'
  | 'atlas-gone'
  | 'connection-string-missing'
  | 'tags-changed';

export const DRIFT_KINDS: readonly DriftKind[] = [
  'connection-missing',
  'vpc-endpoint-deleted',
  'vpc-endpoint-rejected',
  'atlas-failed',
  'atlas-gone',
  'connection-string-missing',
  'tags-changed',
];

export interface Drift {
  readonly kind: DriftKind;
  /** The resource concerned, when there is one. */
  readonly resource?: ResourceRef;
  /** What was seen, for a person. */
  readonly detail: string;
}

/**
 * What the check saw, overall: `HEALTHY` (both sides AVAILABLE, the connection string listed, tags as
 * written), `PENDING` (still being built or deleted, nothing wrong yet), `DRIFTED` (see `drift`), `ABSENT`
 * (nothing of the connection exists), `IN_PROGRESS` (another execution holds the target's lease: it is
 * creating, deleting or repairing the connection, so what the check saw may be half done and is not judged;
 * `inProgress` names that execution).
 */
export type ConnectionStatus = 'HEALTHY' | 'PENDING' | 'DRIFTED' | 'ABSENT' | 'IN_PROGRESS';

/** The execution at work on the target when a check looked (it holds the target's lease). */
export interface TargetInProgress {
  /** The holder: that execution's ARN. */
  readonly executionArn: string;
  /** The request id that execution runs. */
  readonly requestId: string;
  /** ISO timestamp it took the lease. */
  readonly since: string;
}

/** A resource a delete or repair found and left alone, with the reason. */
export interface RefusedResource extends ResourceRef {
  readonly reason: string;
}

/** One side as a check reports it. `owned`: proven to belong to the connection (see the module comment). */
export interface InspectedAtlasSide {
  readonly id: string;
  /** Atlas's own status (`AVAILABLE`, `FAILED`, `DELETED` after a 404, …). */
  readonly status: string;
  readonly endpointServiceName: string | null;
  readonly owned: boolean;
}

export interface InspectedVpcEndpoint {
  readonly id: string;
  /** EC2 state (`available`, `rejected`, `deleted`, …). */
  readonly state: string;
  readonly serviceName: string;
  readonly owned: boolean;
}

export interface InspectedLink {
  /** The VPC endpoint id registered with Atlas. */
  readonly vpcEndpointId: string;
  /** Serverless endpoint status, or the interface endpoint's `connectionStatus`; `DELETED` when Atlas has none. */
  readonly status: string;
}

/** The output of a `check` (and the `report` of a drift event). */
export interface CheckOutput {
  readonly action: 'check';
  readonly kind: EndpointKind;
  readonly groupId: string;
  readonly instanceName: string;
  readonly vpcId: string;
  readonly region: string;
  /** The connection's request id (from its VPC endpoint's tags), else the request's. */
  readonly requestId: string;
  readonly status: ConnectionStatus;
  readonly healthy: boolean;
  /** Empty when `IN_PROGRESS`: a connection another execution is working on is not judged. */
  readonly drift: readonly Drift[];
  /** The execution holding the target's lease (status `IN_PROGRESS`); null otherwise. */
  readonly inProgress: TargetInProgress | null;
  readonly atlas: InspectedAtlasSide | null;
  readonly vpcEndpoint: InspectedVpcEndpoint | null;
  readonly link: InspectedLink | null;
  readonly privateSrvConnectionString: string | null;
  /**
   * Regions of a multi-region cluster that still need a private endpoint before Atlas publishes the
   * connection string (the check is then PENDING, as the create ended); empty otherwise.
   */
  readonly pendingRegions: readonly string[];
  /** Found but not provably the connection's: a repair leaves them alone. */
  readonly refused: readonly RefusedResource[];
  /** True once a repair brought the connection back to AVAILABLE (then `connection` is its output). */
  readonly repaired: boolean;
  readonly connection: WorkflowOutput | null;
}

/** The output of a `delete` (and the `output` of the deleted event). */
export interface DeleteOutput {
  readonly action: 'delete';
  readonly kind: EndpointKind;
  readonly groupId: string;
  readonly instanceName: string;
  readonly vpcId: string;
  readonly region: string;
  readonly requestId: string;
  /**
   * `deleted`: this execution deleted something; `already-gone`: nothing of the connection was left;
   * `refused`: what was found is not provably the connection's (see `refused`), so nothing was deleted.
   */
  readonly outcome: 'deleted' | 'already-gone' | 'refused';
  /** What this execution deleted, each confirmed gone. */
  readonly deleted: readonly ResourceRef[];
  /**
   * Not the connection's, but removed by Atlas together with the connection's last interface endpoint (a
   * dedicated endpoint service someone else created).
   */
  readonly removedByAtlas: readonly ResourceRef[];
  /** Found and left alone, with the reason (not provably the connection's, or still used by others). */
  readonly refused: readonly RefusedResource[];
}

/** Repair: what prepare-repair tries to keep once the broken parts are gone (it reads each again). */
export interface RepairPlan {
  /** Keep the Atlas side (adopt it if it is still usable). */
  readonly keepAtlas: boolean;
  /** Whether the Atlas side belongs to the connection (written as the new VPC endpoint's atlas-created tag). */
  readonly atlasOwned: boolean;
  /** Keep the VPC endpoint (adopt it, restoring its tags, if it is still usable). */
  readonly keepVpcEndpoint: boolean;
}

/** `$.inspection`: written by inspect-connection for `delete` and `check`. */
export interface ConnectionInspection {
  /** The check's report (for a delete too: what was found before deleting). */
  readonly report: CheckOutput;
  /** Repair only: what to keep. */
  readonly repair?: RepairPlan;
  /**
   * Repair only: drift a repair cannot fix, because what stands in the way is not provably the connection's.
   * Empty otherwise.
   */
  readonly blockers: readonly RefusedResource[];
}

/** `detail` of a {@link DetailTypes.DriftDetected} event (events.ts). */
export interface DriftEventDetail {
  readonly version: '1';
  readonly executionArn: string;
  readonly requestId: string;
  readonly report: CheckOutput;
}

/** `detail` of a {@link DetailTypes.Deleted} event (events.ts). */
export interface DeletedEventDetail {
  readonly version: '1';
  readonly executionArn: string;
  readonly requestId: string;
  readonly output: DeleteOutput;
}

/** The audit's input: `{ "action": "audit" }` (what the schedule sends). */
export const AUDIT_ACTION = 'audit';

/** `$.audit`: the connections list-connections found. */
export interface AuditPlan {
  readonly region: string;
  /** One state record (`{ request }`, `action: "check"`) per connection: the Map's items. */
  readonly connections: readonly { readonly request: WorkflowRequest }[];
  /** VPC endpoints of this deployment whose tags no longer say which connection they belong to. */
  readonly unidentified: readonly RefusedResource[];
}

/** The output of the audit. */
export interface AuditOutput {
  readonly action: 'audit';
  readonly region: string;
  readonly unidentified: readonly RefusedResource[];
  /** One entry per connection: its check report, or the error that stopped its check. */
  readonly reports: readonly (CheckOutput | { readonly request: unknown; readonly error: unknown })[];
}
