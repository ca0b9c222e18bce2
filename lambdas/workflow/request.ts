/**
 * The execution input: schema, defaults and validation.
 *
 * `parseRequest()` turns whatever the execution received into a `WorkflowRequest`, or throws ONE
 * `InvalidRequestError` that lists every bad field (path such as `subnetIds[1]`) with what was
 * received and what is expected.
 *
 * Rules worth knowing:
 * - Unknown fields are rejected (a typo such as `subnetId` must not be silently ignored). The
 *   EventBridge rule passes the event's `detail` as the execution input, so it is the `detail` that
 *   is validated; a whole event envelope given as input is reported as such.
 * - `vpcId`, `subnetIds`, `securityGroupIds`, `region`, `kind` and `rollbackOnFailure` may come from
 *   deployment defaults (see ./config.ts); a field the event leaves out takes the default, a field it
 *   sets wins.
 * - `phaseBudgetSeconds` (steps.ts `REQUEST_BUDGET_FIELD`) is checked here with every other field
 *   (known phases, whole seconds within the steps.ts bounds) and passed on as given; validate-request
 *   resolves the effective budgets against the deployment with `resolvePhaseBudgets()`.
 * - `comment` is at most 63 UTF-16 code units and exists only for `serverless`: Atlas keeps 80 (the spec's
 *   `maxLength: 80`, counted in UTF-16 code units, which is never less than the code-point count), and
 *   the workflow appends a space and its 16-character ownership marker (`[ape:<10 hex>]`, see
 *   lambdas/atlas/kind-common.ts) so it can recognise its own endpoint later. A dedicated endpoint
 *   service has no comment, so `comment` with `kind: "dedicated"` is rejected rather than dropped.
 * - `privateDnsEnabled` can only be false (the default). Atlas endpoint services publish no private DNS
 *   name, so EC2 refuses a VPC endpoint with private DNS for them; clients reach Atlas through the
 *   hostnames in the private connection string. EC2's own default for interface endpoints is true, so
 *   the workflow always sends the value explicitly.
 * - `requestId` (the idempotency key) defaults to the execution name.
 * - `action` is `create` (the default), `delete` or `check` (see ./lifecycle.ts). One schema serves all three:
 *   the body that created a connection deletes or checks it too. `delete` and `check` do not need
 *   `subnetIds` or `securityGroupIds` (a `check` with `"repair": true` does: it may have to create), and they
 *   accept the fields of a create's output (`atlasEndpointId` and `vpcEndpointId` narrow the look-up; the
 *   others are read and ignored), so a create's output with `"action"` added is a valid request. A `create`
 *   refuses those output fields, and `repair` belongs to `check` only.
 * - The delete and check EventBridge rules pass the whole event (their detail-type names the action); such an
 *   envelope is unwrapped here. Any other whole event given as input is refused.
 */
import * as z from 'zod';
import { OWNERSHIP_MARKER_LENGTH } from '#atlas/kind-common';
import { type FieldIssue, InvalidRequestError } from '#core/errors';
import {
  ATLAS_ID_PATTERN,
  GROUP_ID_PATTERN,
  INSTANCE_NAME_MAX_LENGTH,
  INSTANCE_NAME_PATTERN,
  REQUEST_ID_MAX_LENGTH,
  SECURITY_GROUP_ID_PATTERN,
  SUBNET_ID_PATTERN,
  VPC_ENDPOINT_ID_PATTERN,
  VPC_ID_PATTERN,
} from '#core/patterns';
import { isSupportedAwsRegion, toAwsRegion } from '#core/regions';
import type { ConnectionLookup, EndpointKind, WorkflowAction, WorkflowRequest } from '#core/state';
import {
  AWS_RESERVED_TAG_PREFIX,
  MAX_REQUEST_TAGS,
  MAX_TAG_KEY_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  TAG_PREFIX,
} from '#core/tags';
import { ACTION_DETAIL_TYPES } from '#workflow/events';
import {
  HandlerEnv,
  MAX_PHASE_BUDGET_SECONDS,
  MIN_PHASE_BUDGET_SECONDS,
  POLL_PHASES,
  type PollPhase,
  REQUEST_BUDGET_FIELD,
} from '#workflow/steps';

export const ENDPOINT_KINDS = ['serverless', 'dedicated'] as const satisfies readonly EndpointKind[];
export const WORKFLOW_ACTIONS = ['create', 'delete', 'check'] as const satisfies readonly WorkflowAction[];
export const DEFAULT_ACTION: WorkflowAction = 'create';
/**
 * Fields of a create's output that a `delete` or `check` request may carry. The two ids narrow the look-up;
 * the rest are accepted so the output can be sent back as it is, and ignored.
 */
