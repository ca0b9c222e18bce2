/**
 * Lambda handler of the "Check cleanup" state: `StepContracts['check-cleanup']` in lambdas/workflow/steps.ts.
 * Thin adapter: the environment, clients and logger come from `defaultHandlerDeps`; the work is `checkCleanup`.
 */
import { checkCleanup } from '#workflow/operations/cleanup';
import { atlasAccess } from './support/atlas.ts';
import { ec2Access } from './support/ec2.ts';
import {
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  pollingState,
  stepHandler,
} from './support/runtime.ts';

const STEP = 'check-cleanup';

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, { atlas: atlasAccess, ec2: ec2Access });

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, pollingState(STEP), checkCleanup);
}

export const handler = makeHandler(handlerDeps);
