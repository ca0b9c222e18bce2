/**
 * A target lease never outlives its execution (issue 9, review of the lease): through the local engine and
 * its Step Functions front (local/sfn-server.ts) against the simulated world, DynamoDB included.
 * - An execution whose release keeps failing ends, and the next execution of the target takes its lease over
 *   (it asks Step Functions: the holder has ended) and adopts what it made: no TargetBusy, no second pair.
 * - The release is retried on a throttle or an outage: a burst longer than the SDK's own attempts still
 *   leaves the table empty.
 * - A validate step that fails after its lease write took effect (answer lost, give-back failing) leaves the
 *   lease to an execution that has ended: the next one takes it over.
 * - An execution still RUNNING keeps its target (TargetBusy naming it); once it is ABORTED, the next one takes
 *   the lease over.
 * - Of two takers of one lease left behind, exactly one wins (the write is conditioned on the old holder).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNServiceException } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../lambdas/aws/client.ts';
import { createSfnClient, StepFunctionsExecutionReader } from '../../lambdas/aws/executions.ts';
import { DynamoDbLeaseStore } from '../../lambdas/aws/leases.ts';
import { AwsTransientError, ErrorNames, TargetBusyError } from '../../lambdas/core/errors.ts';
import { isTargetLeaseKey } from '../../lambdas/core/leases.ts';
import type { EndpointKind, WorkflowOutput, WorkflowRequest } from '../../lambdas/core/state.ts';
import { acquireTargetLease, targetLeaseKey } from '../../lambdas/workflow/operations/lease.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import type { FaultRule } from '../../local/cloud/faults.ts';
import { localExecutionArn } from '../../local/engine.ts';
import { localExecutions } from '../../local/sfn-server.ts';
import { causeText, live, newWorld, requestFor, run, type TestWorld } from './harness.ts';

let world: TestWorld | undefined;
afterEach(async () => {
  if (world) {
    await world.close();
    world = undefined;
  }
});

/** Every lease item in the world's tables: [key, holder]. */
function leases(w: TestWorld): [string, string][] {
  return Object.values(w.world.inventory().dynamodb)
    .flat()
    .filter((item) => isTargetLeaseKey((item.pk as { S?: string } | undefined)?.S))
    .map((item) => [(item.pk as { S: string }).S, (item.holder as { S: string }).S]);
}

const RELEASE_ALWAYS_FAILS: FaultRule[] = [
  { operation: 'DeleteItem', times: Number.POSITIVE_INFINITY, effect: { kind: 'http-error', status: 500 } },
];

/** Atlas endpoints and VPC endpoints alive in the world (one pair is one connection). */
function pairs(w: TestWorld): { atlas: number; vpc: number } {
  const l = live(w);
  return {
    atlas: l.serverlessEndpoints.length + l.interfaceEndpoints.length,
    vpc: l.vpcEndpoints.length,
  };
}

describe.each(['serverless', 'dedicated'] as const)('%s: a lease left behind', (kind: EndpointKind) => {
  it('does not block the next execution: it takes the lease over and adopts what the first made', async () => {
    world = await newWorld({ preset: 'instant', faults: RELEASE_ALWAYS_FAILS });
    const w = world;
    const request = requestFor(kind, w, { requestId: `left-${kind}` });
    const first = await run(w, request, { executionName: `left-${kind}-a` });
    expect(first.status, causeText(first)).toBe('SUCCEEDED');
    const firstArn = localExecutionArn(`left-${kind}-a`);
    expect(leases(w), 'the release kept failing: the lease is left').toEqual([
      [targetLeaseKey(request as never), firstArn],
    ]);
    w.world.faults.replace([]);

    const second = await run(w, request, { executionName: `left-${kind}-b` });
    expect(second.status, causeText(second)).toBe('SUCCEEDED');
    const a = first.output as WorkflowOutput;
    const b = second.output as WorkflowOutput;
    expect([b.atlasEndpointId, b.vpcEndpointId]).toEqual([a.atlasEndpointId, a.vpcEndpointId]);
    expect(pairs(w)).toEqual({ atlas: 1, vpc: 1 });
    expect(leases(w), 'the second gave back the lease it took over').toEqual([]);
  });
});

describe('the release of the lease', () => {
  it('is retried on a burst of throttles and outages longer than the SDK attempts: nothing is left', async () => {
    // Three failed DeleteItem answers exhaust one invocation's SDK attempts; the state retries.
    world = await newWorld({
      preset: 'instant',
      faults: [
        { operation: 'DeleteItem', times: 2, effect: { kind: 'rate-limit' } },
        { operation: 'DeleteItem', occurrence: 3, times: 2, effect: { kind: 'http-error', status: 503 } },
      ],
    });
    const w = world;
    const result = await run(w, requestFor('dedicated', w, { requestId: 'burst' }));
    expect(result.status, causeText(result)).toBe('SUCCEEDED');
    expect(w.world.faults.fired.map((f) => f.operation)).toEqual([
      'DeleteItem',
      'DeleteItem',
      'DeleteItem',
      'DeleteItem',
    ]);
    expect(leases(w)).toEqual([]);
  });
});

