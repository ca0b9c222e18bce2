/**
 * `delete`, through the local engine, for both kinds: after a success (twice), after failed creates that were
 * rolled back or kept, with a dedicated endpoint service shared by a second VPC, with transient faults at every
 * call the delete makes (retried to success) and with permanent ones (DeleteIncomplete naming exactly what is
 * left), and what it refuses to touch. After each, the world holds nothing of the request but what the output
 * or the failure names.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import type { EndpointKind } from '../../lambdas/core/state.ts';
import type { FailureReport } from '../../lambdas/workflow/events.ts';
import { DetailTypes } from '../../lambdas/workflow/events.ts';
import { StateNames as S } from '../../lambdas/workflow/steps.ts';
import { FAULT_CATALOG } from '../../local/cloud/fault-catalog.ts';
import type { FaultEffect } from '../../local/cloud/faults.ts';
import { causeText, expectSubsequence, newWorld, requestFor, run, type TestWorld } from './harness.ts';
import {
  createConnection,
  deleteOutput,
  expectWorldEmpty,
  heldBy,
  nextName,
  runAction,
} from './lifecycle-harness.ts';

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
  if (world) await world.close();
  world = await newWorld({ preset: 'instant' });
  return world;
}

function failureOf(result: { events: readonly { detailType: string; detail: unknown }[] }): FailureReport {
  const event = result.events.find((e) => e.detailType === DetailTypes.Failed);
  expect(event).toBeDefined();
  return (event!.detail as { failure: FailureReport }).failure;
}

/** Every resource id the world still holds for the kind's demo instance (both sides). */
function heldIds(w: TestWorld, kind: EndpointKind): string[] {
  const held = heldBy(w, kind);
  return [
    ...held.vpcEndpoints.map((v) => `vpc-endpoint ${v.id}`),
    ...held.serverlessEndpoints.map((e) => `atlas-serverless-endpoint ${e.id}`),
    ...held.endpointServices.map((e) => `atlas-endpoint-service ${e.id}`),
    ...held.interfaceEndpoints.map((e) => `atlas-interface-endpoint ${e.interfaceEndpointId}`),
  ].sort();
}

/** Creates that fail, for the kind; the dedicated service failure is only rolled back (see the refusal test). */
const FAILED_CREATES: Readonly<Record<EndpointKind, readonly string[]>> = {
  serverless: ['serverless-reservation-failed', 'serverless-link-failed', 'vpc-endpoint-failed', 'ec2-limit'],
  dedicated: ['dedicated-interface-rejected', 'vpc-endpoint-failed', 'dedicated-service-failed'],
};

/**
 * The calls a delete makes, per kind: the reads, then the deletes. (The Atlas token is cached by the shared client
 * module across the engine's runs, so a delete right after a create requests none.)
 */
const DELETE_CALLS: Readonly<Record<EndpointKind, readonly string[]>> = {
  serverless: [
    'DescribeVpcEndpoints',
    'getServerlessPrivateEndpoint',
    'getServerlessInstance',
    'DeleteVpcEndpoints',
    'deleteServerlessPrivateEndpoint',
  ],
  dedicated: [
    'DescribeVpcEndpoints',
    'getPrivateEndpointService',
    'getPrivateEndpoint',
    'getCluster',
    'DeleteVpcEndpoints',
    'deletePrivateEndpoint',
  ],
};

const ATLAS_TRANSIENT: readonly FaultEffect[] = [
  { kind: 'http-error', status: 500 },
  { kind: 'http-error', status: 503 },
  { kind: 'drop-connection' },
];
const EC2_TRANSIENT: readonly FaultEffect[] = [
  { kind: 'ec2-error', code: 'RequestLimitExceeded', status: 503 },
  { kind: 'ec2-error', code: 'InternalError', status: 500 },
];
const isEc2 = (operation: string) => /^[A-Z]/.test(operation);

