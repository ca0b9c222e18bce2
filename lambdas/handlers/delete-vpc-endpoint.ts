/**
 * Lambda handler of the "Delete VPC endpoint" state: `StepContracts['delete-vpc-endpoint']` in lambdas/workflow/steps.ts.
 * Thin adapter: the environment, clients and logger come from `defaultHandlerDeps`; the work is `deleteVpcEndpoint`.
 */
import { deleteVpcEndpoint } from '#workflow/operations/cleanup';
import { ec2Access } from './support/ec2.ts';
import {
  type Capabilities,
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  stepHandler,
  workflowState,
} from './support/runtime.ts';

const STEP = 'delete-vpc-endpoint';

/** The clients this step's module brings (the local engine builds warm containers from them). */
export const capabilities: Capabilities = { ec2: ec2Access };

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, capabilities);

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, workflowState(STEP), deleteVpcEndpoint);
}

export const handler = makeHandler(handlerDeps);
