/**
 * Lambda handler of the "Summarize failure" state: `StepContracts['summarize-failure']` in lambdas/workflow/steps.ts.
 * Pure: no Atlas, no AWS. The work is `summarizeFailure`.
 */
import { summarizeFailure } from '#workflow/operations/summarize';
import {
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  stepHandler,
  summarizeFailureEvent,
} from './support/runtime.ts';

const STEP = 'summarize-failure';

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP);

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, summarizeFailureEvent, async (input) => summarizeFailure(input));
}

export const handler = makeHandler(handlerDeps);
