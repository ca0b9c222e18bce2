/**
 * The Atlas access token shared by a deployment's containers (lambdas/atlas/token-share.ts) through the
 * world's DynamoDB (lambdas/aws/token-store.ts): one token request for many containers, the token never
 * stored in the clear, a refused token dropped for everyone, and a store that fails never blocks a call.
 * A "container" here is a client after `resetAtlasAuthCaches()` (what a fresh Lambda container has).
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { resetAtlasAuthCaches } from '../../lambdas/atlas/auth.ts';
import { API_V2 } from '../../lambdas/atlas/client.ts';
import { openToken, sharedTokenKey, type TokenShare } from '../../lambdas/atlas/token-share.ts';
import { DynamoDbSharedTokenStore } from '../../lambdas/aws/token-store.ts';
import { LEASE_ATTRIBUTES, SHARED_TOKEN_KEY_PREFIX } from '../../lambdas/core/leases.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { type AtlasHarness, startAtlasHarness } from './harness.ts';

const TABLE = 'workflow-leases';
let h: AtlasHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function withTable(harness: AtlasHarness): Promise<DynamoDbSharedTokenStore> {
  const dynamodb = new DynamoDBClient({
    region: DEMO_AWS.region,
    endpoint: harness.running.dynamodbUrl,
    credentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
    maxAttempts: 1,
  });
  await dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: LEASE_ATTRIBUTES.key, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: LEASE_ATTRIBUTES.key, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return new DynamoDbSharedTokenStore(dynamodb, TABLE);
}

const projectPath = (harness: AtlasHarness) =>
  `${API_V2}/groups/${harness.demo.groupId}/clusters/${harness.demo.clusterName}`;
const read = (harness: AtlasHarness, share: TokenShare) =>
  harness.client('service-account', { tokenShare: share }).request({
    operation: 'getCluster',
    method: 'GET',
    path: projectPath(harness),
    version: '2024-08-05',
  });
const tokenRequests = (harness: AtlasHarness) => harness.calls().filter((c) => c.startsWith('oauthToken'));

describe('the shared Atlas token', () => {
  it('ten fresh containers make one token request; the table holds it sealed, under its own key prefix', async () => {
    h = await startAtlasHarness();
    const harness = h;
    const store = await withTable(harness);
    for (let container = 1; container <= 10; container++) {
      resetAtlasAuthCaches();
      await read(harness, { store, holder: `container-${container}` });
    }
    expect(tokenRequests(harness)).toEqual(['oauthToken 200']);
    expect(harness.calls().filter((c) => c === 'getCluster 200')).toHaveLength(10);

    const items = harness.world.dynamodb.items(TABLE);
    const key = sharedTokenKey(harness.running.atlasUrl, harness.demo.serviceAccount.clientId);
    expect(key.startsWith(SHARED_TOKEN_KEY_PREFIX)).toBe(true);
    // The token item (the right to mint was given back); no attribute holds the token or the secret.
    expect(items.map((i) => i[LEASE_ATTRIBUTES.key])).toEqual([{ S: key }]);
    const stored = await store.read(key);
    expect(stored).toBeDefined();
    const token = openToken(
      stored!,
      key,
      harness.demo.serviceAccount.clientSecret,
      harness.demo.serviceAccount.clientId,
    );
    expect(token).toMatch(/^[A-Za-z0-9\-._~+/]+=*$/);
    const text = JSON.stringify(items);
    expect(text).not.toContain(token!);
    expect(text).not.toContain(harness.demo.serviceAccount.clientSecret);
    // Another secret (or a tampered item) opens nothing.
    expect(openToken(stored!, key, 'another-secret', harness.demo.serviceAccount.clientId)).toBeUndefined();
    expect(
      openToken(
        { ...stored!, sealed: `${stored!.sealed.slice(0, -2)}AA` },
        key,
        harness.demo.serviceAccount.clientSecret,
        harness.demo.serviceAccount.clientId,
      ),
    ).toBeUndefined();
  });

  it('a container that finds the right to mint taken waits for the token instead of asking Atlas', async () => {
    h = await startAtlasHarness();
    const harness = h;
    const store = await withTable(harness);
    const key = sharedTokenKey(harness.running.atlasUrl, harness.demo.serviceAccount.clientId);
    const now = harness.world.clock.now();
    // Another container holds the right to mint (and dies without storing a token): this one waits until
    // the claim expires, then mints itself. One token request in all.
    expect(await store.claimMint(key, 'container-dead', now, now + 5_000)).toBe(true);
    await read(harness, { store, holder: 'container-1' });
    expect(tokenRequests(harness)).toEqual(['oauthToken 200']);
    expect(harness.sleeps.length).toBeGreaterThanOrEqual(3);
    expect(harness.world.clock.now() - now).toBeGreaterThanOrEqual(5_000);
  });

  it('a token Atlas refuses is dropped from the store too; the next container mints a new one', async () => {
    h = await startAtlasHarness();
    const harness = h;
    const store = await withTable(harness);
    await read(harness, { store, holder: 'container-1' });
    const { clientId, clientSecret } = harness.demo.serviceAccount;
    const key = sharedTokenKey(harness.running.atlasUrl, clientId);
    const first = openToken((await store.read(key))!, key, clientSecret, clientId)!;
    // Atlas no longer accepts it (revoked elsewhere): the next container's call gets a 401, drops it, mints.
    expect(harness.world.atlas.access.revokeToken(clientId, clientSecret, first)).toBe(true);
    resetAtlasAuthCaches();
    await read(harness, { store, holder: 'container-2' });
    resetAtlasAuthCaches();
    await read(harness, { store, holder: 'container-3' });
    expect(tokenRequests(harness)).toEqual(['oauthToken 200', 'oauthToken 200']);
    expect(openToken((await store.read(key))!, key, clientSecret, clientId)).not.toBe(first);
  });

  it('a store that fails never blocks a call: the container mints its own token', async () => {
    h = await startAtlasHarness();
    const harness = h;
    const broken = new DynamoDbSharedTokenStore(
      new DynamoDBClient({
        region: DEMO_AWS.region,
        endpoint: harness.running.dynamodbUrl,
        credentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
        maxAttempts: 1,
      }),
      'no-such-table',
    );
    await read(harness, { store: broken, holder: 'container-1' });
    expect(tokenRequests(harness)).toEqual(['oauthToken 200']);
  });
});
