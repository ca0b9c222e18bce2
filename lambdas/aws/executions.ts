/**
 * Step Functions' view of an execution: what the target lease asks about its holder (`states:DescribeExecution`)
 * before it takes over a lease whose holder has ended. The SDK's own configuration applies (the Lambda role;
 * `AWS_ENDPOINT_URL_SFN` for the local engine's front, local/sfn-server.ts).
 *
 * Errors: throttling, 5xx and network failures -> AwsTransientError; other refusals (AccessDenied, InvalidArn)
 * -> AwsRequestRejectedError (see ./errors.ts). `ExecutionDoesNotExist` is an answer, not an error: `UNKNOWN`.
 */
import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  SFNClient,
  type SFNClientConfig,
} from '@aws-sdk/client-sfn';
import { toAwsWorkflowError } from './errors.ts';

/**
 * An execution's status as DescribeExecution reports it, or `UNKNOWN` when Step Functions does not know the ARN
 * (`ExecutionDoesNotExist`: never started, or its history has expired, 90 days after it closed).
 */
export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE'
  | 'UNKNOWN';

export interface ExecutionReader {
  statusOf(executionArn: string): Promise<ExecutionStatus>;
}

/** Attempts per DescribeExecution call (SDK standard retry mode). */
export const DEFAULT_SFN_MAX_ATTEMPTS = 3;

/** The workflow's reader of executions over one Step Functions client. */
export class StepFunctionsExecutionReader implements ExecutionReader {
  constructor(private readonly sfn: SFNClient) {}

  async statusOf(executionArn: string): Promise<ExecutionStatus> {
    try {
      const answer = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      const status = answer.status ?? 'UNKNOWN';
      // ASSUMPTION: a status this code does not know yet is treated as running (never take over on a guess).
      return (
        ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'] as string[]
      ).includes(status)
        ? (status as ExecutionStatus)
        : 'RUNNING';
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return 'UNKNOWN';
      throw toAwsWorkflowError(error, { service: 'StepFunctions', operation: 'DescribeExecution' });
    }
  }
}

/** A Step Functions client in the function's own region (the executions are the deployment's). */
export function createSfnClient(
  options: {
    readonly region?: string;
    readonly endpoint?: string;
    readonly credentials?: SFNClientConfig['credentials'];
  } = {},
): SFNClient {
  return new SFNClient({
    maxAttempts: DEFAULT_SFN_MAX_ATTEMPTS,
    retryMode: 'standard',
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  });
}
