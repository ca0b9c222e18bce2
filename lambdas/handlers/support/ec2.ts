/**
 * EC2 access for the steps that call EC2 (`STEPS[id].ec2Actions`): one client per VPC location (region, and
 * account when the VPC is in another one), built on first use. The SDK's own configuration applies: the Lambda
 * role's credentials, `AWS_ENDPOINT_URL_EC2` to point at another endpoint (the simulator).
 *
 * A VPC in another account (request field `vpcAccountId`) is reached through the role the deployment configured
 * for that account (`VPC_ACCOUNT_ROLE_ARNS`, assumed with `VPC_ACCOUNT_EXTERNAL_ID`, see
 * lambdas/workflow/targets.ts); validate-request refuses any other account before an EC2 step runs.
 */
import { createEc2Client } from '#aws/client';
import { assumeRoleCredentials } from '#aws/credentials';
import { Ec2VpcEndpoints, type VpcEndpointOperations } from '#aws/vpc-endpoints';
import { ConfigurationError } from '#core/errors';
import type { VpcLocation } from '#core/state';
import type { Environment } from '#workflow/config';
import { HandlerEnv } from '#workflow/steps';
import { loadDeploymentTargets, roleFor } from '#workflow/targets';
import type { HandlerClock } from './runtime.ts';

export function ec2Access(
  env: Environment,
  clock: HandlerClock = {},
): (where: VpcLocation) => VpcEndpointOperations {
  const cache = new Map<string, VpcEndpointOperations>();
  const { targets, problems } = loadDeploymentTargets(env);
  const step = env[HandlerEnv.WorkflowStep]?.trim() || 'ec2';
  return (where) => {
    if (problems.length > 0) {
      throw new ConfigurationError(
        `Invalid deployment targets: ${problems.map((p) => p.problem).join('; ')}`,
        {
          details: { variables: [...new Set(problems.map((p) => p.variable))] },
        },
      );
    }
    const roleArn = roleFor(where, targets);
    if (
      where.vpcAccountId !== undefined &&
      roleArn === undefined &&
      where.vpcAccountId !== targets.workflowAccountId
    ) {
      throw new ConfigurationError(
        `No role is configured for account ${where.vpcAccountId} (${HandlerEnv.VpcAccountRoleArns}); validation should have refused this request`,
        { details: { vpcAccountId: where.vpcAccountId } },
      );
    }
    const key = `${roleArn ?? 'own'}|${where.region}`;
    let ops = cache.get(key);
    if (ops === undefined) {
      const credentials =
        roleArn === undefined
          ? undefined
          : assumeRoleCredentials({
              roleArn,
              externalId: targets.externalId ?? '',
              sessionName: `atlas-private-endpoint-${step}`,
              ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
            });
      ops = new Ec2VpcEndpoints(
        createEc2Client({
          region: where.region,
          env,
          ...(credentials === undefined ? {} : { credentials }),
          ...(clock.sleep === undefined ? {} : { sleep: clock.sleep }),
        }),
      );
      cache.set(key, ops);
    }
    return ops;
  };
}
