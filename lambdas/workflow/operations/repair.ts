/**
 * prepare-repair: after the broken parts of a drifted connection are gone (removed by the compensation steps,
 * see ./inspect.ts), the record the create path starts from. The create path then creates only what is
 * missing: every step adopts what `existing` holds.
 *
 * What is kept is read again (it may have changed while the broken parts were removed: Atlas removes a
 * dedicated endpoint service together with its last interface endpoint), and adopted only while usable.
 * The request becomes the connection's (`requestId` from the inspection) with `rollbackOnFailure: false`:
 * a repair that fails keeps what it made and names it, and never deletes the connection it was asked to fix.
 */
import { isVpcEndpointGone } from '#aws/vpc-endpoints';
import type { AtlasSide, LinkSide, VpcEndpointSide } from '#core/state';
import type { ExistingResources, PrepareRepairInput, WorkflowState } from '#workflow/steps';
import { atlasCall, requestKeys, type StepDeps, targetOf, toAtlasSide, toVpcEndpointSide } from './common.ts';

const UNUSABLE_ATLAS = new Set(['gone', 'deleting', 'failed']);
const UNUSABLE_VPCE = new Set(['rejected', 'failed', 'expired']);

export async function prepareRepair(
  input: PrepareRepairInput,
  deps: Pick<StepDeps, 'atlas' | 'vpcEndpoints' | 'logger'>,
): Promise<WorkflowState> {
  const { state, executionName } = input;
  const request = { ...state.request, rollbackOnFailure: false };
  const report = state.inspection?.report;
  const plan = state.inspection?.repair;
  const target = targetOf(request);
  const atlas = deps.atlas(request.kind);
  let atlasSide: AtlasSide | undefined;
  let vpcEndpoint: VpcEndpointSide | undefined;
  let link: LinkSide | undefined;
  let linked: readonly string[] = [];

  await atlasCall(request.kind, async () => {
    if (plan?.keepAtlas === true && report?.atlas != null) {
      const view = await atlas.describe(target, report.atlas.id);
      if (!UNUSABLE_ATLAS.has(view.status)) {
        atlasSide = toAtlasSide(request.kind, view, plan.atlasOwned);
        linked = view.linkedVpcEndpointIds;
      }
    }
    if (plan?.keepVpcEndpoint === true && report?.vpcEndpoint != null) {
      const view = await deps.vpcEndpoints(request).describeVpcEndpoint(report.vpcEndpoint.id);
      const fits =
        atlasSide === undefined || atlasSide.endpointServiceName === null
          ? true
          : view?.serviceName === atlasSide.endpointServiceName;
      if (view !== undefined && !isVpcEndpointGone(view) && !UNUSABLE_VPCE.has(view.state) && fits) {
        vpcEndpoint = toVpcEndpointSide(view, true);
      }
    }
    if (atlasSide !== undefined && vpcEndpoint !== undefined && linked.includes(vpcEndpoint.vpcEndpointId)) {
      const view = await atlas.describeLink(target, atlasSide.id, vpcEndpoint.vpcEndpointId);
      if (!UNUSABLE_ATLAS.has(view.status)) {
        link = { ...view, vpcEndpointId: vpcEndpoint.vpcEndpointId, created: true };
      }
    }
  });

  const existing: ExistingResources = {
    ...(atlasSide === undefined ? {} : { atlas: atlasSide }),
    ...(vpcEndpoint === undefined ? {} : { vpcEndpoint }),
    ...(link === undefined ? {} : { link }),
  };
  deps.logger.info('Prepared the repair', {
    ...requestKeys(request),
    keeping: {
      atlas: atlasSide?.id ?? null,
      vpcEndpoint: vpcEndpoint?.vpcEndpointId ?? null,
      link: link?.atlasStatus ?? null,
    },
  });
  return {
    request,
    settings: state.settings,
    existing,
    ...(state.execution === undefined ? {} : { execution: state.execution }),
    ...(state.lease === undefined ? {} : { lease: state.lease }),
    ...(state.inspection === undefined ? {} : { inspection: state.inspection }),
    repairRun: { executionName },
  };
}
