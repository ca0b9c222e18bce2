/**
 * `PrivateEndpointWorkflow`: the L3 construct. One Step Functions Standard state machine that connects a
 * VPC to MongoDB Atlas over AWS PrivateLink, one Lambda per step, an EventBridge rule that starts it, the
 * events it publishes, logs, tracing and alarms.
 *
 * One state machine serves the whole life of a connection: the request's `action` is `create` (default),
 * `delete` or `check` (with `repair`); `{"action": "audit"}` (the optional schedule, `auditEvery`) checks every
 * connection this deployment manages. See lambdas/workflow/lifecycle.ts.
 *
 * Starting an execution:
 * - EventBridge (delete and check): detail-types `Atlas Private Endpoint Delete Requested` / `… Check
 *   Requested` (same source) go through `lifecycleRule`, which passes the whole event; its detail-type names
 *   the action.
 * - EventBridge: put an event with source `atlas-private-endpoint-workflow.requests` and detail-type
 *   `Atlas Private Endpoint Requested` (both configurable through `triggerEventPattern`) on the bus; the
 *   rule passes the event's `detail` as the execution input. Set `requestId` in the detail to make
 *   re-deliveries converge (the default request id is the execution name, which EventBridge generates).
 * - Directly: `StartExecution` with the request as input (execution name = default request id).
 * - From another state machine, waiting for the outcome:
 *   ```json
 *   { "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
 *     "Parameters": { "StateMachineArn": "<stateMachineArn>", "Input": { "groupId": "…", "instanceName": "…", … },
 *                     "Name.$": "States.Format('{}-pe', $$.Execution.Name)" },
 *     "OutputPath": "$.Output" }
 *   ```
 *   `.sync:2` returns the child's output as JSON (`$.Output` is the plain `WorkflowOutput`); a failed
 *   child fails the task with `States.TaskFailed` whose cause carries the child's error and cause.
 *   Grant the caller with `workflow.stateMachine.grantStartExecution(role)` plus `states:DescribeExecution`
 *   / `states:StopExecution` and the `events:PutTargets`/`PutRule`/`DescribeRule` permissions on
 *   `StepFunctionsGetEventsForStepFunctionsExecutionRule` that `.sync` needs (CDK's
 *   `StepFunctionsStartExecution` task adds them for you).
 */
