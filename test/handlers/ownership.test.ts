/**
 * Who owns the Atlas side, step by step against the world over HTTP: the ownership marker a serverless endpoint
 * carries in its comment, the look-up before every create, a create whose answer was lost, and what the
 * cleanup reports about a dedicated service it did not own.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import type { CaughtError, WorkflowState } from '../../lambdas/workflow/steps.ts';
import { atlasHttpError } from '../../local/cloud/fault-catalog.ts';
import { PRESETS } from '../../local/cloud/timeline.ts';
import { liveResources } from '../../local/cloud/world.ts';
import { type Harness, KINDS, startHarness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The marker, computed here independently of the implementation. */
const markerOf = (requestId: string) =>
  `[ape:${createHash('sha256').update(requestId).digest('hex').slice(0, 10)}]`;

const CREATE = { serverless: 'createServerlessPrivateEndpoint', dedicated: 'createPrivateEndpointService' };
const LIST = { serverless: 'listServerlessPrivateEndpoint', dedicated: 'listPrivateEndpointService' };

const LINK_FAILED: CaughtError = { Error: 'EndpointFailed', Cause: 'Atlas reports the link FAILED' };

/** The comment Atlas stores on a serverless endpoint. */
function commentOf(harness: Harness, id: string): string | undefined {
  return harness.world.atlas.getServerlessEndpoint(
    harness.demo.groupId,
    harness.demo.serverlessInstanceName,
    id,
  ).comment;
}

/** Calls the create step the way Step Functions retries it on AtlasTransientError (1 + 4 retries). */
async function createWithRetries(harness: Harness, state: WorkflowState) {
  const errors: string[] = [];
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return { atlas: await harness.call('create-atlas-endpoint', state), errors };
    } catch (error) {
      if ((error as Error).name !== ErrorNames.AtlasTransientError) throw error;
      errors.push((error as Error).name);
    }
  }
  throw new Error(`create-atlas-endpoint kept failing: ${errors.join(', ')}`);
}

describe('serverless: the ownership marker', () => {
  it('is written into the comment by the create and kept by the link (PATCH)', async () => {
    h = await startHarness();
    const state = await h.drive(h.request('serverless', { comment: 'orders app' }), 'exec-marked');
    const marker = markerOf('exec-marked');
    expect(marker).toHaveLength(16);
    expect(commentOf(h, state.atlas!.id)).toBe(`orders app ${marker}`);
    expect(state.link?.atlasStatus).toBe('AVAILABLE');
    expect(h.atlasCalls()).toContain('updateServerlessPrivateEndpoint 200');
  });

  it('is the whole comment when the request has none', async () => {
    h = await startHarness();
    const validated = await h.call('validate-request', {
      input: h.request('serverless'),
      executionName: 'exec-no-comment',
    });
    const atlas = await h.call('create-atlas-endpoint', validated);
    expect(commentOf(h, atlas.id)).toBe(markerOf('exec-no-comment'));
  });

  it('a re-run of the same request adopts its kept endpoint as its own (created: true) and deletes it on failure', async () => {
    h = await startHarness();
    const input = h.request('serverless', { requestId: 'keep-me', comment: 'app', rollbackOnFailure: false });
    // First run: Atlas side made, then EC2 refuses the VPC endpoint; rollback is off, so the endpoint is kept.
    h.world.faults.add({
      operation: 'CreateVpcEndpoint',
      effect: { kind: 'ec2-error', code: 'VpcEndpointLimitExceeded', status: 400, message: 'limit' },
    });
    const first = await h.drive(input, 'run-1', 'describe-atlas-endpoint');
    await expect(h.call('create-vpc-endpoint', first)).rejects.toMatchObject({
      name: ErrorNames.AwsRequestRejected,
    });
    const kept = await h.compensate({ ...first, error: { Error: 'AwsRequestRejected', Cause: 'limit' } });
    expect(kept.failure.report.resources).toEqual([
      expect.objectContaining({ id: first.atlas!.id, disposition: 'kept' }),
    ]);

    // Second run, same request id, rollback on: validate-request finds the marked endpoint and owns it.
    const second = await h.call('validate-request', {
      input: { ...input, rollbackOnFailure: true },
      executionName: 'run-2',
    });
    expect(second.existing.atlas).toMatchObject({ id: first.atlas!.id, created: true });
    const linked = await h.drive({ ...input, rollbackOnFailure: true }, 'run-2', 'link-endpoint');
    expect(linked.atlas).toMatchObject({ id: first.atlas!.id, created: true });
    const end = await h.compensate({ ...linked, error: LINK_FAILED });
    expect(end.failure.report.resources).toEqual([
      expect.objectContaining({
        type: 'atlas-serverless-endpoint',
        id: first.atlas!.id,
        disposition: 'deleted',
      }),
      expect.objectContaining({ type: 'vpc-endpoint', disposition: 'deleted' }),
    ]);
    expect(end.failure.cause).not.toContain('Not owned');
    expect(liveResources(h.inventory())).toBe(0);
    expect(h.world.log.of(CREATE.serverless)).toHaveLength(1);
  });

  it('never adopts an unmarked endpoint, nor one marked by another request, and never deletes them', async () => {
    h = await startHarness();
    const { groupId, serverlessInstanceName: instance } = h.demo;
    const bare = h.world.atlas.createServerlessEndpoint(groupId, instance, {});
    const sameComment = h.world.atlas.createServerlessEndpoint(groupId, instance, { comment: 'app' });
    const otherRequest = h.world.atlas.createServerlessEndpoint(groupId, instance, {
      comment: `app ${markerOf('someone-else')}`,
    });
    const foreign = [bare._id, sameComment._id, otherRequest._id];
    h.world.clock.advance(1000); // all RESERVED, unlinked: the statuses an adoption would look for

    for (const comment of [undefined, 'app']) {
      const requestId = `exec-foreign-${comment ?? 'none'}`;
      const input = h.request('serverless', comment === undefined ? {} : { comment });
      const validated = await h.call('validate-request', { input, executionName: requestId });
      expect(validated.existing).toEqual({});
      const state = await h.drive(input, requestId, 'link-endpoint');
      expect(foreign).not.toContain(state.atlas!.id);
      expect(state.atlas?.created).toBe(true);
      const end = await h.compensate({ ...state, error: LINK_FAILED });
      const reported = end.failure.report.resources.map((r) => r.id);
      for (const id of foreign) expect(reported).not.toContain(id);
    }
    const left = h.inventory().atlas.serverlessEndpoints;
    expect(left.map((e) => [e.id, e.cloudProviderEndpointId]).sort()).toEqual(
      foreign.map((id) => [id, null]).sort(),
    );
  });

  it('after a create whose connection dropped before Atlas acted, the converge look-up ignores a foreign endpoint', async () => {
    h = await startHarness();
    const foreign = h.world.atlas.createServerlessEndpoint(h.demo.groupId, h.demo.serverlessInstanceName, {});
    h.world.faults.add({ operation: CREATE.serverless, effect: { kind: 'drop-connection' } });
    const validated = await h.call('validate-request', {
      input: h.request('serverless'),
      executionName: 'exec-drop',
    });
    const atlas = await h.call('create-atlas-endpoint', validated);
    expect(atlas.id).not.toBe(foreign._id);
    expect(atlas.created).toBe(true);
    // Dropped before any work, looked up (foreign only: not ours), sent again.
    expect(h.atlasCalls().filter((c) => c.startsWith(CREATE.serverless))).toEqual([
      `${CREATE.serverless} 0`,
      `${CREATE.serverless} 201`,
    ]);
    expect(
      h
        .inventory()
        .atlas.serverlessEndpoints.map((e) => e.id)
        .sort(),
    ).toEqual([foreign._id, atlas.id].sort());
  });
});

