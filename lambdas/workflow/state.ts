/**
 * The state record: the JSON document that flows through the state machine.
 *
 * Each step writes its result under its own key, so the record grows as the execution advances and
 * compensation can see exactly what exists. Everything here is plain JSON (no Dates, no classes) so
 * that `startExecution.sync` callers and the console can read it directly.
 */

export type EndpointKind = 'serverless' | 'dedicated';

/** The validated, defaults-filled execution input (produced by the request schema). */
export interface WorkflowRequest {
  readonly kind: EndpointKind;
  /** Atlas project id, 24 hex characters. */
  readonly groupId: string;
  /** Serverless instance name (kind serverless) or cluster name (kind dedicated). */
  readonly instanceName: string;
  /** Optional comment for the Atlas serverless endpoint, under 80 characters. */
  readonly comment?: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  /** AWS region name of the VPC, e.g. `us-east-1`. */
  readonly region: string;
  readonly privateDnsEnabled: boolean;
  /** Extra tags for the VPC endpoint (the workflow adds its own managing tags too). */
  readonly tags: Readonly<Record<string, string>>;
  /** Idempotency key: derives the EC2 ClientToken. Defaults to the execution name. */
  readonly requestId: string;
  /** When false, a failure keeps what was created and the output names it. @default true */
  readonly rollbackOnFailure: boolean;
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
}

export interface ConnectionSide {
  readonly srvConnectionString: string;
  readonly connectionString?: string;
}

/** Polling bookkeeping for the current phase. */
export interface PollState {
  readonly phase: string;
  readonly attempt: number;
  /** Epoch ms the phase started and must end by. */
  readonly startedAt: number;
  readonly deadline: number;
  /** Seconds the next Wait state should wait. */
  readonly waitSeconds: number;
}

export interface StateRecord {
  readonly request: WorkflowRequest;
  /** Epoch ms deadline of the whole execution. */
  readonly executionDeadline?: number;
  readonly atlas?: AtlasSide;
  readonly vpcEndpoint?: VpcEndpointSide;
  readonly link?: LinkSide;
  readonly connection?: ConnectionSide;
  readonly poll?: PollState;
  /** Set by a Catch: the original error (Step Functions' Error/Cause). */
  readonly error?: { readonly Error: string; readonly Cause: string };
}

/** The execution's success output. */
export interface WorkflowOutput {
  readonly kind: EndpointKind;
  readonly groupId: string;
  readonly instanceName: string;
  /** Serverless: endpoint `_id`. Dedicated: endpoint service id. */
  readonly atlasEndpointId: string;
  readonly endpointServiceName: string;
  readonly vpcEndpointId: string;
  readonly status: 'AVAILABLE';
  readonly privateSrvConnectionString: string;
  readonly dnsEntries: readonly { readonly dnsName: string; readonly hostedZoneId?: string }[];
}
