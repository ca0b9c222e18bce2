/**
 * AWS region names <-> Atlas region names for the AWS regions Atlas deploys to.
 *
 * The list follows the `AWS Regions` enum of the Atlas Admin API (v2), without the China regions
 * (not offered by Atlas's commercial or government clouds) and without the `GLOBAL` pseudo-region.
 * The two GovCloud regions are kept: Atlas for Government (`https://cloud.mongodbgov.com`) uses them.
 * The mapping is mechanical (`us-east-1` <-> `US_EAST_1`), but it is an explicit list on purpose, so a
 * typo or a region Atlas does not serve fails here, with a clear message, instead of at Atlas.
 */
import { ConfigurationError } from '#core/errors';

/** AWS commercial regions Atlas supports. */
export const ATLAS_AWS_COMMERCIAL_REGIONS = [
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'ca-west-1',
  'mx-central-1',
  'sa-east-1',
  'eu-north-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-central-2',
  'eu-south-1',
  'eu-south-2',
  'il-central-1',
  'me-south-1',
  'me-central-1',
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
] as const;

/** AWS GovCloud regions, served by Atlas for Government. */
export const ATLAS_AWS_GOV_REGIONS = ['us-gov-west-1', 'us-gov-east-1'] as const;

export type AwsRegionName =
  | (typeof ATLAS_AWS_COMMERCIAL_REGIONS)[number]
  | (typeof ATLAS_AWS_GOV_REGIONS)[number];

const AWS_TO_ATLAS: ReadonlyMap<string, string> = new Map(
  [...ATLAS_AWS_COMMERCIAL_REGIONS, ...ATLAS_AWS_GOV_REGIONS].map((aws) => [
    aws,
    aws.toUpperCase().replaceAll('-', '_'),
  ]),
);
const ATLAS_TO_AWS: ReadonlyMap<string, string> = new Map(
  [...AWS_TO_ATLAS].map(([aws, atlas]) => [atlas, aws]),
);

/** Every Atlas region name this module knows (`US_EAST_1`, …). */
export const ATLAS_AWS_REGION_NAMES: readonly string[] = [...ATLAS_TO_AWS.keys()];

export function isSupportedAwsRegion(region: string): region is AwsRegionName {
  return AWS_TO_ATLAS.has(region);
}

/** `us-east-1` -> `US_EAST_1`. Throws ConfigurationError for a region Atlas does not serve on AWS. */
export function toAtlasRegion(awsRegion: string): string {
  const atlas = AWS_TO_ATLAS.get(awsRegion);
  if (atlas === undefined) {
    throw new ConfigurationError(
      `AWS region "${awsRegion}" is not an AWS region MongoDB Atlas supports (expected e.g. us-east-1)`,
      { details: { awsRegion } },
    );
  }
  return atlas;
}

/** `US_EAST_1` -> `us-east-1`. Throws ConfigurationError for a name that is not an Atlas AWS region. */
export function toAwsRegion(atlasRegion: string): string {
  const aws = ATLAS_TO_AWS.get(atlasRegion);
  if (aws === undefined) {
    throw new ConfigurationError(
      `"${atlasRegion}" is not an Atlas AWS region name this client knows (expected e.g. US_EAST_1)`,
      { details: { atlasRegion } },
    );
  }
  return aws;
}