import { ArnFormat, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { LEASE_ATTRIBUTES, SERVICE_INTENT_KEY_PREFIX, SHARED_TOKEN_KEY_PREFIX } from '#core/leases';
import type { EndpointKind } from '#core/state';
import { ACTION_DETAIL_TYPES, DetailTypes, EVENT_SOURCE, REQUEST_EVENT_SOURCE } from '#workflow/events';
import { AUDIT_ACTION } from '#workflow/lifecycle';
import {
  DEFAULT_EXECUTION_MARGIN_SECONDS,
  defaultPollSchedule,
  describesLeaseHolders,
  HandlerEnv,
  initialDelayProblem,
  intervalsProblem,
  MAX_PHASE_BUDGET_SECONDS,
  MIN_EXECUTION_MARGIN_SECONDS,
  MIN_PHASE_BUDGET_SECONDS,
  PHASES,
  POLL_PHASES,
  type PollPhase,
  type PollSchedule,
  phaseOfCheckStep,
  STEP_IDS,
  STEPS,
  type StepId,
  type StepSpec,
} from '#workflow/steps';
import { type Ec2Scope, ec2Statements, ec2WildcardResources } from './ec2-permissions.ts';
import { PACKAGE_ROOT } from './handler-bundle.ts';
import { HandlerFunction, type HandlerLogLevel } from './handler-function.ts';
import { acknowledgeNagFindings, type NagAcknowledgement } from './nag.ts';
import { regionProblems } from './regions.ts';
import { DEFAULT_VPC_ACCOUNT_ROLE_NAME, EXTERNAL_ID, WORKFLOW_ROLE_PATH } from './vpc-access-role.ts';
import { buildWorkflowDefinition, LAMBDA_TIMEOUT_SECONDS } from './workflow-definition.ts';

/** Default Atlas Admin API base URL. Atlas for Government: `https://cloud.mongodbgov.com`. */
export const DEFAULT_ATLAS_BASE_URL = 'https://cloud.mongodb.com';
/**
 * Default reserved concurrency of each Atlas-calling function: none (`false`), so a deployment works in any
 * account, including new ones whose concurrency quota (10) leaves nothing to reserve. See
 * `PrivateEndpointWorkflowProps.atlasReservedConcurrency` for the trade-off.
 */
export const DEFAULT_ATLAS_RESERVED_CONCURRENCY: number | false = false;
/** The reserved concurrency the README recommends for accounts with room for it (8 functions x 5 = 40). */
export const RECOMMENDED_ATLAS_RESERVED_CONCURRENCY = 5;
/** Log group names under this prefix share one CloudWatch Logs resource policy for vended logs. */
export const VENDED_LOGS_PREFIX = '/aws/vendedlogs/states/';

/** The repository root (this file lives in `<root>/lib/`). */
export const PROJECT_ROOT = PACKAGE_ROOT;

export interface PrivateEndpointWorkflowProps {
  /**
   * The secret holding the Atlas credentials (a service account's client id and secret, or an API key
   * pair; the format is the Atlas client's). Only the functions that call Atlas may read it.
   */
  readonly atlasSecret: secretsmanager.ISecret;

  /**
   * Base URL of the Atlas Administration API (scheme and host only).
   * @default 'https://cloud.mongodb.com'
   */
  readonly atlasBaseUrl?: string;

  /**
   * Endpoint kind for requests that do not name one. MongoDB retired serverless private endpoints on
   * 2026-01-22; `dedicated` is what works today.
   * @default - the request schema's own default (`dedicated`)
   */
  readonly defaultKind?: EndpointKind;

  /** VPC for requests that do not name one (`vpc-…`). @default - requests must name a VPC */
  readonly defaultVpcId?: string;

  /** Subnets (`subnet-…`, one per AZ) for requests that do not name any. @default - requests must name them */
  readonly defaultSubnetIds?: readonly string[];

  /** Security groups (`sg-…`) for requests that do not name any. @default - requests must name them */
  readonly defaultSecurityGroupIds?: readonly string[];

  /** AWS region of the VPCs, for requests that do not name one. @default - the stack's region */
  readonly defaultRegion?: string;

  /**
   * The AWS regions requests may name. The EC2 permissions are written for exactly these regions, and
   * validation refuses a request for any other region (`InvalidRequest`) before anything is created.
   * @default - the stack's region, plus `defaultRegion` when that is another one
   */
  readonly allowedRegions?: readonly string[];

  /**
   * Other AWS accounts whose VPCs requests may name (request field `vpcAccountId`, hub and spoke). The EC2
   * steps reach such a VPC by assuming the role `vpcAccountRoleName` in its account (deploy
   * `PrivateEndpointVpcAccessRole` there); they may assume exactly those roles and no other. Requires
   * `vpcAccountExternalId` and an explicit `managedByTagValue` (the roles compare both).
   * @default - only VPCs of the workflow's own account
   */
  readonly vpcAccountIds?: readonly string[];

  /** Name of the role in each `vpcAccountIds` account. @default 'AtlasPrivateEndpointVpcAccess' */
  readonly vpcAccountRoleName?: string;

  /**
   * External id the EC2 steps pass when assuming the roles in `vpcAccountIds` (their trust policies require
   * it; 2 to 1224 letters, digits or `+=,.@:/-_`). Required with `vpcAccountIds`.
   * @default - none
   */
  readonly vpcAccountExternalId?: string;

  /**
   * Runs the functions that call Atlas in this VPC, for organisations whose Atlas API access list admits only
   * fixed addresses: put them in private subnets whose NAT gateway has an Elastic IP, and add that address to
   * the access list. The subnets need a route to the internet (NAT) and to Secrets Manager and EC2 (NAT or
   * interface endpoints).
   * @default - the functions run outside any VPC (Lambda's shared egress addresses)
   */
  readonly atlasFunctionsVpc?: ec2.IVpc;

  /** Subnets of `atlasFunctionsVpc` for the Atlas-calling functions. @default - its private subnets */
  readonly atlasFunctionsVpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the Atlas-calling functions in `atlasFunctionsVpc` (they need outbound HTTPS).
   * @default - one security group per function, allowing all outbound traffic
   */
  readonly atlasFunctionsSecurityGroups?: readonly ec2.ISecurityGroup[];

  /**
   * Topic every alarm notifies (ALARM and OK). Add other actions with `alarmActions` or on `alarms`.
   * @default - no notification
   */
  readonly alarmTopic?: sns.ITopic;

  /** Further actions of every alarm when it goes to ALARM. @default - none */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];

  /**
   * Whether a failed execution deletes what it created. Requests may override it.
   * With `false`, nothing is deleted and the failed event and Fail cause name what was kept.
   * @default true
   */
  readonly rollbackOnFailure?: boolean;

  /**
   * Budget of each polling phase (whole seconds, 1 minute to 24 hours): the time spent waiting between
   * checks plus each check's own run time (rounded up to whole seconds). When it is spent the phase fails
   * with `DeadlineExceeded` and the execution cleans up. Requests may override them within the execution
   * timeout (request field `phaseBudgetSeconds`).
   * @default - atlasEndpoint 60 min, vpcEndpoint 15 min, link 60 min, connection 30 min, cleanup 45 min
   */
  readonly phaseBudgets?: Partial<Readonly<Record<PollPhase, Duration>>>;

  /**
   * How often each polling phase checks: the wait before the first check (whole seconds, 0 to 30 min; at run
   * time at most half the phase's budget) and the waits between checks (1 to 60 of them, whole seconds from
   * 5 s to 10 min; the last one repeats, and the last wait before the budget runs out is shortened to fit).
   * Phases and fields left out keep the built-in schedule. The first wait goes to validate-request
   * (`POLL_FIRST_WAIT_<PHASE>_SECONDS`), which puts it in the record for "Start … polling"; the intervals go
   * to the phase's check function (`POLL_INTERVALS_<PHASE>_SECONDS`).
   * @default - checks where each transition is likely (`LIKELY_WINDOWS` in lambdas/workflow/steps.ts):
   *   atlasEndpoint from 60 s, vpcEndpoint from 20 s, link from 120 s, connection from 180 s; cleanup 5 s,
   *   then 5, 10, 15, 20, 30 s
   */
  readonly pollingSchedule?: Partial<Readonly<Record<PollPhase, PhasePollingSchedule>>>;

  /**
   * The state machine's timeout: a backstop that, unlike a phase deadline, cleans nothing up. Must exceed
   * the sum of the phase budgets by at least `MIN_EXECUTION_MARGIN_SECONDS` (11606 s, 3 h 13 min 26 s),
   * which covers what no budget counts on the longest path: the tasks outside the polling loops and each
   * phase's last check running to their task timeouts, and in each stage one Task that exhausts all its
   * Step Functions retries (failed attempts and pauses at their maximum). Within that, an execution ends
   * (succeeded, or failed after its cleanup) before this timeout; retries beyond one full sequence per stage
   * can still exhaust the margin, which the `ExecutionsTimedOut` alarm reports. The derivation is in
   * lambdas/workflow/steps.ts (`MIN_EXECUTION_MARGIN_SECONDS`).
   * @default - sum of the phase budgets plus 3 h 45 min (the minimum margin plus 30 min that requests may
   *   add to their budgets; 7 h 15 min with the default budgets)
   */
  readonly executionTimeout?: Duration;

  /**
   * Bus for the trigger rule and the published events.
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;

  /**
   * Events that start an execution. Must not match the workflow's own events (source
   * `atlas-private-endpoint-workflow`).
   * @default - source `atlas-private-endpoint-workflow.requests`, detail-type `Atlas Private Endpoint Requested`
   */
  readonly triggerEventPattern?: events.EventPattern;

  /**
   * Reserved concurrency of each function that calls Atlas (8 functions); `false` leaves them unreserved.
   *
   * The trade-off. Every new Lambda execution environment mints its own Atlas access token (cached for its
   * hour), a service account may hold at most 100 live tokens, and the token endpoint allows about 10
   * requests per minute. Reserving 5 caps the 10 Atlas functions at 50 environments (50 live tokens) at once;
   * invocations beyond that are throttled and retried by the state machine
   * (`Lambda.TooManyRequestsException`). But reserving needs room: Lambda keeps at least 100 of the account's
   * concurrency unreserved, so 10 x 5 needs a quota of at least 150, and a new account (quota 10) cannot
   * reserve any: the deployment would fail. Unreserved, a burst of more than about 12 executions starting
   * within a few minutes could reach the token limit (the failing executions clean up and report
   * `AtlasAuthFailed`). Set 5 when the account's quota allows and bursts are expected.
   * @default false (unreserved)
   */
  readonly atlasReservedConcurrency?: number | false;

  /**
   * Value of the managed-by tag (`atlas-private-endpoint-workflow:managed-by`) on the VPC endpoints this
   * deployment creates. IAM lets the functions create endpoints only with this tag and delete only
   * endpoints carrying it. Keep it stable: endpoints tagged with an older value can no longer be deleted
   * by the workflow.
   * @default - a unique name derived from this construct's path
   */
  readonly managedByTagValue?: string;

  /** Powertools log level of the functions. @default 'INFO' */
  readonly logLevel?: HandlerLogLevel;

  /** Retention of the functions' and the state machine's logs. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Whether the state machine's logs include state inputs and outputs. The record carries no secret
   * (ids, names, statuses, the private SRV host name, request tags and comment), but tags and comments are
   * the requester's free text and the data multiplies log volume; turn it on to debug.
   * @default false
   */
  readonly includeExecutionDataInLogs?: boolean;

  /**
   * Name of the state machine (1 to 80 letters, digits, `-` or `_`); its log group is
   * `/aws/vendedlogs/states/<name>`.
   * @default - generated by CloudFormation (the log group name is derived from the construct path)
   */
  readonly stateMachineName?: string;

  /**
   * How often the scheduled audit runs: an EventBridge Scheduler schedule starts an execution with
   * `{"action": "audit"}`, which checks every connection this deployment manages in its region (found through
   * the VPC endpoints' managed-by tags) and publishes an "Atlas Private Endpoint Drift Detected" event for each
   * drifted one. Whole hours, 1 to 168. The `driftDetected` alarm counts drift events with or without it.
   * @default - no scheduled audit
   */
  readonly auditEvery?: Duration;
}

