/**
 * Lambda handler of the "Inspect connection" state (and of the audit's "Audit: inspect connection"):
 * `StepContracts['inspect-connection']` in lambdas/workflow/steps.ts.
 * Thin adapter: the environment, clients and logger come from `defaultHandlerDeps`; the work is `inspectConnection`.
 */
import { inspectConnection } from '#workflow/operations/inspect';
import { atlasAccess } from './support/atlas.ts';
import { ec2Access } from './support/ec2.ts';
import { executionAccess, leaseAccess } from './support/leases.ts';
import {
  type Capabilities,
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  stepHandler,
  workflowState,
} from './support/runtime.ts';

const STEP = 'inspect-connection';

/** The clients this step's module brings (the local engine builds warm containers from them). */
export const capabilities: Capabilities = {
  atlas: atlasAccess,
  ec2: ec2Access,
  leases: leaseAccess,
  executions: executionAccess,
};

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, capabilities);

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, workflowState(STEP), inspectConnection);
}

export const handler = makeHandler(handlerDeps);
