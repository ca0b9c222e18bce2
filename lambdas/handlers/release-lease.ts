/**
 * Lambda handler of the "Release target" state: `StepContracts['release-lease']` in lambdas/workflow/steps.ts.
 * Thin adapter: the environment, clients and logger come from `defaultHandlerDeps`; the work is
 * `releaseTargetLease`.
 */
import { releaseTargetLease } from '#workflow/operations/lease';
import { leaseAccess } from './support/leases.ts';
import {
  type Capabilities,
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  stepHandler,
  workflowState,
} from './support/runtime.ts';

const STEP = 'release-lease';

/** The clients this step's module brings (the local engine builds warm containers from them). */
export const capabilities: Capabilities = { leases: leaseAccess };

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, capabilities);

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, workflowState(STEP), releaseTargetLease);
}

export const handler = makeHandler(handlerDeps);
