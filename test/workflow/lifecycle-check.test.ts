/**
 * `check` and `check` with `repair`, through the local engine (the synthesized definition, the real handlers,
 * the simulated world over HTTP), for both kinds: a healthy connection, a check that only reports, and every
 * drift kind repaired in a generated order, ending healthy with nothing leaked. And the scheduled audit
 * (`{"action": "audit"}`, what the schedule sends): it finds every connection this deployment manages by the
 * VPC endpoints' tags, checks each in the Map, and publishes one drift event per drifted connection; a
 * connection deleted on purpose is not drift.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import type { EndpointKind, WorkflowOutput } from '../../lambdas/core/state.ts';
import { TAG_MANAGED_BY } from '../../lambdas/core/tags.ts';
import { DetailTypes } from '../../lambdas/workflow/events.ts';
import type { AuditOutput, CheckOutput } from '../../lambdas/workflow/lifecycle.ts';
import { StateNames as S } from '../../lambdas/workflow/steps.ts';
import { DRIFT_ACTIONS, makeDrift } from '../../local/cloud/drift.ts';
import { causeText, expectSubsequence, newWorld, requestFor, type TestWorld } from './harness.ts';
import {
  checkOutput,
  createConnection,
  deleteOutput,
  driftEvents,
  expectOneHealthyConnection,
  runAction,
} from './lifecycle-harness.ts';

/** Fixed in CI; set FC_SEED to explore. fast-check prints the seed of a failing run. */
const SEED = Number(process.env.FC_SEED ?? 20261203);

let world: TestWorld | undefined;
afterEach(async () => {
  if (world) {
    expect(world.contractViolations()).toEqual([]);
    await world.close();
    world = undefined;
  }
});
async function open(): Promise<TestWorld> {
  world = await newWorld({ preset: 'instant' });
  return world;
}

/** Calls that change something (the check itself must make none). */
const MUTATING = /^(create|update|delete)|^(CreateVpcEndpoint|DeleteVpcEndpoints|CreateTags)$/;
function mutatingCalls(w: TestWorld): number {
  return Object.entries(w.world.log.counts())
    .filter(([op]) => MUTATING.test(op))
    .reduce((n, [, c]) => n + c, 0);
}

