/**
 * The shared Atlas token's store in the deployment's DynamoDB table (the lease table): one item per service
 * account holding the token sealed (never the token itself; see lambdas/atlas/token-share.ts), and the right
 * to mint the next one, which is a lease (./leases.ts) on a second key.
 *
 * Token item: `pk` = the key (`atlas-token#…`, no secret in it), `sealed` (S), `fingerprint` (S),
 * `expiresAtMs` (N), `expiresAt` (N, epoch seconds: the table's TTL attribute deletes it after the token
 * expires).
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { LEASE_ATTRIBUTES } from '#core/leases';
import type { SealedToken, SharedTokenStore } from '#core/token-cache';
import { toAwsWorkflowError } from './errors.ts';
import { DynamoDbLeaseStore } from './leases.ts';

const mintKey = (key: string) => `${key}#mint`;

export class DynamoDbSharedTokenStore implements SharedTokenStore {
  private readonly leases: DynamoDbLeaseStore;

  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.leases = new DynamoDbLeaseStore(dynamodb, tableName);
  }

  async read(key: string): Promise<SealedToken | undefined> {
    try {
      const out = await this.dynamodb.send(
        new GetItemCommand({
          TableName: this.tableName,
          Key: { [LEASE_ATTRIBUTES.key]: { S: key } },
          ConsistentRead: true,
        }),
      );
      const item = out.Item;
      const sealed = item?.sealed?.S;
      const fingerprint = item?.fingerprint?.S;
      const expiresAtMs = Number(item?.expiresAtMs?.N);
      if (sealed === undefined || fingerprint === undefined || !Number.isFinite(expiresAtMs))
        return undefined;
      return { sealed, fingerprint, expiresAtMs };
    } catch (error) {
      throw toAwsWorkflowError(error, { service: 'DynamoDB', operation: 'GetItem' });
    }
  }

  async claimMint(key: string, holder: string, nowMs: number, untilMs: number): Promise<boolean> {
    const result = await this.leases.acquire({
      key: mintKey(key),
      holder,
      requestId: 'atlas-token',
      now: nowMs,
      expiresAt: Math.ceil(untilMs / 1000),
    });
    return result.acquired;
  }

  async releaseMint(key: string, holder: string): Promise<void> {
    await this.leases.release(mintKey(key), holder);
  }

  async write(key: string, token: SealedToken): Promise<void> {
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            [LEASE_ATTRIBUTES.key]: { S: key },
            sealed: { S: token.sealed },
            fingerprint: { S: token.fingerprint },
            expiresAtMs: { N: String(token.expiresAtMs) },
            [LEASE_ATTRIBUTES.expiresAt]: { N: String(Math.ceil(token.expiresAtMs / 1000)) },
          },
        }),
      );
    } catch (error) {
      throw toAwsWorkflowError(error, { service: 'DynamoDB', operation: 'PutItem' });
    }
  }

  async drop(key: string, fingerprint: string): Promise<void> {
    try {
      await this.dynamodb.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { [LEASE_ATTRIBUTES.key]: { S: key } },
          ConditionExpression: '#fingerprint = :fingerprint',
          ExpressionAttributeNames: { '#fingerprint': 'fingerprint' },
          ExpressionAttributeValues: { ':fingerprint': { S: fingerprint } },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw toAwsWorkflowError(error, { service: 'DynamoDB', operation: 'DeleteItem' });
    }
  }
}