export const OUTPUT_ID_FIELDS = ['atlasEndpointId', 'vpcEndpointId'] as const;
export const OUTPUT_INFO_FIELDS = [
  'endpointServiceName',
  'status',
  'privateSrvConnectionString',
  'pendingRegions',
  'dnsEntries',
] as const;
/**
 * The kind of a request that names none (and of a deployment without `defaultKind`): `dedicated`, the flow
 * that works on Atlas today. MongoDB retired serverless private endpoints on 2026-01-22 (facts §0.1, §6);
 * `serverless` runs only where a request or the deployment names it.
 */
export const DEFAULT_KIND: EndpointKind = 'dedicated';
/** What Atlas keeps of a serverless endpoint's comment (the spec's `maxLength: 80`). */
export const ATLAS_COMMENT_MAX_LENGTH = 80;
/** The request's `comment`: Atlas's limit minus the space and the ownership marker the workflow appends. */
export const COMMENT_MAX_LENGTH = ATLAS_COMMENT_MAX_LENGTH - OWNERSHIP_MARKER_LENGTH - 1;
export const MAX_SUBNETS = 16;
export const MAX_SECURITY_GROUPS = 5;

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Optional per-request phase budget overrides (waited seconds per polling phase), the request field
 * steps.ts names `REQUEST_BUDGET_FIELD`. Validated here with every other field; validate-request then
 * resolves the effective budgets with `resolvePhaseBudgets()` (deployment env, execution timeout).
 */
export type PhaseBudgetOverrides = Readonly<Partial<Record<PollPhase, number>>>;

/** The parsed request: the state record's `WorkflowRequest`, plus the optional budget overrides. */
export type ParsedRequest = WorkflowRequest & { readonly phaseBudgetSeconds?: PhaseBudgetOverrides };

/** Deployment-time defaults for fields an event may leave out (see ./config.ts). */
export interface RequestDefaults {
  readonly kind?: EndpointKind;
  readonly vpcId?: string;
  readonly subnetIds?: readonly string[];
  readonly securityGroupIds?: readonly string[];
  readonly region?: string;
  readonly rollbackOnFailure?: boolean;
}

export const DEFAULTABLE_FIELDS = [
  'kind',
  'vpcId',
  'subnetIds',
  'securityGroupIds',
  'region',
  'rollbackOnFailure',
] as const satisfies readonly (keyof RequestDefaults)[];

/** Deployment environment variable that supplies each defaultable field (names shared with lib/ via steps.ts). */
export const DEFAULT_ENV_VARIABLES: Readonly<Record<keyof RequestDefaults, string>> = {
  kind: HandlerEnv.DefaultKind,
  vpcId: HandlerEnv.DefaultVpcId,
  subnetIds: HandlerEnv.DefaultSubnetIds,
  securityGroupIds: HandlerEnv.DefaultSecurityGroupIds,
  region: HandlerEnv.DefaultRegion,
  rollbackOnFailure: HandlerEnv.DefaultRollbackOnFailure,
};

