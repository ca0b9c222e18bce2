/**
 * The choice of an endpoint kind's implementation. It sits apart from the interface (./endpoint-kind.ts),
 * which the implementations import: nothing in lambdas/atlas imports this module, so the kinds form no
 * circle and a new kind is a new file plus one line here.
 */
import type { EndpointKind } from '#core/state';
import type { AtlasClient } from './client.ts';
import { dedicatedClient } from './dedicated.ts';
import type { EndpointKindClient } from './endpoint-kind.ts';
import { serverlessClient } from './serverless.ts';

export function endpointKindClient(kind: EndpointKind, atlas: AtlasClient): EndpointKindClient {
  if (kind === 'serverless') return serverlessClient(atlas);
  if (kind === 'dedicated') return dedicatedClient(atlas);
  throw new TypeError(`unknown endpoint kind: ${String(kind)}`);
}
