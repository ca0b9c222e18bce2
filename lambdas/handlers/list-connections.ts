/**
 * Lambda handler of the "List managed connections" state (the scheduled audit):
 * `StepContracts['list-connections']` in lambdas/workflow/steps.ts.
 * Thin adapter: the environment, clients and logger come from `defaultHandlerDeps`; the work is `listConnections`.
 */
import { loadRequestDefaults } from '#workflow/config';
import { listConnections } from '#workflow/operations/audit';
import { ec2Access } from './support/ec2.ts';
import {
  type Capabilities,
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  listConnectionsEvent,
  stepHandler,
} from './support/runtime.ts';

const STEP = 'list-connections';

/** The clients this step's module brings (the local engine builds warm containers from them). */
export const capabilities: Capabilities = { ec2: ec2Access, requestDefaults: loadRequestDefaults };

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, capabilities);

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, listConnectionsEvent, (input, stepDeps) =>
    listConnections(input, { ...stepDeps, defaults: deps.requestDefaults ?? {}, env: deps.env ?? {} }),
  );
}

export const handler = makeHandler(handlerDeps);