/** What each field must be, in words; used in every problem message. Keys are path templates. */
const EXPECTED: Readonly<Record<string, string>> = {
  '': 'a JSON object with the request fields (groupId, instanceName, vpcId, …)',
  action: '"create" (the default), "delete" or "check"',
  repair: 'true or false (only with "action": "check")',
  atlasEndpointId: "the Atlas endpoint id of a create's output: 24 lowercase hexadecimal characters",
  vpcEndpointId: 'a VPC endpoint id: "vpce-" followed by 8 or 17 lowercase hexadecimal characters',
  endpointServiceName: "the endpoint service name of a create's output (a string)",
  status: "the status of a create's output (a string)",
  privateSrvConnectionString: "the connection string of a create's output (a string, or null)",
  pendingRegions: "the pending regions of a create's output (a list)",
  dnsEntries: "the DNS entries of a create's output (a list)",
  kind: '"dedicated" (the default) or "serverless" (retired by MongoDB on 2026-01-22)',
  groupId: 'the Atlas project id: 24 lowercase hexadecimal characters, e.g. "5f7cac1adf5d6c6306f4b283"',
  instanceName: `the serverless instance or cluster name: 1 to ${INSTANCE_NAME_MAX_LENGTH} letters, digits and hyphens, starting with a letter or digit`,
  comment:
    `a string of at most ${COMMENT_MAX_LENGTH} UTF-16 code units without control characters (Atlas keeps ` +
    `${ATLAS_COMMENT_MAX_LENGTH}, and the workflow appends a space and a ${OWNERSHIP_MARKER_LENGTH}-character ` +
    'ownership marker to it)',
  vpcId: 'a VPC id: "vpc-" followed by 8 or 17 lowercase hexadecimal characters',
  subnetIds: `a list of 1 to ${MAX_SUBNETS} unique subnet ids of the VPC, one per Availability Zone`,
  'subnetIds[]': 'a subnet id: "subnet-" followed by 8 or 17 lowercase hexadecimal characters',
  securityGroupIds: `a list of 1 to ${MAX_SECURITY_GROUPS} unique security group ids`,
  'securityGroupIds[]': 'a security group id: "sg-" followed by 8 or 17 lowercase hexadecimal characters',
  region: 'the AWS region name of the VPC, one that MongoDB Atlas supports, e.g. "us-east-1"',
  vpcAccountId: "a 12-digit AWS account id (the account of the VPC, when it is not the workflow's own)",
  privateDnsEnabled: 'false (the default): Atlas endpoint services publish no private DNS name',
  tags: `an object of at most ${MAX_REQUEST_TAGS} tags, tag key -> string value`,
  'tags.*': `a string of at most ${MAX_TAG_VALUE_LENGTH} characters`,
  requestId: `1 to ${REQUEST_ID_MAX_LENGTH} characters without control characters (defaults to the execution name)`,
  rollbackOnFailure: 'true or false (default true)',
  [REQUEST_BUDGET_FIELD]: `an object of polling phase -> seconds, phases: ${POLL_PHASES.join(', ')}`,
  [`${REQUEST_BUDGET_FIELD}.*`]: `a whole number of seconds from ${MIN_PHASE_BUDGET_SECONDS} to ${MAX_PHASE_BUDGET_SECONDS}`,
};

const FIELD_DESCRIPTIONS = {
  action:
    'What to do with the connection: `create` (default) connects the VPC, `delete` removes what belongs to ' +
    'the connection, `check` reports its health and drift (with `repair`, fixes it).',
  repair:
    'Only with action `check`: converge a drifted connection back to healthy, creating only what is missing.',
  atlasEndpointId:
    "Only with action `delete` or `check` (from a create's output): the Atlas endpoint id the connection uses.",
  vpcEndpointId:
    "Only with action `delete` or `check` (from a create's output): the connection's VPC endpoint id.",
  outputField: "Only with action `delete` or `check`: a field of a create's output, accepted and ignored.",
  kind: 'Which Atlas private endpoint flow to run: `dedicated` (default; a dedicated cluster) or `serverless` (retired by MongoDB on 2026-01-22).',
  groupId: 'Atlas project (group) id.',
  instanceName: 'Serverless instance name (kind serverless) or cluster name (kind dedicated).',
  comment:
    `Comment stored on the Atlas serverless endpoint (at most ${COMMENT_MAX_LENGTH} characters: the workflow ` +
    `appends a space and a ${OWNERSHIP_MARKER_LENGTH}-character ownership marker, and Atlas keeps ${ATLAS_COMMENT_MAX_LENGTH}). Only for kind serverless.`,
  vpcId: 'VPC to create the interface endpoint in. Defaults to the deployment default (DEFAULT_VPC_ID).',
  subnetIds:
    'Subnets for the endpoint network interfaces, one per Availability Zone. Defaults to DEFAULT_SUBNET_IDS.',
  securityGroupIds:
    'Security groups for the endpoint network interfaces. Defaults to DEFAULT_SECURITY_GROUP_IDS.',
  region:
    'AWS region of the VPC (an AWS region Atlas supports). Defaults to DEFAULT_REGION, then AWS_REGION.',
  vpcAccountId:
    "AWS account of the VPC when it is not the workflow's own; the deployment must list it (vpcAccountIds).",
  privateDnsEnabled:
    'Private DNS on the VPC endpoint: only false is accepted (Atlas endpoint services publish no private DNS name, and EC2 refuses private DNS for them).',
  tags: `Extra tags for the VPC endpoint (keys 1-${MAX_TAG_KEY_LENGTH}, values 0-${MAX_TAG_VALUE_LENGTH} characters, no "aws:" or "${TAG_PREFIX}" keys).`,
  requestId: 'Idempotency key: the same id converges on the same resources. Defaults to the execution name.',
  rollbackOnFailure:
    'Delete what this execution created when it fails. When false, the failure output names it.',
  phaseBudgetSeconds:
    'Per-phase budget overrides (seconds spent waiting before DeadlineExceeded), e.g. {"link": 7200}. ' +
    `Phases: ${POLL_PHASES.join(', ')}.`,
} as const;

