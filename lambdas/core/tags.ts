/**
 * Tag keys the workflow puts on every VPC endpoint it creates.
 *
 * They are shared by the runtime (lambdas/aws writes them, lookups filter on them) and by the
 * infrastructure (lib/ builds the IAM conditions `aws:RequestTag/<key>` on CreateVpcEndpoint and
 * `ec2:ResourceTag/<key>` on DeleteVpcEndpoints from the same constants), so both sides agree on
 * the exact strings. This module has no imports, so lib/ can use it without pulling runtime code.
 */

/** Every workflow-owned tag key starts with this prefix. Request tags may not use it. */
export const TAG_PREFIX = 'atlas-private-endpoint-workflow:';

/** Names the deployment (state machine) that manages the endpoint. IAM conditions key on it. */
export const TAG_MANAGED_BY = `${TAG_PREFIX}managed-by`;
/** The request id (idempotency key) of the execution that created the endpoint. */
export const TAG_REQUEST_ID = `${TAG_PREFIX}request-id`;
/** `serverless` or `dedicated`. */
export const TAG_ATLAS_KIND = `${TAG_PREFIX}atlas-kind`;
/** The Atlas project id. */
export const TAG_ATLAS_GROUP_ID = `${TAG_PREFIX}atlas-group-id`;
/** The serverless instance or cluster name. */
export const TAG_ATLAS_INSTANCE_NAME = `${TAG_PREFIX}atlas-instance-name`;
/** Serverless: the Atlas endpoint `_id`. Dedicated: the endpoint service id. */
export const TAG_ATLAS_ENDPOINT_ID = `${TAG_PREFIX}atlas-endpoint-id`;
/**
 * `true` when the request that created the endpoint also created the Atlas side it connects to, else
 * `false`. Atlas resources carry no tags, so this is how a later run of the same request proves that it
 * owns the Atlas side it finds (the ownership rule of `ExistingResources` in ./steps.ts).
 */
export const TAG_ATLAS_CREATED = `${TAG_PREFIX}atlas-created`;

/**
 * All workflow-owned keys, in the order they are written (after the request's own tags, so they win).
 * Request tags cannot use them: every key starts with {@link TAG_PREFIX}, which the request schema refuses.
 */
export const WORKFLOW_TAG_KEYS = [
  TAG_MANAGED_BY,
  TAG_REQUEST_ID,
  TAG_ATLAS_KIND,
  TAG_ATLAS_GROUP_ID,
  TAG_ATLAS_INSTANCE_NAME,
  TAG_ATLAS_ENDPOINT_ID,
  TAG_ATLAS_CREATED,
] as const;

/** The console name tag. The workflow sets it only when the request does not. */
export const TAG_NAME = 'Name';

/** AWS allows 50 tags per EC2 resource; requests get 40 so the workflow's own tags always fit. */
export const MAX_REQUEST_TAGS = 40;
/** AWS tag limits (characters). */
export const MAX_TAG_KEY_LENGTH = 128;
export const MAX_TAG_VALUE_LENGTH = 256;
/** Prefix AWS reserves for its own tags (case-insensitive). */
export const AWS_RESERVED_TAG_PREFIX = 'aws:';

/** True when `key` belongs to the workflow or to AWS (request tags must not use such keys). */
export function isReservedTagKey(key: string): boolean {
  const lower = key.toLowerCase();
  return lower.startsWith(AWS_RESERVED_TAG_PREFIX) || lower.startsWith(TAG_PREFIX);
}