describe.each(['serverless', 'dedicated'] as const)('%s delete', (kind: EndpointKind) => {
  it('after a success (the create output as the request), then again (already gone)', async () => {
    const w = await open();
    const created = await createConnection(w, kind);
    const first = await runAction(w, { ...created, action: 'delete' });
    const out = deleteOutput(first);
    const expected =
      kind === 'serverless'
        ? [
            { type: 'vpc-endpoint', id: created.vpcEndpointId },
            { type: 'atlas-serverless-endpoint', id: created.atlasEndpointId },
          ]
        : [
            { type: 'vpc-endpoint', id: created.vpcEndpointId },
            { type: 'atlas-interface-endpoint', id: created.vpcEndpointId },
            { type: 'atlas-endpoint-service', id: created.atlasEndpointId },
          ];
    expect(out).toMatchObject({ action: 'delete', kind, outcome: 'deleted', requestId: created.requestId });
    expect([...out.deleted].sort((a, b) => a.type.localeCompare(b.type))).toEqual(
      [...expected].sort((a, b) => a.type.localeCompare(b.type)),
    );
    expect(out.refused).toEqual([]);
    expectSubsequence(first.path, [
      S.InspectConnection,
      S.AnythingToDelete,
      S.DeleteVpcEndpoint,
      S.CheckCleanup,
      S.RecordCleanup,
      S.AfterCleanup,
      S.SummarizeDelete,
      S.PublishDeletedEvent,
      S.Deleted,
    ]);
    expectWorldEmpty(w);

    // The request body again, under another execution name: nothing left to delete is a success.
    const again = deleteOutput(await runAction(w, { ...requestFor(kind, w), action: 'delete' }));
    expect(again).toMatchObject({ outcome: 'already-gone', deleted: [], refused: [] });
    expectWorldEmpty(w);
  });

  it('after failed creates, rolled back or kept: nothing of the request is left (generated)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .record({ plan: fc.constantFrom(...FAILED_CREATES[kind]), rollbackOnFailure: fc.boolean() })
          .filter((c) => c.rollbackOnFailure || c.plan !== 'dedicated-service-failed'),
        async ({ plan, rollbackOnFailure }) => {
          const w = await open();
          for (const rule of FAULT_CATALOG[plan]!.rules) w.world.faults.add(rule);
          const requestId = nextName('failing');
          const failed = await run(w, requestFor(kind, w, { requestId, rollbackOnFailure }), {
            executionName: requestId,
          });
          expect(failed.status).toBe('FAILED');
          const report = failureOf(failed);
          expect(report.cleanup).toMatch(rollbackOnFailure ? /^(complete|not-needed)$/ : /^disabled$/);
          // What the failed event names is enough to delete what it kept.
          const atlas = report.resources.find(
            (r) => r.type.startsWith('atlas-') && r.type !== 'atlas-interface-endpoint',
          );
          const result = await runAction(w, {
            ...requestFor(kind, w),
            action: 'delete',
            requestId: report.requestId,
            ...(atlas === undefined ? {} : { atlasEndpointId: atlas.id }),
          });
          const out = deleteOutput(result);
          expect(out.outcome).toBe(rollbackOnFailure ? 'already-gone' : 'deleted');
          expect(heldIds(w, kind), `${plan}, rollback ${rollbackOnFailure}`).toEqual([]);
        },
      ),
      { numRuns: 2, seed: SEED },
    );
  });

  it('a transient fault at every call of the delete, all in one run, is retried to success (generated effects)', async () => {
    const calls = DELETE_CALLS[kind];
    const effects = fc.tuple(
      ...calls.map((operation) => fc.constantFrom(...(isEc2(operation) ? EC2_TRANSIENT : ATLAS_TRANSIENT))),
    );
    await fc.assert(
      fc.asyncProperty(effects, async (chosen) => {
        const w = await open();
        const created = await createConnection(w, kind);
        calls.forEach((operation, i) => {
          const occurrence = w.world.faults.count(operation) + 1;
          w.world.faults.add({ operation, occurrence, times: isEc2(operation) ? 1 : 2, effect: chosen[i]! });
        });
        const out = deleteOutput(await runAction(w, { ...created, action: 'delete' }));
        expect(out.outcome).toBe('deleted');
        const fired = new Set(w.world.faults.fired.map((f) => f.operation));
        expect(
          calls.filter((operation) => !fired.has(operation)),
          'calls the delete made without a fault',
        ).toEqual([]);
        expectWorldEmpty(w);
      }),
      { numRuns: 2, seed: SEED },
    );
  });

  it('a delete that will not finish fails with DeleteIncomplete naming exactly what is left; a later delete finishes', async () => {
    const w = await open();
    const created = await createConnection(w, kind);
    // EC2 refuses the delete (a permanent error, not retried): this delete fails, a later one succeeds.
    w.world.faults.add({
      operation: 'DeleteVpcEndpoints',
      occurrence: w.world.faults.count('DeleteVpcEndpoints') + 1,
      times: 1,
      effect: { kind: 'ec2-error', code: 'UnauthorizedOperation', status: 403 },
    });
    const budget = { phaseBudgetSeconds: { cleanup: 60 } };
    const failed = await runAction(w, { ...created, ...budget, action: 'delete' });
    expect(failed.status).toBe('FAILED');
    expect(failed.error?.error).toBe(ErrorNames.DeleteIncomplete);
    const report = failureOf(failed);
    expect(report).toMatchObject({
      action: 'delete',
      error: ErrorNames.DeleteIncomplete,
      cleanup: 'incomplete',
    });
    const leftOver = report.resources
      .filter((r) => r.disposition === 'left-over')
      .map((r) => `${r.type} ${r.id}`);
    expect(leftOver).toContain(`vpc-endpoint ${created.vpcEndpointId}`);
    expect(causeText(failed)).toContain(created.vpcEndpointId);
    // What the failure names as left is exactly what the world holds of the request.
    expect(leftOver.sort()).toEqual(heldIds(w, kind));

    const out = deleteOutput(await runAction(w, { ...created, action: 'delete' }));
    expect(out.outcome).toBe('deleted');
    expectWorldEmpty(w);
  });

  it('an Atlas delete that never completes: DeleteIncomplete within the cleanup budget, the stuck resource named', async () => {
    const w = await open();
    const created = await createConnection(w, kind);
    const stuck =
      kind === 'serverless' ? 'lifecycle:serverlessEndpoint.delete' : 'lifecycle:interfaceEndpoint.delete';
    w.world.faults.add({ operation: stuck, effect: { kind: 'stuck' } });
    const failed = await runAction(w, { ...created, phaseBudgetSeconds: { cleanup: 60 }, action: 'delete' });
    expect(failed.status).toBe('FAILED');
    expect(failed.error?.error).toBe(ErrorNames.DeleteIncomplete);
    const report = failureOf(failed);
    expect(report.cleanupError?.error).toBe(ErrorNames.DeadlineExceeded);
    const stuckRef =
      kind === 'serverless'
        ? `atlas-serverless-endpoint ${created.atlasEndpointId}`
        : `atlas-interface-endpoint ${created.vpcEndpointId}`;
    const leftOver = report.resources
      .filter((r) => r.disposition === 'left-over')
      .map((r) => `${r.type} ${r.id}`);
    expect(leftOver).toContain(stuckRef);
    expect(report.resources.find((r) => r.type === 'vpc-endpoint')?.disposition).toBe('deleted');
    expect(leftOver.sort()).toEqual(heldIds(w, kind));
  });
});

