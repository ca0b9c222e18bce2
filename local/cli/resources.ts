/**
 * What exists because of a run: read from the simulated world's inventory when there is one (the built-in
 * world, or `npm run simulator` through its /__simulator document), otherwise from what the run's own steps
 * reported (their results name every resource they created or adopted). Used when a run is interrupted.
 */
import type { Inventory } from '../cloud/world.ts';

export type ResourceType =
  | 'atlas-serverless-endpoint'
  | 'atlas-endpoint-service'
  | 'atlas-interface-endpoint'
  | 'vpc-endpoint';

export interface ResourceLine {
  readonly type: ResourceType;
  readonly id: string;
  readonly status?: string;
  /** False when the run adopted it (it existed before and is not the request's to delete). */
  readonly created?: boolean;
}

export const RESOURCE_LABELS: Readonly<Record<ResourceType, string>> = {
  'atlas-serverless-endpoint': 'Atlas serverless private endpoint',
  'atlas-endpoint-service': 'Atlas endpoint service',
  'atlas-interface-endpoint': 'Atlas interface endpoint',
  'vpc-endpoint': 'VPC endpoint',
};

export function describeResource(r: ResourceLine): string {
  const extras = [r.status, r.created === false ? 'adopted, not created by this request' : undefined].filter(
    (x) => x !== undefined,
  );
  return `${RESOURCE_LABELS[r.type]} ${r.id}${extras.length > 0 ? ` (${extras.join(', ')})` : ''}`;
}

/** Every live resource of a world inventory. */
export function inventoryLines(inv: Inventory): ResourceLine[] {
  return [
    ...inv.atlas.serverlessEndpoints.map((e) => ({
      type: 'atlas-serverless-endpoint' as const,
      id: e.id,
      status: e.status,
    })),
    ...inv.atlas.endpointServices.map((e) => ({
      type: 'atlas-endpoint-service' as const,
      id: e.id,
      status: e.status,
    })),
    ...inv.atlas.interfaceEndpoints.map((e) => ({
      type: 'atlas-interface-endpoint' as const,
      id: e.interfaceEndpointId,
      status: e.connectionStatus,
    })),
    ...inv.aws.vpcEndpoints.map((e) => ({ type: 'vpc-endpoint' as const, id: e.id, status: e.state })),
  ];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Collects the resources a run's step results name (state record sides, cleanup observations). */
export class RunResources {
  private readonly seen = new Map<string, ResourceLine>();
  private kind: string | undefined;

  /** Takes in one step's result. */
  observe(result: unknown): void {
    if (!isRecord(result)) return;
    if (isRecord(result.request) && typeof result.request.kind === 'string') this.kind = result.request.kind;
    if (isRecord(result.existing)) for (const side of Object.values(result.existing)) this.observeSide(side);
    if ('observed' in result) {
      this.observe(result.observed);
      return;
    }
    if (Array.isArray(result.gone)) {
      for (const ref of result.gone)
        if (isRecord(ref) && typeof ref.type === 'string') this.seen.delete(`${ref.type}:${String(ref.id)}`);
    }
    if (Array.isArray(result.remaining)) {
      for (const ref of result.remaining) {
        if (!isRecord(ref) || typeof ref.type !== 'string' || typeof ref.id !== 'string') continue;
        const key = `${ref.type}:${ref.id}`;
        const before = this.seen.get(key);
        this.seen.set(key, {
          ...(before ?? { type: ref.type as ResourceType, id: ref.id }),
          ...(typeof ref.status === 'string' ? { status: ref.status } : {}),
        });
      }
    }
    this.observeSide(result);
  }

  private observeSide(side: unknown): void {
    if (!isRecord(side)) return;
    const created = typeof side.created === 'boolean' ? side.created : undefined;
    const put = (type: ResourceType, id: string, status: unknown) =>
      this.seen.set(`${type}:${id}`, {
        type,
        id,
        ...(typeof status === 'string' ? { status } : {}),
        ...(created === undefined ? {} : { created }),
      });
    if (typeof side.vpcEndpointId === 'string' && typeof side.serviceName === 'string') {
      put('vpc-endpoint', side.vpcEndpointId, side.state);
    } else if (typeof side.vpcEndpointId === 'string' && typeof side.atlasStatus === 'string') {
      // The link: a dedicated interface endpoint (a serverless link is the serverless endpoint itself).
      if (this.kind !== 'serverless') put('atlas-interface-endpoint', side.vpcEndpointId, side.atlasStatus);
    } else if (typeof side.id === 'string' && typeof side.atlasStatus === 'string') {
      const kind = typeof side.kind === 'string' ? side.kind : this.kind;
      put(
        kind === 'serverless' ? 'atlas-serverless-endpoint' : 'atlas-endpoint-service',
        side.id,
        side.atlasStatus,
      );
    }
  }

  list(): ResourceLine[] {
    return [...this.seen.values()];
  }
}
