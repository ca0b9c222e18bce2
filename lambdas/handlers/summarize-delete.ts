/**
 * Lambda handler of the "Summarize delete" state: `StepContracts['summarize-delete']` in lambdas/workflow/steps.ts.
 * Pure: no Atlas, no AWS. The work is `summarizeDelete`.
 */
import { summarizeDelete } from '#workflow/operations/delete';
import {
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  stepHandler,
  workflowState,
} from './support/runtime.ts';

const STEP = 'summarize-delete';

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP);

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, workflowState(STEP), async (input) => summarizeDelete(input));
}

export const handler = makeHandler(handlerDeps);