const phaseBudget = z.number().int().min(MIN_PHASE_BUDGET_SECONDS).max(MAX_PHASE_BUDGET_SECONDS).optional();
const phaseBudgetShape = Object.fromEntries(POLL_PHASES.map((phase) => [phase, phaseBudget])) as Record<
  PollPhase,
  typeof phaseBudget
>;

/** Input key Step Functions uses to associate a child execution with the execution that started it. */
export const STARTED_BY_EXECUTION_FIELD = 'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID';

/** The execution input as a zod schema (fields with deployment defaults are optional here). */
export const requestInputSchema = z.strictObject({
  action: z
    .enum(WORKFLOW_ACTIONS)
    .optional()
    .meta({ description: FIELD_DESCRIPTIONS.action, default: DEFAULT_ACTION }),
  repair: z.boolean().optional().meta({ description: FIELD_DESCRIPTIONS.repair, default: false }),
  kind: z
    .enum(ENDPOINT_KINDS)
    .optional()
    .meta({ description: FIELD_DESCRIPTIONS.kind, default: DEFAULT_KIND }),
  groupId: z
    .string()
    .regex(GROUP_ID_PATTERN)
    .meta({ description: FIELD_DESCRIPTIONS.groupId, examples: ['5f7cac1adf5d6c6306f4b283'] }),
  instanceName: z
    .string()
    .min(1)
    .max(INSTANCE_NAME_MAX_LENGTH)
    .regex(INSTANCE_NAME_PATTERN)
    .meta({ description: FIELD_DESCRIPTIONS.instanceName, examples: ['orders'] }),
  comment: z
    .string()
    .superRefine(checkComment)
    .optional()
    .meta({ description: FIELD_DESCRIPTIONS.comment, maxLength: COMMENT_MAX_LENGTH }),
  vpcId: z
    .string()
    .regex(VPC_ID_PATTERN)
    .optional()
    .meta({ description: FIELD_DESCRIPTIONS.vpcId, examples: ['vpc-0a1b2c3d4e5f60718'] }),
  subnetIds: z
    .array(z.string().regex(SUBNET_ID_PATTERN))
    .min(1)
    .max(MAX_SUBNETS)
    .optional()
    .meta({ description: FIELD_DESCRIPTIONS.subnetIds, uniqueItems: true }),
  securityGroupIds: z
    .array(z.string().regex(SECURITY_GROUP_ID_PATTERN))
    .min(1)
    .max(MAX_SECURITY_GROUPS)
    .optional()
    .meta({ description: FIELD_DESCRIPTIONS.securityGroupIds, uniqueItems: true }),
  region: z
    .string()
    .superRefine(checkRegion)
    .optional()
    .meta({ description: FIELD_DESCRIPTIONS.region, examples: ['us-east-1'] }),
  vpcAccountId: z
    .string()
    .regex(/^\d{12}$/)
    .optional()
    .meta({ description: FIELD_DESCRIPTIONS.vpcAccountId, examples: ['210987654321'] }),
  privateDnsEnabled: z
    .boolean()
    .superRefine(checkPrivateDns)
    .optional()
    .meta({ description: FIELD_DESCRIPTIONS.privateDnsEnabled, default: false }),
  tags: z
    .record(z.string(), z.string().max(MAX_TAG_VALUE_LENGTH))
    .optional()
    .meta({ description: FIELD_DESCRIPTIONS.tags, maxProperties: MAX_REQUEST_TAGS }),
  requestId: z
    .string()
    .min(1)
    .max(REQUEST_ID_MAX_LENGTH)
    .refine((s) => !CONTROL_CHARACTERS.test(s), {
      error: (issue) =>
        `got ${describeValue(issue.input)} (contains control characters); expected ${EXPECTED.requestId}`,
    })
    .optional()
    .meta({ description: FIELD_DESCRIPTIONS.requestId }),
  rollbackOnFailure: z
    .boolean()
    .optional()
    .meta({ description: FIELD_DESCRIPTIONS.rollbackOnFailure, default: true }),
  [REQUEST_BUDGET_FIELD]: z
    .strictObject(phaseBudgetShape)
    .optional()
    .meta({ description: FIELD_DESCRIPTIONS.phaseBudgetSeconds }),
  atlasEndpointId: z
    .string()
    .regex(ATLAS_ID_PATTERN)
    .optional()
    .meta({ description: FIELD_DESCRIPTIONS.atlasEndpointId }),
  vpcEndpointId: z
    .string()
    .regex(VPC_ENDPOINT_ID_PATTERN)
    .optional()
    .meta({ description: FIELD_DESCRIPTIONS.vpcEndpointId }),
  endpointServiceName: z.string().optional().meta({ description: FIELD_DESCRIPTIONS.outputField }),
  status: z.string().optional().meta({ description: FIELD_DESCRIPTIONS.outputField }),
  privateSrvConnectionString: z
    .string()
    .nullable()
    .optional()
    .meta({ description: FIELD_DESCRIPTIONS.outputField }),
  pendingRegions: z.array(z.string()).optional().meta({ description: FIELD_DESCRIPTIONS.outputField }),
  dnsEntries: z.array(z.unknown()).optional().meta({ description: FIELD_DESCRIPTIONS.outputField }),
  // Step Functions links a child execution to the parent that started it (startExecution.sync) through this
  // input key; it is accepted so callers can follow that convention, and otherwise ignored.
  [STARTED_BY_EXECUTION_FIELD]: z
    .string()
    .optional()
    .meta({ description: 'Set by a parent Step Functions execution to link this execution to it. Ignored.' }),
});

