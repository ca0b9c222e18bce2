/** The Atlas side of the workflow: one import for handlers (`#atlas/index`). */
export {
  ApiKeyCredentials,
  type AtlasAuthKind,
  type AtlasCredentials,
  DEFAULT_TOKEN_REFRESH_MARGIN_MS,
  resetAtlasAuthCaches,
  ServiceAccountCredentials,
} from './auth.ts';
export {
  ATLAS_GOV_BASE_URL,
  type AtlasClient,
  type AtlasClientOptions,
  type AtlasLogger,
  type AtlasRequest,
  atlasMediaType,
  createAtlasClient,
  DEFAULT_ATLAS_BASE_URL,
  DEFAULT_TIMEOUT_MS,
  lambdaDeadline,
  normalizeBaseUrl,
} from './client.ts';
export {
  ENV as ATLAS_CREDENTIAL_ENV,
  type LoadAtlasCredentialsOptions,
  type LoadedAtlasCredentials,
  loadAtlasCredentials,
  parseCredentialSecret,
} from './credentials.ts';
export type {
  AtlasEndpointView,
  EndpointKindClient,
  EndpointTarget,
  LinkView,
} from './endpoint-kind.ts';
export { AtlasApiError, apiErrorOf, isAtlasStatus, toWorkflowError } from './errors.ts';
export { endpointKindClient } from './kinds.ts';
export { DEFAULT_RETRY, type RetryOptions } from './retry.ts';
