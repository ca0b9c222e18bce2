/**
 * Each error mapping of the forward steps: what the state machine matches (the error's name) and what a person
 * reads (the message names what happened, the ids, and what to do).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKeyCredentials } from '../../lambdas/atlas/auth.ts';
import { createAtlasClient } from '../../lambdas/atlas/client.ts';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import { PHASES, resolvePhaseBudgets, startPoll, type WorkflowState } from '../../lambdas/workflow/steps.ts';

import { ATLAS_LIFECYCLE } from '../../local/cloud/atlas-model.ts';
import { AWS_LIFECYCLE_FAULTS } from '../../local/cloud/aws-model.ts';
import { type Harness, lambdaContext, MAKE_HANDLER, startHarness, thrown } from './harness.ts';

/** The deployment defaults (no env, no request overrides). */
const DEFAULT_SETTINGS = resolvePhaseBudgets({}, undefined).settings;

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('describe-atlas-endpoint', () => {
  it.each([
    ['serverless', ATLAS_LIFECYCLE.serverlessReserve, 'serverless private endpoint'],
    ['dedicated', ATLAS_LIFECYCLE.endpointServiceCreate, 'endpoint service'],
  ] as const)('%s: FAILED -> EndpointFailed with Atlas errorMessage', async (kind, lifecycle, label) => {
    h = await startHarness({
      faults: [
        {
          operation: lifecycle,
          effect: { kind: 'fail-transition', errorMessage: 'No capacity in US_EAST_1.' },
        },
      ],
    });
    const state = await h.drive(h.request(kind), 'exec-failed', 'create-atlas-endpoint');
    const error = await thrown(() => h!.poll('atlasEndpoint', state));
    expect(error.name).toBe(ErrorNames.EndpointFailed);
    expect(error.message).toContain(`the ${label} ${state.atlas!.id}`);
    expect(error.message).toContain('as FAILED: No capacity in US_EAST_1.');
    expect(error.message).toMatch(/run the request again/);
    expect(error.details).toMatchObject({ atlasEndpointId: state.atlas!.id, atlasStatus: 'FAILED' });
  });

  it('a phase that never gets ready ends in DeadlineExceeded once its budget of waited seconds is spent', async () => {
    h = await startHarness({
      faults: [{ operation: ATLAS_LIFECYCLE.endpointServiceCreate, effect: { kind: 'stuck' } }],
    });
    const state = await h.drive(h.request('dedicated'), 'exec-stuck', 'create-atlas-endpoint');
    const started = h.world.clock.now();
    const error = await thrown(() => h!.poll('atlasEndpoint', state, 120));
    expect(error.name).toBe(ErrorNames.DeadlineExceeded);
    expect(error.message).toMatch(/The endpoint service was not ready within its budget of 120 s/);
    expect(error.message).toMatch(/last seen: status INITIATING/);
    expect(error.details).toMatchObject({ phase: 'atlasEndpoint', budgetSeconds: 120, elapsedSeconds: 120 });
    // The waits the state machine would have taken: 60 + 15 + 15 + 15 + 15 (the likely window's checks).
    expect(h.world.clock.now() - started).toBe(120_000);
    expect(PHASES.atlasEndpoint.initialDelaySeconds).toBe(60);
    expect(PHASES.atlasEndpoint.intervalsSeconds.slice(0, 4)).toEqual([15, 15, 15, 15]);
  });
});

describe('the retired serverless API (410)', () => {
  it('every Atlas step answers AtlasApiGone with a message pointing to kind dedicated', async () => {
    h = await startHarness({ serverlessRetired: true });
    // A record as validate-request built it before the API was retired.
    const state: WorkflowState = {
      request: {
        kind: 'serverless',
        groupId: h.demo.groupId,
        instanceName: 'orders',
        vpcId: h.demo.vpcId,
        subnetIds: h.demo.subnetIds,
        securityGroupIds: h.demo.securityGroupIds,
        region: 'us-east-1',
        privateDnsEnabled: false,
        tags: {},
        requestId: 'exec-old',
        rollbackOnFailure: true,
      },
      settings: DEFAULT_SETTINGS,
      existing: {},
    };
    const atlas = {
      kind: 'serverless' as const,
      id: '6a1b2c3d4e5f60718293a4b5',
      status: 'pending' as const,
      atlasStatus: 'RESERVATION_REQUESTED',
      endpointServiceName: null,
      created: true,
    };
    const calls = [
      () => h!.call('create-atlas-endpoint', state),
      () => h!.call('describe-atlas-endpoint', { ...state, atlas, poll: startPoll('atlasEndpoint', 3600) }),
      () => h!.call('delete-atlas-side', { ...state, atlas }),
    ];
    for (const call of calls) {
      const error = await thrown(call);
      expect(error.name).toBe(ErrorNames.AtlasApiGone);
      expect(error.message).toMatch(/^Atlas answered 410 Gone to \w+ServerlessPrivateEndpoint/);
      expect(error.message).toContain('Re-run with "kind": "dedicated"');
    }
  });
});

