/**
 * The dedicated endpoint service create intent (lambdas/aws/service-intents.ts, issue 9 finding 4): one left by
 * an execution that has ended is taken over; one held by an execution that still runs keeps this one from
 * POSTing the project's service for the region. (The crash-and-retry class is in reliability-classes.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../lambdas/aws/client.ts';
import { DynamoDbServiceIntentStore, serviceIntentKey } from '../../lambdas/aws/service-intents.ts';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import { SERVICE_INTENT_KEY_PREFIX } from '../../lambdas/core/leases.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { localExecutions } from '../../local/sfn-server.ts';
import { causeText, newWorld, requestFor, run, type TestWorld } from './harness.ts';

const HOLDER = 'arn:aws:states:us-east-1:123456789012:execution:OtherWorkflowRun:service-elsewhere';

let world: TestWorld | undefined;
afterEach(async () => {
  localExecutions.forget(HOLDER);
  if (world) {
    await world.close();
    world = undefined;
  }
});

/** Writes the intent of the request's project and region as HOLDER's (the engine deploys the table on start). */
async function holdIntent(w: TestWorld, request: { groupId: string; region: string }): Promise<void> {
  const [table] = w.world.dynamodb.tableNames();
  expect(table, 'the engine deploys the lease table').toBeDefined();
  const store = new DynamoDbServiceIntentStore(
    createDynamoDbClient({
      region: w.world.demo.awsRegion,
      endpoint: w.dynamodbUrl,
      credentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
    }),
    table!,
  );
  const now = w.world.clock.now();
  const taken = await store.take({
    key: serviceIntentKey(request.groupId, request.region),
    holder: HOLDER,
    requestId: 'elsewhere',
    now,
    expiresAt: Math.ceil(now / 1000) + 3600,
  });
  expect(taken.taken).toBe(true);
}

function intents(w: TestWorld) {
  return Object.values(w.world.inventory().dynamodb)
    .flat()
    .filter((i) => (i.pk as { S?: string } | undefined)?.S?.startsWith(SERVICE_INTENT_KEY_PREFIX));
}

const posts = (w: TestWorld) => w.world.log.of('createPrivateEndpointService');

describe('dedicated: the endpoint service create intent', () => {
  it('one left by an execution Step Functions does not know is taken over: one POST, given back', async () => {
    world = await newWorld({ preset: 'instant' });
    const w = world;
    const request = requestFor('dedicated', w);
    // An audit run deploys the lease table without touching the project's service.
    await run(w, { ...request, action: 'audit' }).catch(() => undefined);
    await holdIntent(w, request as { groupId: string; region: string });
    const result = await run(w, request);
    expect(result.status, causeText(result)).toBe('SUCCEEDED');
    expect(posts(w)).toHaveLength(1);
    expect(intents(w)).toEqual([]);
  });

  it('one held by a running execution, no service yet: no POST; the step retries, then fails naming it', async () => {
    world = await newWorld({ preset: 'instant' });
    const w = world;
    const request = requestFor('dedicated', w);
    await run(w, { ...request, action: 'audit' }).catch(() => undefined);
    await holdIntent(w, request as { groupId: string; region: string });
    localExecutions.started(
      HOLDER,
      'arn:aws:states:us-east-1:123456789012:stateMachine:OtherWorkflowRun',
      'x',
    );
    const result = await run(w, request);
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe(ErrorNames.AwsTransientError);
    expect(causeText(result)).toContain(`execution ${HOLDER}`);
    expect(posts(w)).toEqual([]);
    // The holder's intent is left to it.
    expect(intents(w).map((i) => (i.holder as { S: string }).S)).toEqual([HOLDER]);
  });
});
