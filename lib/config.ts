/**
 * Reads the app's configuration from CDK context (cdk.json `context`, or `-c key=value` on the command
 * line, where every value is a string) and turns it into stack props. Only shapes are checked here; the
 * construct validates the values themselves (and reports every problem at once).
 *
 * | context key | meaning | default |
 * |---|---|---|
 * | `stackName` | CloudFormation stack name | `AtlasPrivateEndpointWorkflow` |
 * | `account`, `region` | deployment environment | `CDK_DEFAULT_ACCOUNT` / `CDK_DEFAULT_REGION` (env-agnostic when unset) |
 * | `atlasSecretArn` | complete ARN of the Atlas credentials secret (with its 6-character suffix) | unset: the stack takes it as the CloudFormation parameter `AtlasSecretArn` |
 * | `atlasSecretKmsKeyArn` | customer managed KMS key of that secret | AWS managed key |
 * | `atlasBaseUrl` | Atlas Admin API base URL | `https://cloud.mongodb.com` |
 * | `defaultKind` | `dedicated` or `serverless` | the request schema's default, `dedicated` |
 * | `defaultVpcId`, `defaultRegion` | request defaults | none / the stack region |
 * | `allowedRegions` | regions requests may name (IAM is written for exactly these): a list or comma-separated | the stack region (+ `defaultRegion`) |
 * | `vpcAccountIds` | other accounts whose VPCs requests may name (`vpcAccountId`): a list or comma-separated | none |
 * | `vpcAccountRoleName`, `vpcAccountExternalId` | the role assumed in those accounts, and its external id | `AtlasPrivateEndpointVpcAccess` / none |
 * | `atlasFunctionsVpcId`, `atlasFunctionsSubnetIds`, `atlasFunctionsSecurityGroupIds` | run the Atlas-calling functions in these private subnets (fixed egress address) | outside any VPC |
 * | `alarmTopicArn` | SNS topic every alarm notifies | none |
 * | `stateMachineName` | the state machine's name (log group `/aws/vendedlogs/states/<name>`) | generated |
 * | `workflowAccountId` | also define the stack for a VPC account (`vpcAccessStackName`): the role the workflow in this account assumes | not defined |
 * | `vpcAccessStackName` | name of that stack | `AtlasPrivateEndpointVpcAccess` |
 * | `defaultSubnetIds`, `defaultSecurityGroupIds` | request defaults: a list, or comma-separated ids | none |
 * | `rollbackOnFailure` | `true` / `false` | `true` |
 * | `phaseBudgetSeconds` | object (or its JSON) of phase -> seconds, e.g. `{"link":7200}` | see steps.ts PHASES |
 * | `pollingSchedule` | object (or its JSON) of phase -> `{ "initialDelaySeconds": n, "intervalsSeconds": [n, …] or "n,n,…" }`, e.g. `{"link":{"intervalsSeconds":[20,40,60]}}` | see steps.ts PHASES |
 * | `executionTimeoutMinutes` | state machine timeout | budgets + 3 h 45 min |
 * | `atlasReservedConcurrency` | number, or `false` | `false` |
 * | `managedByTagValue` | value of the managed-by tag | derived from the construct path |
 * | `logLevel` | DEBUG, INFO, WARN, ERROR | INFO |
 * | `includeExecutionDataInLogs` | `true` / `false` | `false` |
 */
import { Duration } from 'aws-cdk-lib';
import type { EndpointKind } from '#core/state';
import { POLL_PHASES, type PollPhase } from '#workflow/steps';
import type { HandlerLogLevel } from './handler-function.ts';
import {
  type PhasePollingSchedule,
  type PrivateEndpointWorkflowProps,
  validateWorkflowSettings,
} from './private-endpoint-workflow.ts';

export const DEFAULT_STACK_NAME = 'AtlasPrivateEndpointWorkflow';
export const DEFAULT_VPC_ACCESS_STACK_NAME = 'AtlasPrivateEndpointVpcAccess';

/** Complete Secrets Manager ARN: the secret name is followed by `-` and 6 random characters. */
export const SECRET_COMPLETE_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;