/** The polling schedule of one phase (see `PrivateEndpointWorkflowProps.pollingSchedule`). */
export interface PhasePollingSchedule {
  /**
   * Wait before the first check (whole seconds, 0 to 30 min; at run time at most half the phase's budget).
   * @default - the phase's built-in first wait
   */
  readonly initialDelay?: Duration;
  /**
   * Waits between checks, in order; the last one repeats (1 to 60, whole seconds from 5 s to 10 min each).
   * @default - the phase's built-in intervals
   */
  readonly intervals?: readonly Duration[];
}

/** The alarms: four on the state machine, two on the trigger, one on drift events. */
export interface WorkflowAlarms {
  readonly executionsFailed: cloudwatch.Alarm;
  readonly executionsTimedOut: cloudwatch.Alarm;
  readonly executionsAborted: cloudwatch.Alarm;
  readonly executionThrottled: cloudwatch.Alarm;
  /** Request events in the trigger's dead-letter queue (EventBridge gave up delivering them). */
  readonly deadLetterQueueNotEmpty: cloudwatch.Alarm;
  /** The trigger rule failed to start executions (`FailedInvocations`). */
  readonly triggerFailedInvocations: cloudwatch.Alarm;
  /** Counts "Atlas Private Endpoint Drift Detected" events (from checks and from the scheduled audit). */
  readonly driftDetected: cloudwatch.Alarm;
}

const VPC_ID = /^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const SUBNET_ID = /^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const SG_ID = /^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const ACCOUNT_ID = /^\d{12}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const STATE_MACHINE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;
const KINDS: readonly EndpointKind[] = ['serverless', 'dedicated'];
const LOG_LEVELS: readonly HandlerLogLevel[] = ['DEBUG', 'INFO', 'WARN', 'ERROR'];
const MAX_EXECUTION_SECONDS = 365 * 24 * 3600;

const resolved = (value: unknown): boolean => !Token.isUnresolved(value);

/** Effective budgets (seconds) from the props. */
export function phaseBudgetSeconds(
  props: Pick<PrivateEndpointWorkflowProps, 'phaseBudgets'>,
): Record<PollPhase, number> {
  const out = {} as Record<PollPhase, number>;
  for (const phase of POLL_PHASES) {
    const given = props.phaseBudgets?.[phase];
    out[phase] = given === undefined ? PHASES[phase].defaultBudgetSeconds : given.toSeconds();
  }
  return out;
}

/** Effective polling schedule (seconds) of every phase from the props. */
export function pollSchedules(
  props: Pick<PrivateEndpointWorkflowProps, 'pollingSchedule'>,
): Record<PollPhase, PollSchedule> {
  const out = {} as Record<PollPhase, PollSchedule>;
  for (const phase of POLL_PHASES) {
    const builtIn = defaultPollSchedule(phase);
    const given = props.pollingSchedule?.[phase];
    out[phase] = {
      initialDelaySeconds: given?.initialDelay?.toSeconds() ?? builtIn.initialDelaySeconds,
      intervalsSeconds: given?.intervals?.map((d) => d.toSeconds()) ?? builtIn.intervalsSeconds,
    };
  }
  return out;
}