type RequestInput = z.output<typeof requestInputSchema>;

export interface ParseRequestOptions {
  /** Deployment defaults for fields the input leaves out. */
  readonly defaults?: RequestDefaults;
  /** The Step Functions execution name; the default `requestId`. */
  readonly executionName?: string;
}

/**
 * Validates `input`, fills defaults and returns the request. Throws one InvalidRequestError naming
 * every bad field.
 */
export function parseRequest(input: unknown, options: ParseRequestOptions = {}): ParsedRequest {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidRequestError([
      { field: '(input)', problem: `got ${describeValue(input)}; expected ${EXPECTED['']}` },
    ]);
  }
  const raw = unwrapActionEvent(input as Record<string, unknown>);
  if (looksLikeEventBridgeEnvelope(raw)) {
    throw new InvalidRequestError([
      {
        field: '(input)',
        problem:
          'got a whole EventBridge event (detail-type/source/detail); expected only its "detail" object ' +
          '(the rule target must pass $.detail as the execution input)',
      },
    ]);
  }

  const defaults = options.defaults ?? {};
  const merged: Record<string, unknown> = { ...raw };
  for (const field of DEFAULTABLE_FIELDS) {
    if (merged[field] === undefined && defaults[field] !== undefined) merged[field] = defaults[field];
  }
  if (merged.requestId === undefined && options.executionName !== undefined && options.executionName !== '') {
    merged.requestId = options.executionName;
  }

  const result = requestInputSchema.safeParse(merged, { reportInput: true });
  const issues: FieldIssue[] = result.success ? [] : translateIssues(result.error.issues);

  const action = WORKFLOW_ACTIONS.find((a) => a === merged.action) ?? DEFAULT_ACTION;
  // delete and check look the connection up; only what may create needs the subnets and security groups.
  const mayCreate = action === 'create' || (action === 'check' && merged.repair === true);
  const required = mayCreate
    ? (['vpcId', 'subnetIds', 'securityGroupIds', 'region'] as const)
    : (['vpcId', 'region'] as const);
  for (const field of required) {
    if (merged[field] === undefined) {
      issues.push({
        field,
        problem: `is required (no deployment default ${DEFAULT_ENV_VARIABLES[field]} is set); expected ${EXPECTED[field]}`,
      });
    }
  }
  if (merged.requestId === undefined) {
    issues.push({
      field: 'requestId',
      problem: `is required when the execution name is unknown; expected ${EXPECTED.requestId}`,
    });
  }
  issues.push(...duplicateIssues(merged.subnetIds, 'subnetIds', 'subnet id'));
  issues.push(...duplicateIssues(merged.securityGroupIds, 'securityGroupIds', 'security group id'));
  issues.push(...tagIssues(merged.tags));
  issues.push(...actionIssues(merged, action));
  if ((merged.kind ?? DEFAULT_KIND) === 'dedicated' && merged.comment !== undefined) {
    issues.push({
      field: 'comment',
      problem:
        'is only used by serverless endpoints; a dedicated endpoint service has no comment. Remove it or use kind "serverless"',
    });
  }

  if (issues.length > 0 || !result.success) throw new InvalidRequestError(sortIssues(issues));
  return toWorkflowRequest(result.data, merged.tags, raw.requestId !== undefined);
}

