/**
 * Serverless private endpoints (Atlas v2, resource version 2023-01-01; retired by MongoDB on 2026-01-22).
 *
 * Flow: POST an endpoint -> RESERVATION_REQUESTED -> RESERVED (endpointServiceName set) -> PATCH with the
 * VPC endpoint id -> INITIATING -> AVAILABLE; the private SRV string then appears on the instance.
 *
 * Ownership: with a target `ownershipMarker`, the POST and the PATCH write `<comment> <marker>` as the
 * endpoint's comment, and the look-ups that decide "is this ours?" (findExisting without a VPC endpoint,
 * the converge look-up after a create whose answer was lost) accept only an endpoint carrying that marker.
 */

import { AtlasNotFoundError, ResourceConflictError } from '#core/errors';
import type { ConnectionSide, NormalizedAtlasStatus } from '#core/state';
import { API_V2, type AtlasClient, pathParam } from './client.ts';
import type {
  AtlasEndpointView,
  DeploymentTier,
  DeploymentView,
  EndpointKindClient,
  EndpointTarget,
  LinkView,
  RemoveOutcome,
} from './endpoint-kind.ts';
import { isAtlasStatus } from './errors.ts';
import {
  carriesMarker,
  connectionStringsOf,
  GONE_LINK,
  goneView,
  markedComment,
  privateEndpointEntry,
  unlessNotFound,
} from './kind-common.ts';
import { asArray, asObject, type Json, optionalString, regionKey, requiredString } from './shapes.ts';

/** A deployment the serverless API refuses as another kind: a view of that kind (nothing else is known). */
function otherKind(tier: DeploymentTier): DeploymentView {
  return { tier, stateName: 'UNKNOWN', providers: [], awsRegions: [] };
}

const VERSION = '2023-01-01';

/** Serverless endpoint status -> normalized status. */
export function normalizeServerlessStatus(status: string): NormalizedAtlasStatus {
  switch (status) {
    case 'RESERVATION_REQUESTED':
      return 'pending';
    case 'RESERVED':
      return 'ready-for-vpc-endpoint';
    case 'INITIATING':
      return 'linking';
    case 'AVAILABLE':
      return 'available';
    case 'FAILED':
      return 'failed';
    case 'DELETING':
      return 'deleting';
    default:
      // An unknown (newer) status: keep polling rather than fail; atlasStatus shows what Atlas said.
      return 'pending';
  }
}

function endpointsPath(target: EndpointTarget): string {
  return `${API_V2}/groups/${pathParam(target.groupId)}/privateEndpoint/serverless/instance/${pathParam(
    target.instanceName,
  )}/endpoint`;
}

function toView(raw: unknown, operation: string, target: EndpointTarget): AtlasEndpointView {
  const body = asObject(raw, operation);
  const atlasStatus = requiredString(body, 'status', operation);
  const linked = optionalString(body, 'cloudProviderEndpointId');
  return {
    id: requiredString(body, '_id', operation),
    status: normalizeServerlessStatus(atlasStatus),
    atlasStatus,
    endpointServiceName: optionalString(body, 'endpointServiceName'),
    errorMessage: optionalString(body, 'errorMessage'),
    linkedVpcEndpointIds: linked === null ? [] : [linked],
    carriesMarker:
      target.ownershipMarker !== undefined && carriesMarker(body.comment, target.ownershipMarker),
  };
}

/** The comment Atlas stores for the target: marked when the target has a marker. */
function commentOf(target: EndpointTarget): string | undefined {
  return target.ownershipMarker === undefined
    ? target.comment
    : markedComment(target.comment, target.ownershipMarker);
}

/** Statuses of an unlinked endpoint worth adopting (not failed, not on its way out). */
const ADOPTABLE = new Set(['RESERVATION_REQUESTED', 'RESERVED']);

function isUnlinkedAndUsable(raw: Json): boolean {
  return (
    optionalString(raw, 'cloudProviderEndpointId') === null &&
    typeof raw.status === 'string' &&
    ADOPTABLE.has(raw.status)
  );
}

/**
 * Of the endpoints carrying a request's marker (its own), the one to deal with: whatever its status, except
 * on its way out (DELETING). A usable unlinked one first, then any other that is not FAILED, then a FAILED
 * one: an owned endpoint that went FAILED is still this request's, to be reported and deleted, never
 * replaced by a second one.
 */
function ownEndpoint(raws: readonly Json[], marker: string): Json | undefined {
  const own = raws.filter((raw) => carriesMarker(raw.comment, marker) && raw.status !== 'DELETING');
  return own.find(isUnlinkedAndUsable) ?? own.find((raw) => raw.status !== 'FAILED') ?? own[0];
}

