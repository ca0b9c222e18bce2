/**
 * The world's transition log (local/cloud/transitions.ts) and the extra targets (local/cloud/fixtures.ts):
 * status changes are logged at the virtual time the world made them, from the models' own state.
 */
import { describe, expect, it } from 'vitest';
import { addTargets } from '../../local/cloud/fixtures.ts';
import { PRESETS } from '../../local/cloud/timeline.ts';
import { deploymentProbe, recordTransitions, TransitionLog } from '../../local/cloud/transitions.ts';
import { World } from '../../local/cloud/world.ts';

describe('TransitionLog', () => {
  it('records appearances, changes and disappearances between samples', () => {
    const state = new Map<string, string>([['a', 'one']]);
    const log = new TransitionLog();
    log.addProbe(() => state.entries(), 0);
    state.set('a', 'two');
    state.set('b', 'new');
    log.sample(10);
    log.sample(15); // nothing changed
    state.delete('a');
    log.sample(20);
    expect(log.entries).toEqual([
      { at: 0, key: 'a', from: undefined, to: 'one' },
      { at: 10, key: 'a', from: 'one', to: 'two' },
      { at: 10, key: 'b', from: undefined, to: 'new' },
      { at: 20, key: 'a', from: 'two', to: undefined },
    ]);
    expect(log.firstAt('a', (s) => s === 'two')).toBe(10);
    expect(log.keysOf('b')).toEqual([]);
  });

  it("logs a world's lifecycle at the due time of each transition, not when someone looks", () => {
    const world = new World({ preset: 'realistic', timeScale: 0 });
    const { log, stop } = recordTransitions(world);
    const t0 = world.clock.now();
    const svc = world.atlas.createEndpointService(world.demo.groupId, {
      providerName: 'AWS',
      region: 'us-east-1',
    });
    log.sample(world.clock.now()); // what the HTTP front's request hook does after a request
    world.clock.advance(10 * 60_000); // one long jump: the transition is logged at its own time
    const key = `endpointService:${svc.id}`;
    expect(log.of(key)[0]).toMatchObject({ at: t0, from: undefined, to: 'INITIATING' });
    expect(log.firstAt(key, (s) => s !== 'INITIATING')).toBe(t0 + PRESETS.realistic.endpointServiceCreation);
    stop();
    const logged = log.entries.length;
    world.atlas.deleteEndpointService(world.demo.groupId, 'AWS', svc.id);
    world.clock.advance(10 * 60_000); // the deletion runs as a world event: no longer followed
    expect(log.entries).toHaveLength(logged);
  });

  it('follows what a deployment shows: its stateName and the VPC endpoints its connection strings name', () => {
    const world = new World({ preset: 'instant', timeScale: 0 });
    const { log } = recordTransitions(world);
    const d = world.demo;
    log.addProbe(
      deploymentProbe(world.atlas, [{ kind: 'dedicated', groupId: d.groupId, name: d.clusterName }]),
      0,
    );
    expect(log.keysOf('cluster')).toEqual([`cluster:${d.groupId}/${d.clusterName}`]);
    expect(log.keysOf('privateEndpoint')).toEqual([]);
  });
});

describe('addTargets', () => {
  it('adds reachable targets with their own VPCs, one project per dedicated cluster', () => {
    const world = new World({ preset: 'instant', timeScale: 0 });
    const targets = addTargets(world, {
      serverless: 12,
      dedicated: 3,
      serverlessPerProject: 5,
      prefix: 'tt',
    });
    expect(targets.map((t) => t.kind)).toEqual([
      ...Array(12).fill('serverless'),
      ...Array(3).fill('dedicated'),
    ]);
    expect(new Set(targets.map((t) => t.vpcId)).size).toBe(15);
    expect(new Set(targets.filter((t) => t.kind === 'serverless').map((t) => t.groupId)).size).toBe(3);
    expect(new Set(targets.filter((t) => t.kind === 'dedicated').map((t) => t.groupId)).size).toBe(3);
    for (const t of targets) {
      expect(world.atlas.project(t.groupId)?.orgId).toBe(world.demo.orgId);
      const read =
        t.kind === 'dedicated'
          ? world.atlas.getCluster(t.groupId, t.instanceName)
          : world.atlas.getServerlessInstance(t.groupId, t.instanceName);
      expect(read.name).toBe(t.instanceName);
      expect(t.subnetIds.map((s) => world.aws.getSubnet(s)?.vpcId)).toEqual([t.vpcId, t.vpcId]);
      expect(world.aws.getSecurityGroup(t.securityGroupIds[0]!)?.vpcId).toBe(t.vpcId);
    }
    // Another prefix gets other ids.
    const more = addTargets(world, { dedicated: 1, prefix: 'uu' });
    expect(targets.map((t) => t.vpcId)).not.toContain(more[0]!.vpcId);
  });
});
