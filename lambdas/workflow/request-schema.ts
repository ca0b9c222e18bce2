/**
 * The JSON Schema (draft 2020-12) of the execution input, generated from the zod schema in ./request.ts, for
 * the README, examples and callers that validate before they start an execution.
 *
 * A module of its own so that the validate-request Lambda, which parses with the zod schema itself, neither
 * bundles zod's JSON Schema generator nor runs it at every cold start.
 */
import * as z from 'zod';
import { requestInputSchema } from './request.ts';

/** JSON Schema (draft 2020-12) of the execution input. */
export const requestJsonSchema: Record<string, unknown> = {
  ...z.toJSONSchema(requestInputSchema, { io: 'input', unrepresentable: 'any' }),
  title: 'atlas-private-endpoint-workflow execution input',
  description:
    'Execution input (for EventBridge: the event detail). vpcId, subnetIds, securityGroupIds and region ' +
    'are required unless the deployment sets defaults for them.',
};