/** Fields that belong to some actions only. */
function actionIssues(merged: Record<string, unknown>, action: WorkflowAction): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (merged.repair !== undefined && action !== 'check') {
    issues.push({
      field: 'repair',
      problem: `is only used with "action": "check" (this request's action is "${action}"); remove it or set "action": "check"`,
    });
  }
  if (action === 'create') {
    for (const field of [...OUTPUT_ID_FIELDS, ...OUTPUT_INFO_FIELDS]) {
      if (merged[field] === undefined) continue;
      issues.push({
        field,
        problem:
          `is a field of a create's output, used only with "action": "delete" or "check" (which accept the ` +
          'output as their request); a create makes new ids. Remove it, or set "action"',
      });
    }
  }
  return issues;
}

/**
 * The request inside an event of the delete and check rules, which pass the whole event: its detail-type
 * names the action. Anything else is returned as it is.
 */
function unwrapActionEvent(raw: Record<string, unknown>): Record<string, unknown> {
  if (!looksLikeEventBridgeEnvelope(raw)) return raw;
  const detailType = raw['detail-type'];
  const action = Object.entries(ACTION_DETAIL_TYPES).find(([, type]) => type === detailType)?.[0];
  if (action === undefined || action === 'create') return raw;
  const detail = raw.detail as Record<string, unknown>;
  if (detail.action !== undefined && detail.action !== action) {
    throw new InvalidRequestError([
      {
        field: 'action',
        problem: `is ${describeValue(detail.action)} in the detail of a "${String(detailType)}" event, which asks for "${action}"; remove it from the detail or send the event type of that action`,
      },
    ]);
  }
  return { ...detail, action };
}

/**
 * Checks deployment defaults with the same rules as requests; returns the issues (field names are
 * request field names, e.g. `subnetIds[1]`).
 */
export function checkRequestDefaults(defaults: RequestDefaults): FieldIssue[] {
  const schema = requestInputSchema.pick({
    kind: true,
    vpcId: true,
    subnetIds: true,
    securityGroupIds: true,
    region: true,
    rollbackOnFailure: true,
  });
  const result = schema.safeParse(defaults, { reportInput: true });
  return [
    ...(result.success ? [] : translateIssues(result.error.issues)),
    ...duplicateIssues(defaults.subnetIds, 'subnetIds', 'subnet id'),
    ...duplicateIssues(defaults.securityGroupIds, 'securityGroupIds', 'security group id'),
  ];
}

function toWorkflowRequest(data: RequestInput, rawTags: unknown, requestIdGiven: boolean): ParsedRequest {
  // Presence of these was checked by parseRequest (subnets and security groups: when the action may create).
  const request: { -readonly [K in keyof ParsedRequest]: ParsedRequest[K] } = {
    kind: data.kind ?? DEFAULT_KIND,
    groupId: data.groupId,
    instanceName: data.instanceName,
    vpcId: data.vpcId!,
    subnetIds: [...(data.subnetIds ?? [])],
    securityGroupIds: [...(data.securityGroupIds ?? [])],
    region: data.region!,
    privateDnsEnabled: data.privateDnsEnabled ?? false,
    // Rebuilt from the raw entries with define semantics, so a key such as "__proto__" survives.
    tags: rawTags === undefined ? {} : Object.fromEntries(Object.entries(rawTags as Record<string, string>)),
    requestId: data.requestId!,
    rollbackOnFailure: data.rollbackOnFailure ?? true,
  };
  if (data.comment !== undefined) request.comment = data.comment;
  if (data.vpcAccountId !== undefined) request.vpcAccountId = data.vpcAccountId;
  const action = data.action ?? DEFAULT_ACTION;
  if (action !== 'create') {
    request.action = action;
    // Neither deletes nor checks roll back: a delete deletes anyway, and a repair keeps what it made (it never
    // deletes the connection it was asked to fix).
    request.rollbackOnFailure = false;
    if (data.repair === true) request.repair = true;
    const lookup: { -readonly [K in keyof ConnectionLookup]: ConnectionLookup[K] } = {};
    if (requestIdGiven) lookup.requestId = data.requestId!;
    if (data.vpcEndpointId !== undefined) lookup.vpcEndpointId = data.vpcEndpointId;
    if (data.atlasEndpointId !== undefined) lookup.atlasEndpointId = data.atlasEndpointId;
    request.lookup = lookup;
  }
  const budgets = data[REQUEST_BUDGET_FIELD];
  if (budgets !== undefined) {
    const given = Object.fromEntries(
      POLL_PHASES.flatMap((phase) => (budgets[phase] === undefined ? [] : [[phase, budgets[phase]]])),
    );
    if (Object.keys(given).length > 0) request.phaseBudgetSeconds = given;
  }
  return request;
}

