/**
 * Lambda handler of the "Summarize delete" state: `StepContracts['summarize-delete']` in lambdas/workflow/steps.ts.
 * Pure: no Atlas, no AWS. The work is `summarizeDelete`.
 */
import { summarizeDelete } from '#workflow/operations/delete';
import {
  type Capabilities,
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  stepHandler,
  workflowState,
} from './support/runtime.ts';

const STEP = 'summarize-delete';

/** The clients this step's module brings (the local engine builds warm containers from them). */
export const capabilities: Capabilities = {};

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, capabilities);

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, workflowState(STEP), async (input) => summarizeDelete(input));
}

export const handler = makeHandler(handlerDeps);
