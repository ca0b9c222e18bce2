/**
 * Lambda handler of the "Create Atlas endpoint" state: `StepContracts['create-atlas-endpoint']` in lambdas/workflow/steps.ts.
 * Thin adapter: the environment, clients and logger come from `defaultHandlerDeps`; the work is `createAtlasEndpoint`.
 */
import { createAtlasEndpoint } from '#workflow/operations/atlas-side';
import { atlasAccess } from './support/atlas.ts';
import { executionAccess, serviceIntentAccess } from './support/leases.ts';
import {
  type Capabilities,
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  stepHandler,
  workflowState,
} from './support/runtime.ts';

const STEP = 'create-atlas-endpoint';

/** The clients this step's module brings (the local engine builds warm containers from them). */
export const capabilities: Capabilities = {
  atlas: atlasAccess,
  serviceIntents: serviceIntentAccess,
  executions: executionAccess,
};

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, capabilities);

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, workflowState(STEP), createAtlasEndpoint);
}

export const handler = makeHandler(handlerDeps);
