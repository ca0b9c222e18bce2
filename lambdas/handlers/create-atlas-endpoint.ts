/**
 * Lambda handler of the "Create Atlas endpoint" state: `StepContracts['create-atlas-endpoint']` in lambdas/workflow/steps.ts.
 * Thin adapter: the environment, clients and logger come from `defaultHandlerDeps`; the work is `createAtlasEndpoint`.
 */
import { createAtlasEndpoint } from '#workflow/operations/atlas-side';
import { atlasAccess } from './support/atlas.ts';
import {
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  stepHandler,
  workflowState,
} from './support/runtime.ts';

const STEP = 'create-atlas-endpoint';

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, { atlas: atlasAccess });

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, workflowState(STEP), createAtlasEndpoint);
}

export const handler = makeHandler(handlerDeps);