describe.each(['serverless', 'dedicated'] as const)('%s check', (kind: EndpointKind) => {
  it('a healthy connection: HEALTHY, no event, no change; the create output works as the request', async () => {
    const w = await open();
    const created = await createConnection(w, kind);
    const before = mutatingCalls(w);
    const fromBody = await runAction(w, {
      ...requestFor(kind, w, { tags: { team: 'orders' } }),
      action: 'check',
    });
    const fromOutput = await runAction(w, { ...created, action: 'check' });
    for (const result of [fromBody, fromOutput]) {
      const report = checkOutput(result);
      expect(report).toMatchObject({
        action: 'check',
        kind,
        status: 'HEALTHY',
        healthy: true,
        drift: [],
        requestId: created.requestId,
        privateSrvConnectionString: created.privateSrvConnectionString,
        repaired: false,
        connection: null,
      });
      expect(report.vpcEndpoint).toMatchObject({
        id: created.vpcEndpointId,
        state: 'available',
        owned: true,
      });
      expect(report.atlas).toMatchObject({ id: created.atlasEndpointId, owned: true });
      expect(result.events).toEqual([]);
      expectSubsequence(result.path, [S.ValidateRequest, S.InspectConnection, S.DriftFound, S.Checked]);
    }
    expect(mutatingCalls(w)).toBe(before);
    expectOneHealthyConnection(w, kind);
  });

  it('without repair: reports the drift, publishes it, changes nothing', async () => {
    const w = await open();
    const created = await createConnection(w, kind);
    makeDrift(w.world, 'vpc-endpoint-rejected', created);
    const inventory = JSON.stringify(w.world.inventory());
    const before = mutatingCalls(w);
    const result = await runAction(w, { ...created, action: 'check' });
    const report = checkOutput(result);
    expect(report.status).toBe('DRIFTED');
    expect(report.drift.map((d) => d.kind)).toContain('vpc-endpoint-rejected');
    expect(report.drift.find((d) => d.kind === 'vpc-endpoint-rejected')?.resource).toEqual({
      type: 'vpc-endpoint',
      id: created.vpcEndpointId,
    });
    expect(driftEvents(result)).toEqual([report]);
    expect(result.path).not.toContain(S.PrepareRepair);
    expect(mutatingCalls(w)).toBe(before);
    expect(JSON.stringify(w.world.inventory())).toBe(inventory);
  });

  it('what is not provably the connection: a repair changes nothing (ResourceConflict), a delete leaves it, named', async () => {
    const w = await open();
    const created = await createConnection(w, kind);
    w.world.aws.removeTags(created.vpcEndpointId, [TAG_MANAGED_BY]);
    makeDrift(w.world, 'vpc-endpoint-rejected', created);
    const inventory = JSON.stringify(w.world.inventory());
    const before = mutatingCalls(w);
    const result = await runAction(w, {
      ...created,
      action: 'check',
      repair: true,
      subnetIds: [...w.world.demo.subnetIds],
      securityGroupIds: [...w.world.demo.securityGroupIds],
    });
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorNames.ResourceConflict);
    expect(causeText(result)).toMatch(
      new RegExp(
        `vpc-endpoint ${created.vpcEndpointId}: .*not provably this connection's.*Nothing was changed`,
      ),
    );
    // The drift was still reported, before the refusal.
    expect(driftEvents(result).map((r) => r.status)).toEqual(['DRIFTED']);
    expect(result.path).not.toContain(S.PrepareRepair);
    expect(mutatingCalls(w)).toBe(before);
    expect(JSON.stringify(w.world.inventory())).toBe(inventory);

    // A delete of the same connection leaves the untagged VPC endpoint alone and names it; it deletes only
    // what is still provably the connection's (serverless: the endpoint carrying the request's marker).
    const removed = deleteOutput(await runAction(w, { ...created, action: 'delete' }));
    expect(removed.refused).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'vpc-endpoint', id: created.vpcEndpointId })]),
    );
    expect(removed.deleted.map((d) => d.id)).not.toContain(created.vpcEndpointId);
    expect(removed.deleted.map((d) => d.type)).toEqual(
      kind === 'serverless' ? ['atlas-serverless-endpoint'] : [],
    );
    expect(w.world.aws.getVpcEndpoint(created.vpcEndpointId)?.state).toBe('rejected');
  });

  it('repairs every kind of drift, in any order, back to one healthy connection; then re-creates a deleted one', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray([...DRIFT_ACTIONS], { minLength: DRIFT_ACTIONS.length }),
        async (order) => {
          const w = await open();
          let connection: WorkflowOutput = await createConnection(w, kind);
          for (const action of order) {
            makeDrift(w.world, action, connection, { restoreAfterSeconds: 120 });
            const result = await runAction(
              w,
              {
                ...connection,
                action: 'check',
                repair: true,
                tags: { team: 'orders' },
                subnetIds: [...w.world.demo.subnetIds],
                securityGroupIds: [...w.world.demo.securityGroupIds],
              },
              `repair-${action}`,
            );
            const report = checkOutput(result);
            expect(
              report.drift.map((d) => d.kind),
              `${action}: ${JSON.stringify(report.drift)}`,
            ).toContain(action);
            expect(report.repaired, action).toBe(true);
            expect(report.connection).toMatchObject({
              kind,
              status: 'AVAILABLE',
              requestId: connection.requestId,
            });
            expect(result.events.map((e) => e.detailType)).toEqual([
              DetailTypes.DriftDetected,
              DetailTypes.Available,
            ]);
            expectOneHealthyConnection(w, kind);
            connection = report.connection!;
          }
          const healthy = checkOutput(await runAction(w, { ...connection, action: 'check' }));
          expect(healthy.status).toBe('HEALTHY');

          // Gone entirely: the check reports it ABSENT, the repair makes it again.
          deleteOutput(await runAction(w, { ...connection, action: 'delete' }));
          const absent = await runAction(w, {
            ...requestFor(kind, w, { tags: { team: 'orders' } }),
            requestId: connection.requestId,
            action: 'check',
            repair: true,
          });
          const recreated = checkOutput(absent);
          expect(recreated.status, causeText(absent)).toBe('ABSENT');
          expect(recreated.drift.map((d) => d.kind)).toEqual(['connection-missing']);
          expect(recreated.repaired).toBe(true);
          expectOneHealthyConnection(w, kind);
          await w.close();
          world = undefined;
        },
      ),
      { numRuns: 1, seed: SEED },
    );
  });
});