/** Problems with `pollingSchedule` (each prefixed with its path). */
function pollingScheduleProblems(schedule: PrivateEndpointWorkflowProps['pollingSchedule']): string[] {
  if (schedule === undefined) return [];
  if (schedule === null || typeof schedule !== 'object' || Array.isArray(schedule)) {
    return ['pollingSchedule: must be an object of phase -> { initialDelay, intervals }'];
  }
  const problems: string[] = [];
  for (const [phase, given] of Object.entries(schedule)) {
    const where = `pollingSchedule.${phase}`;
    if (!Object.hasOwn(PHASES, phase)) {
      problems.push(`${where}: unknown phase (known: ${POLL_PHASES.join(', ')})`);
      continue;
    }
    if (given === undefined) continue;
    if (given === null || typeof given !== 'object' || Array.isArray(given)) {
      problems.push(`${where}: must be an object { initialDelay?, intervals? }`);
      continue;
    }
    for (const key of Object.keys(given)) {
      if (key !== 'initialDelay' && key !== 'intervals') {
        problems.push(`${where}.${key}: unknown field (known: initialDelay, intervals)`);
      }
    }
    if (given.initialDelay !== undefined) {
      const problem = initialDelayProblem(given.initialDelay.toSeconds({ integral: false }));
      if (problem !== undefined) problems.push(`${where}.initialDelay: ${problem}`);
    }
    if (given.intervals !== undefined) {
      if (!Array.isArray(given.intervals)) problems.push(`${where}.intervals: must be a list of durations`);
      else {
        const problem = intervalsProblem(given.intervals.map((d) => d.toSeconds({ integral: false })));
        if (problem !== undefined) problems.push(`${where}.intervals: ${problem}`);
      }
    }
  }
  return problems;
}

function checkIds(
  problems: string[],
  name: string,
  ids: readonly string[] | undefined,
  pattern: RegExp,
): void {
  if (ids === undefined) return;
  if (!Array.isArray(ids) || ids.length === 0) {
    problems.push(`${name}: must be a non-empty list when given`);
    return;
  }
  ids.forEach((id, i) => {
    if (resolved(id) && !pattern.test(id))
      problems.push(`${name}[${i}]: ${JSON.stringify(id)} is not a valid id`);
  });
  if (new Set(ids).size !== ids.length) problems.push(`${name}: contains duplicates`);
}

/**
 * Every problem with the props (empty when valid). The construct throws them all at once.
 * Unresolved tokens are not checked.
 */
export function validateWorkflowProps(props: PrivateEndpointWorkflowProps | undefined): string[] {
  if (props === undefined || props === null) return ['props: required (at least atlasSecret)'];
  return [...(props.atlasSecret ? [] : ['atlasSecret: required']), ...validateWorkflowSettings(props)];
}

/** Every problem with the props other than the secret (what an app's configuration supplies). */
export function validateWorkflowSettings(props: Omit<PrivateEndpointWorkflowProps, 'atlasSecret'>): string[] {
  const problems: string[] = [];

  if (props.atlasBaseUrl !== undefined && resolved(props.atlasBaseUrl)) {
    let url: URL | undefined;
    try {
      url = new URL(props.atlasBaseUrl);
    } catch {
      problems.push(`atlasBaseUrl: ${JSON.stringify(props.atlasBaseUrl)} is not a URL`);
    }
    if (url) {
      if (url.protocol !== 'https:') problems.push('atlasBaseUrl: must use https');
      if (url.username || url.password) problems.push('atlasBaseUrl: must not contain credentials');
      if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
        problems.push('atlasBaseUrl: must be scheme and host only (the client adds /api/atlas/v2)');
      }
    }
  }
  if (props.defaultKind !== undefined && !KINDS.includes(props.defaultKind)) {
    problems.push(`defaultKind: must be one of ${KINDS.join(', ')}`);
  }
  if (props.defaultVpcId !== undefined && resolved(props.defaultVpcId) && !VPC_ID.test(props.defaultVpcId)) {
    problems.push(`defaultVpcId: ${JSON.stringify(props.defaultVpcId)} is not a VPC id (vpc-…)`);
  }
  checkIds(problems, 'defaultSubnetIds', props.defaultSubnetIds, SUBNET_ID);
  checkIds(problems, 'defaultSecurityGroupIds', props.defaultSecurityGroupIds, SG_ID);
  if (
    props.defaultRegion !== undefined &&
    resolved(props.defaultRegion) &&
    !REGION.test(props.defaultRegion)
  ) {
    problems.push(`defaultRegion: ${JSON.stringify(props.defaultRegion)} is not an AWS region name`);
  }

  let budgetsValid = true;
  for (const [phase, duration] of Object.entries(props.phaseBudgets ?? {})) {
    if (!Object.hasOwn(PHASES, phase)) {
      problems.push(`phaseBudgets.${phase}: unknown phase (known: ${POLL_PHASES.join(', ')})`);
      budgetsValid = false;
      continue;
    }
    if (duration === undefined) continue;
    const seconds = (duration as Duration).toSeconds({ integral: false });
    if (
      !Number.isInteger(seconds) ||
      seconds < MIN_PHASE_BUDGET_SECONDS ||
      seconds > MAX_PHASE_BUDGET_SECONDS
    ) {
      problems.push(
        `phaseBudgets.${phase}: must be whole seconds from ${MIN_PHASE_BUDGET_SECONDS} to ${MAX_PHASE_BUDGET_SECONDS}, got ${seconds}`,
      );
      budgetsValid = false;
    }
  }
  problems.push(...pollingScheduleProblems(props.pollingSchedule));
  if (props.executionTimeout !== undefined) {
    const seconds = props.executionTimeout.toSeconds({ integral: false });
    if (!Number.isInteger(seconds) || seconds > MAX_EXECUTION_SECONDS) {
      problems.push('executionTimeout: must be whole seconds, at most one year');
    } else if (budgetsValid) {
      const total = Object.values(phaseBudgetSeconds(props)).reduce((a, b) => a + b, 0);
      if (seconds < total + MIN_EXECUTION_MARGIN_SECONDS) {
        problems.push(
          `executionTimeout: ${seconds} s must be at least the phase budgets (${total} s) plus ${MIN_EXECUTION_MARGIN_SECONDS} s`,
        );
      }
    }
  }

  const pattern = props.triggerEventPattern;
  if (pattern !== undefined) {
    if (!pattern.source?.length && !pattern.detailType?.length) {
      problems.push('triggerEventPattern: must match on source or detailType');
    }
    if (pattern.source?.includes(EVENT_SOURCE)) {
      problems.push(`triggerEventPattern: must not match the workflow's own source ${EVENT_SOURCE}`);
    }
  }
  const concurrency = props.atlasReservedConcurrency;
  if (
    concurrency !== undefined &&
    concurrency !== false &&
    (!Number.isInteger(concurrency) || concurrency < 1)
  ) {
    problems.push('atlasReservedConcurrency: must be a positive integer, or false');
  }
  if (
    props.managedByTagValue !== undefined &&
    resolved(props.managedByTagValue) &&
    !TAG_VALUE.test(props.managedByTagValue)
  ) {
    problems.push('managedByTagValue: must be 1-256 characters of letters, digits, spaces and _.:/=+-@');
  }
  if (props.logLevel !== undefined && !LOG_LEVELS.includes(props.logLevel)) {
    problems.push(`logLevel: must be one of ${LOG_LEVELS.join(', ')}`);
  }
  problems.push(...deploymentTargetProblems(props));
  if (props.auditEvery !== undefined) {
    const hours = props.auditEvery.toHours({ integral: false });
    if (!Number.isInteger(hours) || hours < 1 || hours > MAX_AUDIT_HOURS) {
      problems.push(`auditEvery: must be whole hours from 1 to ${MAX_AUDIT_HOURS}`);
    }
  }
  if (
    props.stateMachineName !== undefined &&
    resolved(props.stateMachineName) &&
    !STATE_MACHINE_NAME.test(props.stateMachineName)
  ) {
    problems.push('stateMachineName: must be 1 to 80 letters, digits, - or _');
  }
  if (
    props.atlasFunctionsVpc === undefined &&
    (props.atlasFunctionsVpcSubnets !== undefined || props.atlasFunctionsSecurityGroups !== undefined)
  ) {
    problems.push('atlasFunctionsVpcSubnets, atlasFunctionsSecurityGroups: need atlasFunctionsVpc');
  }
  return problems;
}