describe('create-vpc-endpoint and describe-vpc-endpoint', () => {
  it('an EC2 rejection surfaces as AwsRequestRejected with the AWS code and message', async () => {
    h = await startHarness({
      faults: [
        {
          operation: 'CreateVpcEndpoint',
          effect: {
            kind: 'ec2-error',
            code: 'VpcEndpointLimitExceeded',
            message: 'The maximum number of VPC endpoints has been reached.',
          },
        },
      ],
    });
    const state = await h.drive(h.request('dedicated'), 'exec-limit', 'describe-atlas-endpoint');
    const error = await thrown(() => h!.call('create-vpc-endpoint', state));
    expect(error.name).toBe(ErrorNames.AwsRequestRejected);
    expect(error.message).toMatch(/CreateVpcEndpoint was rejected \(VpcEndpointLimitExceeded\)/);
    expect(h.inventory().aws.vpcEndpoints).toEqual([]);
  });

  it('a new execution of the same request is not bound by an earlier execution ClientToken', async () => {
    h = await startHarness();
    const input = h.request('dedicated', { requestId: 'reused-2' });
    const first = await h.drive(input, 'exec-first', 'create-vpc-endpoint');
    // The VPC endpoint is deleted by hand; EC2 still knows the ClientToken of its create.
    await h.ec2().deleteVpcEndpoint(first.vpcEndpoint!.vpcEndpointId);
    // The same request id again, to the same (adopted) endpoint service, with one subnet fewer: a new
    // execution, so a new token and a new endpoint (not the deleted one, not a parameter mismatch).
    const again = await h.drive(
      { ...input, subnetIds: [h.demo.subnetIds[0]] },
      'exec-second',
      'describe-atlas-endpoint',
    );
    expect(again.atlas?.endpointServiceName).toBe(first.atlas!.endpointServiceName);
    const created = await h.call('create-vpc-endpoint', again);
    expect(created.vpcEndpointId).not.toBe(first.vpcEndpoint!.vpcEndpointId);
    expect(created.state).toBe('pending');
  });

  it('explains a ClientToken this execution already used with other parameters', async () => {
    h = await startHarness();
    const state = await h.drive(h.request('dedicated'), 'exec-same', 'create-vpc-endpoint');
    // A retry of the same execution whose record was changed by hand between attempts.
    const changed = {
      ...state,
      request: { ...state.request, subnetIds: [h.demo.subnetIds[0]!] },
      vpcEndpoint: undefined,
      existing: {},
    };
    const error = await thrown(() => h!.call('create-vpc-endpoint', changed));
    expect(error.name).toBe(ErrorNames.AwsRequestRejected);
    expect(error.details).toMatchObject({ awsCode: 'IdempotentParameterMismatch' });
    expect(error.message).toContain(
      `an earlier attempt of this execution (request id "${state.request.requestId}") sent other parameters`,
    );
  });

  it('a VPC endpoint that goes failed -> EndpointRejected with the AWS reason', async () => {
    h = await startHarness({
      faults: [{ operation: AWS_LIFECYCLE_FAULTS.provision, effect: { kind: 'fail-transition' } }],
    });
    const state = await h.drive(h.request('dedicated'), 'exec-vpce-failed', 'create-vpc-endpoint');
    const error = await thrown(() => h!.poll('vpcEndpoint', state));
    expect(error.name).toBe(ErrorNames.EndpointRejected);
    expect(error.message).toContain(
      `VPC endpoint ${state.vpcEndpoint!.vpcEndpointId} in ${h.demo.vpcId} is failed`,
    );
    expect(error.details).toMatchObject({ state: 'failed' });
  });
});