/** Every configuration key the app reads (cdk.json `context` or `-c key=value`). */
export const CONTEXT_KEYS = [
  'stackName',
  'account',
  'region',
  'atlasSecretArn',
  'atlasSecretKmsKeyArn',
  'atlasBaseUrl',
  'defaultKind',
  'defaultVpcId',
  'defaultSubnetIds',
  'defaultSecurityGroupIds',
  'defaultRegion',
  'allowedRegions',
  'vpcAccountIds',
  'vpcAccountRoleName',
  'vpcAccountExternalId',
  'atlasFunctionsVpcId',
  'atlasFunctionsSubnetIds',
  'atlasFunctionsSecurityGroupIds',
  'alarmTopicArn',
  'stateMachineName',
  'workflowAccountId',
  'vpcAccessStackName',
  'rollbackOnFailure',
  'phaseBudgetSeconds',
  'pollingSchedule',
  'executionTimeoutMinutes',
  'atlasReservedConcurrency',
  'managedByTagValue',
  'logLevel',
  'includeExecutionDataInLogs',
] as const;

/** The Atlas-calling functions' network (`atlasFunctions*` keys). */
export interface AtlasFunctionsNetwork {
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  /** @default - one security group per function, all outbound allowed */
  readonly securityGroupIds?: readonly string[];
}

export interface AppConfig {
  readonly stackName: string;
  readonly account?: string;
  readonly region?: string;
  readonly atlasSecretArn?: string;
  readonly atlasSecretKmsKeyArn?: string;
  /** `atlasFunctionsVpcId` / `atlasFunctionsSubnetIds` / `atlasFunctionsSecurityGroupIds`. */
  readonly atlasFunctionsNetwork?: AtlasFunctionsNetwork;
  /** `alarmTopicArn`. */
  readonly alarmTopicArn?: string;
  /**
   * `workflowAccountId` (and `vpcAccessStackName`): the app also defines the stack of a VPC account, whose role
   * takes `vpcAccountExternalId`, `managedByTagValue` and `allowedRegions` from the same configuration.
   */
  readonly vpcAccess?: { readonly stackName: string; readonly workflowAccountId: string };
  readonly workflow: Omit<
    PrivateEndpointWorkflowProps,
    | 'atlasSecret'
    | 'atlasFunctionsVpc'
    | 'atlasFunctionsVpcSubnets'
    | 'atlasFunctionsSecurityGroups'
    | 'alarmTopic'
  >;
}

type Lookup = (key: string) => unknown;

/**
 * @param context context lookup (e.g. `(k) => app.node.tryGetContext(k)`)
 * @param env process environment (for CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION)
 */
