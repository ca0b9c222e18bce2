/**
 * Deployment-time request defaults, read from the Lambda environment.
 *
 * The handler that validates requests calls `loadRequestDefaults(process.env)` once, at module load,
 * so a bad deployment fails loudly on the first invocation. Nothing is read at import time.
 *
 * | variable                     | fills              | format                                   |
 * |------------------------------|--------------------|------------------------------------------|
 * | `DEFAULT_KIND`               | `kind`             | `dedicated` or `serverless` (unset: `dedicated`) |
 * | `DEFAULT_VPC_ID`             | `vpcId`            | `vpc-…`                                  |
 * | `DEFAULT_SUBNET_IDS`         | `subnetIds`        | comma-separated `subnet-…` (spaces ok)   |
 * | `DEFAULT_SECURITY_GROUP_IDS` | `securityGroupIds` | comma-separated `sg-…`                   |
 * | `DEFAULT_REGION`             | `region`           | AWS region Atlas supports, e.g. us-east-1 |
 * | `AWS_REGION`                 | `region`, when DEFAULT_REGION is unset | set by Lambda itself  |
 * | `DEFAULT_ROLLBACK_ON_FAILURE`| `rollbackOnFailure`| `true` or `false` (any case)             |
 *
 * Unset or blank variables give no default. An invalid `DEFAULT_*` value throws one
 * ConfigurationError naming every bad variable. `AWS_REGION` is the Lambda's own region, not an
 * operator setting: when Atlas does not serve it, it is simply not used as a default (requests must
 * then name their region).
 */

import { ConfigurationError } from '#core/errors';
import { isSupportedAwsRegion } from '#core/regions';
import type { EndpointKind } from '#core/state';
import { checkRequestDefaults, DEFAULT_ENV_VARIABLES, type RequestDefaults } from '#workflow/request';

export type Environment = Readonly<Record<string, string | undefined>>;

/** Reads and checks the request defaults. Throws ConfigurationError naming each invalid variable. */
export function loadRequestDefaults(env: Environment = process.env): RequestDefaults {
  const defaults: {
    kind?: EndpointKind;
    vpcId?: string;
    subnetIds?: string[];
    securityGroupIds?: string[];
    region?: string;
    rollbackOnFailure?: boolean;
  } = {};
  const problems: { variable: string; problem: string }[] = [];

  const kind = read(env, DEFAULT_ENV_VARIABLES.kind);
  if (kind !== undefined) defaults.kind = kind as EndpointKind;
  const vpcId = read(env, DEFAULT_ENV_VARIABLES.vpcId);
  if (vpcId !== undefined) defaults.vpcId = vpcId;
  const subnetIds = readList(env, DEFAULT_ENV_VARIABLES.subnetIds);
  if (subnetIds !== undefined) defaults.subnetIds = subnetIds;
  const securityGroupIds = readList(env, DEFAULT_ENV_VARIABLES.securityGroupIds);
  if (securityGroupIds !== undefined) defaults.securityGroupIds = securityGroupIds;
  const region = read(env, DEFAULT_ENV_VARIABLES.region);
  if (region !== undefined) defaults.region = region;
  else {
    const lambdaRegion = read(env, 'AWS_REGION');
    if (lambdaRegion !== undefined && isSupportedAwsRegion(lambdaRegion)) defaults.region = lambdaRegion;
  }

  const rollbackVariable = DEFAULT_ENV_VARIABLES.rollbackOnFailure;
  const rollback = read(env, rollbackVariable)?.toLowerCase();
  if (rollback === 'true' || rollback === 'false') defaults.rollbackOnFailure = rollback === 'true';
  else if (rollback !== undefined) {
    problems.push({
      variable: rollbackVariable,
      problem: `${rollbackVariable}: got ${JSON.stringify(env[rollbackVariable])}; expected true or false`,
    });
  }

  const fieldProblems = checkRequestDefaults(defaults).map((issue) => {
    const field = /^[A-Za-z]+/.exec(issue.field)?.[0] as keyof RequestDefaults;
    const variable = DEFAULT_ENV_VARIABLES[field] ?? issue.field;
    const where = issue.field === field ? '' : ` (entry ${issue.field.slice(field.length)})`;
    return { variable, problem: `${variable}${where}: ${issue.problem}` };
  });
  problems.unshift(...fieldProblems);
  if (problems.length > 0) {
    throw new ConfigurationError(
      `Invalid deployment defaults: ${problems.map((p) => p.problem).join('; ')}`,
      {
        details: { variables: [...new Set(problems.map((p) => p.variable))] },
      },
    );
  }
  return defaults;
}

function read(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** A comma-separated list; blank entries (e.g. a trailing comma) are ignored. */
function readList(env: Environment, name: string): string[] | undefined {
  const value = read(env, name);
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
