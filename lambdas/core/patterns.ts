/**
 * The shapes of the ids a request names, as plain regular expressions and limits.
 *
 * One definition for the request schema (./request.ts, built with zod) and for the steps that must
 * recognise an id without loading zod (summarize-failure echoes the ids of a rejected request). This
 * module imports nothing, so it adds nothing to a bundle but these few lines.
 */

/** Atlas project (group) id: 24 lowercase hexadecimal characters (the Atlas spec's `groupId` pattern). */
export const GROUP_ID_PATTERN = /^[a-f0-9]{24}$/;

/** Serverless instance or cluster name: letters, digits and hyphens, starting with a letter or digit. */
export const INSTANCE_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9-]*$/;
/** The longest instance or cluster name a request may give. */
export const INSTANCE_NAME_MAX_LENGTH = 64;

/** VPC id: `vpc-` and 8 or 17 lowercase hexadecimal characters. */
export const VPC_ID_PATTERN = /^vpc-[0-9a-f]{8}([0-9a-f]{9})?$/;
/** Subnet id: `subnet-` and 8 or 17 lowercase hexadecimal characters. */
export const SUBNET_ID_PATTERN = /^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/;
/** Security group id: `sg-` and 8 or 17 lowercase hexadecimal characters. */
export const SECURITY_GROUP_ID_PATTERN = /^sg-[0-9a-f]{8}([0-9a-f]{9})?$/;

/** VPC endpoint id: `vpce-` and 8 or 17 lowercase hexadecimal characters. */
export const VPC_ENDPOINT_ID_PATTERN = /^vpce-[0-9a-f]{8}([0-9a-f]{9})?$/;
/** Atlas object id (a serverless endpoint `_id`, an endpoint service `id`): 24 lowercase hexadecimal characters. */
export const ATLAS_ID_PATTERN = /^[a-f0-9]{24}$/;

/** The longest request id (idempotency key) a request may give. */
export const REQUEST_ID_MAX_LENGTH = 128;

/** True for a well-formed instance or cluster name (pattern and length). */
export function isInstanceName(value: string): boolean {
  return value.length <= INSTANCE_NAME_MAX_LENGTH && INSTANCE_NAME_PATTERN.test(value);
}
