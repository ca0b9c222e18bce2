/**
 * The simulated DynamoDB through the real `@aws-sdk/client-dynamodb` over HTTP (JSON 1.0 protocol, SigV4):
 * tables, conditional writes (the lease's mechanism), the refusals' shapes, TTL, signatures and faults.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ResourceNotFoundException,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { type RunningWorld, startWorld } from '../../local/cloud/index.ts';

let world: RunningWorld;
let client: DynamoDBClient;
const TABLE = 'leases';

function newClient(secretAccessKey: string = DEMO_AWS.secretAccessKey): DynamoDBClient {
  return new DynamoDBClient({
    region: DEMO_AWS.region,
    endpoint: world.dynamodbUrl,
    credentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });
}

beforeEach(async () => {
  world = await startWorld({ preset: 'instant', timeScale: 0 });
  client = newClient();
  await client.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

afterEach(async () => {
  client.destroy();
  await world.close();
});

const put = (holder: string, now: number, expiresAt: number) =>
  new PutItemCommand({
    TableName: TABLE,
    Item: { pk: { S: 'target-1' }, holder: { S: holder }, expiresAt: { N: String(expiresAt) } },
    ConditionExpression: 'attribute_not_exists(pk) OR #holder = :holder OR expiresAt < :now',
    ExpressionAttributeNames: { '#holder': 'holder' },
    ExpressionAttributeValues: { ':holder': { S: holder }, ':now': { N: String(now) } },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  });

describe('the simulated DynamoDB', () => {
  it('creates and describes a table; an unknown table is ResourceNotFoundException', async () => {
    const described = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(described.Table).toMatchObject({ TableName: TABLE, TableStatus: 'ACTIVE' });
    await expect(
      client.send(new GetItemCommand({ TableName: 'nope', Key: { pk: { S: 'x' } } })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('a conditional put lets one of many racing writers win; the losers see the winner in the refusal', async () => {
    const results = await Promise.allSettled(
      ['a', 'b', 'c', 'd', 'e'].map((holder) => client.send(put(holder, 100, 1000))),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const item = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'target-1' } } }));
    const winner = item.Item?.holder?.S;
    for (const r of results.filter((x) => x.status === 'rejected')) {
      const error = (r as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(ConditionalCheckFailedException);
      expect((error as ConditionalCheckFailedException).Item?.holder?.S).toBe(winner);
    }
    // The holder itself may write again (a retry); an expired lease goes to whoever comes next.
    await client.send(put(winner!, 200, 1000));
    await expect(client.send(put('late', 999, 2000))).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await client.send(put('late', 1001, 2000));
    const after = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'target-1' } } }));
    expect(after.Item?.holder?.S).toBe('late');
  });

  it('deletes only when the condition holds; update SETs and REMOVEs', async () => {
    await client.send(put('a', 0, 10));
    const del = (holder: string) =>
      new DeleteItemCommand({
        TableName: TABLE,
        Key: { pk: { S: 'target-1' } },
        ConditionExpression: 'holder = :h',
        ExpressionAttributeValues: { ':h': { S: holder } },
      });
    await expect(client.send(del('b'))).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await client.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { pk: { S: 'target-1' } },
        UpdateExpression: 'SET #n = :v REMOVE expiresAt',
        ConditionExpression: 'attribute_exists(pk) AND NOT (holder <> :h)',
        ExpressionAttributeNames: { '#n': 'note' },
        ExpressionAttributeValues: { ':v': { S: 'hello' }, ':h': { S: 'a' } },
      }),
    );
    expect(world.world.dynamodb.items(TABLE)).toEqual([
      { pk: { S: 'target-1' }, holder: { S: 'a' }, note: { S: 'hello' } },
    ]);
    await client.send(del('a'));
    expect(world.world.dynamodb.items(TABLE)).toEqual([]);
  });

  it('TTL deletes expired items an hour (virtual) after they expire', async () => {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: TABLE,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    );
    const now = Math.floor(world.world.clock.now() / 1000);
    await client.send(put('a', now, now + 60));
    world.world.clock.advance(30 * 60_000);
    expect(world.world.dynamodb.items(TABLE)).toHaveLength(1);
    world.world.clock.advance(60 * 60_000);
    expect(world.world.dynamodb.items(TABLE)).toEqual([]);
  });

  it('refuses a wrong signature, and answers faults like DynamoDB', async () => {
    const wrong = newClient('not-the-secret');
    await expect(wrong.send(new DescribeTableCommand({ TableName: TABLE }))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    });
    wrong.destroy();
    world.world.faults.add({ operation: 'PutItem', effect: { kind: 'rate-limit' } });
    await expect(client.send(put('a', 0, 10))).rejects.toMatchObject({ name: 'ThrottlingException' });
    world.world.faults.add({ operation: 'PutItem', occurrence: 2, effect: { kind: 'drop-after-commit' } });
    await expect(client.send(put('a', 0, 10))).rejects.toThrow();
    expect(world.world.dynamodb.items(TABLE)).toHaveLength(1);
    expect(world.world.log.of('PutItem').map((e) => [e.service, e.status, e.fault])).toEqual([
      ['dynamodb', 400, 'rate-limit'],
      ['dynamodb', 200, 'drop-after-commit'],
    ]);
  });
});
