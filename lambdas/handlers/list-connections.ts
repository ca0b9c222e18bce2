/**
 * Lambda handler of the "List managed connections" state (the scheduled audit):
 * `StepContracts['list-connections']` in lambdas/workflow/steps.ts.
 * Thin adapter: the environment, clients and logger come from `defaultHandlerDeps`; the work is `listConnections`.
 */
import { loadRequestDefaults } from '#workflow/config';
import { listConnections } from '#workflow/operations/audit';
import { ec2Access } from './support/ec2.ts';
import {
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
  listConnectionsEvent,
  stepHandler,
} from './support/runtime.ts';

const STEP = 'list-connections';

/** Built once per container from the function's environment. */
export const handlerDeps: HandlerDeps = defaultHandlerDeps(STEP, {
  ec2: ec2Access,
  requestDefaults: loadRequestDefaults,
});

export function makeHandler(deps: HandlerDeps): LambdaStepHandler<typeof STEP> {
  return stepHandler(STEP, deps, listConnectionsEvent, (input, stepDeps) =>
    listConnections(input, { ...stepDeps, defaults: deps.requestDefaults ?? {}, env: deps.env ?? {} }),
  );
}

export const handler = makeHandler(handlerDeps);
