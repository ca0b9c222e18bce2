/**
 * One interface for an Atlas endpoint kind (the implementations are chosen in ./kinds.ts, which nothing
 * here imports back), two implementations:
 * - `serverless`: a serverless instance's private endpoint (POST, then PATCH with the VPC endpoint id).
 *   MongoDB retired these on 2026-01-22; Atlas answers 410 (AtlasApiGone) once the API is gone.
 * - `dedicated`: the project's AWS endpoint service for a region, plus one interface endpoint per VPC
 *   endpoint; the connection string comes from the dedicated cluster.
 *
 * Statuses are normalized across kinds (`NormalizedAtlasStatus`):
 *
 * | normalized | serverless endpoint | dedicated service | dedicated interface endpoint |
 * |---|---|---|---|
 * | pending | RESERVATION_REQUESTED | INITIATING, or WAITING_FOR_USER/AVAILABLE without a name | – |
 * | ready-for-vpc-endpoint | RESERVED | AVAILABLE (today) or WAITING_FOR_USER (older) with a service name | – |
 * | linking | INITIATING | – | NONE, PENDING_ACCEPTANCE, PENDING |
 * | available | AVAILABLE | – | AVAILABLE |
 * | failed | FAILED | FAILED | REJECTED |
 * | deleting | DELETING | DELETING | DELETING (or deleteRequested) |
 * | gone | 404 | 404 | 404 |
 */
import type { ConnectionSide, EndpointKind, NormalizedAtlasStatus } from '#core/state';

export interface EndpointTarget {
  /** Atlas project id (24 hex). */
  readonly groupId: string;
  /** Serverless instance name (serverless) or cluster name (dedicated). */
  readonly instanceName: string;
  /** AWS region name of the VPC, e.g. `us-east-1`. */
  readonly region: string;
  /**
   * Comment for the serverless endpoint; ignored by the dedicated kind. With an `ownershipMarker`, Atlas
   * stores `<comment> <marker>`, so comment and marker together must fit Atlas's 80 characters.
   */
  readonly comment?: string;
  /**
   * Serverless: the request's ownership marker (`ownershipMarker(requestId)` in kind-common.ts). The create
   * and the link write it into the endpoint's comment, and then only an endpoint whose comment carries it
   * counts as this target's own: `findExisting` without a VPC endpoint id and the converge look-up after a
   * create whose answer was lost find nothing else. Without a marker (tools, tests) the comment is matched
   * as it is. Ignored by the dedicated kind (an endpoint service has no comment).
   */
  readonly ownershipMarker?: string;
}

/** The Atlas side of an endpoint: a serverless endpoint or a dedicated endpoint service. */
export interface AtlasEndpointView {
  /** Serverless: the endpoint `_id`. Dedicated: the endpoint service `id`. */
  readonly id: string;
  readonly status: NormalizedAtlasStatus;
  /** Atlas's own status string; `DELETED` when Atlas answered 404. */
  readonly atlasStatus: string;
  readonly endpointServiceName: string | null;
  readonly errorMessage: string | null;
  /** VPC endpoint ids Atlas already knows for this endpoint (serverless: 0 or 1; dedicated: interface endpoints). */
  readonly linkedVpcEndpointIds: readonly string[];
  /**
   * Serverless: the endpoint's comment carries the target's `ownershipMarker`, i.e. the request that made
   * it is the target's request. Always false for dedicated and for a target without a marker.
   */
  readonly carriesMarker: boolean;
}

/** What `create` did. */
export interface CreateResult {
  readonly view: AtlasEndpointView;
  /**
   * The create took effect: Atlas answered the POST, or the look-up after an ambiguous failure (timeout,
   * dropped connection, 5xx) found the resource. False when the dedicated kind adopted the region's service
   * on 409.
   */
  readonly created: boolean;
  /**
   * Atlas answered the POST itself. False when the converge look-up supplied the result (whether that
   * resource is the one the POST made is then known only from its marker, serverless) or on a 409 adoption.
   */
  readonly confirmed: boolean;
}

/** The link between the Atlas side and one VPC endpoint. */
export interface LinkView {
  readonly status: NormalizedAtlasStatus;
  /** Serverless endpoint status, or the interface endpoint's `connectionStatus`; `DELETED` after a 404. */
  readonly atlasStatus: string;
  readonly errorMessage: string | null;
}

/**
 * What a deployment is, as far as private endpoints care: `dedicated` (a dedicated cluster: private endpoints
 * work), `serverless` (a serverless instance), `free` (an M0 tenant cluster), `shared` (M2/M5 tenant), `flex`
 * (a Flex cluster, which the cluster API refuses), `cluster` (the serverless API says the name is a cluster;
 * which kind, only the cluster API can tell).
 */
export type DeploymentTier = 'dedicated' | 'serverless' | 'free' | 'shared' | 'flex' | 'cluster';

