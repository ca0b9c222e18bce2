/**
 * Lambda handler of the "Summarize failure" state: `StepContracts['summarize-failure']` in lambdas/workflow/steps.ts.
 * Pure: no Atlas, no AWS. The work is `summarizeFailure`.
 */
import { summarizeFailure } from '#workflow/operations/summarize';
import {
  type Capabilities,
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  stepHandler,
  summarizeFailureEvent,
} from './support/runtime.ts';

const STEP = 'summarize-failure';

/** The clients this step's module brings (the local engine builds warm containers from them). */
export const capabilities: Capabilities = {};

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, capabilities);

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, summarizeFailureEvent, async (input) => summarizeFailure(input));
}

export const handler = makeHandler(handlerDeps);
