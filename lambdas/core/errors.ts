/**
 * The workflow's named errors.
 *
 * Each class sets `this.name` to its constant: Lambda reports `error.name` as `errorType`, and the state
 * machine's Retry/Catch `ErrorEquals` lists use these same constants (lib/ imports them from here). Two
 * names belong to Fail states only (`FAIL_STATE_ERRORS`): they end an execution but no handler throws them.
 * Messages and `details` never carry secrets: only ids, statuses, Atlas error codes and AWS messages.
 */
export const ErrorNames = {
  /** The execution input failed validation. Nothing was created. Permanent. */
  InvalidRequest: 'InvalidRequest',
  /** Deployment configuration or the credential secret is missing or malformed. Permanent. */
  ConfigurationError: 'ConfigurationError',
  /** Atlas rejected the credentials (401, 403, bad OAuth client). Permanent. */
  AtlasAuthFailed: 'AtlasAuthFailed',
  /** Atlas answered 429/5xx, timed out or dropped the connection, and in-Lambda retries ran out. Retry. */
  AtlasTransientError: 'AtlasTransientError',
  /** Atlas answered 404 for the project, instance, cluster or endpoint. Permanent. */
  AtlasNotFound: 'AtlasNotFound',
  /** Atlas answered 410 (e.g. the retired serverless private endpoint API). Permanent. */
  AtlasApiGone: 'AtlasApiGone',
  /** Atlas rejected the request with another 4xx (errorCode kept). Permanent. */
  AtlasRequestRejected: 'AtlasRequestRejected',
  /** The Atlas endpoint or endpoint service went FAILED (Atlas's errorMessage kept). Permanent. */
  EndpointFailed: 'EndpointFailed',
  /** The interface endpoint was REJECTED by Atlas, or the VPC endpoint went rejected/failed in AWS. */
  EndpointRejected: 'EndpointRejected',
  /** EC2 throttled (RequestLimitExceeded) or answered 5xx. Retry. */
  AwsTransientError: 'AwsTransientError',
  /** EC2 rejected the request (bad ids, limits, unknown service). AWS message kept. Permanent. */
  AwsRequestRejected: 'AwsRequestRejected',
  /** A phase or the whole execution ran past its deadline. */
  DeadlineExceeded: 'DeadlineExceeded',
  /** An existing resource conflicts with the request (e.g. the instance already linked to another VPC endpoint). */
  ResourceConflict: 'ResourceConflict',
  /**
   * Another execution holds the target's lease (the same project, instance or cluster, region and VPC): this
   * one changed nothing and ends at once, naming that execution. Permanent (run again once it has ended).
   */
  TargetBusy: 'TargetBusy',
  /**
   * Fail state only (no handler throws it): the cleanup after a failure failed or ran out of time. The Fail
   * cause names the original error and what was left over; summarize-failure chooses it.
   */
  CleanupIncomplete: 'CleanupIncomplete',
  /**
   * Fail state only (no handler throws it): a `delete` could not remove everything that belongs to the
   * connection (a delete failed or did not finish within the cleanup budget). The cause names what is left.
   */
  DeleteIncomplete: 'DeleteIncomplete',
  /**
   * Fail state only (no handler throws it): the static error of "Failed without summary", used when the
   * summarize-failure step itself could not run.
   */
  WorkflowFailed: 'WorkflowFailed',
} as const;

export type ErrorName = (typeof ErrorNames)[keyof typeof ErrorNames];

/**
 * The names only Fail states use. No handler throws them, so the definition's Catch lists leave them out
 * (see `THROWN_ERROR_NAMES`).
 */
export const FAIL_STATE_ERRORS = [
  ErrorNames.CleanupIncomplete,
  ErrorNames.DeleteIncomplete,
  ErrorNames.WorkflowFailed,
] as const;

/** A name a handler may throw (every workflow error but the Fail-state-only ones). */
export type ThrownErrorName = Exclude<ErrorName, (typeof FAIL_STATE_ERRORS)[number]>;

/** Every name a handler may throw, in declaration order: what the definition's Catch lists name. */
export const THROWN_ERROR_NAMES: readonly ThrownErrorName[] = Object.values(ErrorNames).filter(
  (name): name is ThrownErrorName => !(FAIL_STATE_ERRORS as readonly string[]).includes(name),
);

/** Errors the state machine retries with backoff. */
export const TRANSIENT_ERRORS: readonly ThrownErrorName[] = [
  ErrorNames.AtlasTransientError,
  ErrorNames.AwsTransientError,
];

/** Safe, structured context attached to an error (ids, statuses, codes). Never secrets. */
export type ErrorDetails = Readonly<
  Record<string, string | number | boolean | null | undefined | readonly unknown[]>
>;

export abstract class WorkflowError extends Error {
  abstract override readonly name: ThrownErrorName;
  /** True when retrying the same call later may succeed. */
  abstract readonly retryable: boolean;
  readonly details: ErrorDetails;

  constructor(message: string, options: { details?: ErrorDetails; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? {};
  }

  toJSON(): { name: string; message: string; details: ErrorDetails } {
    return { name: this.name, message: this.message, details: this.details };
  }
}

/** One bad field of a request. */
export interface FieldIssue {
  readonly field: string;
  readonly problem: string;
}

export class InvalidRequestError extends WorkflowError {
  override readonly name = ErrorNames.InvalidRequest;
  readonly retryable = false;
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[]) {
    super(`Invalid request: ${issues.map((i) => `${i.field}: ${i.problem}`).join('; ')}`);
    this.issues = issues;
  }
}

export class ConfigurationError extends WorkflowError {
  override readonly name = ErrorNames.ConfigurationError;
  readonly retryable = false;
}

export class AtlasAuthFailedError extends WorkflowError {
  override readonly name = ErrorNames.AtlasAuthFailed;
  readonly retryable = false;
}

export class AtlasTransientError extends WorkflowError {
  override readonly name = ErrorNames.AtlasTransientError;
  readonly retryable = true;
}

export class AtlasNotFoundError extends WorkflowError {
  override readonly name = ErrorNames.AtlasNotFound;
  readonly retryable = false;
}

export class AtlasApiGoneError extends WorkflowError {
  override readonly name = ErrorNames.AtlasApiGone;
  readonly retryable = false;
}

export class AtlasRequestRejectedError extends WorkflowError {
  override readonly name = ErrorNames.AtlasRequestRejected;
  readonly retryable = false;
}

export class EndpointFailedError extends WorkflowError {
  override readonly name = ErrorNames.EndpointFailed;
  readonly retryable = false;
}

export class EndpointRejectedError extends WorkflowError {
  override readonly name = ErrorNames.EndpointRejected;
  readonly retryable = false;
}

export class AwsTransientError extends WorkflowError {
  override readonly name = ErrorNames.AwsTransientError;
  readonly retryable = true;
}

export class AwsRequestRejectedError extends WorkflowError {
  override readonly name = ErrorNames.AwsRequestRejected;
  readonly retryable = false;
}

export class DeadlineExceededError extends WorkflowError {
  override readonly name = ErrorNames.DeadlineExceeded;
  readonly retryable = false;
}

export class ResourceConflictError extends WorkflowError {
  override readonly name = ErrorNames.ResourceConflict;
  readonly retryable = false;
}

export class TargetBusyError extends WorkflowError {
  override readonly name = ErrorNames.TargetBusy;
  readonly retryable = false;
}
