/**
 * Lambda handler of the "Inspect connection" state (and of the audit's "Audit: inspect connection"):
 * `StepContracts['inspect-connection']` in lambdas/workflow/steps.ts.
 * Thin adapter: the environment, clients and logger come from `defaultHandlerDeps`; the work is `inspectConnection`.
 */
import { inspectConnection } from '#workflow/operations/inspect';
import { atlasAccess } from './support/atlas.ts';
import { ec2Access } from './support/ec2.ts';
import {
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  stepHandler,
  workflowState,
} from './support/runtime.ts';

const STEP = 'inspect-connection';

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, { atlas: atlasAccess, ec2: ec2Access });

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, workflowState(STEP), inspectConnection);
}

export const handler = makeHandler(handlerDeps);