describe('describe-link', () => {
  it('dedicated: an interface endpoint Atlas REJECTED -> EndpointRejected with Atlas errorMessage', async () => {
    h = await startHarness({
      faults: [
        {
          operation: ATLAS_LIFECYCLE.interfaceEndpointAccept,
          effect: {
            kind: 'fail-transition',
            errorMessage: 'The VPC endpoint was not found in the expected region.',
          },
        },
      ],
    });
    const state = await h.drive(h.request('dedicated'), 'exec-rejected', 'link-endpoint');
    const error = await thrown(() => h!.poll('link', state));
    expect(error.name).toBe(ErrorNames.EndpointRejected);
    expect(error.message).toContain(
      `Atlas rejected the interface endpoint ${state.vpcEndpoint!.vpcEndpointId}`,
    );
    expect(error.message).toContain('The VPC endpoint was not found in the expected region.');
    expect(error.details).toMatchObject({ atlasStatus: 'REJECTED' });
  });

  it('serverless: an endpoint that goes FAILED while linking -> EndpointFailed with Atlas errorMessage', async () => {
    h = await startHarness({
      faults: [
        {
          operation: ATLAS_LIFECYCLE.serverlessAccept,
          effect: { kind: 'fail-transition', errorMessage: 'Connection could not be established.' },
        },
      ],
    });
    const state = await h.drive(h.request('serverless'), 'exec-link-failed', 'link-endpoint');
    const error = await thrown(() => h!.poll('link', state));
    expect(error.name).toBe(ErrorNames.EndpointFailed);
    expect(error.message).toContain(`serverless private endpoint ${state.atlas!.id}`);
    expect(error.message).toContain('is FAILED: Connection could not be established.');
  });

  it('a link that never becomes AVAILABLE ends in DeadlineExceeded', async () => {
    h = await startHarness({
      faults: [{ operation: ATLAS_LIFECYCLE.interfaceEndpointAvailable, effect: { kind: 'stuck' } }],
    });
    const state = await h.drive(h.request('dedicated'), 'exec-link-stuck', 'link-endpoint');
    const error = await thrown(() => h!.poll('link', state, 60));
    expect(error.name).toBe(ErrorNames.DeadlineExceeded);
    expect(error.message).toMatch(
      /The link was not ready within its budget of 60 s.*last seen: status PENDING/,
    );
  });
});

describe('the Lambda deadline and credentials', () => {
  it('Atlas retries stop at the Lambda deadline (remaining time minus the margin), not the 30 s retry budget', async () => {
    h = await startHarness({
      faults: [
        {
          operation: 'getPrivateEndpointService',
          times: Number.POSITIVE_INFINITY,
          effect: { kind: 'http-error', status: 503 },
        },
      ],
    });
    const state = await h.drive(h.request('dedicated'), 'exec-deadline', 'create-atlas-endpoint');
    const started = h.world.clock.now();
    const error = await thrown(() =>
      h!.call(
        'describe-atlas-endpoint',
        { ...state, poll: startPoll('atlasEndpoint', 3600) },
        lambdaContext(4000),
      ),
    );
    expect(error.name).toBe(ErrorNames.AtlasTransientError);
    // 4 s left, 3 s margin: the client stopped retrying within the remaining second of virtual time.
    expect(h.world.clock.now() - started).toBeLessThanOrEqual(1000);
    expect(h.world.faults.count('getPrivateEndpointService')).toBeGreaterThanOrEqual(1);
  });

  it('rejected credentials -> AtlasAuthFailed, and the next invocation reloads them', async () => {
    h = await startHarness();
    const state = await h.call('validate-request', {
      input: h.request('dedicated'),
      executionName: 'exec-auth',
    });
    let reloads = 0;
    const bad = createAtlasClient({
      baseUrl: h.running.atlasUrl,
      auth: new ApiKeyCredentials(h.demo.apiKey.publicKey, 'wrong-private-key'),
      now: () => h!.world.clock.now(),
      sleep: async (ms) => h!.world.clock.advance(ms),
    });
    const handler = MAKE_HANDLER['create-atlas-endpoint'](
      h.deps({ atlasClient: async () => bad, onAtlasAuthFailed: () => reloads++ }),
    );
    const error = await thrown(() => handler(state, lambdaContext()));
    expect(error.name).toBe(ErrorNames.AtlasAuthFailed);
    expect(error.message).not.toContain('wrong-private-key');
    expect(reloads).toBe(1);
  });
});
