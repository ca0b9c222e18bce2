/**
 * Region lists of the deployment (`allowedRegions` of the workflow and of the VPC access role): what is checked
 * before anything is synthesized.
 */
import { Token } from 'aws-cdk-lib';
import { isSupportedAwsRegion } from '#core/regions';

/** Problems with a list of regions named `name` (empty when valid or absent). Tokens are not checked. */
export function regionProblems(name: string, regions: readonly string[] | undefined): string[] {
  if (regions === undefined) return [];
  if (!Array.isArray(regions) || regions.length === 0)
    return [`${name}: must be a non-empty list of AWS regions`];
  const problems: string[] = [];
  regions.forEach((region, i) => {
    if (typeof region !== 'string') problems.push(`${name}[${i}]: must be a region name`);
    else if (!Token.isUnresolved(region) && !isSupportedAwsRegion(region)) {
      problems.push(
        `${name}[${i}]: ${JSON.stringify(region)} is not an AWS region MongoDB Atlas supports (e.g. us-east-1)`,
      );
    }
  });
  if (new Set(regions).size !== regions.length) problems.push(`${name}: contains duplicates`);
  return problems;
}