export function readConfig(
  context: Lookup,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { config: AppConfig; problems: string[] } {
  const problems: string[] = [];

  const str = (key: string): string | undefined => {
    const v = context(key);
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') {
      problems.push(`${key}: must be a string`);
      return undefined;
    }
    return v;
  };
  const bool = (key: string): boolean | undefined => {
    const v = context(key);
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    problems.push(`${key}: must be true or false`);
    return undefined;
  };
  const list = (key: string): string[] | undefined => {
    const v = context(key);
    if (v === undefined || v === null || v === '') return undefined;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
    if (typeof v === 'string') {
      const text = v.trim();
      if (text.startsWith('[')) {
        try {
          const parsed: unknown = JSON.parse(text);
          if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return parsed;
        } catch {
          // reported below
        }
        problems.push(`${key}: must be a JSON list of strings or comma-separated ids`);
        return undefined;
      }
      return text
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    }
    problems.push(`${key}: must be a list of strings or comma-separated ids`);
    return undefined;
  };
  const num = (key: string): number | undefined => {
    const v = context(key);
    if (v === undefined || v === null || v === '') return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
    if (!Number.isFinite(n)) {
      problems.push(`${key}: must be a number`);
      return undefined;
    }
    return n;
  };

  const workflow: { -readonly [K in keyof AppConfig['workflow']]: AppConfig['workflow'][K] } = {};
  const set = <K extends keyof typeof workflow>(key: K, value: (typeof workflow)[K] | undefined) => {
    if (value !== undefined) workflow[key] = value;
  };
  set('atlasBaseUrl', str('atlasBaseUrl'));
  set('defaultKind', str('defaultKind') as EndpointKind | undefined);
  set('defaultVpcId', str('defaultVpcId'));
  set('defaultSubnetIds', list('defaultSubnetIds'));
  set('defaultSecurityGroupIds', list('defaultSecurityGroupIds'));
  set('defaultRegion', str('defaultRegion'));
  set('allowedRegions', list('allowedRegions'));
  set('vpcAccountIds', list('vpcAccountIds'));
  set('vpcAccountRoleName', str('vpcAccountRoleName'));
  set('vpcAccountExternalId', str('vpcAccountExternalId'));
  set('stateMachineName', str('stateMachineName'));
  set('rollbackOnFailure', bool('rollbackOnFailure'));
  set('managedByTagValue', str('managedByTagValue'));
  set('logLevel', str('logLevel') as HandlerLogLevel | undefined);
  set('includeExecutionDataInLogs', bool('includeExecutionDataInLogs'));

  const concurrency = context('atlasReservedConcurrency');
  if (concurrency === false || concurrency === 'false') set('atlasReservedConcurrency', false);
  else set('atlasReservedConcurrency', num('atlasReservedConcurrency'));

  const minutes = num('executionTimeoutMinutes');
  if (minutes !== undefined) set('executionTimeout', Duration.seconds(Math.round(minutes * 60)));

  let budgets = context('phaseBudgetSeconds');
  if (typeof budgets === 'string' && budgets !== '') {
    try {
      budgets = JSON.parse(budgets);
    } catch {
      problems.push('phaseBudgetSeconds: must be a JSON object of phase -> seconds');
      budgets = undefined;
    }
  }
  if (budgets !== undefined && budgets !== null && budgets !== '') {
    if (typeof budgets !== 'object' || Array.isArray(budgets)) {
      problems.push('phaseBudgetSeconds: must be an object of phase -> seconds');
    } else {
      const out: Partial<Record<PollPhase, Duration>> = {};
      for (const [phase, seconds] of Object.entries(budgets as Record<string, unknown>)) {
        if (!(POLL_PHASES as readonly string[]).includes(phase)) {
          problems.push(`phaseBudgetSeconds.${phase}: unknown phase (known: ${POLL_PHASES.join(', ')})`);
        } else if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds <= 0) {
          problems.push(`phaseBudgetSeconds.${phase}: must be a positive integer`);
        } else {
          out[phase as PollPhase] = Duration.seconds(seconds);
        }
      }
      set('phaseBudgets', out);
    }
  }

  const schedule = pollingSchedule(context('pollingSchedule'), problems);
  if (schedule !== undefined) set('pollingSchedule', schedule);

  const atlasSecretArn = str('atlasSecretArn');
  if (atlasSecretArn !== undefined && !SECRET_COMPLETE_ARN.test(atlasSecretArn)) {
    problems.push(
      'atlasSecretArn: must be the complete secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>)',
    );
  }
  const atlasSecretKmsKeyArn = str('atlasSecretKmsKeyArn');
  if (
    atlasSecretKmsKeyArn !== undefined &&
    !/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/.+$/.test(atlasSecretKmsKeyArn)
  ) {
    problems.push('atlasSecretKmsKeyArn: must be a KMS key ARN');
  }

  const network = atlasFunctionsNetwork(str('atlasFunctionsVpcId'), list, problems);
  const workflowAccountId = str('workflowAccountId');
  if (workflowAccountId !== undefined) {
    if (!/^\d{12}$/.test(workflowAccountId)) {
      problems.push(
        `workflowAccountId: ${JSON.stringify(workflowAccountId)} is not a 12-digit AWS account id`,
      );
    }
    if (workflow.vpcAccountExternalId === undefined) {
      problems.push('vpcAccountExternalId: required with workflowAccountId (the role requires it)');
    }
    if (workflow.managedByTagValue === undefined) {
      problems.push('managedByTagValue: required with workflowAccountId (the role compares it)');
    }
  }
  const vpcAccessStackName = str('vpcAccessStackName');
  if (vpcAccessStackName !== undefined && workflowAccountId === undefined) {
    problems.push('vpcAccessStackName: needs workflowAccountId');
  }
  const alarmTopicArn = str('alarmTopicArn');
  if (
    alarmTopicArn !== undefined &&
    !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/.test(alarmTopicArn)
  ) {
    problems.push('alarmTopicArn: must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)');
  }

  const config: AppConfig = {
    stackName: str('stackName') ?? DEFAULT_STACK_NAME,
    account: str('account') ?? env.CDK_DEFAULT_ACCOUNT,
    region: str('region') ?? env.CDK_DEFAULT_REGION,
    atlasSecretArn,
    atlasSecretKmsKeyArn,
    ...(network === undefined ? {} : { atlasFunctionsNetwork: network }),
    ...(alarmTopicArn === undefined ? {} : { alarmTopicArn }),
    ...(workflowAccountId === undefined
      ? {}
      : {
          vpcAccess: { stackName: vpcAccessStackName ?? DEFAULT_VPC_ACCESS_STACK_NAME, workflowAccountId },
        }),
    workflow,
  };
  return { config, problems };
}

