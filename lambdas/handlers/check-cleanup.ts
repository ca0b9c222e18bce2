/**
 * Lambda handler of the "Check cleanup" state: `StepContracts['check-cleanup']` in lambdas/workflow/steps.ts.
 * Thin adapter: the environment, clients and logger come from `defaultHandlerDeps`; the work is `checkCleanup`.
 */
import { checkCleanup } from '#workflow/operations/cleanup';
import { atlasAccess } from './support/atlas.ts';
import { ec2Access } from './support/ec2.ts';
import {
  type Capabilities,
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  pollingState,
  stepHandler,
} from './support/runtime.ts';

const STEP = 'check-cleanup';

/** The clients this step's module brings (the local engine builds warm containers from them). */
export const capabilities: Capabilities = { atlas: atlasAccess, ec2: ec2Access };

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, capabilities);

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, pollingState(STEP), checkCleanup);
}

export const handler = makeHandler(handlerDeps);
