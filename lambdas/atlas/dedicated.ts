/**
 * Dedicated-cluster private endpoints on AWS (Atlas v2, resource version 2023-01-01; cluster 2024-08-05).
 *
 * Flow: POST an endpoint service for the region -> INITIATING -> AVAILABLE (today; WAITING_FOR_USER on older
 * Atlas; either with endpointServiceName set) -> create the VPC endpoint in AWS -> POST an interface endpoint
 * with its `vpce-` id -> (NONE) PENDING_ACCEPTANCE -> PENDING -> AVAILABLE -> the cluster goes UPDATING and,
 * once IDLE again, lists the private connection strings (facts §10, "connection strings").
 * A project has one AWS endpoint service per region, so a 409 on create means "adopt the existing one".
 * An endpoint service has no comment or tags: who created it cannot be read back, so `create` says whether
 * Atlas answered the POST itself (`confirmed`) or a look-up found the service after an unclear failure.
 * Atlas refuses to delete a service that still has interface endpoints (facts §10): `remove` reports that as
 * `in-use` whatever the error code (no source names it).
 */

import { toAtlasRegion } from '#core/regions';
import type { ConnectionSide, NormalizedAtlasStatus } from '#core/state';
import { API_V2, type AtlasClient, pathParam } from './client.ts';
import type {
  AtlasEndpointView,
  DeploymentTier,
  DeploymentView,
  EndpointKindClient,
  EndpointTarget,
  LinkView,
} from './endpoint-kind.ts';
import { apiErrorOf, isAtlasStatus } from './errors.ts';
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
/** Interface endpoints read per endpoint service when looking for an AVAILABLE one (`missingRegions`). */
const MAX_INTERFACE_READS = 5;

/**
 * Endpoint service status -> normalized status (ready only once the service name is published). Facts §10
 * ("endpoint service status"): today's Atlas shows AVAILABLE before any interface endpoint exists; older
 * Atlas showed WAITING_FOR_USER, and Terraform accepts both as ready for the VPC endpoint.
 */
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
    // Facts §10 ("connectionStatus"): NONE, "not configured", besides the spec's enum; Terraform polls on.
    case 'NONE':
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

/** Reads a cluster (2024-08-05 `ClusterDescription20240805`) as a DeploymentView. */
export function clusterView(raw: unknown, vpcEndpointId: string | undefined): DeploymentView {
  const body = asObject(raw, 'getCluster');
  const configs: Json[] = [];
  for (const spec of Array.isArray(body.replicationSpecs) ? body.replicationSpecs : []) {
    const regionConfigs = typeof spec === 'object' && spec !== null ? (spec as Json).regionConfigs : [];
    for (const c of Array.isArray(regionConfigs) ? regionConfigs : []) {
      if (typeof c === 'object' && c !== null) configs.push(c as Json);
    }
  }
  const providers = new Set<string>();
  const awsRegions: string[] = [];
  let tier: DeploymentTier = 'dedicated';
  for (const c of configs) {
    const provider = optionalString(c, 'providerName');
    if (provider === 'TENANT') {
      const specs =
        typeof c.electableSpecs === 'object' && c.electableSpecs !== null ? (c.electableSpecs as Json) : {};
      const size = optionalString(specs, 'effectiveInstanceSize') ?? optionalString(specs, 'instanceSize');
      tier = size === 'FLEX' ? 'flex' : size === 'M2' || size === 'M5' ? 'shared' : 'free';
      const backing = optionalString(c, 'backingProviderName');
      if (backing !== null) providers.add(backing);
      continue;
    }
    if (provider !== null) providers.add(provider);
    const region = optionalString(c, 'regionName');
    if (provider === 'AWS' && region !== null && !awsRegions.includes(regionKey(region))) {
      awsRegions.push(regionKey(region));
    }
  }
  const connection = vpcEndpointId === undefined ? undefined : clusterConnection(body, vpcEndpointId);
  return {
    tier,
    stateName: optionalString(body, 'stateName') ?? 'UNKNOWN',
    providers: [...providers],
    awsRegions: tier === 'dedicated' ? awsRegions : [],
    ...(connection === undefined ? {} : { connection }),
  };
}

