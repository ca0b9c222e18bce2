/**
 * summarize-delete (pure: no AWS, no Atlas): the output of a `delete` and of its deleted event, from what
 * inspect-connection found (`$.inspection`, and the parts it asked the cleanup to delete: `created: true`)
 * and what the delete steps found beyond it (`$.cleanupVpcEndpoints`, `$.cleanupAtlas`: the rest of the
 * request's own, by its tags and marker), and what the cleanup saw gone (`$.cleanup`, absent when there was
 * nothing to delete).
 */
import type { ResourceRef } from '#workflow/events';
import type { DeleteOutput, RefusedResource } from '#workflow/lifecycle';
import type { WorkflowState } from '#workflow/steps';
import { atlasResourceType, IN_USE_STATUS } from './common.ts';

const GONE_VPCE_STATES = new Set(['deleting', 'deleted']);

function same(a: ResourceRef, b: ResourceRef): boolean {
  return a.type === b.type && a.id === b.id;
}

export function summarizeDelete(state: WorkflowState): DeleteOutput {
  const { request } = state;
  const report = state.inspection?.report;
  const gone = state.cleanup?.gone ?? [];
  const remaining = state.cleanup?.remaining ?? [];

  // What this execution asked to delete, and what was already gone when it looked.
  const asked: ResourceRef[] = [];
  const alreadyGone: ResourceRef[] = [];
  if (state.vpcEndpoint?.created === true) {
    const ref: ResourceRef = { type: 'vpc-endpoint', id: state.vpcEndpoint.vpcEndpointId };
    (GONE_VPCE_STATES.has(state.vpcEndpoint.state) ? alreadyGone : asked).push(ref);
  }
  if (request.kind === 'dedicated') {
    const own = state.link?.created ? state.link.vpcEndpointId : undefined;
    if (own !== undefined) asked.push({ type: 'atlas-interface-endpoint', id: own });
  }
  if (state.atlas?.created === true)
    asked.push({ type: atlasResourceType(request.kind), id: state.atlas.id });
  // What the delete steps found of the connection's request beyond the record (its VPC endpoints by their
  // tags, its serverless endpoints by their marker, the interface endpoints of its VPC endpoints).
  for (const found of [...(state.cleanupVpcEndpoints ?? []), ...(state.cleanupAtlas ?? [])]) {
    const ref: ResourceRef = { type: found.type, id: found.id };
    if (asked.some((r) => same(r, ref)) || alreadyGone.some((r) => same(r, ref))) continue;
    (found.type === 'vpc-endpoint' && GONE_VPCE_STATES.has(found.lastStatus) ? alreadyGone : asked).push(ref);
  }

  const deleted = asked.filter((ref) => gone.some((g) => same(g, ref)));
  const removedByAtlas: ResourceRef[] = [];
  if (state.atlas !== undefined && !state.atlas.created) {
    const ref: ResourceRef = { type: atlasResourceType(request.kind), id: state.atlas.id };
    const seen = gone.some((g) => same(g, ref)) || remaining.some((r) => same(r, ref));
    if (seen) removedByAtlas.push(ref);
  }
  const inUse: RefusedResource[] = remaining
    .filter((r) => r.status === IN_USE_STATUS)
    .map((r) => ({
      type: r.type,
      id: r.id,
      reason: 'created by this connection, but interface endpoints of other VPC endpoints still use it',
    }));
  const refused: RefusedResource[] = [
    ...(report?.refused ?? []).filter((r) => !removedByAtlas.some((x) => same(x, r))),
    ...inUse,
  ];
  const outcome: DeleteOutput['outcome'] =
    deleted.length > 0
      ? 'deleted'
      : refused.length > 0 && alreadyGone.length === 0
        ? 'refused'
        : 'already-gone';
  return {
    action: 'delete',
    kind: request.kind,
    groupId: request.groupId,
    instanceName: request.instanceName,
    vpcId: request.vpcId,
    region: request.region,
    requestId: request.requestId,
    outcome,
    deleted,
    removedByAtlas,
    refused,
  };
}
