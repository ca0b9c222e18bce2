/**
 * The compensation steps against what the forward steps actually created: they delete exactly that (never a
 * shared or adopted resource), finish deletes that had to wait, are idempotent, and report what is left.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import { TAG_MANAGED_BY } from '../../lambdas/core/tags.ts';
import { IN_USE_STATUS } from '../../lambdas/workflow/operations/common.ts';
import type { CaughtError, WorkflowState } from '../../lambdas/workflow/steps.ts';
import { AWS_LIFECYCLE_FAULTS, DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { PRESETS } from '../../local/cloud/timeline.ts';
import { liveResources } from '../../local/cloud/world.ts';
import { type Harness, KINDS, startHarness, thrown } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const FAILED: CaughtError = {
  Error: 'EndpointFailed',
  Cause: JSON.stringify({
    errorType: 'EndpointFailed',
    errorMessage: 'Atlas reports the link FAILED',
    trace: [],
  }),
};

describe.each(KINDS)('%s: compensation', (kind) => {
  it('deletes everything this request created, and the summary says so', async () => {
    h = await startHarness();
    const state = await h.drive(h.request(kind), 'exec-undo');
    expect(liveResources(h.inventory())).toBe(kind === 'serverless' ? 2 : 3);

    const end = await h.compensate({ ...state, error: FAILED });
    expect(end.cleanupError).toBeUndefined();
    expect(end.cleanup).toMatchObject({ remaining: [] });
    expect(liveResources(h.inventory())).toBe(0);
    expect(end.failure.error).toBe('EndpointFailed');
    expect(end.failure.report.cleanup).toBe('complete');
    expect(end.failure.report.resources.map((r) => [r.type, r.disposition])).toEqual(
      kind === 'serverless'
        ? [
            ['atlas-serverless-endpoint', 'deleted'],
            ['vpc-endpoint', 'deleted'],
          ]
        : [
            ['atlas-endpoint-service', 'deleted'],
            ['vpc-endpoint', 'deleted'],
            ['atlas-interface-endpoint', 'deleted'],
          ],
    );
    expect(end.failure.cause).toMatch(/^EndpointFailed: Atlas reports the link FAILED\. Request exec-undo/);
    expect(end.failure.cause).toContain(`VPC endpoint ${state.vpcEndpoint!.vpcEndpointId}`);
  });

  it('is idempotent: every compensation step run twice succeeds and deletes nothing more', async () => {
    h = await startHarness();
    const state: WorkflowState = { ...(await h.drive(h.request(kind), 'exec-twice')), error: FAILED };
    const vpce = state.vpcEndpoint!.vpcEndpointId;
    const first = await h.call('delete-vpc-endpoint', state);
    expect(first).toEqual([{ type: 'vpc-endpoint', id: vpce, lastStatus: 'deleting' }]);
    const second = await h.call('delete-vpc-endpoint', state);
    expect(second).toEqual([{ type: 'vpc-endpoint', id: vpce, lastStatus: 'deleted' }]);
    await h.call('delete-atlas-side', state);
    await h.call('delete-atlas-side', state);
    const cleaned = await h.poll('cleanup', state);
    expect(cleaned.cleanup?.remaining).toEqual([]);
    const again = await h.poll('cleanup', state);
    expect(again.cleanup?.remaining).toEqual([]);
    expect(liveResources(h.inventory())).toBe(0);
  });

  it("a request that adopted another request's pair deletes none of it", async () => {
    h = await startHarness();
    await h.drive(h.request(kind), 'exec-owner');
    const before = h.inventory();
    const adopter = await h.drive(h.request(kind), 'exec-adopter');
    expect([adopter.atlas?.created, adopter.vpcEndpoint?.created, adopter.link?.created]).toEqual([
      false,
      false,
      false,
    ]);
    const end = await h.compensate({ ...adopter, error: FAILED });
    expect(h.inventory()).toEqual(before);
    expect(end.failure.report.cleanup).toBe('not-needed');
    expect(new Set(end.failure.report.resources.map((r) => r.disposition))).toEqual(new Set(['not-owned']));
    expect(end.failure.cause).toMatch(/Not owned by this request, left as they were:/);
  });

  it('rollbackOnFailure false keeps everything and says how to resume', async () => {
    h = await startHarness();
    const state = await h.drive(
      h.request(kind, { rollbackOnFailure: false, requestId: 'keep-1' }),
      'exec-keep',
    );
    const before = h.inventory();
    const end = await h.compensate({ ...state, error: FAILED });
    expect(h.inventory()).toEqual(before);
    expect(end.failure.report.cleanup).toBe('disabled');
    expect(end.failure.report.resources.every((r) => r.disposition === 'kept')).toBe(true);
    expect(end.failure.cause).toMatch(
      /Kept because rollbackOnFailure is false: .*requestId "keep-1" to resume/,
    );
  });

  it('after a failure halfway (VPC endpoint created, not linked) deletes the VPC endpoint and the Atlas side', async () => {
    h = await startHarness();
    const state = await h.drive(h.request(kind), 'exec-half', 'describe-vpc-endpoint');
    const end = await h.compensate({ ...state, error: FAILED });
    expect(end.cleanupError).toBeUndefined();
    expect(liveResources(h.inventory())).toBe(0);
    expect(end.failure.report.resources.every((r) => r.disposition === 'deleted')).toBe(true);
  });
});

describe('dedicated: the endpoint service', () => {
  it('a shared service that existed before the request is kept; only its own interface endpoint goes', async () => {
    h = await startHarness({ keepServiceAfterLastEndpoint: true });
    const shared = h.world.atlas.createEndpointService(h.demo.groupId, {
      providerName: 'AWS',
      region: 'US_EAST_1',
    });
    const state = await h.drive(h.request('dedicated'), 'exec-on-shared');
    expect(state.atlas).toMatchObject({ id: shared.id, created: false });
    const end = await h.compensate({ ...state, error: FAILED });
    expect(end.cleanupError).toBeUndefined();
    const inv = h.inventory();
    expect(inv.atlas.endpointServices.map((s) => s.id)).toEqual([shared.id]);
    expect(inv.atlas.interfaceEndpoints).toEqual([]);
    expect(inv.aws.vpcEndpoints).toEqual([]);
    expect(end.failure.report.resources).toEqual([
      expect.objectContaining({ type: 'atlas-endpoint-service', id: shared.id, disposition: 'not-owned' }),
      expect.objectContaining({ type: 'vpc-endpoint', disposition: 'deleted' }),
      expect.objectContaining({ type: 'atlas-interface-endpoint', disposition: 'deleted' }),
    ]);
    // Atlas kept it (this world keeps a service after its last interface endpoint): left as it was.
    expect(end.failure.cause).toContain(
      `Not owned by this request, left as they were: Atlas endpoint service ${shared.id}.`,
    );
    expect(end.failure.cause).not.toContain('removed by Atlas');
  });

  it('a service it created is deleted by check-cleanup once its interface endpoint is gone', async () => {
    // Atlas keeps the service after the last interface endpoint here, so the deferred delete must happen.
    h = await startHarness({
      keepServiceAfterLastEndpoint: true,
      preset: { ...PRESETS.instant, interfaceEndpointDeletion: 30_000 },
    });
    const state: WorkflowState = {
      ...(await h.drive(h.request('dedicated'), 'exec-deferred')),
      error: FAILED,
    };
    await h.call('delete-vpc-endpoint', state);
    // Everything it handles is in the record: nothing found beyond it.
    const deleted = await h.call('delete-atlas-side', state);
    expect(deleted).toEqual([]);
    // The interface endpoint is asked to go; the service still has it (DELETING), so its delete is deferred.
    expect(h.atlasCalls()).toContain('deletePrivateEndpoint 204');
    expect(h.atlasCalls()).not.toContain('deletePrivateEndpointService 204');
    expect(h.inventory().atlas.endpointServices).toHaveLength(1);
    const cleaned = await h.poll('cleanup', state);
    expect(cleaned.cleanup?.remaining).toEqual([]);
    expect(cleaned.cleanup?.gone.map((r) => r.type).sort()).toEqual([
      'atlas-endpoint-service',
      'atlas-interface-endpoint',
      'vpc-endpoint',
    ]);
    expect(liveResources(h.inventory())).toBe(0);
    expect(h.atlasCalls()).toContain('deletePrivateEndpointService 204');
  });

  it('a service it created that others linked to in the meantime is not deleted, and is reported', async () => {
    h = await startHarness({ keepServiceAfterLastEndpoint: true });
    const state: WorkflowState = { ...(await h.drive(h.request('dedicated'), 'exec-mine')), error: FAILED };
    // Someone else connects their own VPC endpoint to the same service.
    const theirs = await h.ec2().createInterfaceEndpoint({
      serviceName: state.atlas!.endpointServiceName!,
      vpcId: DEMO_AWS.vpcId,
      subnetIds: [DEMO_AWS.subnetIds[0]],
      securityGroupIds: [...DEMO_AWS.securityGroupIds],
      privateDnsEnabled: false,
      tags: {},
      managedBy: 'someone-else',
      atlas: {
        kind: 'dedicated',
        groupId: h.demo.groupId,
        instanceName: 'orders-dedicated',
        atlasEndpointId: state.atlas!.id,
        created: false,
      },
      requestId: 'their-request',
    });
    h.world.atlas.createInterfaceEndpoint(h.demo.groupId, 'AWS', state.atlas!.id, {
      id: theirs.vpcEndpointId,
    });

    const end = await h.compensate(state);
    const inv = h.inventory();
    expect(inv.atlas.endpointServices.map((s) => s.id)).toEqual([state.atlas!.id]);
    expect(inv.atlas.interfaceEndpoints.map((i) => i.interfaceEndpointId)).toEqual([theirs.vpcEndpointId]);
    expect(inv.aws.vpcEndpoints.map((v) => v.id)).toEqual([theirs.vpcEndpointId]);
    expect(end.cleanup?.remaining).toEqual([
      { type: 'atlas-endpoint-service', id: state.atlas!.id, status: IN_USE_STATUS },
    ]);
    expect(end.failure.report.resources[0]).toMatchObject({
      disposition: 'left-over',
      lastStatus: IN_USE_STATUS,
    });
    expect(end.failure.cause).toMatch(
      /Not deleted because other VPC endpoints now use it: Atlas endpoint service/,
    );
  });
});

describe('delete-vpc-endpoint safety and cleanup failures', () => {
  it("refuses to delete a VPC endpoint whose tags say it is not this request's", async () => {
    h = await startHarness();
    const state = await h.drive(h.request('serverless'), 'exec-tags', 'describe-vpc-endpoint');
    // A record that names a foreign endpoint (created by another deployment).
    const foreign = await h.ec2().createInterfaceEndpoint({
      serviceName: state.atlas!.endpointServiceName!,
      vpcId: DEMO_AWS.vpcId,
      subnetIds: [DEMO_AWS.subnetIds[1]],
      securityGroupIds: [...DEMO_AWS.securityGroupIds],
      privateDnsEnabled: false,
      tags: {},
      managedBy: 'another-deployment',
      atlas: {
        kind: 'serverless',
        groupId: h.demo.groupId,
        instanceName: 'orders',
        atlasEndpointId: state.atlas!.id,
        created: false,
      },
      requestId: 'their-request',
    });
    const forged: WorkflowState = {
      ...state,
      vpcEndpoint: { ...state.vpcEndpoint!, vpcEndpointId: foreign.vpcEndpointId },
      error: FAILED,
    };
    const error = await thrown(() => h!.call('delete-vpc-endpoint', forged));
    expect(error.name).toBe(ErrorNames.ResourceConflict);
    expect(error.message).toContain(`Not deleting VPC endpoint ${foreign.vpcEndpointId}`);
    expect(error.message).toContain(`${TAG_MANAGED_BY}=another-deployment`);
    const still = h.inventory().aws.vpcEndpoints.find((v) => v.id === foreign.vpcEndpointId);
    expect(still?.state).not.toBe('deleting');
  });

  it('a VPC endpoint delete that did not take is asked for again by check-cleanup', async () => {
    h = await startHarness({
      faults: [{ operation: AWS_LIFECYCLE_FAULTS.delete, effect: { kind: 'fail-transition' } }],
    });
    const state: WorkflowState = {
      ...(await h.drive(h.request('dedicated'), 'exec-retry-delete')),
      error: FAILED,
    };
    const end = await h.compensate(state);
    expect(end.cleanupError).toBeUndefined();
    expect(liveResources(h.inventory())).toBe(0);
    expect(h.ec2Calls().filter((c) => c.startsWith('DeleteVpcEndpoints'))).toHaveLength(2);
  });

  it('a delete that never finishes ends the cleanup in DeadlineExceeded -> CleanupIncomplete naming the leftover', async () => {
    h = await startHarness({
      faults: [{ operation: AWS_LIFECYCLE_FAULTS.delete, effect: { kind: 'stuck' } }],
    });
    const state = await h.drive(h.request('serverless'), 'exec-stuck-delete');
    const withBudget: WorkflowState = {
      ...state,
      settings: {
        ...state.settings,
        phaseBudgetSeconds: { ...state.settings.phaseBudgetSeconds, cleanup: 60 },
      },
      error: FAILED,
    };
    const end = await h.compensate(withBudget);
    expect(end.failedStep).toBe('check-cleanup');
    expect(end.cleanupError?.Error).toBe(ErrorNames.DeadlineExceeded);
    expect(end.failure.error).toBe('CleanupIncomplete');
    expect(end.failure.report.cleanup).toBe('incomplete');
    expect(end.failure.report.originalError).toEqual({
      error: 'EndpointFailed',
      message: 'Atlas reports the link FAILED',
    });
    expect(end.failure.report.resources).toEqual([
      expect.objectContaining({ type: 'atlas-serverless-endpoint', disposition: 'deleted' }),
      expect.objectContaining({
        type: 'vpc-endpoint',
        id: state.vpcEndpoint!.vpcEndpointId,
        disposition: 'left-over',
        lastStatus: 'deleting',
      }),
    ]);
    expect(end.failure.cause).toMatch(/The cleanup failed too \(DeadlineExceeded: The cleanup was not ready/);
    expect(end.failure.cause).toMatch(
      /Left over \(the cleanup could not confirm them gone\): VPC endpoint vpce-\w+ \(last seen deleting\)\. Delete them by hand\./,
    );
  });
});
