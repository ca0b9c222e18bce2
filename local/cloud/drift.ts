/**
 * Drift, made by hand: what people and the clouds themselves do to a connection outside the workflow. Each
 * action changes the world directly (no workflow API call), the way a console click or an Atlas incident
 * would, so a later `check` has something to find and a `repair` something to fix. Used by the lifecycle
 * demo (`npm start -- --lifecycle`) and the tests.
 */
import type { World } from './world.ts';

/** What can drift, named like the check's drift kinds (lambdas/workflow/lifecycle.ts). */
export const DRIFT_ACTIONS = [
  'vpc-endpoint-deleted',
  'vpc-endpoint-rejected',
  'atlas-failed',
  'atlas-gone',
  'connection-string-missing',
  'tags-changed',
] as const;
export type DriftAction = (typeof DRIFT_ACTIONS)[number];

/** The connection to drift: the fields of a create's output. */
export interface DriftTarget {
  readonly kind: 'serverless' | 'dedicated';
  readonly groupId: string;
  readonly instanceName: string;
  readonly atlasEndpointId: string;
  readonly vpcEndpointId: string;
}

export interface DriftOptions {
  /** connection-string-missing: Atlas lists the string again after this many virtual seconds. @default never */
  readonly restoreAfterSeconds?: number;
  /** tags-changed: the tag keys someone removes. @default ['team'] */
  readonly removeTags?: readonly string[];
}

/** Makes `action` happen to the connection; returns what was done, for a person. */
export function makeDrift(
  world: World,
  action: DriftAction,
  target: DriftTarget,
  options: DriftOptions = {},
): string {
  const { groupId, instanceName, atlasEndpointId, vpcEndpointId } = target;
  switch (action) {
    case 'vpc-endpoint-deleted':
      world.aws.deleteVpcEndpoints({ vpcEndpointIds: [vpcEndpointId] });
      return `deleted VPC endpoint ${vpcEndpointId} in EC2 (outside the workflow)`;
    case 'vpc-endpoint-rejected':
      world.aws.rejectVpcEndpoint(vpcEndpointId);
      return `VPC endpoint ${vpcEndpointId} went rejected`;
    case 'atlas-failed':
      world.atlas.failOutOfBand(atlasEndpointId);
      return `Atlas reports ${atlasEndpointId} FAILED`;
    case 'atlas-gone':
      if (target.kind === 'serverless') {
        world.atlas.deleteServerlessEndpoint(groupId, instanceName, atlasEndpointId);
        return `deleted the serverless private endpoint ${atlasEndpointId} in Atlas (outside the workflow)`;
      }
      // The interface endpoint first (a service with interface endpoints may not be deletable), then the
      // service if Atlas did not remove it together with its last interface endpoint.
      world.atlas.deleteInterfaceEndpoint(groupId, 'AWS', atlasEndpointId, vpcEndpointId);
      world.clock.advance(world.timeline.interfaceEndpointDeletion);
      if (
        world.atlas
          .inventory()
          .endpointServices.some((s) => s.id === atlasEndpointId && s.status !== 'DELETING')
      ) {
        world.atlas.deleteEndpointService(groupId, 'AWS', atlasEndpointId);
      }
      return `deleted the endpoint service ${atlasEndpointId} and its interface endpoint in Atlas (outside the workflow)`;
    case 'connection-string-missing': {
      const key = `${groupId}/${instanceName}`;
      world.atlas.connectionStringsWithheld.add(key);
      if (options.restoreAfterSeconds !== undefined) {
        world.clock.after(options.restoreAfterSeconds * 1000, () =>
          world.atlas.connectionStringsWithheld.delete(key),
        );
      }
      return `Atlas stopped listing the private connection string of ${instanceName}`;
    }
    case 'tags-changed': {
      const keys = options.removeTags ?? ['team'];
      world.aws.removeTags(vpcEndpointId, keys);
      return `removed the tags ${keys.join(', ')} from VPC endpoint ${vpcEndpointId}`;
    }
  }
}
