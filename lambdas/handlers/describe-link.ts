/**
 * Lambda handler of the "Check link" state: `StepContracts['describe-link']` in lambdas/workflow/steps.ts.
 * Thin adapter: the environment, clients and logger come from `defaultHandlerDeps`; the work is `describeLink`.
 */
import { describeLink } from '#workflow/operations/link';
import { atlasAccess } from './support/atlas.ts';
import {
  type Capabilities,
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  pollingState,
  stepHandler,
} from './support/runtime.ts';

const STEP = 'describe-link';

/** The clients this step's module brings (the local engine builds warm containers from them). */
export const capabilities: Capabilities = { atlas: atlasAccess };

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, capabilities);

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, pollingState(STEP), describeLink);
}

export const handler = makeHandler(handlerDeps);