/** The private connection strings of a cluster that name `vpcEndpointId`. */
function clusterConnection(body: Json, vpcEndpointId: string): ConnectionSide | undefined {
  const cs = connectionStringsOf(body);
  if (cs === undefined) return undefined;
  const found = privateEndpointEntry(cs, vpcEndpointId);
  if (found !== undefined) return connectionSide(found.srv, optionalString(found.entry, 'connectionString'));
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
}

/** A deployment the cluster API refuses as another kind: a view of that kind (nothing else is known). */
function otherKind(tier: DeploymentTier): DeploymentView {
  return { tier, stateName: 'UNKNOWN', providers: [], awsRegions: [] };
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

  const readDeployment = async (target: EndpointTarget, vpcEndpointId?: string): Promise<DeploymentView> => {
    try {
      const raw = await atlas.request<unknown>({
        operation: 'getCluster',
        method: 'GET',
        path: `${API_V2}/groups/${pathParam(target.groupId)}/clusters/${pathParam(target.instanceName)}`,
        version: CLUSTER_VERSION,
      });
      return clusterView(raw, vpcEndpointId);
    } catch (error) {
      // Facts §10 ("Flex clusters"): the cluster API answers 400 CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API.
      if (isAtlasStatus(error, 400, 'CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API')) return otherKind('flex');
      if (isAtlasStatus(error, 400, 'CANNOT_USE_SERVERLESS_INSTANCE_IN_CLUSTER_API')) {
        return otherKind('serverless');
      }
      throw error;
    }
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
        // Facts §10 ("duplicate interface endpoint"): 409 per the spec, 400 on AKO's legacy path; ASSUMPTION: the
        // code is not known, so either status converges when the interface endpoint exists (an earlier
        // attempt) and is rethrown otherwise.
        if (!isAtlasStatus(error, 409) && !isAtlasStatus(error, 400)) throw error;
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
      try {
        await atlas.request<unknown>({
          operation: 'deletePrivateEndpointService',
          method: 'DELETE',
          path: servicePath(target, id),
          version: VERSION,
        });
        return 'deleting';
      } catch (error) {
        if (isAtlasStatus(error, 404)) return 'gone';
        // Facts §10: Atlas refuses to delete a service that still has an interface endpoint, attached or
        // deleting. ASSUMPTION: no source names the code or status, so any 4xx refusal counts as `in-use`
        // when a fresh read shows the service still lists one.
        const api = apiErrorOf(error);
        if (api !== undefined && api.status >= 400 && api.status < 500) {
          const now = await describe(target, id);
          if (now.status === 'gone') return 'gone';
          if (now.linkedVpcEndpointIds.length > 0) return 'in-use';
        }
        throw error;
      }
    },

    describeDeployment: readDeployment,

    async missingRegions(target, deployment) {
      if (deployment.awsRegions.length <= 1) return [];
      const mode = asObject(
        await atlas.request<unknown>({
          operation: 'getRegionalizedPrivateEndpointSetting',
          method: 'GET',
          path: `${groupPath(target)}/regionalMode`,
          version: VERSION,
        }),
        'getRegionalizedPrivateEndpointSetting',
      );
      if (mode.enabled === true) return [];
      const services = asArray(
        await atlas.request<unknown>({
          operation: 'listPrivateEndpointService',
          method: 'GET',
          path: `${groupPath(target)}/AWS/endpointService`,
          version: VERSION,
        }),
        'listPrivateEndpointService',
      ).map((e) => asObject(e, 'listPrivateEndpointService'));
      const missing: string[] = [];
      for (const region of deployment.awsRegions) {
        const inRegion = services.filter(
          (e) => typeof e.regionName === 'string' && regionKey(e.regionName) === region,
        );
        let covered = false;
        for (const svc of inRegion) {
          const id = optionalString(svc, 'id');
          if (id === null) continue;
          // At most a few interface endpoints per service are read (there is normally one).
          for (const vpce of stringArray(svc.interfaceEndpoints).slice(0, MAX_INTERFACE_READS)) {
            if ((await describeLink(target, id, vpce)).status === 'available') {
              covered = true;
              break;
            }
          }
          if (covered) break;
        }
        if (!covered) missing.push(region);
      }
      return missing;
    },

    async readConnectionString(target, vpcEndpointId): Promise<ConnectionSide | undefined> {
      return (await readDeployment(target, vpcEndpointId)).connection;
    },
  };
}
