/**
 * The target lease (issue 9) and the lifecycle actions (issue 10), through the local engine against the
 * simulated world (DynamoDB included), for both kinds:
 * - a `delete` and a `check` with `repair` take the target's lease like a create: while another execution
 *   holds it they end at once in TargetBusy naming that execution, having changed nothing;
 * - a plain `check` takes none: it reports a held target as IN_PROGRESS naming the holder, with no drift and
 *   no drift event, and so does the scheduled audit for that connection; it never gives back another's lease;
 * - every action gives back the lease it took (the table is empty afterwards);
 * - a delete, a repair and a check started while a create is at work on the target: the first two are
 *   refused naming the create, the check reports it in progress, and the create ends unharmed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../lambdas/aws/client.ts';
import { DynamoDbLeaseStore } from '../../lambdas/aws/leases.ts';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import { isTargetLeaseKey } from '../../lambdas/core/leases.ts';
import type { EndpointKind, WorkflowOutput } from '../../lambdas/core/state.ts';
import { DetailTypes } from '../../lambdas/workflow/events.ts';
import type { AuditOutput, CheckOutput, DeleteOutput } from '../../lambdas/workflow/lifecycle.ts';
import { targetLeaseKey } from '../../lambdas/workflow/operations/lease.ts';
import { StateNames as S } from '../../lambdas/workflow/steps.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { makeDrift } from '../../local/cloud/drift.ts';
import { localExecutions } from '../../local/sfn-server.ts';
import { causeText, newWorld, requestFor, run, type TestWorld } from './harness.ts';
import {
  checkOutput,
  createConnection,
  driftEvents,
  expectOneHealthyConnection,
  expectWorldEmpty,
  runAction,
} from './lifecycle-harness.ts';

let world: TestWorld | undefined;
afterEach(async () => {
  localExecutions.forget(HOLDER);
  if (world) {
    await world.close();
    world = undefined;
  }
});

/** Calls that change something on either cloud. */
const MUTATING = /^(create|update|delete)|^(CreateVpcEndpoint|DeleteVpcEndpoints|CreateTags)$/;
function mutatingCalls(w: TestWorld): number {
  return Object.entries(w.world.log.counts())
    .filter(([op]) => MUTATING.test(op))
    .reduce((n, [, c]) => n + c, 0);
}

/** Every lease item in the world's tables (not the Atlas functions' shared token nor the service intents, which live there too). */
function leaseItems(w: TestWorld) {
  return Object.values(w.world.inventory().dynamodb)
    .flat()
    .filter((item) => isTargetLeaseKey((item.pk as { S?: string } | undefined)?.S));
}

/** The lease table over the real SDK and the simulated DynamoDB front (it exists once a run deployed it). */
function leaseStore(w: TestWorld): DynamoDbLeaseStore {
  const [table] = w.world.dynamodb.tableNames();
  expect(table, 'the engine deploys the lease table').toBeDefined();
  const client = createDynamoDbClient({
    region: w.world.demo.awsRegion,
    endpoint: w.dynamodbUrl,
    credentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
  });
  return new DynamoDbLeaseStore(client, table!);
}

