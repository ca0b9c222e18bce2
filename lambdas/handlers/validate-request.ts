/**
 * Lambda handler of the "Validate request" state: `StepContracts['validate-request']` in lambdas/workflow/steps.ts.
 * Thin adapter: the environment, clients and logger come from `defaultHandlerDeps`; the work is `validateRequest`.
 */
import { loadRequestDefaults } from '#workflow/config';
import { validateRequest } from '#workflow/operations/validate';
import { atlasAccess } from './support/atlas.ts';
import { ec2Access } from './support/ec2.ts';
import { executionAccess, leaseAccess } from './support/leases.ts';
import {
  type Capabilities,
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  stepHandler,
  validateRequestEvent,
} from './support/runtime.ts';

const STEP = 'validate-request';

/** The clients this step's module brings (the local engine builds warm containers from them). */
export const capabilities: Capabilities = {
  atlas: atlasAccess,
  ec2: ec2Access,
  requestDefaults: loadRequestDefaults,
  leases: leaseAccess,
  executions: executionAccess,
};

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, capabilities);

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, validateRequestEvent, (input, stepDeps) =>
    validateRequest(input, { ...stepDeps, defaults: deps.requestDefaults ?? {}, env: deps.env ?? {} }),
  );
}

export const handler = makeHandler(handlerDeps);