describe.each(KINDS)('%s: a create whose answer is lost', (kind) => {
  it('and every look-up failing from then on: one Atlas side at most, and the report says where to look', async () => {
    h = await startHarness({ atlasClient: { timeoutMs: 300 } });
    const harness = h;
    harness.world.faults.add({ operation: CREATE[kind], effect: { kind: 'slow-response', delayMs: 1500 } });
    // From the third list on (after validate-request's and the first pre-POST look-up), the list answers 500
    // until `listDown` is cleared.
    let lists = 0;
    let listDown = false;
    const take = harness.world.faults.take.bind(harness.world.faults);
    harness.world.faults.take = (operation) => {
      if (operation !== LIST[kind]) return take(operation);
      lists += 1;
      if (lists === 3) listDown = true;
      return listDown ? atlasHttpError(500) : take(operation);
    };
    const input = harness.request(kind, { requestId: `lost-${kind}` });
    const validated = await harness.call('validate-request', { input, executionName: 'run-1' });
    await expect(createWithRetries(harness, validated)).rejects.toThrow(/kept failing/);
    // Step Functions gave up: one POST was sent (the retries found no way to look, so they did not POST).
    expect(harness.world.log.of(CREATE[kind])).toHaveLength(1);
    const made =
      kind === 'serverless' ? h.inventory().atlas.serverlessEndpoints : h.inventory().atlas.endpointServices;
    expect(made).toHaveLength(1);
    const end = await harness.compensate({
      ...validated,
      error: { Error: ErrorNames.AtlasTransientError, Cause: 'Atlas listServerlessPrivateEndpoint failed' },
    });
    expect(end.failure.report.cleanup).toBe('not-needed');
    expect(end.failure.cause).not.toContain('Nothing had been created');
    expect(end.failure.cause).toContain('an Atlas create may have taken effect with its answer lost');
    if (kind === 'serverless') {
      expect(end.failure.cause).toContain(
        `whose comment ends with ${markerOf(`lost-${kind}`)} is this request's`,
      );
      expect(commentOf(harness, made[0]!.id)).toBe(markerOf(`lost-${kind}`));
    }

    // Atlas recovers; the same request runs again and takes up what the lost create made.
    listDown = false;
    const again = await harness.call('validate-request', { input, executionName: 'run-2' });
    expect(again.existing.atlas).toMatchObject({ id: made[0]!.id, created: kind === 'serverless' });
  });

  it('too slow for the client and the converge look-ups failing: the retried step finds it, no second POST', async () => {
    // Finding 1: a slow create (past the client timeout) + a failing list used to leave one endpoint per retry.
    h = await startHarness({ atlasClient: { timeoutMs: 300 } });
    h.world.faults.add({ operation: CREATE[kind], effect: { kind: 'slow-response', delayMs: 1500 } });
    // validate-request's look-up and the create step's own look-up work; the ones after the lost answer fail.
    h.world.faults.add({ operation: LIST[kind], occurrence: 3, times: 5, effect: atlasHttpError(500) });
    const validated = await h.call('validate-request', {
      input: h.request(kind),
      executionName: `exec-slow-${kind}`,
    });
    const { atlas, errors } = await createWithRetries(h, validated);
    expect(errors.length).toBeGreaterThan(0);
    expect(h.world.log.of(CREATE[kind])).toHaveLength(1);
    expect(h.world.log.of(LIST[kind], 500).length).toBeGreaterThan(0);
    // Serverless: it carries this request's marker, so it is this request's. Dedicated: nothing says whose
    // it is (Atlas never answered the POST), so it is adopted as not owned and never deleted by this request.
    expect(atlas.created).toBe(kind === 'serverless');
    const inv = h.inventory().atlas;
    expect((kind === 'serverless' ? inv.serverlessEndpoints : inv.endpointServices).map((e) => e.id)).toEqual(
      [atlas.id],
    );
  });

  it('the connection dropped after Atlas acted: the client converges at once, and it is this request own', async () => {
    // Serverless: by its marker. Dedicated: the look-up just before the POST found no service, so the one the
    // converge look-up finds is the one this POST made (issue 9, finding 4).
    h = await startHarness();
    h.world.faults.add({ operation: CREATE[kind], effect: { kind: 'drop-after-commit' } });
    const validated = await h.call('validate-request', {
      input: h.request(kind),
      executionName: `exec-commit-${kind}`,
    });
    const atlas = await h.call('create-atlas-endpoint', validated);
    expect(atlas.created).toBe(true);
    const creates = h.world.log.of(CREATE[kind]);
    expect(creates.map((e) => [e.status, e.fault])).toEqual([
      [kind === 'serverless' ? 201 : 200, 'drop-after-commit'],
    ]);
  });
});

