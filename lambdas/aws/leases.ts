/**
 * Leases in a DynamoDB table: one item per key, taken with a conditional PutItem and given back with a
 * conditional DeleteItem, so that of several writers racing for one key exactly one holds it.
 *
 * Item: `pk` (S, the key), `holder` (S), `requestId` (S), `acquiredAt` (S, ISO), `expiresAt` (N, epoch
 * seconds; the table's TTL attribute). A lease is free when no item exists, when its holder asks again (a
 * retry of the same holder re-takes it), or when it has expired (`expiresAt` in the past: the holder died
 * without giving it back; DynamoDB's TTL deletes such items only eventually, so the condition compares the
 * expiry itself).
 *
 * Errors: throttling, 5xx and network failures -> AwsTransientError; other refusals -> AwsRequestRejectedError;
 * no credentials -> ConfigurationError (see ./errors.ts). A lost answer is safe to retry: the holder may
 * re-take its own lease, and giving back a lease that is already gone is success.
 *
 * A lease whose holder has ended without giving it back (its release failed, its step crashed, it was aborted
 * or timed out) is taken over with `takeOver`: a write conditioned on that holder (../workflow/operations/lease.ts
 * asks Step Functions first whether the holder still runs).
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { LEASE_ATTRIBUTES } from '#core/leases';
import { type AwsErrorContext, toAwsWorkflowError } from './errors.ts';

export { LEASE_ATTRIBUTES };

/** A lease as it stands in the table. */
export interface LeaseRecord {
  readonly key: string;
  readonly holder: string;
  readonly requestId: string;
  readonly acquiredAt: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export interface AcquireLeaseInput {
  readonly key: string;
  readonly holder: string;
  readonly requestId: string;
  /** Epoch ms: the time the lease is taken (leases that expired before it are free). */
  readonly now: number;
  /** Epoch seconds the lease expires at. */
  readonly expiresAt: number;
}

export type AcquireLeaseResult =
  | { readonly acquired: true; readonly lease: LeaseRecord }
  /** Someone else holds it; `holder` is that lease (undefined when it was given back in between). */
  | { readonly acquired: false; readonly holder: LeaseRecord | undefined };

export interface LeaseStore {
  acquire(input: AcquireLeaseInput): Promise<AcquireLeaseResult>;
  /**
   * Takes the lease over from `previousHolder` (an execution that has ended without giving it back): a write
   * conditioned on that holder still holding it, so of several takers exactly one wins; the others get
   * `acquired: false` with the lease as it now stands.
   */
  takeOver(input: AcquireLeaseInput, previousHolder: string): Promise<AcquireLeaseResult>;
  /** Gives the lease back if `holder` holds it: `released`, or `not-held` (gone, or someone else's). */
  release(key: string, holder: string): Promise<'released' | 'not-held'>;
  /**
   * The lease that holds `key` at `now` (epoch ms; a strongly consistent read), or undefined when it is free
   * (no item, or an expired one). Reads only: a plain check asks whether an execution is at work on its target.
   */
  holderOf(key: string, now: number): Promise<LeaseRecord | undefined>;
}

type RawItem = Record<string, { S?: string; N?: string } | undefined>;

function toRecord(item: RawItem | undefined): LeaseRecord | undefined {
  const a = LEASE_ATTRIBUTES;
  const key = item?.[a.key]?.S;
  const holder = item?.[a.holder]?.S;
  if (key === undefined || holder === undefined) return undefined;
  return {
    key,
    holder,
    requestId: item?.[a.requestId]?.S ?? '',
    acquiredAt: item?.[a.acquiredAt]?.S ?? '',
    expiresAt: Number(item?.[a.expiresAt]?.N ?? 0),
  };
}

/** The workflow's leases over one DynamoDB client and table. */
export class DynamoDbLeaseStore implements LeaseStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  acquire(input: AcquireLeaseInput): Promise<AcquireLeaseResult> {
    return this.put(input, 'attribute_not_exists(#key) OR #holder = :holder OR #expiresAt < :now', undefined);
  }

  takeOver(input: AcquireLeaseInput, previousHolder: string): Promise<AcquireLeaseResult> {
    // A retry whose first write took effect finds itself the holder: that is success too.
    return this.put(input, '#holder = :previous OR #holder = :holder', previousHolder);
  }

  private async put(
    input: AcquireLeaseInput,
    condition: string,
    previousHolder: string | undefined,
  ): Promise<AcquireLeaseResult> {
    const a = LEASE_ATTRIBUTES;
    const lease: LeaseRecord = {
      key: input.key,
      holder: input.holder,
      requestId: input.requestId,
      acquiredAt: new Date(input.now).toISOString(),
      expiresAt: input.expiresAt,
    };
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            [a.key]: { S: lease.key },
            [a.holder]: { S: lease.holder },
            [a.requestId]: { S: lease.requestId },
            [a.acquiredAt]: { S: lease.acquiredAt },
            [a.expiresAt]: { N: String(lease.expiresAt) },
          },
          ConditionExpression: condition,
          ...(previousHolder === undefined
            ? {
                ExpressionAttributeNames: { '#key': a.key, '#holder': a.holder, '#expiresAt': a.expiresAt },
                ExpressionAttributeValues: {
                  ':holder': { S: lease.holder },
                  ':now': { N: String(Math.floor(input.now / 1000)) },
                },
              }
            : {
                ExpressionAttributeNames: { '#holder': a.holder },
                ExpressionAttributeValues: {
                  ':holder': { S: lease.holder },
                  ':previous': { S: previousHolder },
                },
              }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { acquired: true, lease };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return { acquired: false, holder: toRecord(error.Item as RawItem | undefined) };
      }
      throw toAwsWorkflowError(error, this.context('PutItem'));
    }
  }

  async release(key: string, holder: string): Promise<'released' | 'not-held'> {
    const a = LEASE_ATTRIBUTES;
    try {
      await this.dynamodb.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { [a.key]: { S: key } },
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#holder': a.holder },
          ExpressionAttributeValues: { ':holder': { S: holder } },
        }),
      );
      return 'released';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'not-held';
      throw toAwsWorkflowError(error, this.context('DeleteItem'));
    }
  }

  async holderOf(key: string, now: number): Promise<LeaseRecord | undefined> {
    const a = LEASE_ATTRIBUTES;
    try {
      const answer = await this.dynamodb.send(
        new GetItemCommand({ TableName: this.tableName, Key: { [a.key]: { S: key } }, ConsistentRead: true }),
      );
      const lease = toRecord(answer.Item as RawItem | undefined);
      return lease === undefined || lease.expiresAt < Math.floor(now / 1000) ? undefined : lease;
    } catch (error) {
      throw toAwsWorkflowError(error, this.context('GetItem'));
    }
  }

  private context(operation: string): AwsErrorContext {
    return { service: 'DynamoDB', operation };
  }
}
