/**
 * The world's transition log: every status change of every resource, with the virtual time it happened.
 *
 * Generic by construction: the log does not hook into each status assignment of the models. It keeps the last
 * status of every resource that its probes report and, after each scheduled world event (at the event's due
 * time) and after each request either HTTP front served (at the request's time), asks the probes again and
 * records each difference. A status a model adds later is therefore logged without touching this file. The
 * default probes read the models' inventories (Atlas serverless endpoints, endpoint services, interface
 * endpoints; AWS VPC endpoints); {@link deploymentProbe} adds what a cluster or serverless instance shows
 * (`stateName`, and whether `connectionStrings.privateEndpoint[]` names a VPC endpoint), read through the
 * model's own GET, for the deployments a caller names (reading every deployment after every event would cost
 * too much in a world with hundreds of them).
 *
 * Used by `npm run bench` (the provider's own time to ready) and by tests that need to know when something
 * became true in the world rather than when the workflow noticed it.
 */
import type { AtlasModel } from './atlas-model.ts';
import type { World } from './world.ts';

/** One status change. `from` is undefined when the resource appeared, `to` when it disappeared. */
export interface TransitionEntry {
  /** Virtual epoch ms. */
  readonly at: number;
  /** `<resource type>:<id>`, e.g. `serverlessEndpoint:6b0a…`, `vpcEndpoint:vpce-…`, `cluster:<group>/<name>`. */
  readonly key: string;
  readonly from: string | undefined;
  readonly to: string | undefined;
}

/** A probe lists resources and their current status: `[key, status]` pairs. */
export type TransitionProbe = () => Iterable<readonly [string, string]>;

export class TransitionLog {
  readonly entries: TransitionEntry[] = [];
  private readonly probes = new Set<TransitionProbe>();
  private last = new Map<string, string>();

  /** Adds a probe; its resources are recorded as they are now (at `at`), then followed. */
  addProbe(probe: TransitionProbe, at: number): () => void {
    this.probes.add(probe);
    this.sample(at);
    return () => this.probes.delete(probe);
  }

  /** Reads every probe and records each status that differs from the last one seen. */
  sample(at: number): void {
    const now = new Map<string, string>();
    for (const probe of this.probes) for (const [key, status] of probe()) now.set(key, status);
    for (const [key, status] of now) {
      const before = this.last.get(key);
      if (before !== status) this.entries.push({ at, key, from: before, to: status });
    }
    for (const [key, before] of this.last) {
      if (!now.has(key)) this.entries.push({ at, key, from: before, to: undefined });
    }
    this.last = now;
  }

  /** Entries of one resource, in the order they happened. */
  of(key: string): TransitionEntry[] {
    return this.entries.filter((e) => e.key === key);
  }

  /** The first time `key` reached a status `accept` takes (undefined if it never did). */
  firstAt(key: string, accept: (status: string) => boolean): number | undefined {
    return this.entries.find((e) => e.key === key && e.to !== undefined && accept(e.to))?.at;
  }

  /**
   * Keys of resources of one type (`serverlessEndpoint`, `vpcEndpoint`, …) in order of first appearance;
   * with `sinceIndex`, only resources that first appeared at or after that entry (e.g. those a run created).
   */
  keysOf(type: string, sinceIndex = 0): string[] {
    const seen = new Set<string>();
    const keys: string[] = [];
    this.entries.forEach((e, i) => {
      if (!e.key.startsWith(`${type}:`) || seen.has(e.key)) return;
      seen.add(e.key);
      if (i >= sinceIndex) keys.push(e.key);
    });
    return keys;
  }
}

/** The default probes: what the models' inventories list, with its status. */
export function inventoryProbe(world: World): TransitionProbe {
  return function* () {
    const atlas = world.atlas.inventory();
    for (const ep of atlas.serverlessEndpoints) yield [`serverlessEndpoint:${ep.id}`, ep.status];
    for (const svc of atlas.endpointServices) yield [`endpointService:${svc.id}`, svc.status];
    for (const ie of atlas.interfaceEndpoints) {
      yield [`interfaceEndpoint:${ie.interfaceEndpointId}`, ie.connectionStatus];
    }
    for (const vpce of world.aws.inventory()) yield [`vpcEndpoint:${vpce.id}`, vpce.state];
  };
}

export interface WatchedDeployment {
  readonly kind: 'serverless' | 'dedicated';
  readonly groupId: string;
  readonly name: string;
}

/**
 * What a cluster (dedicated) or serverless instance shows, read through the model's GET as a client would see
 * it: `cluster:<group>/<name>` (or `serverlessInstance:…`) with its `stateName`, and one
 * `privateEndpoint:<group>/<name>/<vpce id>` per VPC endpoint that `connectionStrings.privateEndpoint[]`
 * names, with status `listed` (it disappears from the log when the entry does).
 */
export function deploymentProbe(
  atlas: AtlasModel,
  deployments: readonly WatchedDeployment[],
): TransitionProbe {
  return function* () {
    for (const d of deployments) {
      let wire: Record<string, unknown>;
      try {
        wire =
          d.kind === 'dedicated'
            ? atlas.getCluster(d.groupId, d.name)
            : atlas.getServerlessInstance(d.groupId, d.name);
      } catch {
        continue; // not readable (gone, or the API is retired): nothing to report
      }
      const type = d.kind === 'dedicated' ? 'cluster' : 'serverlessInstance';
      yield [`${type}:${d.groupId}/${d.name}`, String(wire.stateName ?? 'unknown')];
      const strings = (wire.connectionStrings ?? {}) as { privateEndpoint?: unknown };
      const entries = Array.isArray(strings.privateEndpoint) ? strings.privateEndpoint : [];
      for (const entry of entries as { endpoints?: { endpointId?: unknown }[] }[]) {
        for (const endpoint of entry.endpoints ?? []) {
          if (typeof endpoint.endpointId === 'string' && endpoint.endpointId !== '') {
            yield [`privateEndpoint:${d.groupId}/${d.name}/${endpoint.endpointId}`, 'listed'];
          }
        }
      }
    }
  };
}

/**
 * Starts recording `world`'s transitions: the inventory probe now, then a sample after every world event and
 * every request served. Returns the log and a function that stops recording.
 */
export function recordTransitions(world: World): { log: TransitionLog; stop: () => void } {
  const log = new TransitionLog();
  log.addProbe(inventoryProbe(world), world.clock.now());
  const offEvent = world.clock.onEvent((at) => log.sample(at));
  const offRequest = world.log.onRecord((entry) => log.sample(entry.at));
  return {
    log,
    stop: () => {
      offEvent();
      offRequest();
    },
  };
}
