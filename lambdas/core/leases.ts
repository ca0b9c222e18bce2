/**
 * The lease table's shape, shared by the runtime (lambdas/aws/leases.ts reads and writes the items) and the
 * infrastructure (lib/ builds the table with this partition key and TTL attribute). No imports, so lib/ can
 * use it without pulling runtime code.
 */

/** Attribute names of a lease item. */
export const LEASE_ATTRIBUTES = {
  /** Partition key (S): the target's lease key. */
  key: 'pk',
  /** (S) the execution ARN holding the lease. */
  holder: 'holder',
  /** (S) the holder's request id. */
  requestId: 'requestId',
  /** (S) ISO timestamp the lease was taken. */
  acquiredAt: 'acquiredAt',
  /** (N) epoch seconds the lease expires at; the table's TTL attribute. */
  expiresAt: 'expiresAt',
} as const;

/**
 * Keys of the deployment's shared Atlas token in the same table (lambdas/aws/token-store.ts): the Atlas
 * functions may touch only items whose key starts with this (IAM `dynamodb:LeadingKeys`).
 */
export const SHARED_TOKEN_KEY_PREFIX = 'atlas-token#';

/**
 * Keys of the dedicated endpoint service create intents in the same table (lambdas/aws/service-intents.ts):
 * `service-intent#<groupId>#<region>`. The create step may touch only items whose key starts with this (IAM
 * `dynamodb:LeadingKeys`).
 */
export const SERVICE_INTENT_KEY_PREFIX = 'service-intent#';

/** Prefixes of the table's items that are not target leases (what a look at the target leases leaves out). */
export const OTHER_ITEM_KEY_PREFIXES: readonly string[] = [
  SHARED_TOKEN_KEY_PREFIX,
  SERVICE_INTENT_KEY_PREFIX,
];

/** Whether a key of the lease table is a target lease's (not the shared token's, not a service intent's). */
export function isTargetLeaseKey(key: string | undefined): boolean {
  return key !== undefined && !OTHER_ITEM_KEY_PREFIXES.some((prefix) => key.startsWith(prefix));
}
