/**
 * Lambda handler of the "Link Atlas endpoint" state: `StepContracts['link-endpoint']` in lambdas/workflow/steps.ts.
 * Thin adapter: the environment, clients and logger come from `defaultHandlerDeps`; the work is `linkEndpoint`.
 */
import { linkEndpoint } from '#workflow/operations/link';
import { atlasAccess } from './support/atlas.ts';
import {
  type Capabilities,
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  stepHandler,
  workflowState,
} from './support/runtime.ts';

const STEP = 'link-endpoint';

/** The clients this step's module brings (the local engine builds warm containers from them). */
export const capabilities: Capabilities = { atlas: atlasAccess };

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, capabilities);

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, workflowState(STEP), linkEndpoint);
}

export const handler = makeHandler(handlerDeps);