// ---------------------------------------------------------------------------------------------------
// Field checks that need custom messages

/** Checks run on the raw value, so they report even when other entries of the same field are bad. */
function duplicateIssues(values: unknown, field: string, what: string): FieldIssue[] {
  if (!Array.isArray(values)) return [];
  const issues: FieldIssue[] = [];
  const firstIndex = new Map<string, number>();
  values.forEach((value, index) => {
    if (typeof value !== 'string') return;
    const first = firstIndex.get(value);
    if (first === undefined) firstIndex.set(value, index);
    else
      issues.push({
        field: `${field}[${index}]`,
        problem: `"${value}" is listed more than once (first at ${field}[${first}]); expected each ${what} once`,
      });
  });
  return issues;
}

/** A lone (unpaired) UTF-16 surrogate: not a character, and not valid in the JSON Atlas stores. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Atlas's `maxLength: 80` is counted in UTF-16 code units (what JavaScript's `length` counts, and what a JSON
 * Schema validator on the JVM counts), not in code points: an emoji is two. The workflow appends a space and
 * its marker, so the request's comment gets `COMMENT_MAX_LENGTH` units.
 * ASSUMPTION: Atlas refuses control characters and unpaired surrogates in a comment (no source says which
 * characters it takes; both break the comment's round trip, so they are refused up front).
 */
function checkComment(comment: string, ctx: z.RefinementCtx): void {
  if (comment.length > COMMENT_MAX_LENGTH) {
    ctx.addIssue({
      code: 'custom',
      message: `got ${comment.length} UTF-16 code units (what Atlas counts: an emoji is 2); expected ${EXPECTED.comment}`,
    });
  }
  if (CONTROL_CHARACTERS.test(comment)) {
    ctx.addIssue({
      code: 'custom',
      message: `got ${describeValue(comment)} (contains control characters, which Atlas does not keep); expected ${EXPECTED.comment}`,
    });
  } else if (LONE_SURROGATE.test(comment)) {
    ctx.addIssue({
      code: 'custom',
      message: `got a string with an unpaired UTF-16 surrogate (not a character); expected ${EXPECTED.comment}`,
    });
  }
}

/**
 * Private DNS cannot work: Atlas endpoint services publish no private DNS name, and EC2 refuses to create an
 * interface endpoint with private DNS for such a service (`InvalidParameter`), after the Atlas side was made.
 */
function checkPrivateDns(enabled: boolean, ctx: z.RefinementCtx): void {
  if (!enabled) return;
  ctx.addIssue({
    code: 'custom',
    message:
      'got true; Atlas endpoint services publish no private DNS name, so EC2 refuses a VPC endpoint with private ' +
      'DNS for them. Clients resolve the hosts of the private connection string instead: leave it out or set false',
  });
}

function checkRegion(region: string, ctx: z.RefinementCtx): void {
  if (isSupportedAwsRegion(region)) return;
  let hint = '';
  try {
    hint = `, the Atlas name of "${toAwsRegion(region)}"`;
  } catch {
    const lower = region.trim().toLowerCase();
    if (lower !== region && isSupportedAwsRegion(lower)) hint = ` (did you mean "${lower}"?)`;
  }
  ctx.addIssue({
    code: 'custom',
    message: `got ${describeValue(region)}${hint}; expected ${EXPECTED.region}`,
  });
}

function tagIssues(tags: unknown): FieldIssue[] {
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return [];
  const issues: FieldIssue[] = [];
  const keys = Object.keys(tags);
  if (keys.length > MAX_REQUEST_TAGS) {
    issues.push({
      field: 'tags',
      problem: `got ${keys.length} tags; expected at most ${MAX_REQUEST_TAGS} (AWS allows 50 per endpoint and the workflow adds its own)`,
    });
  }
  for (const key of keys) {
    let problem: string | undefined;
    if (key.trim() === '')
      problem = `the tag key is empty; expected a key of 1 to ${MAX_TAG_KEY_LENGTH} characters`;
    else if (key.length > MAX_TAG_KEY_LENGTH)
      problem = `the tag key has ${key.length} characters; expected at most ${MAX_TAG_KEY_LENGTH}`;
    else if (key.toLowerCase().startsWith(AWS_RESERVED_TAG_PREFIX))
      problem = `the tag key starts with "${AWS_RESERVED_TAG_PREFIX}", which AWS reserves; expected another key`;
    else if (key.toLowerCase().startsWith(TAG_PREFIX))
      problem = `the tag key starts with "${TAG_PREFIX}", which the workflow reserves for its own tags; expected another key`;
    if (problem !== undefined) issues.push({ field: formatPath(['tags', key]), problem });
  }
  return issues;
}

