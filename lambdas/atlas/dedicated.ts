/**
 * Dedicated-cluster private endpoints on AWS (Atlas v2, resource version 2023-01-01; cluster 2024-08-05).
 *
 * Flow: POST an endpoint service for the region -> INITIATING -> WAITING_FOR_USER (endpointServiceName
 * set) -> create the VPC endpoint in AWS -> POST an interface endpoint with its `vpce-` id ->
 * PENDING_ACCEPTANCE -> PENDING -> AVAILABLE; the cluster then lists the private connection strings.
 * A project has one AWS endpoint service per region, so a 409 on create means "adopt the existing one".
 * An endpoint service has no comment or tags: who created it cannot be read back, so `create` says whether
 * Atlas answered the POST itself (`confirmed`) or a look-up found the service after an unclear failure.
 */

import { toAtlasRegion } from '#core/regions';
import type { ConnectionSide, NormalizedAtlasStatus } from '#core/state';
import { API_V2, type AtlasClient, pathParam } from './client.ts';
import type { AtlasEndpointView, EndpointKindClient, EndpointTarget, LinkView } from './endpoint-kind.ts';
import { isAtlasStatus } from './errors.ts';
import {
  connectionStringsOf,
  GONE_LINK,
  goneView,
  privateEndpointEntry,
  unlessNotFound,
} from './kind-common.ts';
import {
  asArray,
  asObject,
  type Json,
  optionalString,
  regionKey,
  requiredString,
  stringArray,
} from './shapes.ts';

const VERSION = '2023-01-01';
const CLUSTER_VERSION = '2024-08-05';

/** Endpoint service status -> normalized status (ready only once the service name is published). */
export function normalizeServiceStatus(
  status: string,
  endpointServiceName: string | null,
): NormalizedAtlasStatus {
  switch (status) {
    case 'WAITING_FOR_USER':
    case 'AVAILABLE':
      return endpointServiceName === null ? 'pending' : 'ready-for-vpc-endpoint';
    case 'FAILED':
      return 'failed';
    case 'DELETING':
      return 'deleting';
    default:
      // INITIATING, or a status newer than this client: keep polling.
      return 'pending';
  }
}

/** Interface endpoint `connectionStatus` -> normalized status. */
export function normalizeInterfaceStatus(connectionStatus: string): NormalizedAtlasStatus {
  switch (connectionStatus) {
    case 'PENDING_ACCEPTANCE':
    case 'PENDING':
      return 'linking';
    case 'AVAILABLE':
      return 'available';
    case 'REJECTED':
      return 'failed';
    case 'DELETING':
      return 'deleting';
    default:
      return 'linking';
  }
}

function groupPath(target: EndpointTarget): string {
  return `${API_V2}/groups/${pathParam(target.groupId)}/privateEndpoint`;
}

function servicePath(target: EndpointTarget, id: string): string {
  return `${groupPath(target)}/AWS/endpointService/${pathParam(id)}`;
}

function interfacePath(target: EndpointTarget, id: string, vpcEndpointId: string): string {
  return `${servicePath(target, id)}/endpoint/${pathParam(vpcEndpointId)}`;
}

function toView(raw: unknown, operation: string): AtlasEndpointView {
  const body = asObject(raw, operation);
  const atlasStatus = requiredString(body, 'status', operation);
  const endpointServiceName = optionalString(body, 'endpointServiceName');
  return {
    id: requiredString(body, 'id', operation),
    status: normalizeServiceStatus(atlasStatus, endpointServiceName),
    atlasStatus,
    endpointServiceName,
    errorMessage: optionalString(body, 'errorMessage'),
    linkedVpcEndpointIds: stringArray(body.interfaceEndpoints),
    carriesMarker: false,
  };
}

function toLink(raw: unknown, operation: string): LinkView {
  const body = asObject(raw, operation);
  const atlasStatus = requiredString(body, 'connectionStatus', operation);
  const status = body.deleteRequested === true ? 'deleting' : normalizeInterfaceStatus(atlasStatus);
  return { status, atlasStatus, errorMessage: optionalString(body, 'errorMessage') };
}

function connectionSide(srv: string, standard: string | null): ConnectionSide {
  return standard === null
    ? { srvConnectionString: srv }
    : { srvConnectionString: srv, connectionString: standard };
}