/** A promise and its resolve. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const HOLDER = 'arn:aws:states:us-east-1:123456789012:execution:OtherWorkflowRun:create-elsewhere';

describe.each(['serverless', 'dedicated'] as const)(
  '%s: a target another execution holds',
  (kind: EndpointKind) => {
    it('delete and repair are refused naming it; a check and the audit report it in progress, not drift', async () => {
      world = await newWorld({ preset: 'instant' });
      const w = world;
      const created = await createConnection(w, kind);
      expect(leaseItems(w), 'the create gave its lease back').toEqual([]);
      // Drift a check would report, and another execution at work on the target.
      makeDrift(w.world, 'vpc-endpoint-deleted', created);
      const store = leaseStore(w);
      const key = targetLeaseKey(created);
      const taken = await store.acquire({
        key,
        holder: HOLDER,
        requestId: 'elsewhere',
        now: w.world.clock.now(),
        expiresAt: Math.ceil(w.world.clock.now() / 1000) + 3600,
      });
      expect(taken.acquired).toBe(true);
      // That execution runs (Step Functions says so): its lease is not taken over.
      localExecutions.started(
        HOLDER,
        'arn:aws:states:us-east-1:123456789012:stateMachine:OtherWorkflowRun',
        'x',
      );
      const before = mutatingCalls(w);

      const check = checkOutput(await runAction(w, { ...created, action: 'check' }));
      expect(check).toMatchObject({
        status: 'IN_PROGRESS',
        healthy: false,
        drift: [],
        inProgress: { executionArn: HOLDER, requestId: 'elsewhere' },
        vpcEndpoint: { id: created.vpcEndpointId },
      });

      for (const input of [
        { ...created, action: 'delete' },
        { ...requestFor(kind, w, { tags: { team: 'orders' } }), action: 'check', repair: true },
      ]) {
        const refused = await runAction(w, input);
        expect(refused.status).toBe('FAILED');
        expect(refused.error?.error).toBe(ErrorNames.TargetBusy);
        expect(causeText(refused)).toContain(`execution ${HOLDER} (request id "elsewhere"`);
        expect(refused.path).not.toContain(S.InspectConnection);
        expect(refused.events.map((e) => e.detailType)).toEqual([DetailTypes.Failed]);
      }

      const audit = await runAction(w, { action: 'audit' }, 'audit');
      expect(audit.status, causeText(audit)).toBe('SUCCEEDED');
      const reports = (audit.output as AuditOutput).reports as CheckOutput[];
      expect(reports.map((r) => [r.vpcEndpoint?.id, r.status, r.inProgress?.executionArn])).toEqual([
        [created.vpcEndpointId, 'IN_PROGRESS', HOLDER],
      ]);
      expect(audit.events).toEqual([]);

      // Nothing changed, and the lease is still the other execution's (a plain check gives back nothing).
      expect(mutatingCalls(w)).toBe(before);
      expect(leaseItems(w).map((item) => item.holder)).toEqual([{ S: HOLDER }]);

      // Once that execution has ended (aborted, its lease never given back), the same check reports the drift
      // (and publishes it), and a delete takes the lease over and gives it back.
      localExecutions.ended(HOLDER, 'ABORTED');
      expect(leaseItems(w).map((item) => item.holder)).toEqual([{ S: HOLDER }]);
      const drifted = await runAction(w, { ...created, action: 'check' });
      expect(checkOutput(drifted)).toMatchObject({ status: 'DRIFTED', inProgress: null });
      expect(driftEvents(drifted)).toHaveLength(1);
      const deleted = await runAction(w, { ...created, action: 'delete' });
      expect(deleted.status, causeText(deleted)).toBe('SUCCEEDED');
      expect(leaseItems(w)).toEqual([]);
      expect(await store.release(key, HOLDER), 'the aborted execution holds nothing').toBe('not-held');
    });
  },
);

describe.each(['serverless', 'dedicated'] as const)(
  '%s: actions give their lease back',
  (kind: EndpointKind) => {
    it('a repair and a delete hold the lease while they run and leave the table empty', async () => {
      world = await newWorld({ preset: 'instant' });
      const w = world;
      const created = await createConnection(w, kind);
      makeDrift(w.world, 'vpc-endpoint-rejected', created);
      const repair = await runAction(w, {
        ...requestFor(kind, w, { tags: { team: 'orders' } }),
        action: 'check',
        repair: true,
        requestId: created.requestId,
      });
      const repaired = checkOutput(repair);
      expect(repaired.repaired).toBe(true);
      expect(repair.path).toContain(S.ReleaseTarget);
      expect(leaseItems(w)).toEqual([]);
      expectOneHealthyConnection(w, kind);

      const deleted = await runAction(w, { ...(repaired.connection as WorkflowOutput), action: 'delete' });
      expect(deleted.status, causeText(deleted)).toBe('SUCCEEDED');
      expect((deleted.output as DeleteOutput).outcome).toBe('deleted');
      // The lease was taken (PutItem) and given back (DeleteItem) before the deleted event.
      expect(deleted.metrics.dynamodbCalls).toMatchObject({ PutItem: 1, DeleteItem: 1 });
      expect(deleted.path.indexOf(S.ReleaseTarget)).toBeLessThan(deleted.path.indexOf(S.PublishDeletedEvent));
      expect(leaseItems(w)).toEqual([]);
      expectWorldEmpty(w);
    });
  },
);

describe.each(['serverless', 'dedicated'] as const)('%s: while a create is at work', (kind: EndpointKind) => {
  it('a delete and a repair are refused naming it, a check reports it in progress; the create ends unharmed', async () => {
    world = await newWorld({ preset: 'instant' });
    const w = world;
    const body = requestFor(kind, w, { tags: { team: 'orders' }, requestId: `busy-${kind}` });
    // The create stops at its first wait for the VPC endpoint (it exists by then, tagged) until the others are
    // done; should one of them wait too (it would be at work on the target as well), the create goes on.
    const others = deferred();
    const atWork = deferred();
    const create = run(w, body, {
      executionName: 'busy-create',
      onWait: async (state) => {
        if (state !== S.WaitForVpcEndpoint) return;
        atWork.resolve();
        await others.promise;
      },
    });
    await atWork.promise;
    const unblock = () => others.resolve();
    const [remove, repair, check] = await Promise.all(
      [
        { ...body, action: 'delete' },
        { ...body, action: 'check', repair: true },
        { ...body, action: 'check' },
      ].map((input) => run(w, input, { executionName: `busy-${input.action}`, onWait: unblock })),
    );
    unblock();
    for (const refused of [remove!, repair!]) {
      expect(refused.error?.error, causeText(refused)).toBe(ErrorNames.TargetBusy);
      expect(causeText(refused)).toMatch(/execution arn:aws:states:[^ ]*:busy-create \(request id "busy-/);
      expect(refused.path).not.toContain(S.InspectConnection);
    }
    expect(checkOutput(check!)).toMatchObject({
      status: 'IN_PROGRESS',
      drift: [],
      inProgress: { executionArn: expect.stringMatching(/:busy-create$/), requestId: `busy-${kind}` },
    });
    expect(driftEvents(check!)).toEqual([]);
    const created = await create;
    expect(created.status, causeText(created)).toBe('SUCCEEDED');
    expectOneHealthyConnection(w, kind);
    expect(leaseItems(w)).toEqual([]);
  });
});