describe('a validate step that fails after its lease write', () => {
  it('leaves the lease to an ended execution: the next one takes it over', async () => {
    // The lease write takes effect with its answer lost, and every give-back fails: validate fails (its
    // retries find the lease their own, then lose the answer again) and the execution ends FAILED.
    world = await newWorld({
      preset: 'instant',
      faults: [
        { operation: 'PutItem', times: Number.POSITIVE_INFINITY, effect: { kind: 'drop-after-commit' } },
        ...RELEASE_ALWAYS_FAILS,
      ],
    });
    const w = world;
    const request = requestFor('dedicated', w, { requestId: 'crashed' });
    const first = await run(w, request, { executionName: 'crashed-a' });
    expect(first.status).toBe('FAILED');
    expect(first.error?.error).not.toBe(ErrorNames.TargetBusy);
    expect(leases(w).map(([, holder]) => holder)).toEqual([localExecutionArn('crashed-a')]);
    w.world.faults.replace([]);

    const second = await run(w, request, { executionName: 'crashed-b' });
    expect(second.status, causeText(second)).toBe('SUCCEEDED');
    expect(pairs(w)).toEqual({ atlas: 1, vpc: 1 });
    expect(leases(w)).toEqual([]);
  });
});

describe('a lease whose holder still runs', () => {
  const holder = localExecutionArn('still-running');
  afterEach(() => localExecutions.forget(holder));

  it('refuses the target naming it; once the holder is aborted, the next execution takes it over', async () => {
    world = await newWorld({ preset: 'instant' });
    const w = world;
    const request = requestFor('dedicated', w, { requestId: 'held' });
    // An execution of this engine that runs (the lease is its own) and is then aborted.
    const first = await run(w, request, { executionName: 'held-first' });
    expect(first.status, causeText(first)).toBe('SUCCEEDED');
    const [table] = w.world.dynamodb.tableNames();
    const store = new DynamoDbLeaseStore(
      createDynamoDbClient({
        region: w.world.demo.awsRegion,
        endpoint: w.dynamodbUrl,
        credentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
      }),
      table as string,
    );
    const key = targetLeaseKey(request as never);
    const now = w.world.clock.now();
    localExecutions.started(
      holder,
      'arn:aws:states:us-east-1:123456789012:stateMachine:Local',
      'still-running',
    );
    const lease = { key, holder, requestId: 'held', now, expiresAt: Math.ceil(now / 1000) + 3600 };
    expect((await store.acquire(lease)).acquired).toBe(true);

    const busy = await run(w, request, { executionName: 'held-busy' });
    expect(busy.error?.error, causeText(busy)).toBe(ErrorNames.TargetBusy);
    expect(causeText(busy)).toContain(holder);
    expect(leases(w).map(([, h]) => h)).toEqual([holder]);

    localExecutions.ended(holder, 'ABORTED');
    const next = await run(w, request, { executionName: 'held-next' });
    expect(next.status, causeText(next)).toBe('SUCCEEDED');
    expect(pairs(w)).toEqual({ atlas: 1, vpc: 1 });
    expect(leases(w)).toEqual([]);

    // Two takers of one lease left behind: the write is conditioned on the old holder, one wins.
    expect((await store.acquire(lease)).acquired).toBe(true);
    const takers = await Promise.all(
      ['taker-1', 'taker-2'].map((name) =>
        store.takeOver({ ...lease, holder: localExecutionArn(name), requestId: name }, holder),
      ),
    );
    expect(takers.filter((t) => t.acquired)).toHaveLength(1);
    const loser = takers.find((t) => !t.acquired);
    expect(loser?.acquired === false ? loser.holder?.holder : undefined).toBe(leases(w).map(([, h]) => h)[0]);
  });
});

describe('when Step Functions cannot be asked about the holder', () => {
  it('an access refusal counts the holder as running (TargetBusy); a throttle is thrown for the retrier', async () => {
    world = await newWorld({ preset: 'instant' });
    const w = world;
    // The engine deploys the lease table on its first run.
    expect((await run(w, requestFor('dedicated', w, { requestId: 'deploy' }))).status).toBe('SUCCEEDED');
    const [table] = w.world.dynamodb.tableNames();
    const store = new DynamoDbLeaseStore(
      createDynamoDbClient({
        region: w.world.demo.awsRegion,
        endpoint: w.dynamodbUrl,
        credentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
      }),
      table as string,
    );
    const request = requestFor('serverless', w, { requestId: 'asked' }) as unknown as WorkflowRequest;
    const stale = localExecutionArn('stale');
    const now = w.world.clock.now();
    const key = targetLeaseKey(request);
    await store.acquire({
      key,
      holder: stale,
      requestId: 'stale',
      now,
      expiresAt: Math.ceil(now / 1000) + 3600,
    });

    const sfn = createSfnClient({ region: 'us-east-1' });
    const mock = mockClient(sfn);
    const deps = {
      leases: store,
      executions: new StepFunctionsExecutionReader(sfn),
      now: () => w.world.clock.now(),
      logger: new Logger({ logLevel: 'SILENT' }),
    };
    const execution = {
      id: localExecutionArn('asking'),
      name: 'asking',
      startTime: new Date(now).toISOString(),
    };
    const acquire = () => acquireTargetLease(request, execution as never, 3600, deps as never);

    mock.on(DescribeExecutionCommand).rejects(
      new SFNServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'not authorized to perform: states:DescribeExecution',
      }),
    );
    await expect(acquire()).rejects.toBeInstanceOf(TargetBusyError);
    mock.on(DescribeExecutionCommand).rejects(
      new SFNServiceException({
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Rate exceeded',
      }),
    );
    await expect(acquire()).rejects.toBeInstanceOf(AwsTransientError);
    expect(leases(w).map(([, holder]) => holder)).toEqual([stale]);

    mock.on(DescribeExecutionCommand).rejects(
      new ExecutionDoesNotExist({
        $metadata: { httpStatusCode: 400 },
        message: 'Execution Does Not Exist',
      }),
    );
    expect(await acquire()).toMatchObject({ key, holder: execution.id });
    expect(leases(w).map(([, holder]) => holder)).toEqual([execution.id]);
    mock.restore();
  });
});
