/** Public exports of the CDK library. */
export {
  type AslDefinition,
  type AslState,
  extractDefinition,
  functionLogicalIdOf,
  resolveIntrinsics,
} from './asl.ts';
export { type AppConfig, readConfig } from './config.ts';
export { toMermaid } from './diagram.ts';
export {
  HandlerFunction,
  type HandlerFunctionProps,
  type HandlerLogLevel,
  SERVICE_NAME,
} from './handler-function.ts';
export type { NagAcknowledgement } from './nag.ts';
export { PrivateEndpointStack, type PrivateEndpointStackProps } from './private-endpoint-stack.ts';
export {
  DEFAULT_ATLAS_BASE_URL,
  DEFAULT_ATLAS_RESERVED_CONCURRENCY,
  type PhasePollingSchedule,
  PrivateEndpointWorkflow,
  type PrivateEndpointWorkflowProps,
  pollSchedules,
  validateWorkflowProps,
  validateWorkflowSettings,
  type WorkflowAlarms,
} from './private-endpoint-workflow.ts';
export { buildWorkflowDefinition, OUTPUT_FIELDS, RETRY } from './workflow-definition.ts';