// ---------------------------------------------------------------------------------------------------
// Issue translation

type ZodIssue = z.core.$ZodIssue;

function translateIssues(zodIssues: readonly ZodIssue[]): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of zodIssues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(issue.path);
      for (const key of issue.keys) {
        const suggestion = suggest(key, known);
        issues.push({
          field: formatPath([...issue.path, key]),
          problem:
            `is not a known field${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}; ` +
            `expected only ${known.join(', ')}`,
        });
      }
      continue;
    }
    issues.push({ field: formatPath(issue.path), problem: problemOf(issue) });
  }
  return issues;
}

function problemOf(issue: ZodIssue): string {
  if (issue.code === 'custom') return issue.message;
  const expected = expectationFor(issue.path);
  const input = issue.input;
  if (issue.code === 'invalid_type' && input === undefined) return `is required; expected ${expected}`;
  if ((issue.code === 'too_small' || issue.code === 'too_big') && Array.isArray(input)) {
    return `got ${input.length === 0 ? 'an empty list' : `${input.length} items`}; expected ${expected}`;
  }
  if (
    (issue.code === 'too_small' || issue.code === 'too_big') &&
    typeof input === 'string' &&
    input.length > 0
  ) {
    return `got ${input.length} characters; expected ${expected}`;
  }
  return `got ${describeValue(input)}; expected ${expected}`;
}

function expectationFor(path: readonly PropertyKey[]): string {
  const [head, second] = path;
  if (head === undefined) return EXPECTED[''] as string;
  const top = String(head);
  if (path.length === 1) return EXPECTED[top] ?? 'a valid value';
  if (typeof second === 'number') return EXPECTED[`${top}[]`] ?? EXPECTED[top] ?? 'a valid value';
  return EXPECTED[`${top}.${String(second)}`] ?? EXPECTED[`${top}.*`] ?? 'a valid value';
}

function knownKeysAt(path: readonly PropertyKey[]): string[] {
  if (path.length === 0) return Object.keys(requestInputSchema.shape);
  if (path.length === 1 && path[0] === REQUEST_BUDGET_FIELD) return [...POLL_PHASES];
  return [];
}

/** `['subnetIds', 1]` -> `subnetIds[1]`; `['tags', 'cost center']` -> `tags["cost center"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(input)';
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const name = String(segment);
      if (/^[A-Za-z_$][\w$-]*$/.test(name)) out += out === '' ? name : `.${name}`;
      else out += `[${JSON.stringify(name)}]`;
    }
  }
  return out;
}

/** A short, safe rendering of a received value for messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    if (value === '') return 'an empty string';
    const shown = value.length > 48 ? `${value.slice(0, 45)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `the ${typeof value} ${String(value)}`;
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value === 'object' ? 'JSON object' : typeof value}`;
}

function looksLikeEventBridgeEnvelope(raw: Record<string, unknown>): boolean {
  return 'detail-type' in raw && 'detail' in raw && typeof raw.detail === 'object';
}

/** Closest known key, if one is plausibly meant (case or plural slips, or at most 2 edits). */
function suggest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const candidate = name.toLowerCase();
    if (candidate === lower || candidate === `${lower}s` || `${candidate}s` === lower) return name;
    const distance = editDistance(lower, candidate);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

/** Issues in request field order, then by path, so messages read top to bottom. */
function sortIssues(issues: FieldIssue[]): FieldIssue[] {
  const order = Object.keys(requestInputSchema.shape);
  const rank = (field: string): number => {
    const top = /^[A-Za-z]+/.exec(field)?.[0] ?? '';
    const index = order.indexOf(top);
    return index === -1 ? (field === '(input)' ? -1 : order.length) : index;
  };
  const unique = new Map<string, FieldIssue>();
  for (const issue of issues) unique.set(`${issue.field}\u0000${issue.problem}`, issue);
  return [...unique.values()].sort((x, y) => rank(x.field) - rank(y.field));
}