/** Problems with the regions and accounts the deployment reaches. */
function deploymentTargetProblems(props: Omit<PrivateEndpointWorkflowProps, 'atlasSecret'>): string[] {
  const problems = regionProblems('allowedRegions', props.allowedRegions);
  const regions = props.allowedRegions;
  if (
    regions !== undefined &&
    props.defaultRegion !== undefined &&
    resolved(props.defaultRegion) &&
    regions.every(resolved) &&
    !regions.includes(props.defaultRegion)
  ) {
    problems.push(
      `defaultRegion: ${props.defaultRegion} is not one of allowedRegions (${regions.join(', ')})`,
    );
  }
  const accounts = props.vpcAccountIds;
  if (accounts !== undefined) {
    if (!Array.isArray(accounts)) problems.push('vpcAccountIds: must be a list of 12-digit account ids');
    else {
      accounts.forEach((account, i) => {
        if (typeof account !== 'string' || (resolved(account) && !ACCOUNT_ID.test(account))) {
          problems.push(`vpcAccountIds[${i}]: ${JSON.stringify(account)} is not a 12-digit AWS account id`);
        }
      });
      if (new Set(accounts).size !== accounts.length) problems.push('vpcAccountIds: contains duplicates');
    }
  }
  const reachesOthers = Array.isArray(accounts) && accounts.length > 0;
  const externalId = props.vpcAccountExternalId;
  if (externalId !== undefined && resolved(externalId) && !EXTERNAL_ID.test(externalId)) {
    problems.push('vpcAccountExternalId: must be 2 to 1224 letters, digits or +=,.@:/-_');
  }
  if (reachesOthers && externalId === undefined) {
    problems.push(
      'vpcAccountExternalId: required with vpcAccountIds (the roles in those accounts require it)',
    );
  }
  if (reachesOthers && props.managedByTagValue === undefined) {
    problems.push(
      'managedByTagValue: required with vpcAccountIds (the roles in those accounts compare it; the default is derived from the construct path)',
    );
  }
  const roleName = props.vpcAccountRoleName;
  if (roleName !== undefined && resolved(roleName) && !ROLE_NAME.test(roleName)) {
    problems.push('vpcAccountRoleName: must be 1-64 letters, digits or +=,.@-_');
  }
  return problems;
}

/** The longest interval of the scheduled audit (a week). */
export const MAX_AUDIT_HOURS = 168;