export function dedicatedClient(atlas: AtlasClient): EndpointKindClient {
  /** The raw endpoint service of the target's region (preferring one that lists the VPC endpoint). */
  const findExistingRaw = async (
    target: EndpointTarget,
    vpcEndpointId?: string,
  ): Promise<Json | undefined> => {
    const region = regionKey(toAtlasRegion(target.region));
    const raw = await atlas.request<unknown>({
      operation: 'listPrivateEndpointService',
      method: 'GET',
      path: `${groupPath(target)}/AWS/endpointService`,
      version: VERSION,
    });
    const inRegion = asArray(raw, 'listPrivateEndpointService')
      .map((e) => asObject(e, 'listPrivateEndpointService'))
      .filter((e) => (e.cloudProvider ?? 'AWS') === 'AWS')
      .filter((e) => typeof e.regionName === 'string' && regionKey(e.regionName) === region);
    const byVpce =
      vpcEndpointId === undefined
        ? undefined
        : inRegion.find((e) => stringArray(e.interfaceEndpoints).includes(vpcEndpointId));
    return byVpce ?? inRegion.find((e) => e.status !== 'DELETING') ?? inRegion[0];
  };

  const findExisting = async (
    target: EndpointTarget,
    vpcEndpointId?: string,
  ): Promise<AtlasEndpointView | undefined> => {
    const raw = await findExistingRaw(target, vpcEndpointId);
    return raw === undefined ? undefined : toView(raw, 'listPrivateEndpointService');
  };

  const describe = (target: EndpointTarget, id: string): Promise<AtlasEndpointView> =>
    unlessNotFound(
      atlas
        .request<unknown>({
          operation: 'getPrivateEndpointService',
          method: 'GET',
          path: servicePath(target, id),
          version: VERSION,
        })
        .then((raw) => toView(raw, 'getPrivateEndpointService')),
      goneView(id),
    );

  /** The raw interface endpoint, or undefined after a 404. */
  const describeLinkRaw = (target: EndpointTarget, id: string, vpcEndpointId: string): Promise<unknown> =>
    unlessNotFound(
      atlas.request<unknown>({
        operation: 'getPrivateEndpoint',
        method: 'GET',
        path: interfacePath(target, id, vpcEndpointId),
        version: VERSION,
      }),
      undefined,
    );

  const describeLink = async (
    target: EndpointTarget,
    id: string,
    vpcEndpointId: string,
  ): Promise<LinkView> => {
    const raw = await describeLinkRaw(target, id, vpcEndpointId);
    return raw === undefined ? GONE_LINK : toLink(raw, 'getPrivateEndpoint');
  };

  const deleteIgnoringMissing = async (operation: string, path: string): Promise<void> => {
    await unlessNotFound(
      atlas.request<unknown>({ operation, method: 'DELETE', path, version: VERSION }),
      undefined,
    );
  };

  return {
    kind: 'dedicated',
    findExisting,

    async findOwned() {
      // An endpoint service carries no mark of the request that made it.
      return [];
    },

    async create(target) {
      const region = toAtlasRegion(target.region);
      let converged = false;
      try {
        const raw = await atlas.request<unknown>({
          operation: 'createPrivateEndpointService',
          method: 'POST',
          path: `${groupPath(target)}/endpointService`,
          version: VERSION,
          body: { providerName: 'AWS', region },
          // After an ambiguous failure: the region's service, if it now exists, is most likely the one the
          // POST made; but nothing on it says so, hence `confirmed: false`.
          converge: async () => {
            const found = await findExistingRaw(target);
            converged = found !== undefined;
            return found;
          },
        });
        return { view: toView(raw, 'createPrivateEndpointService'), created: true, confirmed: !converged };
      } catch (error) {
        if (!isAtlasStatus(error, 409)) throw error;
        // The project already has a service for this region: adopt it (it is not ours to delete).
        const existing = await findExisting(target);
        if (existing === undefined) throw error;
        return { view: existing, created: false, confirmed: false };
      }
    },

    describe,

    async link(target, id, vpcEndpointId) {
      try {
        const raw = await atlas.request<unknown>({
          operation: 'createPrivateEndpoint',
          method: 'POST',
          path: `${servicePath(target, id)}/endpoint`,
          version: VERSION,
          body: { id: vpcEndpointId },
          converge: () => describeLinkRaw(target, id, vpcEndpointId),
        });
        return toLink(raw, 'createPrivateEndpoint');
      } catch (error) {
        if (!isAtlasStatus(error, 409)) throw error;
        // The interface endpoint exists already (an earlier attempt): report its state.
        const raw = await describeLinkRaw(target, id, vpcEndpointId);
        if (raw === undefined) throw error;
        return toLink(raw, 'getPrivateEndpoint');
      }
    },

    describeLink,

    async unlink(target, id, vpcEndpointId) {
      await deleteIgnoringMissing('deletePrivateEndpoint', interfacePath(target, id, vpcEndpointId));
    },

    async remove(target, id) {
      await deleteIgnoringMissing('deletePrivateEndpointService', servicePath(target, id));
    },

    async readConnectionString(target, vpcEndpointId): Promise<ConnectionSide | undefined> {
      const raw = await atlas.request<unknown>({
        operation: 'getCluster',
        method: 'GET',
        path: `${API_V2}/groups/${pathParam(target.groupId)}/clusters/${pathParam(target.instanceName)}`,
        version: CLUSTER_VERSION,
      });
      const cs = connectionStringsOf(asObject(raw, 'getCluster'));
      if (cs === undefined) return undefined;
      const found = privateEndpointEntry(cs, vpcEndpointId);
      if (found !== undefined)
        return connectionSide(found.srv, optionalString(found.entry, 'connectionString'));
      // Older shape: maps keyed by interface endpoint id.
      const srvMap = cs.awsPrivateLinkSrv;
      if (typeof srvMap === 'object' && srvMap !== null) {
        const srv = optionalString(srvMap as Json, vpcEndpointId);
        if (srv !== null) {
          const standardMap = cs.awsPrivateLink;
          const standard =
            typeof standardMap === 'object' && standardMap !== null
              ? optionalString(standardMap as Json, vpcEndpointId)
              : null;
          return connectionSide(srv, standard);
        }
      }
      return undefined;
    },
  };
}
