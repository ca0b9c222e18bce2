/**
 * Credentials for a VPC in another AWS account (hub and spoke): the SDK's own `fromTemporaryCredentials` provider
 * (STS AssumeRole with an external id), with its failures turned into the workflow's named errors.
 *
 * The EC2 client memoizes the provider: it calls AssumeRole once and again only shortly before the credentials
 * expire. The STS client uses the SDK's configuration: the function's own credentials, its region
 * (`AWS_REGION`, the regional STS endpoint) and `AWS_ENDPOINT_URL_STS` when set (the simulator).
 */
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { AwsTransientError, ConfigurationError } from '#core/errors';
import { awsErrorCode, TRANSIENT_EC2_CODES } from './errors.ts';

type CredentialProvider = ReturnType<typeof fromTemporaryCredentials>;

/** Seconds the assumed credentials live (STS's minimum: the provider renews them as needed). */
export const ASSUMED_ROLE_SESSION_SECONDS = 900;

export interface AssumeRoleOptions {
  readonly roleArn: string;
  readonly externalId: string;
  /** Shows in the other account's CloudTrail (`[\w+=,.@-]`, at most 64 characters). */
  readonly sessionName: string;
  /** Region of the STS endpoint. @default the SDK's (AWS_REGION) */
  readonly region?: string;
}

/** The account id inside a role ARN (`arn:aws:iam::210987654321:role/x` -> `210987654321`). */
export function accountOfRole(roleArn: string): string {
  return /^arn:[^:]+:iam::(\d{12}):/.exec(roleArn)?.[1] ?? '';
}

/**
 * Why assuming the role failed, as a named error: throttling and STS outages are transient (the state machine
 * retries them); anything else (AccessDenied: the role is missing, or does not trust this workflow or its
 * external id) is a deployment problem no retry fixes.
 */
export function assumeRoleError(error: unknown, roleArn: string): Error {
  const code = awsErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const status = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  const details = { operation: 'AssumeRole', roleArn, account: accountOfRole(roleArn), awsCode: code };
  if ((code !== undefined && TRANSIENT_EC2_CODES.has(code)) || (status !== undefined && status >= 500)) {
    return new AwsTransientError(
      `STS AssumeRole of ${roleArn} was throttled or failed (${code}): ${message}`,
      {
        details,
        cause: error,
      },
    );
  }
  return new ConfigurationError(
    `Cannot assume ${roleArn} to reach the VPC's account (${code ?? 'error'}: ${message}). Deploy ` +
      'PrivateEndpointVpcAccessRole in that account with this workflow account, external id and managed-by tag value',
    { details, cause: error },
  );
}

/** A credential provider for the role, whose failures are named workflow errors. */
export function assumeRoleCredentials(options: AssumeRoleOptions): CredentialProvider {
  const provider = fromTemporaryCredentials({
    params: {
      RoleArn: options.roleArn,
      RoleSessionName: options.sessionName.slice(0, 64),
      ExternalId: options.externalId,
      DurationSeconds: ASSUMED_ROLE_SESSION_SECONDS,
    },
    ...(options.region === undefined ? {} : { clientConfig: { region: options.region } }),
  });
  return async (properties) => {
    try {
      return await provider(properties);
    } catch (error) {
      throw assumeRoleError(error, options.roleArn);
    }
  };
}
