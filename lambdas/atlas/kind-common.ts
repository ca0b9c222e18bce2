/**
 * What the two endpoint kinds (`serverless.ts`, `dedicated.ts`) read and answer alike: the views of a
 * resource Atlas no longer has, 404 as "gone", the private endpoint entries of a deployment's connection
 * strings, and the ownership marker a request leaves in a serverless endpoint's comment.
 */
import { createHash } from 'node:crypto';
import type { AtlasEndpointView, LinkView } from './endpoint-kind.ts';
import { isAtlasStatus } from './errors.ts';
import { type Json, optionalString, stringArray } from './shapes.ts';

// ---------------------------------------------------------------------------------------------------------
// Ownership marker
//
// A serverless endpoint has no tags, but Atlas keeps its `comment` (at most 80 characters). The workflow
// writes `<comment> [ape:<10 hex digits of sha256(requestId)>]` there (just the marker when the request has
// no comment), so a later look-up can tell this request's endpoint from anyone else's: after a create whose
// answer was lost, on a retry of the create step, and on a re-run of the same request. An endpoint without
// the marker is never taken for this request's own.

/** Characters of an ownership marker: `[ape:` + 10 hex digits + `]`. */
export const OWNERSHIP_MARKER_LENGTH = 16;

/** `[ape:<first 10 hex digits of sha256(requestId)>]`: the marker of one request id. */
export function ownershipMarker(requestId: string): string {
  const digest = createHash('sha256').update(requestId, 'utf8').digest('hex');
  return `[ape:${digest.slice(0, OWNERSHIP_MARKER_LENGTH - 6)}]`;
}

/** The comment stored on Atlas: the request's comment, a space and the marker (the marker alone without one). */
export function markedComment(comment: string | undefined, marker: string): string {
  return comment === undefined || comment === '' ? marker : `${comment} ${marker}`;
}

/** True when an Atlas comment is one `markedComment` wrote with `marker`. */
export function carriesMarker(comment: unknown, marker: string): boolean {
  return typeof comment === 'string' && (comment === marker || comment.endsWith(` ${marker}`));
}

// ---------------------------------------------------------------------------------------------------------

/** The Atlas side after a 404. */
export function goneView(id: string): AtlasEndpointView {
  return {
    id,
    status: 'gone',
    atlasStatus: 'DELETED',
    endpointServiceName: null,
    errorMessage: null,
    linkedVpcEndpointIds: [],
    carriesMarker: false,
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
