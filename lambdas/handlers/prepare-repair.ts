/**
 * Lambda handler of the "Prepare repair" state: `StepContracts['prepare-repair']` in lambdas/workflow/steps.ts.
 * Thin adapter: the environment, clients and logger come from `defaultHandlerDeps`; the work is `prepareRepair`.
 */
import { prepareRepair } from '#workflow/operations/repair';
import { atlasAccess } from './support/atlas.ts';
import { ec2Access } from './support/ec2.ts';
import {
  type Capabilities,
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  prepareRepairEvent,
  stepHandler,
} from './support/runtime.ts';

const STEP = 'prepare-repair';

/** The clients this step's module brings (the local engine builds warm containers from them). */
export const capabilities: Capabilities = { atlas: atlasAccess, ec2: ec2Access };

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, capabilities);

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, prepareRepairEvent, prepareRepair);
}

export const handler = makeHandler(handlerDeps);