const VPC_B = 'vpc-0b1c2d3e4f5a60719';

describe('the scheduled audit', () => {
  it('checks every managed connection and reports drift among several, once each', async () => {
    const w = await open();
    const aws = w.world.aws;
    aws.addVpc({ id: VPC_B, cidrBlock: '10.1.0.0/16' });
    aws.addSubnet({
      id: 'subnet-0b1c2d3e4f5a60719',
      vpcId: VPC_B,
      cidrBlock: '10.1.1.0/24',
      availabilityZone: 'us-east-1a',
    });
    aws.addSecurityGroup({ id: 'sg-0b1c2d3e4f5a60719', vpcId: VPC_B, name: 'b' });
    const inB = {
      vpcId: VPC_B,
      subnetIds: ['subnet-0b1c2d3e4f5a60719'],
      securityGroupIds: ['sg-0b1c2d3e4f5a60719'],
    };

    const serverless = await createConnection(w, 'serverless');
    const dedicatedA = await createConnection(w, 'dedicated');
    const dedicatedB = await createConnection(w, 'dedicated', inB);
    const serverlessB = await createConnection(w, 'serverless', inB);
    // Drift in two of them; a third is deleted on purpose (its VPC endpoint is still listed as deleted).
    makeDrift(w.world, 'vpc-endpoint-rejected', serverless);
    makeDrift(w.world, 'vpc-endpoint-deleted', dedicatedB);
    deleteOutput(await runAction(w, { ...serverlessB, action: 'delete' }));

    const result = await runAction(w, { action: 'audit' }, 'audit');
    expect(result.status, causeText(result)).toBe('SUCCEEDED');
    expect(result.path).toEqual(
      expect.arrayContaining([S.ListConnections, S.CheckEachConnection, S.AuditInspectConnection, S.Audited]),
    );
    const output = result.output as AuditOutput;
    expect(output).toMatchObject({ action: 'audit', region: 'us-east-1', unidentified: [] });
    const reports = output.reports as CheckOutput[];
    const byVpce = new Map(reports.map((r) => [r.vpcEndpoint?.id, r]));
    expect(reports).toHaveLength(4);
    expect(byVpce.get(serverless.vpcEndpointId)?.status).toBe('DRIFTED');
    expect(byVpce.get(dedicatedB.vpcEndpointId)?.status).toBe('DRIFTED');
    expect(byVpce.get(dedicatedA.vpcEndpointId)?.status).toBe('HEALTHY');
    expect(byVpce.get(serverlessB.vpcEndpointId)?.status).toBe('ABSENT');

    // One drift event per drifted connection, and nothing for the healthy or the deleted one.
    const events = driftEvents(result);
    expect(events.map((e) => e.vpcEndpoint?.id).sort()).toEqual(
      [serverless.vpcEndpointId, dedicatedB.vpcEndpointId].sort(),
    );
    expect(result.events.every((e) => e.detailType === DetailTypes.DriftDetected)).toBe(true);
    expect(
      events.find((e) => e.vpcEndpoint?.id === serverless.vpcEndpointId)?.drift.map((d) => d.kind),
    ).toContain('vpc-endpoint-rejected');
    expect(
      events.find((e) => e.vpcEndpoint?.id === dedicatedB.vpcEndpointId)?.drift.map((d) => d.kind),
    ).toContain('vpc-endpoint-deleted');
  });

  it('refuses an audit input with other fields, naming them, before reading anything', async () => {
    const w = await open();
    const result = await runAction(w, { action: 'audit', groupId: '5f7cac1adf5d6c6306f4b283' }, 'audit');
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorNames.InvalidRequest);
    expect(causeText(result)).toMatch(/groupId: is not a field of the audit input/);
    expect(w.world.log.counts().DescribeVpcEndpoints ?? 0).toBe(0);
  });
});