/** `atlasFunctions*` keys: shapes and ids, all or none. */
function atlasFunctionsNetwork(
  vpcId: string | undefined,
  list: (key: string) => string[] | undefined,
  problems: string[],
): AtlasFunctionsNetwork | undefined {
  const subnetIds = list('atlasFunctionsSubnetIds');
  const securityGroupIds = list('atlasFunctionsSecurityGroupIds');
  if (vpcId === undefined) {
    if (subnetIds !== undefined || securityGroupIds !== undefined) {
      problems.push('atlasFunctionsSubnetIds, atlasFunctionsSecurityGroupIds: need atlasFunctionsVpcId');
    }
    return undefined;
  }
  const before = problems.length;
  if (!/^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(vpcId)) {
    problems.push(`atlasFunctionsVpcId: ${JSON.stringify(vpcId)} is not a VPC id (vpc-…)`);
  }
  if (subnetIds === undefined || subnetIds.length === 0) {
    problems.push(
      'atlasFunctionsSubnetIds: required with atlasFunctionsVpcId (private subnets with a NAT route)',
    );
  }
  for (const [i, id] of (subnetIds ?? []).entries()) {
    if (!/^subnet-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(id)) {
      problems.push(`atlasFunctionsSubnetIds[${i}]: ${JSON.stringify(id)} is not a subnet id`);
    }
  }
  for (const [i, id] of (securityGroupIds ?? []).entries()) {
    if (!/^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(id)) {
      problems.push(`atlasFunctionsSecurityGroupIds[${i}]: ${JSON.stringify(id)} is not a security group id`);
    }
  }
  if (problems.length > before || subnetIds === undefined) return undefined;
  return { vpcId, subnetIds, ...(securityGroupIds === undefined ? {} : { securityGroupIds }) };
}

/** Construct prop paths whose cdk.json key differs (the rest keep their names). */
const PROP_TO_CONTEXT_KEY: readonly [RegExp, string][] = [
  [/^phaseBudgets(?=[.:])/, 'phaseBudgetSeconds'],
  [/^executionTimeout(?=:)/, 'executionTimeoutMinutes'],
  [/^(pollingSchedule\.[A-Za-z]+)\.initialDelay(?=:)/, '$1.initialDelaySeconds'],
  [/^(pollingSchedule\.[A-Za-z]+)\.intervals(?=:)/, '$1.intervalsSeconds'],
  [
    /^atlasFunctionsVpcSubnets, atlasFunctionsSecurityGroups: need atlasFunctionsVpc$/,
    'atlasFunctionsSubnetIds, atlasFunctionsSecurityGroupIds: need atlasFunctionsVpcId',
  ],
  [/^alarmTopic(?=:)/, 'alarmTopicArn'],
];

/** A construct validation problem, worded with the cdk.json key the user wrote instead of the prop name. */
export function asContextProblem(problem: string): string {
  for (const [pattern, key] of PROP_TO_CONTEXT_KEY) {
    if (pattern.test(problem)) return problem.replace(pattern, key);
  }
  return problem;
}

