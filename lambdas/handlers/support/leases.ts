/**
 * The lease table for the steps that take or give back the target lease (`STEPS[id].leaseActions`): one
 * DynamoDB client per container, built on first use, in the function's own region (the table is the
 * deployment's). The SDK's own configuration applies (the Lambda role; `AWS_ENDPOINT_URL_DYNAMODB` for the
 * simulator).
 */
import { createDynamoDbClient } from '#aws/client';
import { createSfnClient, type ExecutionReader, StepFunctionsExecutionReader } from '#aws/executions';
import { DynamoDbLeaseStore, type LeaseStore } from '#aws/leases';
import { DynamoDbServiceIntentStore, type ServiceIntentStore } from '#aws/service-intents';
import type { Environment } from '#workflow/config';
import type { HandlerClock } from './runtime.ts';

export function leaseAccess(env: Environment, tableName: string, clock: HandlerClock = {}): LeaseStore {
  let store: LeaseStore | undefined;
  const get = () => {
    const sleep = clock.sleep === undefined ? {} : { sleep: clock.sleep };
    store ??= new DynamoDbLeaseStore(createDynamoDbClient({ env, ...sleep }), tableName);
    return store;
  };
  return {
    acquire: (input) => get().acquire(input),
    takeOver: (input, previousHolder) => get().takeOver(input, previousHolder),
    release: (key, holder) => get().release(key, holder),
    holderOf: (key, now) => get().holderOf(key, now),
  };
}

/** The endpoint service create intents (create-atlas-endpoint), in the same table; one client per container. */
export function serviceIntentAccess(
  env: Environment,
  tableName: string,
  clock: HandlerClock = {},
): ServiceIntentStore {
  let store: ServiceIntentStore | undefined;
  const get = () => {
    const sleep = clock.sleep === undefined ? {} : { sleep: clock.sleep };
    store ??= new DynamoDbServiceIntentStore(createDynamoDbClient({ env, ...sleep }), tableName);
    return store;
  };
  return {
    take: (input) => get().take(input),
    takeOver: (input, previousHolder) => get().takeOver(input, previousHolder),
    markPosting: (intent) => get().markPosting(intent),
    release: (key, holder) => get().release(key, holder),
  };
}

/**
 * Step Functions' view of the lease's holders (the step that takes the lease): one client per container, built on
 * first use, in the function's own region. `AWS_ENDPOINT_URL_SFN` points it at the local engine's front.
 */
export function executionAccess(env: Environment, _clock: HandlerClock = {}): ExecutionReader {
  let reader: ExecutionReader | undefined;
  return {
    statusOf: (arn) => {
      const region = env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || undefined;
      reader ??= new StepFunctionsExecutionReader(createSfnClient(region === undefined ? {} : { region }));
      return reader.statusOf(arn);
    },
  };
}