/** Reads a serverless instance (`ServerlessInstanceDescription`) as a DeploymentView. */
export function serverlessInstanceView(raw: unknown, vpcEndpointId: string | undefined): DeploymentView {
  const body = asObject(raw, 'getServerlessInstance');
  const settings =
    typeof body.providerSettings === 'object' && body.providerSettings !== null
      ? (body.providerSettings as Json)
      : {};
  const backing = optionalString(settings, 'backingProviderName');
  const region = optionalString(settings, 'regionName');
  const cs = connectionStringsOf(body);
  const found =
    cs === undefined || vpcEndpointId === undefined ? undefined : privateEndpointEntry(cs, vpcEndpointId);
  return {
    tier: 'serverless',
    stateName: optionalString(body, 'stateName') ?? 'UNKNOWN',
    providers: backing === null ? [] : [backing],
    awsRegions: backing === 'AWS' && region !== null ? [regionKey(region)] : [],
    ...(found === undefined ? {} : { connection: { srvConnectionString: found.srv } }),
  };
}

export function serverlessClient(atlas: AtlasClient): EndpointKindClient {
  const readDeployment = async (target: EndpointTarget, vpcEndpointId?: string): Promise<DeploymentView> => {
    try {
      const raw = await atlas.request<unknown>({
        operation: 'getServerlessInstance',
        method: 'GET',
        path: `${API_V2}/groups/${pathParam(target.groupId)}/serverless/${pathParam(target.instanceName)}`,
        version: VERSION,
      });
      return serverlessInstanceView(raw, vpcEndpointId);
    } catch (error) {
      // Former serverless instances were migrated to Free, Flex or Dedicated clusters, and their names now
      // point at those (facts §10, "Flex clusters"): AKO #2105 saw NOT_SERVERLESS_TENANT_CLUSTER for a Flex
      // cluster; a cluster answers CANNOT_USE_CLUSTER_IN_SERVERLESS_INSTANCE_API (facts §3d).
      if (isAtlasStatus(error, 400, 'NOT_SERVERLESS_TENANT_CLUSTER')) return otherKind('flex');
      if (isAtlasStatus(error, 400, 'CANNOT_USE_CLUSTER_IN_SERVERLESS_INSTANCE_API'))
        return otherKind('cluster');
      throw error;
    }
  };

  const listRaw = async (target: EndpointTarget): Promise<Json[]> => {
    const raw = await atlas.request<unknown>({
      operation: 'listServerlessPrivateEndpoint',
      method: 'GET',
      path: endpointsPath(target),
      version: VERSION,
    });
    return asArray(raw, 'listServerlessPrivateEndpoint').map((e) =>
      asObject(e, 'listServerlessPrivateEndpoint'),
    );
  };

  /**
   * The raw endpoint linked to the VPC endpoint, else the target's own: the one carrying the target's marker,
   * whatever its status but DELETING (see `ownEndpoint`; never an unmarked one), or without a marker the first
   * unlinked usable one with the target's comment (any, when the target has no comment either). `strict` (the
   * converge look-up, whose find counts as created): without a marker, only an endpoint with the target's
   * comment, and none when the target has no comment.
   */
  const findExistingRaw = async (
    target: EndpointTarget,
    vpcEndpointId?: string,
    strict = false,
  ): Promise<Json | undefined> => {
    const raws = await listRaw(target);
    if (vpcEndpointId !== undefined) {
      const linked = raws.find((raw) => raw.cloudProviderEndpointId === vpcEndpointId);
      if (linked) return linked;
    }
    const marker = target.ownershipMarker;
    if (marker !== undefined) return ownEndpoint(raws, marker);
    const usable = raws.filter(isUnlinkedAndUsable);
    const wantedComment = target.comment;
    if (wantedComment === undefined && strict) return undefined;
    return usable.find((raw) => wantedComment === undefined || raw.comment === wantedComment);
  };

  const findExisting = async (
    target: EndpointTarget,
    vpcEndpointId?: string,
  ): Promise<AtlasEndpointView | undefined> => {
    const raw = await findExistingRaw(target, vpcEndpointId);
    return raw === undefined ? undefined : toView(raw, 'listServerlessPrivateEndpoint', target);
  };

  /** The raw endpoint, or undefined after a 404. */
  const describeRaw = (target: EndpointTarget, id: string): Promise<unknown> =>
    unlessNotFound(
      atlas.request<unknown>({
        operation: 'getServerlessPrivateEndpoint',
        method: 'GET',
        path: `${endpointsPath(target)}/${pathParam(id)}`,
        version: VERSION,
      }),
      undefined,
    );

  const describe = async (target: EndpointTarget, id: string): Promise<AtlasEndpointView> => {
    const raw = await describeRaw(target, id);
    return raw === undefined ? goneView(id) : toView(raw, 'getServerlessPrivateEndpoint', target);
  };

  /** The link as seen on the endpoint; throws ResourceConflict when another VPC endpoint holds it. */
  const linkOf = (view: AtlasEndpointView, vpcEndpointId: string): LinkView => {
    if (view.status === 'gone') return GONE_LINK;
    const other = view.linkedVpcEndpointIds.find((v) => v !== vpcEndpointId);
    if (other !== undefined) {
      throw new ResourceConflictError(
        `Serverless endpoint ${view.id} is already linked to VPC endpoint ${other}, not ${vpcEndpointId}`,
        { details: { endpointId: view.id, linkedVpcEndpointId: other, vpcEndpointId } },
      );
    }
    return { status: view.status, atlasStatus: view.atlasStatus, errorMessage: view.errorMessage };
  };

  return {
    kind: 'serverless',
    findExisting,

    async findOwned(target) {
      const marker = target.ownershipMarker;
      if (marker === undefined) return [];
      const raws = await listRaw(target);
      return raws
        .filter((raw) => carriesMarker(raw.comment, marker) && raw.status !== 'DELETING')
        .map((raw) => toView(raw, 'listServerlessPrivateEndpoint', target));
    },

    async create(target) {
      const comment = commentOf(target);
      let converged = false;
      const raw = await atlas.request<unknown>({
        operation: 'createServerlessPrivateEndpoint',
        method: 'POST',
        path: endpointsPath(target),
        version: VERSION,
        body: comment === undefined ? {} : { comment },
        // After an ambiguous failure: the endpoint carrying the target's marker is the one the POST made.
        converge: async () => {
          const found = await findExistingRaw(target, undefined, true);
          converged = found !== undefined;
          return found;
        },
      });
      return {
        view: toView(raw, 'createServerlessPrivateEndpoint', target),
        created: true,
        confirmed: !converged,
      };
    },

    describe,

    async link(target, id, vpcEndpointId, known) {
      // A view the caller read just before stands for the read, unless the PATCH needs the raw comment (an
      // endpoint adopted from another request keeps its own) or it says the endpoint is gone.
      const reuse =
        known !== undefined &&
        known.id === id &&
        known.status !== 'gone' &&
        (target.ownershipMarker === undefined || known.carriesMarker);
      const currentRaw = reuse ? undefined : await describeRaw(target, id);
      if (!reuse && currentRaw === undefined) {
        throw new AtlasNotFoundError(`Serverless endpoint ${id} no longer exists`, {
          details: { operation: 'updateServerlessPrivateEndpoint', endpointId: id, status: 404 },
        });
      }
      const current =
        reuse && known !== undefined ? known : toView(currentRaw, 'getServerlessPrivateEndpoint', target);
      // Never PATCH an endpoint that is already linked (Atlas rejects it; and it may be another's).
      if (current.linkedVpcEndpointIds.length > 0) return linkOf(current, vpcEndpointId);
      /** The raw endpoint once it carries this VPC endpoint id (the PATCH took effect), else undefined. */
      const linkedRaw = async (): Promise<unknown | undefined> => {
        const raw = await describeRaw(target, id);
        if (raw === undefined) return undefined;
        return asObject(raw, 'getServerlessPrivateEndpoint').cloudProviderEndpointId === vpcEndpointId
          ? raw
          : undefined;
      };
      // The PATCH must not wipe an ownership marker: the target's own endpoint gets the comment the create
      // wrote; an endpoint that is not (adopted from another request) keeps the comment it has.
      const comment =
        target.ownershipMarker === undefined || current.carriesMarker
          ? commentOf(target)
          : (optionalString(asObject(currentRaw, 'getServerlessPrivateEndpoint'), 'comment') ?? undefined);
      try {
        const raw = await atlas.request<unknown>({
          operation: 'updateServerlessPrivateEndpoint',
          method: 'PATCH',
          path: `${endpointsPath(target)}/${pathParam(id)}`,
          version: VERSION,
          body: {
            providerName: 'AWS',
            cloudProviderEndpointId: vpcEndpointId,
            ...(comment === undefined ? {} : { comment }),
          },
          converge: linkedRaw,
        });
        return linkOf(toView(raw, 'updateServerlessPrivateEndpoint', target), vpcEndpointId);
      } catch (error) {
        // A concurrent attempt may have linked it first: Atlas then refuses the update.
        if (isAtlasStatus(error, 400, 'TENANT_PRIVATE_ENDPOINT_PROVIDER_UPDATE_INVALID')) {
          const raw = await linkedRaw();
          if (raw !== undefined)
            return linkOf(toView(raw, 'getServerlessPrivateEndpoint', target), vpcEndpointId);
        }
        throw error;
      }
    },

    async describeLink(target, id, vpcEndpointId) {
      return linkOf(await describe(target, id), vpcEndpointId);
    },

    async unlink() {
      // Atlas has no operation to detach a VPC endpoint from a serverless endpoint; remove() ends the link.
    },

    async remove(target, id) {
      return unlessNotFound(
        atlas
          .request<unknown>({
            operation: 'deleteServerlessPrivateEndpoint',
            method: 'DELETE',
            path: `${endpointsPath(target)}/${pathParam(id)}`,
            version: VERSION,
          })
          .then((): RemoveOutcome => 'deleting'),
        'gone' as RemoveOutcome,
      );
    },

    describeDeployment: readDeployment,

    async missingRegions() {
      // A serverless instance lives in one region: its private endpoint is the only one it needs.
      return [];
    },

    async readConnectionString(target, vpcEndpointId): Promise<ConnectionSide | undefined> {
      return (await readDeployment(target, vpcEndpointId)).connection;
    },
  };
}
