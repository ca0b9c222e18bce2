/** Public exports of the CDK library. */
export {
  type AslDefinition,
  type AslState,
  extractDefinition,
  functionLogicalIdOf,
  resolveIntrinsics,
} from './asl.ts';
export {
  type AppConfig,
  type AtlasFunctionsNetwork,
  asContextProblem,
  CONTEXT_KEYS,
  checkConfig,
  readConfig,
  unknownKeyProblems,
} from './config.ts';
export { toMermaid } from './diagram.ts';
export { type Ec2Scope, ec2Statements } from './ec2-permissions.ts';
export { HANDLER_FILE, HANDLER_TARGET } from './handler-bundle.ts';
export {
  HANDLER_RUNTIME,
  HandlerFunction,
  type HandlerFunctionProps,
  type HandlerLogLevel,
  handlerCode,
  SERVICE_NAME,
} from './handler-function.ts';
export type { NagAcknowledgement } from './nag.ts';
export {
  defineStacks,
  PrivateEndpointStack,
  type PrivateEndpointStackProps,
  PrivateEndpointVpcAccessStack,
  type PrivateEndpointVpcAccessStackProps,
} from './private-endpoint-stack.ts';
export {
  DEFAULT_ATLAS_BASE_URL,
  DEFAULT_ATLAS_RESERVED_CONCURRENCY,
  type PhasePollingSchedule,
  PrivateEndpointWorkflow,
  type PrivateEndpointWorkflowProps,
  pollSchedules,
  RECOMMENDED_ATLAS_RESERVED_CONCURRENCY,
  VENDED_LOGS_PREFIX,
  validateWorkflowProps,
  validateWorkflowSettings,
  type WorkflowAlarms,
} from './private-endpoint-workflow.ts';
export {
  DEFAULT_VPC_ACCOUNT_ROLE_NAME,
  PrivateEndpointVpcAccessRole,
  type PrivateEndpointVpcAccessRoleProps,
  validateVpcAccessRoleProps,
  WORKFLOW_ROLE_PATH,
} from './vpc-access-role.ts';
export { buildWorkflowDefinition, OUTPUT_FIELDS, RETRY } from './workflow-definition.ts';