describe('dedicated: a service this request does not own', () => {
  async function notOwnedAndLinked(harness: Harness, name: string): Promise<WorkflowState> {
    // The project's service for the region exists before the request: adopted, not owned.
    harness.world.atlas.createEndpointService(harness.demo.groupId, {
      providerName: 'AWS',
      region: harness.demo.atlasRegion,
    });
    const state = await harness.drive(harness.request('dedicated'), name);
    expect(state.atlas?.created).toBe(false);
    expect(state.link?.created).toBe(true);
    return state;
  }

  it('the cleanup sees Atlas remove it with its last interface endpoint, and the report says so', async () => {
    h = await startHarness();
    const state = await notOwnedAndLinked(h, 'exec-not-owned');
    const end = await h.compensate({ ...state, error: LINK_FAILED });
    expect(end.cleanupError).toBeUndefined();
    expect(liveResources(h.inventory())).toBe(0);
    expect(h.atlasCalls().filter((c) => c.startsWith('deletePrivateEndpointService'))).toEqual([]);
    expect(end.cleanup?.gone).toContainEqual({ type: 'atlas-endpoint-service', id: state.atlas!.id });
    expect(end.failure.report.resources[0]).toEqual({
      type: 'atlas-endpoint-service',
      id: state.atlas!.id,
      disposition: 'not-owned',
      lastStatus: 'DELETED',
    });
    expect(end.failure.cause).toContain(
      `Not owned by this request and not deleted by it, but removed by Atlas together with its last interface endpoint (this request's, deleted by the cleanup): Atlas endpoint service ${state.atlas!.id}.`,
    );
    expect(end.failure.cause).not.toContain('left as they were');
  });

  it('Atlas still removing it when the cleanup budget ends: the cleanup completes, the report says DELETING', async () => {
    const timeline = { ...PRESETS.instant, endpointServiceDeletion: 24 * 3600_000 };
    h = await startHarness({ preset: timeline });
    const state = await notOwnedAndLinked(h, 'exec-slow-removal');
    const end = await h.compensate({ ...state, error: LINK_FAILED });
    expect(end.cleanupError).toBeUndefined();
    expect(end.cleanup?.remaining).toEqual([
      { type: 'atlas-endpoint-service', id: state.atlas!.id, status: 'DELETING' },
    ]);
    expect(end.failure.report.cleanup).toBe('complete');
    expect(end.failure.report.resources[0]).toMatchObject({
      disposition: 'not-owned',
      lastStatus: 'DELETING',
    });
    expect(end.failure.cause).toContain(
      `Atlas was removing it together with its last interface endpoint (this request's, deleted by the cleanup), still DELETING at the last check: Atlas endpoint service ${state.atlas!.id}`,
    );
  });
});
