/**
 * The pieces of the state record: the JSON document that flows through the state machine.
 *
 * Each step writes its result under its own key, so the record grows as the execution advances and
 * compensation can see exactly what exists. Everything here is plain JSON (no Dates, no classes) so
 * that `startExecution.sync` callers and the console can read it directly.
 *
 * The record itself is `WorkflowState` in ./steps.ts, next to the step contracts and the polling
 * bookkeeping (`PollRecord`) it is built from; this module holds the request, each side's shape and the
 * output, which the Atlas and EC2 clients use too.
 */

export type EndpointKind = 'serverless' | 'dedicated';

/**
 * What an execution does with the connection its request names: `create` (the default) connects the VPC,
 * `delete` removes what belongs to the connection, `check` reads both sides and reports drift (and, with
 * `repair`, converges the connection back to healthy through the create path).
 */
export type WorkflowAction = 'create' | 'delete' | 'check';

/**
 * Ids a `delete` or `check` request named to pick its connection, e.g. from a create's output. Each one
 * narrows the look-up; none is needed when the target (kind, project, instance, VPC) has one connection.
 */
export interface ConnectionLookup {
  /** Set only when the request named its `requestId` (not the execution-name default). */
  readonly requestId?: string;
  readonly vpcEndpointId?: string;
  readonly atlasEndpointId?: string;
}

/**
 * The Step Functions execution running the request (`$$.Execution`): the ClientToken of its VPC endpoint create
 * (stable across its retries, new for every execution), the holder of its target lease, and the start of its
 * whole-run deadline.
 */
export interface ExecutionInfo {
  /** The execution ARN (`$$.Execution.Id`). */
  readonly id: string;
  /** The execution name (`$$.Execution.Name`). */
  readonly name: string;
  /** ISO timestamp the execution started (`$$.Execution.StartTime`). */
  readonly startTime: string;
}

/**
 * The target lease this execution holds (`$.lease`): one item per target in the deployment's lease table,
 * taken by validate-request before it looks at anything, released before the execution ends. Its expiry
 * (the execution's start plus its timeout) frees the target of an execution that died without releasing it.
 */
export interface LeaseSide {
  /** The lease item's key: kind, project, instance or cluster, region and VPC. */
  readonly key: string;
  /** The holder: the execution ARN. */
  readonly holder: string;
  /** ISO timestamp the lease expires at. */
  readonly expiresAt: string;
}

/** The validated, defaults-filled execution input (produced by the request schema). */
export interface WorkflowRequest {
  readonly kind: EndpointKind;
  /** Atlas project id, 24 hex characters. */
  readonly groupId: string;
  /** Serverless instance name (kind serverless) or cluster name (kind dedicated). */
  readonly instanceName: string;
  /** Optional comment for the Atlas serverless endpoint (at most 63 characters: the workflow appends a 16-character ownership marker, Atlas keeps 80). */
  readonly comment?: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  /** AWS region name of the VPC, e.g. `us-east-1`. */
  readonly region: string;
  /**
   * The AWS account of the VPC when it is not the workflow's own (hub and spoke): the EC2 steps then work
   * through the role the deployment configured for that account. Absent: the workflow's own account.
   */
  readonly vpcAccountId?: string;
  readonly privateDnsEnabled: boolean;
  /** Extra tags for the VPC endpoint (the workflow adds its own managing tags too). */
  readonly tags: Readonly<Record<string, string>>;
  /**
   * Idempotency key: executions with the same id converge on the same resources (found by their tags and the
   * Atlas ownership marker). Defaults to the execution name.
   */
  readonly requestId: string;
  /** When false, a failure keeps what was created and the output names it. @default true */
  readonly rollbackOnFailure: boolean;
  /** Absent for `create` (the default, and the record of every create looks as it always did). */
  readonly action?: Exclude<WorkflowAction, 'create'>;
  /** `check` only: converge the connection back to healthy. Absent when false. */
  readonly repair?: true;
  /** `delete` / `check` only: what the request named to pick its connection. */
  readonly lookup?: ConnectionLookup;
}

