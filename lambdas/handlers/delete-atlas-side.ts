/**
 * Lambda handler of the "Delete Atlas side" state: `StepContracts['delete-atlas-side']` in lambdas/workflow/steps.ts.
 * Thin adapter: the environment, clients and logger come from `defaultHandlerDeps`; the work is `deleteAtlasSide`.
 */
import { deleteAtlasSide } from '#workflow/operations/cleanup';
import { atlasAccess } from './support/atlas.ts';
import {
  type Capabilities,
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  stepHandler,
  workflowState,
} from './support/runtime.ts';

const STEP = 'delete-atlas-side';

/** The clients this step's module brings (the local engine builds warm containers from them). */
export const capabilities: Capabilities = { atlas: atlasAccess };

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, capabilities);

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, workflowState(STEP), deleteAtlasSide);
}

export const handler = makeHandler(handlerDeps);
