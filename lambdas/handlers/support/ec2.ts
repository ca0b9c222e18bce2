/**
 * EC2 access for the steps that call EC2 (`STEPS[id].ec2Actions`): one client per AWS region, built on first
 * use (the workflow creates the VPC endpoint in the request's region). The SDK's own configuration applies:
 * the Lambda role's credentials, `AWS_ENDPOINT_URL_EC2` to point at another endpoint (the simulator).
 */
import { createEc2Client } from '#aws/client';
import { Ec2VpcEndpoints, type VpcEndpointOperations } from '#aws/vpc-endpoints';
import type { Environment } from '#workflow/config';
import type { HandlerClock } from './runtime.ts';

export function ec2Access(
  env: Environment,
  clock: HandlerClock = {},
): (region: string) => VpcEndpointOperations {
  const byRegion = new Map<string, VpcEndpointOperations>();
  return (region) => {
    let ops = byRegion.get(region);
    if (ops === undefined) {
      ops = new Ec2VpcEndpoints(
        createEc2Client({ region, env, ...(clock.sleep === undefined ? {} : { sleep: clock.sleep }) }),
      );
      byRegion.set(region, ops);
    }
    return ops;
  };
}