/** Where a VPC lives: what the EC2 steps need to pick their client (region, and account when not the own). */
export interface VpcLocation {
  readonly region: string;
  /** Absent: the workflow's own account. */
  readonly vpcAccountId?: string;
}

/** Atlas-side status normalized across both kinds. */
export type NormalizedAtlasStatus =
  | 'pending'
  | 'ready-for-vpc-endpoint'
  | 'linking'
  | 'available'
  | 'failed'
  | 'deleting'
  | 'gone';

/** The Atlas side: a serverless endpoint, or a dedicated endpoint service. */
export interface AtlasSide {
  readonly kind: EndpointKind;
  /** Serverless: the endpoint `_id`. Dedicated: the endpoint service `id`. */
  readonly id: string;
  readonly status: NormalizedAtlasStatus;
  /** Atlas's own status string (RESERVATION_REQUESTED, WAITING_FOR_USER, …). */
  readonly atlasStatus: string;
  /** `com.amazonaws.vpce.<region>.vpce-svc-…`; null while Atlas builds the service. */
  readonly endpointServiceName: string | null;
  readonly errorMessage?: string | null;
  /** True when this execution created it (compensation deletes only what it created, or converged on). */
  readonly created: boolean;
}

/** The AWS interface VPC endpoint. */
export interface VpcEndpointSide {
  readonly vpcEndpointId: string;
  /** EC2 state: pendingAcceptance, pending, available, deleting, deleted, rejected, failed. */
  readonly state: string;
  readonly serviceName: string;
  readonly dnsEntries: readonly { readonly dnsName: string; readonly hostedZoneId?: string }[];
  readonly created: boolean;
}

/** The link between both sides (serverless PATCH / dedicated interface endpoint). */
export interface LinkSide {
  readonly status: NormalizedAtlasStatus;
  /** Serverless endpoint status, or dedicated interface endpoint `connectionStatus`. */
  readonly atlasStatus: string;
  readonly errorMessage?: string | null;
  /** The VPC endpoint id registered with Atlas (serverless PATCH / dedicated interface endpoint id). */
  readonly vpcEndpointId: string;
  /** True when this request made the link (or an earlier run of the same request did). */
  readonly created: boolean;
}

export interface ConnectionSide {
  readonly srvConnectionString: string;
  readonly connectionString?: string;
}

/** `$.connection`: what the connection phase saw at its last check. */
export interface ConnectionState {
  /** The deployment's `stateName` at that check: UPDATING while it applies the private endpoint, then IDLE. */
  readonly atlasStatus: string;
  /** The private SRV connection string that names this VPC endpoint; null until Atlas publishes one. */
  readonly srvConnectionString: string | null;
  readonly connectionString?: string;
  /**
   * Atlas regions (e.g. `US_WEST_2`) of a multi-region cluster that still need a private endpoint before
   * Atlas publishes the private connection string (facts §10, "multi-region clusters"); empty once it is
   * published.
   */
  readonly pendingRegions: readonly string[];
}

/**
 * The success output of a `create` (and of a `check` that repaired). It names everything a later `delete` or
 * `check` needs: the output, with `"action"` added, is a valid request for them.
 */
export interface WorkflowOutput {
  readonly kind: EndpointKind;
  readonly groupId: string;
  readonly instanceName: string;
  /** The request id the connection's resources carry (tags, ownership marker). */
  readonly requestId: string;
  readonly vpcId: string;
  readonly region: string;
  /** Serverless: endpoint `_id`. Dedicated: endpoint service id. */
  readonly atlasEndpointId: string;
  readonly endpointServiceName: string;
  readonly vpcEndpointId: string;
  /** The private endpoint (link) is AVAILABLE. */
  readonly status: 'AVAILABLE';
  /**
   * The private SRV connection string for this VPC endpoint; null when a multi-region cluster still needs
   * endpoints in `pendingRegions` before Atlas publishes it.
   */
  readonly privateSrvConnectionString: string | null;
  /**
   * Atlas regions that still need a private endpoint before the connection string appears (a multi-region
   * cluster outside regionalized private endpoint mode); empty when the string is there.
   */
  readonly pendingRegions: readonly string[];
  readonly dnsEntries: readonly { readonly dnsName: string; readonly hostedZoneId?: string }[];
}
