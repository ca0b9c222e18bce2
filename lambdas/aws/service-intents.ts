/**
 * Intents to create a project's endpoint service for a region (dedicated kind), in the deployment's lease
 * table. An endpoint service carries no mark of who made it, and one serves a whole project and region
 * (facts §10), so two things cannot be told from the service itself: whether a retry of this execution's
 * create step finds the service its own earlier attempt POSTed, and whether another execution (another VPC
 * of the same project) is creating it right now. The intent answers both: one item per project and region,
 * held by one execution at a time, written before the create step looks up the region's service and marked
 * `posting` before it sends the POST.
 *
 * Item: `pk` (S, `service-intent#<groupId>#<region>`), `holder` (S, execution ARN), `requestId` (S),
 * `acquiredAt` (S, ISO), `expiresAt` (N, epoch seconds; the table's TTL attribute), `posting` (BOOL).
 *
 * Errors: throttling, 5xx and network failures -> AwsTransientError; other refusals -> AwsRequestRejectedError.
 */
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { LEASE_ATTRIBUTES, SERVICE_INTENT_KEY_PREFIX } from '#core/leases';
import { toAwsWorkflowError } from './errors.ts';
import type { AcquireLeaseInput } from './leases.ts';

/** An intent as it stands in the table. */
export interface ServiceIntent {
  readonly key: string;
  readonly holder: string;
  readonly requestId: string;
  readonly acquiredAt: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
  /** The holder sent (or was about to send) the create POST after its look-up under this intent found none. */
  readonly posting: boolean;
}

/** What taking an intent needs: the same as taking a target lease (key, holder, request id, now, expiry). */
export type TakeIntentInput = AcquireLeaseInput;

export type TakeIntentResult =
  /** Ours: a new intent (`posting: false`), or the one an earlier attempt of the same holder left (as it was). */
  | { readonly taken: true; readonly intent: ServiceIntent }
  /** Another holder's (undefined when it went away in between). */
  | { readonly taken: false; readonly holder: ServiceIntent | undefined };

export interface ServiceIntentStore {
  /** Takes the intent when it is free (absent or expired); when it is the holder's already, returns it unchanged. */
  take(input: TakeIntentInput): Promise<TakeIntentResult>;
  /** Takes it over from `previousHolder` (an execution that has ended): a write conditioned on that holder. */
  takeOver(input: TakeIntentInput, previousHolder: string): Promise<TakeIntentResult>;
  /** Rewrites the holder's intent as `posting`; false when the holder no longer holds it. */
  markPosting(intent: ServiceIntent): Promise<boolean>;
  /** Gives it back if `holder` holds it. */
  release(key: string, holder: string): Promise<'released' | 'not-held'>;
}

/** The intent key of a project's endpoint service in a region (no field holds `#`). */
export function serviceIntentKey(groupId: string, region: string): string {
  return `${SERVICE_INTENT_KEY_PREFIX}${groupId}#${region}`;
}

const POSTING = 'posting';
type RawItem = Record<string, { S?: string; N?: string; BOOL?: boolean } | undefined>;

function toIntent(item: RawItem | undefined): ServiceIntent | undefined {
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
    posting: item?.[POSTING]?.BOOL === true,
  };
}

function itemOf(intent: ServiceIntent) {
  const a = LEASE_ATTRIBUTES;
  return {
    [a.key]: { S: intent.key },
    [a.holder]: { S: intent.holder },
    [a.requestId]: { S: intent.requestId },
    [a.acquiredAt]: { S: intent.acquiredAt },
    [a.expiresAt]: { N: String(intent.expiresAt) },
    [POSTING]: { BOOL: intent.posting },
  };
}

export class DynamoDbServiceIntentStore implements ServiceIntentStore {
  constructor(
    private readonly dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async take(input: TakeIntentInput): Promise<TakeIntentResult> {
    const result = await this.put(input, false, 'attribute_not_exists(#key) OR #expiresAt < :now', {
      ':now': { N: String(Math.floor(input.now / 1000)) },
    });
    // The holder's own intent (a retry of its step): kept as it is, `posting` included.
    if (
      !result.taken &&
      result.holder?.holder === input.holder &&
      result.holder.expiresAt >= input.now / 1000
    )
      return { taken: true, intent: result.holder };
    return result;
  }

  async takeOver(input: TakeIntentInput, previousHolder: string): Promise<TakeIntentResult> {
    const result = await this.put(input, false, '#holder = :previous', {
      ':previous': { S: previousHolder },
    });
    // A retry whose first write took effect finds itself the holder: that is success too.
    if (!result.taken && result.holder?.holder === input.holder)
      return { taken: true, intent: result.holder };
    return result;
  }

  async markPosting(intent: ServiceIntent): Promise<boolean> {
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: itemOf({ ...intent, posting: true }),
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#holder': LEASE_ATTRIBUTES.holder },
          ExpressionAttributeValues: { ':holder': { S: intent.holder } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw toAwsWorkflowError(error, { service: 'DynamoDB', operation: 'PutItem' });
    }
  }

  async release(key: string, holder: string): Promise<'released' | 'not-held'> {
    try {
      await this.dynamodb.send(
        new DeleteItemCommand({
          TableName: this.tableName,
          Key: { [LEASE_ATTRIBUTES.key]: { S: key } },
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#holder': LEASE_ATTRIBUTES.holder },
          ExpressionAttributeValues: { ':holder': { S: holder } },
        }),
      );
      return 'released';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'not-held';
      throw toAwsWorkflowError(error, { service: 'DynamoDB', operation: 'DeleteItem' });
    }
  }

  private async put(
    input: TakeIntentInput,
    posting: boolean,
    condition: string,
    values: Record<string, { S: string } | { N: string }>,
  ): Promise<TakeIntentResult> {
    const a = LEASE_ATTRIBUTES;
    const intent: ServiceIntent = {
      key: input.key,
      holder: input.holder,
      requestId: input.requestId,
      acquiredAt: new Date(input.now).toISOString(),
      expiresAt: input.expiresAt,
      posting,
    };
    const names: Record<string, string> = { '#holder': a.holder };
    if (condition.includes('#key')) names['#key'] = a.key;
    if (condition.includes('#expiresAt')) names['#expiresAt'] = a.expiresAt;
    try {
      await this.dynamodb.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: itemOf(intent),
          ConditionExpression: condition,
          ExpressionAttributeNames: Object.fromEntries(
            Object.entries(names).filter(([n]) => condition.includes(n)),
          ),
          ExpressionAttributeValues: values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { taken: true, intent };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return { taken: false, holder: toIntent(error.Item as RawItem | undefined) };
      }
      throw toAwsWorkflowError(error, { service: 'DynamoDB', operation: 'PutItem' });
    }
  }
}
