/**
 * EventBridge contract of the workflow: what starts an execution, and what an execution publishes.
 *
 * The event types, all on one bus (the construct's `eventBus`, by default the account's default bus):
 *
 * | direction | source | detail-type | detail |
 * |---|---|---|---|
 * | in (starts a create) | {@link REQUEST_EVENT_SOURCE} | {@link DetailTypes.Requested} | the execution input (the request) |
 * | in (starts a delete) | {@link REQUEST_EVENT_SOURCE} | {@link DetailTypes.DeleteRequested} | the request (`action` may be left out) |
 * | in (starts a check) | {@link REQUEST_EVENT_SOURCE} | {@link DetailTypes.CheckRequested} | the request (`action` may be left out) |
 * | out (create or repair succeeded) | {@link EVENT_SOURCE} | {@link DetailTypes.Available} | {@link AvailableEventDetail} |
 * | out (delete succeeded) | {@link EVENT_SOURCE} | {@link DetailTypes.Deleted} | `DeletedEventDetail` (./lifecycle.ts) |
 * | out (a check found drift) | {@link EVENT_SOURCE} | {@link DetailTypes.DriftDetected} | `DriftEventDetail` (./lifecycle.ts) |
 * | out (failure) | {@link EVENT_SOURCE} | {@link DetailTypes.Failed} | {@link FailedEventDetail} |
 *
 * The request source differs from the publishing source on purpose: the trigger rule can never match an
 * event the workflow itself publishes. The state machine builds the published details with JSONPath
 * (no Lambda), so every field here is plain JSON. No detail ever carries a secret: only ids, names,
 * statuses, the private SRV connection string (host names, no credentials) and error text.
 *
 * This module has no imports beyond types, so lib/ (the CDK side) and the runtime share it freely.
 */
import type { EndpointKind, WorkflowAction, WorkflowOutput } from '#core/state';

/** `source` of the events the workflow publishes. */
export const EVENT_SOURCE = 'atlas-private-endpoint-workflow';

/** Default `source` of the request events the trigger rule matches. */
export const REQUEST_EVENT_SOURCE = 'atlas-private-endpoint-workflow.requests';

export const DetailTypes = {
  /** A request to connect a VPC to Atlas; `detail` is the execution input. */
  Requested: 'Atlas Private Endpoint Requested',
  /** A request to delete a connection; `detail` is the request (the body that created it will do). */
  DeleteRequested: 'Atlas Private Endpoint Delete Requested',
  /** A request to check a connection (with `"repair": true` in the detail: and repair it). */
  CheckRequested: 'Atlas Private Endpoint Check Requested',
  /** A delete succeeded; `detail` is a `DeletedEventDetail` (./lifecycle.ts). */
  Deleted: 'Atlas Private Endpoint Deleted',
  /** A check (or the scheduled audit) found drift; `detail` is a `DriftEventDetail` (./lifecycle.ts). */
  DriftDetected: 'Atlas Private Endpoint Drift Detected',
  /** An execution succeeded; `detail` is an {@link AvailableEventDetail}. */
  Available: 'Atlas Private Endpoint Available',
  /** An execution failed (after its cleanup, if any); `detail` is a {@link FailedEventDetail}. */
  Failed: 'Atlas Private Endpoint Failed',
} as const;

export type DetailType = (typeof DetailTypes)[keyof typeof DetailTypes];

/** The detail-type that starts each action (one EventBridge rule each). */
export const ACTION_DETAIL_TYPES: Readonly<Record<WorkflowAction, DetailType>> = {
  create: DetailTypes.Requested,
  delete: DetailTypes.DeleteRequested,
  check: DetailTypes.CheckRequested,
};

/** Version of the published detail schemas. Bumped on any incompatible change. */
export const EVENT_DETAIL_VERSION = '1';

/** What happened to one resource of a failed execution. */
export type ResourceDisposition =
  /** Created by this execution (or an earlier run of the same request) and deleted by the cleanup. */
  | 'deleted'
  /** Created, and deliberately kept because the request (or the deployment) set `rollbackOnFailure: false`. */
  | 'kept'
  /** Created, and the cleanup could not confirm it gone (see the failure's `cleanup: 'incomplete'`). */
  | 'left-over'
  /** Existed before this request (e.g. a shared dedicated endpoint service); never deleted by the workflow. */
  | 'not-owned';

/** Kinds of resource the workflow creates or adopts. */
export type ResourceType =
  /** Serverless: the Atlas private endpoint (`_id`). */
  | 'atlas-serverless-endpoint'
  /** Dedicated: the Atlas endpoint service (`id`). */
  | 'atlas-endpoint-service'
  /** Dedicated: the Atlas interface endpoint (the link), keyed by the VPC endpoint id. */
  | 'atlas-interface-endpoint'
  /** The AWS interface VPC endpoint (`vpce-…`). */
  | 'vpc-endpoint';

export interface ResourceRef {
  readonly type: ResourceType;
  readonly id: string;
}

export interface ResourceReport extends ResourceRef {
  readonly disposition: ResourceDisposition;
  /** Last known status (Atlas status string or EC2 state), when known. */
  readonly lastStatus?: string;
}

/**
 * How the failure was handled:
 * - `not-needed`: nothing had been created (e.g. InvalidRequest, or the first Atlas call failed);
 * - `complete`: everything this execution created is confirmed gone;
 * - `incomplete`: the cleanup itself failed or ran out of time; see the `left-over` resources;
 * - `disabled`: `rollbackOnFailure` was false, so everything created was kept.
 */
export type CleanupOutcome = 'not-needed' | 'complete' | 'incomplete' | 'disabled';

/** Everything a failed execution reports; built by the `summarize-failure` step. */
export interface FailureReport {
  /** What the execution was asked to do (`create` by default); null when the input was not a request. */
  readonly action: WorkflowAction | null;
  /** The request id, or null when the request was too malformed to have one. */
  readonly requestId: string | null;
  readonly kind: EndpointKind | null;
  readonly groupId: string | null;
  readonly instanceName: string | null;
  readonly vpcId: string | null;
  /**
   * The error the execution ends with: the original named error (`EndpointFailed`, `DeadlineExceeded`, …),
   * or `CleanupIncomplete` when the cleanup failed too (the original error is then in `originalError`).
   */
  readonly error: string;
  /** Human-readable: what failed, what was deleted or kept, which ids were involved. */
  readonly cause: string;
  /** The first error caught (name and message), before any cleanup. */
  readonly originalError: { readonly error: string; readonly message: string } | null;
  /** The cleanup's own error, when the cleanup failed. */
  readonly cleanupError: { readonly error: string; readonly message: string } | null;
  readonly rollbackOnFailure: boolean | null;
  readonly cleanup: CleanupOutcome;
  readonly resources: readonly ResourceReport[];
}

/** `detail` of a {@link DetailTypes.Available} event. */
export interface AvailableEventDetail {
  readonly version: typeof EVENT_DETAIL_VERSION;
  /** The execution's ARN (`$$.Execution.Id`). */
  readonly executionArn: string;
  readonly requestId: string;
  /** Exactly the execution's output. */
  readonly output: WorkflowOutput;
}

/** `detail` of a {@link DetailTypes.Failed} event. */
export interface FailedEventDetail {
  readonly version: typeof EVENT_DETAIL_VERSION;
  readonly executionArn: string;
  readonly requestId: string | null;
  readonly failure: FailureReport;
}