describe('dedicated delete: shared endpoint service, unprovable service', () => {
  it('a service a second VPC uses stays; the last connection leaves nothing', async () => {
    const w = await open();
    const aws = w.world.aws;
    const vpcB = 'vpc-0b1c2d3e4f5a60719';
    aws.addVpc({ id: vpcB, cidrBlock: '10.1.0.0/16' });
    aws.addSubnet({
      id: 'subnet-0b1c2d3e4f5a60719',
      vpcId: vpcB,
      cidrBlock: '10.1.1.0/24',
      availabilityZone: 'us-east-1a',
    });
    aws.addSecurityGroup({ id: 'sg-0b1c2d3e4f5a60719', vpcId: vpcB, name: 'b' });
    const a = await createConnection(w, 'dedicated');
    const b = await createConnection(w, 'dedicated', {
      vpcId: vpcB,
      subnetIds: ['subnet-0b1c2d3e4f5a60719'],
      securityGroupIds: ['sg-0b1c2d3e4f5a60719'],
    });
    expect(b.atlasEndpointId).toBe(a.atlasEndpointId);

    const outA = deleteOutput(await runAction(w, { ...a, action: 'delete' }));
    expect(outA.deleted).toEqual(
      expect.arrayContaining([
        { type: 'vpc-endpoint', id: a.vpcEndpointId },
        { type: 'atlas-interface-endpoint', id: a.vpcEndpointId },
      ]),
    );
    expect(outA.deleted.map((d) => d.type)).not.toContain('atlas-endpoint-service');
    expect(outA.refused).toEqual([
      expect.objectContaining({
        type: 'atlas-endpoint-service',
        id: a.atlasEndpointId,
        reason: expect.stringMatching(/other VPC endpoints/),
      }),
    ]);
    const checkB = await runAction(w, { ...b, action: 'check' });
    expect((checkB.output as { status: string }).status, causeText(checkB)).toBe('HEALTHY');

    const outB = deleteOutput(await runAction(w, { ...b, action: 'delete' }));
    expect(outB.deleted.map((d) => d.type).sort()).toEqual(['atlas-interface-endpoint', 'vpc-endpoint']);
    expect(outB.removedByAtlas).toEqual([{ type: 'atlas-endpoint-service', id: a.atlasEndpointId }]);
    expectWorldEmpty(w);
  });

  it('a service kept by a failed create before any VPC endpoint existed is refused: nothing proves whose it is', async () => {
    const w = await open();
    for (const rule of FAULT_CATALOG['dedicated-service-failed']!.rules) w.world.faults.add(rule);
    const requestId = nextName('kept');
    const failed = await run(w, requestFor('dedicated', w, { requestId, rollbackOnFailure: false }), {
      executionName: requestId,
    });
    const service = failureOf(failed).resources.find((r) => r.type === 'atlas-endpoint-service')!;
    const out = deleteOutput(
      await runAction(w, {
        ...requestFor('dedicated', w),
        action: 'delete',
        requestId,
        atlasEndpointId: service.id,
      }),
    );
    expect(out).toMatchObject({ outcome: 'refused', deleted: [] });
    expect(out.refused).toEqual([
      expect.objectContaining({ type: 'atlas-endpoint-service', id: service.id }),
    ]);
    expect(heldIds(w, 'dedicated')).toEqual([`atlas-endpoint-service ${service.id}`]);
  });
});