function pascal(id: string): string {
  return id.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

export class PrivateEndpointWorkflow extends Construct {
  /** The Standard state machine. */
  readonly stateMachine: sfn.StateMachine;
  /** One function per step, by step id. */
  readonly functions: Readonly<Record<StepId, HandlerFunction>>;
  /** Repository-relative handler entry per step id (for the offline engine). */
  readonly handlerEntries: Readonly<Record<StepId, string>>;
  /** The rule that starts create executions from request events. */
  readonly rule: events.Rule;
  /**
   * The rule that starts delete and check executions ("Atlas Private Endpoint Delete Requested" / "… Check
   * Requested"); it passes the whole event, whose detail-type names the action.
   */
  readonly lifecycleRule: events.Rule;
  /** Matches the drift events the workflow publishes; the `driftDetected` alarm counts its matches. */
  readonly driftRule: events.Rule;
  /** The scheduled audit, when `auditEvery` is set. */
  readonly auditSchedule?: scheduler.Schedule;
  /** The role EventBridge assumes to start executions. */
  readonly triggerRole: iam.Role;
  /** Request events EventBridge could not deliver to the state machine. */
  readonly deadLetterQueue: sqs.Queue;
  readonly alarms: WorkflowAlarms;
  /** The state machine's log group. */
  readonly logGroup: logs.LogGroup;
  /**
   * The target leases: one item per target (kind, project, instance or cluster, region, VPC) while an
   * execution works on it (a create, a delete, a check with repair), so racing executions for one target
   * cannot interleave; a plain check and the audit only read it (they report a held target as in progress).
   * On-demand, encrypted, TTL on `expiresAt`; holds nothing but leases, so it is removed with the stack.
   */
  readonly leaseTable: dynamodb.Table;
  readonly eventBus: events.IEventBus;
  /** The state machine's timeout. */
  readonly executionTimeout: Duration;
  /** Effective deployment budgets (seconds) per polling phase. */
  readonly phaseBudgetSeconds: Readonly<Record<PollPhase, number>>;
  /** Effective polling schedule (seconds) per polling phase. */
  readonly pollSchedules: Readonly<Record<PollPhase, PollSchedule>>;
  /** Value of the managed-by tag IAM conditions compare. */
  readonly managedByTagValue: string;
  /** The regions requests may name (the EC2 permissions cover exactly these). */
  readonly allowedRegions: readonly string[];
  /** The role ARN the EC2 steps assume in each other VPC account, by account id. */
  readonly vpcAccountRoleArns: Readonly<Record<string, string>>;
  /** The cdk-nag acknowledgements this construct records (each with its rule id and reason). */
  readonly nagAcknowledgements: readonly NagAcknowledgement[];

  constructor(scope: Construct, id: string, props: PrivateEndpointWorkflowProps) {
    super(scope, id);
    const problems = validateWorkflowProps(props);
    if (problems.length > 0) {
      throw new Error(
        `Invalid PrivateEndpointWorkflow props:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      );
    }
    const stack = Stack.of(this);

    this.phaseBudgetSeconds = phaseBudgetSeconds(props);
    this.pollSchedules = pollSchedules(props);
    const budgetTotal = POLL_PHASES.reduce((sum, p) => sum + this.phaseBudgetSeconds[p], 0);
    this.executionTimeout =
      props.executionTimeout ?? Duration.seconds(budgetTotal + DEFAULT_EXECUTION_MARGIN_SECONDS);
    this.managedByTagValue = props.managedByTagValue ?? Names.uniqueResourceName(this, { maxLength: 128 });
    this.eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultEventBus', 'default');
    const atlasBaseUrl = (props.atlasBaseUrl ?? DEFAULT_ATLAS_BASE_URL).replace(/\/+$/, '');
    const reserved = props.atlasReservedConcurrency ?? DEFAULT_ATLAS_RESERVED_CONCURRENCY;
    const concurrency = reserved === false ? undefined : reserved;
    this.allowedRegions = props.allowedRegions ?? [
      ...new Set([stack.region, ...(props.defaultRegion === undefined ? [] : [props.defaultRegion])]),
    ];
    const ec2Scope: Ec2Scope = {
      regions: this.allowedRegions,
      account: stack.account,
      managedByTagValue: this.managedByTagValue,
    };
    const roleName = props.vpcAccountRoleName ?? DEFAULT_VPC_ACCOUNT_ROLE_NAME;
    this.vpcAccountRoleArns = Object.fromEntries(
      (props.vpcAccountIds ?? []).map((account) => [
        account,
        `arn:${stack.partition}:iam::${account}:role/${roleName}`,
      ]),
    );
    const vpcAccountRoles = Object.values(this.vpcAccountRoleArns);

    // ---- target leases -------------------------------------------------------------------------------------
    this.leaseTable = new dynamodb.Table(this, 'LeaseTable', {
      partitionKey: { name: LEASE_ATTRIBUTES.key, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: LEASE_ATTRIBUTES.expiresAt,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // ---- functions ------------------------------------------------------------------------------------------
    const functions = {} as Record<StepId, HandlerFunction>;
    const entries = {} as Record<StepId, string>;
    for (const stepId of STEP_IDS) {
      const spec: StepSpec = STEPS[stepId];
      const ec2Step = spec.ec2Actions.length > 0;
      const inVpc = spec.atlas && props.atlasFunctionsVpc !== undefined;
      const fn = new HandlerFunction(this, `${pascal(stepId)}Function`, {
        entry: spec.entry,
        description: `${spec.stateName}: ${spec.description}`,
        timeout: Duration.seconds(LAMBDA_TIMEOUT_SECONDS),
        logLevel: props.logLevel,
        logRetention: props.logRetention,
        reservedConcurrentExecutions: spec.atlas ? concurrency : undefined,
        environment: { [HandlerEnv.WorkflowStep]: stepId },
        // The VPC access role in other accounts trusts only roles under this path.
        ...(ec2Step ? { rolePath: WORKFLOW_ROLE_PATH } : {}),
        ...(inVpc
          ? {
              vpc: props.atlasFunctionsVpc,
              vpcSubnets: props.atlasFunctionsVpcSubnets,
              securityGroups: props.atlasFunctionsSecurityGroups,
            }
          : {}),
      });
      if (spec.atlas) {
        fn.useAtlasSecret(props.atlasSecret, HandlerEnv.AtlasSecretArn);
        fn.addEnvironment(HandlerEnv.AtlasBaseUrl, atlasBaseUrl);
        // The deployment's shared Atlas token (sealed) lives in the lease table, under `atlas-token#…` keys
        // only (lambdas/aws/token-store.ts): read it, store a new one, take the right to mint, drop a refused one.
        fn.addEnvironment(HandlerEnv.LeaseTableName, this.leaseTable.tableName);
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            sid: 'SharedAtlasToken',
            actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
            resources: [this.leaseTable.tableArn],
            conditions: {
              'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${SHARED_TOKEN_KEY_PREFIX}*`] },
            },
          }),
        );
      }
      if (spec.serviceIntent === true) {
        // The dedicated endpoint service create intents, under `service-intent#…` keys only
        // (lambdas/aws/service-intents.ts): take one (PutItem), give back one under which nothing was made.
        fn.addEnvironment(HandlerEnv.LeaseTableName, this.leaseTable.tableName);
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            sid: 'ServiceIntent',
            actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
            resources: [this.leaseTable.tableArn],
            conditions: {
              'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${SERVICE_INTENT_KEY_PREFIX}*`] },
            },
          }),
        );
      }
      if (ec2Step) {
        fn.addEnvironment(HandlerEnv.ManagedByTagValue, this.managedByTagValue);
        fn.addEnvironment(HandlerEnv.WorkflowAccountId, stack.account);
        for (const statement of ec2Statements(this, spec.ec2Actions, ec2Scope)) fn.addToRolePolicy(statement);
        if (vpcAccountRoles.length > 0) {
          fn.addEnvironment(HandlerEnv.VpcAccountRoleArns, vpcAccountRoles.join(','));
          fn.addEnvironment(HandlerEnv.VpcAccountExternalId, props.vpcAccountExternalId ?? '');
          fn.addToRolePolicy(
            new iam.PolicyStatement({
              sid: 'AssumeVpcAccountRoles',
              actions: ['sts:AssumeRole'],
              resources: vpcAccountRoles,
            }),
          );
        }
      }
      if (spec.leaseActions.length > 0) {
        fn.addEnvironment(HandlerEnv.LeaseTableName, this.leaseTable.tableName);
        fn.addToRolePolicy(
          new iam.PolicyStatement({
            sid: 'TargetLease',
            actions: spec.leaseActions.map((action) => `dynamodb:${action}`),
            resources: [this.leaseTable.tableArn],
          }),
        );
      }
      if (spec.requestDefaults) this.addRequestDefaults(fn, props, stack);
      const phase = phaseOfCheckStep(stepId);
      if (phase !== undefined) {
        fn.addEnvironment(PHASES[phase].intervalsEnv, this.pollSchedules[phase].intervalsSeconds.join(','));
      }
      functions[stepId] = fn;
      entries[stepId] = spec.entry;
    }
    this.functions = functions;
    this.handlerEntries = entries;

    // ---- state machine --------------------------------------------------------------------------------------
    // Under /aws/vendedlogs/: such log groups share one CloudWatch Logs resource policy for Step Functions log
    // delivery, instead of each adding to the account's resource policy, whose size is limited.
    this.logGroup = new logs.LogGroup(this, 'StateMachineLogGroup', {
      logGroupName: `${VENDED_LOGS_PREFIX}${props.stateMachineName ?? Names.uniqueResourceName(this, { maxLength: 200 })}`,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const definition = buildWorkflowDefinition(new Construct(this, 'Definition'), {
      functions,
      eventBus: this.eventBus,
      pollSchedules: this.pollSchedules,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: props.stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      timeout: this.executionTimeout,
      tracingEnabled: true,
      logs: {
        destination: this.logGroup,
        level: sfn.LogLevel.ALL,
        includeExecutionData: props.includeExecutionDataInLogs ?? false,
      },
      comment: 'Connects a VPC to MongoDB Atlas over AWS PrivateLink',
    });

    // ---- the lease's holders: may a lease left behind be taken over? ---------------------------------------------
    // The steps that take or read the target lease ask Step Functions whether its holder still runs
    // (states:DescribeExecution on this state machine's executions only). A policy of its own, attached after the
    // state machine exists: the functions' default policies cannot name it (the state machine depends on them).
    const executionsArn = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const leaseHolderPolicies: iam.Policy[] = [];
    for (const stepId of STEP_IDS) {
      if (!describesLeaseHolders(STEPS[stepId])) continue;
      leaseHolderPolicies.push(
        new iam.Policy(this, `${pascal(stepId)}LeaseHolders`, {
          roles: [functions[stepId].role!],
          statements: [
            new iam.PolicyStatement({
              sid: 'LeaseHolders',
              actions: ['states:DescribeExecution'],
              resources: [executionsArn],
            }),
          ],
        }),
      );
    }

    // ---- trigger ----------------------------------------------------------------------------------------------
    this.deadLetterQueue = new sqs.Queue(this, 'TriggerDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.triggerRole = new iam.Role(this, 'TriggerRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: 'Lets EventBridge start executions of the private endpoint workflow',
    });
    this.rule = new events.Rule(this, 'TriggerRule', {
      eventBus: this.eventBus,
      description: 'Starts the Atlas private endpoint workflow with the event detail as input',
      eventPattern: props.triggerEventPattern ?? {
        source: [REQUEST_EVENT_SOURCE],
        detailType: [DetailTypes.Requested],
      },
    });
    this.rule.addTarget(
      new targets.SfnStateMachine(this.stateMachine, {
        input: events.RuleTargetInput.fromEventPath('$.detail'),
        role: this.triggerRole,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
      }),
    );
    this.lifecycleRule = new events.Rule(this, 'LifecycleTriggerRule', {
      eventBus: this.eventBus,
      description:
        'Starts delete and check executions of the Atlas private endpoint workflow (whole event as input)',
      eventPattern: {
        source: [REQUEST_EVENT_SOURCE],
        detailType: [ACTION_DETAIL_TYPES.delete, ACTION_DETAIL_TYPES.check],
      },
    });
    this.lifecycleRule.addTarget(
      new targets.SfnStateMachine(this.stateMachine, {
        // The detail-type names the action; validate-request unwraps the detail.
        input: events.RuleTargetInput.fromEventPath('$'),
        role: this.triggerRole,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
      }),
    );
    if (props.auditEvery !== undefined) {
      this.auditSchedule = new scheduler.Schedule(this, 'AuditSchedule', {
        description: 'Checks every connection of the Atlas private endpoint workflow and reports drift',
        schedule: scheduler.ScheduleExpression.rate(props.auditEvery),
        target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
          input: scheduler.ScheduleTargetInput.fromObject({ action: AUDIT_ACTION }),
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 3,
        }),
      });
    }
    this.driftRule = new events.Rule(this, 'DriftRule', {
      eventBus: this.eventBus,
      description: 'Matches drift events of the Atlas private endpoint workflow (counted by the drift alarm)',
      eventPattern: { source: [EVENT_SOURCE], detailType: [DetailTypes.DriftDetected] },
    });

    // ---- alarms -----------------------------------------------------------------------------------------------
    const alarm = (alarmId: string, metric: cloudwatch.Metric, what: string) =>
      new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `Atlas private endpoint workflow: ${what} in the last 5 minutes`,
      });
    const period = { period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM };
    this.alarms = {
      executionsFailed: alarm(
        'ExecutionsFailedAlarm',
        this.stateMachine.metricFailed(period),
        'executions failed',
      ),
      executionsTimedOut: alarm(
        'ExecutionsTimedOutAlarm',
        this.stateMachine.metricTimedOut(period),
        'executions timed out (no cleanup ran: check for leftovers)',
      ),
      executionsAborted: alarm(
        'ExecutionsAbortedAlarm',
        this.stateMachine.metricAborted(period),
        'executions aborted (no cleanup ran: check for leftovers)',
      ),
      executionThrottled: alarm(
        'ExecutionThrottledAlarm',
        this.stateMachine.metricThrottled(period),
        'executions throttled',
      ),
      deadLetterQueueNotEmpty: alarm(
        'TriggerDeadLetterQueueAlarm',
        this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        'request events in the trigger dead-letter queue (EventBridge could not start executions for them)',
      ),
      triggerFailedInvocations: alarm(
        'TriggerFailedInvocationsAlarm',
        new cloudwatch.Metric({
          namespace: 'AWS/Events',
          metricName: 'FailedInvocations',
          // Rules on the default bus publish with RuleName only; rules on another bus also name the bus.
          dimensionsMap:
            props.eventBus === undefined
              ? { RuleName: this.rule.ruleName }
              : { EventBusName: this.eventBus.eventBusName, RuleName: this.rule.ruleName },
          ...period,
        }),
        'the trigger rule failed to start executions',
      ),
      // ASSUMPTION: EventBridge counts a rule's matches in MatchedEvents (RuleName, plus EventBusName on a
      // custom bus) whether or not the rule has targets; the drift rule has none, it exists to be counted.
      driftDetected: alarm(
        'DriftDetectedAlarm',
        new cloudwatch.Metric({
          namespace: 'AWS/Events',
          metricName: 'MatchedEvents',
          dimensionsMap: {
            RuleName: this.driftRule.ruleName,
            ...(props.eventBus === undefined ? {} : { EventBusName: this.eventBus.eventBusName }),
          },
          ...period,
        }),
        'connections drifted (Atlas Private Endpoint Drift Detected events)',
      ),
    };
    const actions: cloudwatch.IAlarmAction[] = [
      ...(props.alarmTopic === undefined ? [] : [new cloudwatchActions.SnsAction(props.alarmTopic)]),
      ...(props.alarmActions ?? []),
    ];
    for (const a of Object.values(this.alarms)) {
      a.addAlarmAction(...actions);
      if (props.alarmTopic !== undefined) a.addOkAction(new cloudwatchActions.SnsAction(props.alarmTopic));
    }

    this.nagAcknowledgements = acknowledgeNagFindings({
      functions: STEP_IDS.map((stepId) => {
        const actions = STEPS[stepId].ec2Actions;
        return {
          role: functions[stepId].role!,
          ec2Describe: actions.some((a) => a.startsWith('Describe')),
          ec2WildcardResources: ec2WildcardResources(this, actions, ec2Scope),
          vpcNetworking: STEPS[stepId].atlas && props.atlasFunctionsVpc !== undefined,
        };
      }),
      stateMachineRole: this.stateMachine.role,
      invokedFunctions: STEP_IDS.map((stepId) => functions[stepId]),
      deadLetterQueue: this.deadLetterQueue,
      leaseHolderPolicies: leaseHolderPolicies.map((policy) => ({ policy, executionsArn })),
    });
  }

  /** validate-request's env: request defaults, budgets and the execution timeout. */
  private addRequestDefaults(fn: HandlerFunction, props: PrivateEndpointWorkflowProps, stack: Stack): void {
    if (props.defaultKind !== undefined) fn.addEnvironment(HandlerEnv.DefaultKind, props.defaultKind);
    if (props.defaultVpcId !== undefined) fn.addEnvironment(HandlerEnv.DefaultVpcId, props.defaultVpcId);
    if (props.defaultSubnetIds !== undefined) {
      fn.addEnvironment(HandlerEnv.DefaultSubnetIds, props.defaultSubnetIds.join(','));
    }
    if (props.defaultSecurityGroupIds !== undefined) {
      fn.addEnvironment(HandlerEnv.DefaultSecurityGroupIds, props.defaultSecurityGroupIds.join(','));
    }
    fn.addEnvironment(HandlerEnv.DefaultRegion, props.defaultRegion ?? stack.region);
    fn.addEnvironment(HandlerEnv.AllowedRegions, this.allowedRegions.join(','));
    fn.addEnvironment(HandlerEnv.DefaultRollbackOnFailure, String(props.rollbackOnFailure ?? true));
    fn.addEnvironment(HandlerEnv.ExecutionTimeoutSeconds, String(this.executionTimeout.toSeconds()));
    for (const phase of POLL_PHASES) {
      fn.addEnvironment(PHASES[phase].budgetEnv, String(this.phaseBudgetSeconds[phase]));
      fn.addEnvironment(PHASES[phase].firstWaitEnv, String(this.pollSchedules[phase].initialDelaySeconds));
    }
  }
}
