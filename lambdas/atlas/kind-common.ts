/**
 * What the two endpoint kinds (`serverless.ts`, `dedicated.ts`) read and answer alike: the views of a
 * resource Atlas no longer has, 404 as "gone", and the private endpoint entries of a deployment's
 * connection strings.
 */
import type { AtlasEndpointView, LinkView } from './endpoint-kind.ts';
import { isAtlasStatus } from './errors.ts';
import { type Json, optionalString, stringArray } from './shapes.ts';

/** The Atlas side after a 404. */
export function goneView(id: string): AtlasEndpointView {
  return {
    id,
    status: 'gone',
    atlasStatus: 'DELETED',
    endpointServiceName: null,
    errorMessage: null,
    linkedVpcEndpointIds: [],
  };
}

/** A link after a 404. */
export const GONE_LINK: LinkView = { status: 'gone', atlasStatus: 'DELETED', errorMessage: null };

/** Awaits `request`; when Atlas answers 404 (the resource is gone) the result is `gone` instead. */
export async function unlessNotFound<T>(request: Promise<T>, gone: T): Promise<T> {
  try {
    return await request;
  } catch (error) {
    if (isAtlasStatus(error, 404)) return gone;
    throw error;
  }
}

/** A serverless instance's or cluster's `connectionStrings` object, if it has one. */
export function connectionStringsOf(deployment: Json): Json | undefined {
  const strings = deployment.connectionStrings;
  return typeof strings === 'object' && strings !== null ? (strings as Json) : undefined;
}

/**
 * The first `connectionStrings.privateEndpoint` entry that lists `vpcEndpointId` among its endpoints and
 * carries an SRV connection string, with that string.
 */
export function privateEndpointEntry(
  connectionStrings: Json,
  vpcEndpointId: string,
): { entry: Json; srv: string } | undefined {
  const entries = connectionStrings.privateEndpoint;
  if (!Array.isArray(entries)) return undefined;
  for (const raw of entries) {
    if (typeof raw !== 'object' || raw === null) continue;
    const entry = raw as Json;
    const endpoints = Array.isArray(entry.endpoints) ? (entry.endpoints as unknown[]) : [];
    const ids = stringArray(
      endpoints.map((e) => (typeof e === 'object' && e !== null ? (e as Json).endpointId : undefined)),
    );
    const srv = optionalString(entry, 'srvConnectionString');
    if (srv !== null && ids.includes(vpcEndpointId)) return { entry, srv };
  }
  return undefined;
}