/** Keys that look like this app's settings (camelCase) but are not: with the closest known key. */
export function unknownKeyProblems(context: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const key of Object.keys(context)) {
    // CDK's own keys: feature flags (@aws-cdk/…), lookups and CLI settings (with ':' or '-').
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key)) continue;
    if ((CONTEXT_KEYS as readonly string[]).includes(key)) continue;
    const suggestion = closestKey(key);
    problems.push(
      `${key}: not a setting of this app${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}; ` +
        'the settings are listed in lib/config.ts and the README',
    );
  }
  return problems;
}

function closestKey(key: string): string | undefined {
  const lower = key.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const known of CONTEXT_KEYS) {
    const candidate = known.toLowerCase();
    if (candidate === lower || candidate === `${lower}s` || `${candidate}s` === lower) return known;
    const distance = editDistance(lower, candidate);
    const limit = Math.max(2, Math.floor(known.length / 5));
    if (distance <= limit && (best === undefined || distance < best.distance))
      best = { key: known, distance };
  }
  return best?.key;
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

/**
 * The whole configuration check of the app: unknown keys (with a "did you mean"), shapes, and the construct's
 * own validation of the values, every problem named by the cdk.json key the user wrote.
 */
export function checkConfig(
  context: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): { config: AppConfig; problems: string[] } {
  const { config, problems } = readConfig((key) => context[key], env);
  return {
    config,
    problems: [
      ...unknownKeyProblems(context),
      ...problems,
      ...validateWorkflowSettings(config.workflow).map(asContextProblem),
    ],
  };
}

/** A non-negative number of seconds as a Duration (the construct checks the range and whole seconds). */
function seconds(value: unknown, where: string, problems: string[]): Duration | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    problems.push(`${where}: must be a number of seconds`);
    return undefined;
  }
  return Duration.seconds(value);
}

/**
 * `pollingSchedule`: an object (or its JSON) of phase -> `{ initialDelaySeconds?, intervalsSeconds? }`, the
 * intervals a list of numbers or a comma-separated string (handy with `-c`). Shapes only.
 */
function pollingSchedule(
  raw: unknown,
  problems: string[],
): Partial<Record<PollPhase, PhasePollingSchedule>> | undefined {
  let value = raw;
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      problems.push(
        'pollingSchedule: must be a JSON object of phase -> { initialDelaySeconds, intervalsSeconds }',
      );
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push('pollingSchedule: must be an object of phase -> { initialDelaySeconds, intervalsSeconds }');
    return undefined;
  }
  const out: Partial<Record<PollPhase, PhasePollingSchedule>> = {};
  for (const [phase, given] of Object.entries(value as Record<string, unknown>)) {
    const where = `pollingSchedule.${phase}`;
    if (!(POLL_PHASES as readonly string[]).includes(phase)) {
      problems.push(`${where}: unknown phase (known: ${POLL_PHASES.join(', ')})`);
      continue;
    }
    if (typeof given !== 'object' || given === null || Array.isArray(given)) {
      problems.push(`${where}: must be an object { initialDelaySeconds?, intervalsSeconds? }`);
      continue;
    }
    const entry: { initialDelay?: Duration; intervals?: Duration[] } = {};
    for (const [key, field] of Object.entries(given as Record<string, unknown>)) {
      if (key === 'initialDelaySeconds') {
        const delay = seconds(field, `${where}.initialDelaySeconds`, problems);
        if (delay !== undefined) entry.initialDelay = delay;
      } else if (key === 'intervalsSeconds') {
        const list =
          typeof field === 'string'
            ? field.split(',').map((part) => (part.trim() === '' ? Number.NaN : Number(part)))
            : field;
        if (!Array.isArray(list)) {
          problems.push(`${where}.intervalsSeconds: must be a list of seconds or comma-separated seconds`);
          continue;
        }
        const durations = list.map((item, i) => seconds(item, `${where}.intervalsSeconds[${i}]`, problems));
        if (durations.every((d) => d !== undefined)) entry.intervals = durations;
      } else {
        problems.push(`${where}.${key}: unknown field (known: initialDelaySeconds, intervalsSeconds)`);
      }
    }
    out[phase as PollPhase] = entry;
  }
  return out;
}