/** A serverless instance or cluster, read once (one GET; no other call). */
export interface DeploymentView {
  readonly tier: DeploymentTier;
  /** Atlas's `stateName` (IDLE, UPDATING, …); `UNKNOWN` when Atlas gave none (a Flex cluster). */
  readonly stateName: string;
  /** Cloud providers of its nodes (a tenant cluster's backing provider). */
  readonly providers: readonly string[];
  /** Atlas names of the AWS regions its nodes are in, highest priority first (serverless: its region). */
  readonly awsRegions: readonly string[];
  /** The private connection strings that name the VPC endpoint asked about, once Atlas publishes them. */
  readonly connection?: ConnectionSide;
}

/** What `remove` did: asked Atlas to delete it, found it gone, or Atlas refused because it is still in use. */
export type RemoveOutcome = 'deleting' | 'gone' | 'in-use';

export interface EndpointKindClient {
  readonly kind: EndpointKind;
  /**
   * The endpoint this target already has, if any. Serverless: the endpoint linked to `vpcEndpointId`, else
   * the one that carries the target's ownership marker, whatever its status but DELETING (a usable unlinked
   * one first, a FAILED one last: it is still the target's own, to report and delete, never to duplicate);
   * without a marker, an unlinked usable one (RESERVATION_REQUESTED or RESERVED) with the same comment when
   * the target has one. Dedicated: the endpoint service of the target's region (preferring one that already
   * lists `vpcEndpointId`).
   */
  findExisting(target: EndpointTarget, vpcEndpointId?: string): Promise<AtlasEndpointView | undefined>;
  /**
   * Everything that provably belongs to the target's request, whatever its status but DELETING: serverless,
   * every endpoint carrying the target's ownership marker (none without a marker); dedicated, nothing (an
   * endpoint service carries no mark of who made it). What a cleanup deletes besides what its record names.
   */
  findOwned(target: EndpointTarget): Promise<readonly AtlasEndpointView[]>;
  /**
   * Creates the Atlas side with one POST (resent only when Atlas certainly did not act on it). After an
   * ambiguous failure the converge look-up runs first: serverless, the endpoint carrying the target's marker
   * (without a marker: an unlinked one with the target's comment, none when it has no comment); dedicated,
   * the region's service. Dedicated adopts the region's existing service on 409 (`created: false`). It does
   * not look up before the POST: callers that may retry (the create step) do that themselves.
   */
  create(target: EndpointTarget): Promise<CreateResult>;
  /** Reads the Atlas side; a 404 gives status `gone`. */
  describe(target: EndpointTarget, id: string): Promise<AtlasEndpointView>;
  /**
   * Links a VPC endpoint. Serverless: PATCH, never when the endpoint is already linked (to this VPC endpoint
   * it just reports the link; to another one it throws ResourceConflict). Dedicated: creates the interface
   * endpoint; 409 means it exists, and its state is returned. `known`: the Atlas side as the caller read it
   * just before (the serverless client then skips its own read when that view is enough).
   */
  link(
    target: EndpointTarget,
    id: string,
    vpcEndpointId: string,
    known?: AtlasEndpointView,
  ): Promise<LinkView>;
  /** Reads the link's state; a 404 gives status `gone`. */
  describeLink(target: EndpointTarget, id: string, vpcEndpointId: string): Promise<LinkView>;
  /**
   * Removes the link. Dedicated: deletes the interface endpoint (404 is success). Serverless: Atlas has no
   * operation to detach a VPC endpoint, the link goes with the endpoint in `remove`, so this does nothing.
   */
  unlink(target: EndpointTarget, id: string, vpcEndpointId: string): Promise<void>;
  /**
   * Deletes the Atlas side; 404 is `gone`. Dedicated: Atlas refuses to delete a service that still has an
   * interface endpoint, attached or deleting (facts §10); that refusal is `in-use`, not an error.
   */
  remove(target: EndpointTarget, id: string): Promise<RemoveOutcome>;
  /**
   * Reads the target's deployment (serverless: the instance; dedicated: the cluster) with one GET, and the
   * private connection strings naming `vpcEndpointId` when given. A deployment of another kind is a `tier`
   * (Flex, a serverless instance, a cluster), not an error; a missing one is (404).
   */
  describeDeployment(target: EndpointTarget, vpcEndpointId?: string): Promise<DeploymentView>;
  /**
   * The deployment's regions (Atlas names) that still need a private endpoint before Atlas publishes its
   * private connection string (facts §10, "multi-region clusters"): serverless, a single-region cluster, or a
   * project in regionalized private endpoint mode, none; otherwise each AWS region of the cluster in which
   * the project has no AVAILABLE interface endpoint.
   */
  missingRegions(target: EndpointTarget, deployment: DeploymentView): Promise<readonly string[]>;
  /** The private connection string for this VPC endpoint, once Atlas publishes it. */
  readConnectionString(target: EndpointTarget, vpcEndpointId: string): Promise<ConnectionSide | undefined>;
}
