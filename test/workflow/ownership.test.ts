/**
 * Who owns the Atlas side, through the engine (the synthesized definition with its Retry and Catch, the real
 * handlers, the simulated world over HTTP): the review's reproductions, now converging and truthfully reported.
 *
 * 1. A create whose answer is lost while the look-ups after it fail: Step Functions retries the create step,
 *    which looks up before it POSTs again, so there is one Atlas side, created once.
 * 2. A re-run of a request whose serverless endpoint was kept adopts it as its own (created: true).
 * 3. An unmarked serverless endpoint is never adopted; a dedicated service found after a lost answer is not
 *    owned, and when Atlas removes it with this request's interface endpoint, the report says so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import type { EndpointKind } from '../../lambdas/core/state.ts';
import { DetailTypes } from '../../lambdas/workflow/events.ts';
import { StateNames as S } from '../../lambdas/workflow/steps.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { atlasHttpError } from '../../local/cloud/fault-catalog.ts';
import type { FaultRule } from '../../local/cloud/faults.ts';
import { type LocalRunResult, runLocalWorkflow } from '../../local/engine.ts';
import { causeText, live, newWorld, requestFor, run, type TestWorld } from './harness.ts';

let world: TestWorld | undefined;
afterEach(async () => {
  if (world) {
    expect(world.contractViolations()).toEqual([]);
    await world.close();
    world = undefined;
  }
});

const KINDS: readonly EndpointKind[] = ['serverless', 'dedicated'];
const CREATE = { serverless: 'createServerlessPrivateEndpoint', dedicated: 'createPrivateEndpointService' };
const LIST = { serverless: 'listServerlessPrivateEndpoint', dedicated: 'listPrivateEndpointService' };
const LINK_FAILS: Record<EndpointKind, FaultRule> = {
  serverless: {
    operation: 'lifecycle:serverlessEndpoint.accept',
    effect: { kind: 'fail-transition', errorMessage: 'Atlas could not connect to the VPC endpoint.' },
  },
  dedicated: {
    operation: 'lifecycle:interfaceEndpoint.accept',
    effect: { kind: 'fail-transition', errorMessage: 'Atlas rejected the interface endpoint.' },
  },
};

type Failure = {
  error: string;
  cause: string;
  cleanup: string;
  resources: { type: string; id: string; disposition: string; lastStatus?: string }[];
};

function failureOf(result: LocalRunResult): Failure {
  expect(result.status).toBe('FAILED');
  const event = result.events.find((e) => e.detailType === DetailTypes.Failed);
  expect(event, 'a failed event').toBeDefined();
  return (event!.detail as { failure: Failure }).failure;
}

/**
 * The create's answer is lost after Atlas made the resource; validate-request's look-up and the create step's
 * own look-up before the POST work, and the look-ups after the lost answer (the client's converge) fail.
 */
const lostAnswer = (kind: EndpointKind): FaultRule[] => [
  { operation: CREATE[kind], effect: { kind: 'drop-after-commit' } },
  { operation: LIST[kind], occurrence: 3, times: 5, effect: atlasHttpError(500) },
];

describe.each(KINDS)('%s: a create whose answer is lost and whose look-ups fail', (kind) => {
  it('converges on the one Atlas side it made: one create POST, exactly one pair live', async () => {
    world = await newWorld({ faults: lostAnswer(kind) });
    const result = await run(world, requestFor(kind, world));
    expect(result.error, causeText(result)).toBeUndefined();
    const out = result.output as { atlasEndpointId: string; vpcEndpointId: string };
    expect(world.world.log.of(CREATE[kind]).map((e) => e.fault)).toEqual(['drop-after-commit']);
    expect(world.world.log.of(LIST[kind], 500).length).toBeGreaterThan(0);
    const inv = live(world);
    expect(inv.vpcEndpoints.map((v) => v.id)).toEqual([out.vpcEndpointId]);
    if (kind === 'serverless') {
      expect(inv.serverlessEndpoints.map((e) => e.id)).toEqual([out.atlasEndpointId]);
      expect(inv.total).toBe(2);
    } else {
      expect(inv.endpointServices.map((e) => e.id)).toEqual([out.atlasEndpointId]);
      expect(inv.interfaceEndpoints.map((e) => e.interfaceEndpointId)).toEqual([out.vpcEndpointId]);
      expect(inv.total).toBe(3);
    }
  });

  it('a later failure: the cleanup deletes it (serverless: its own by marker; dedicated: by the service intent)', async () => {
    world = await newWorld({ faults: [...lostAnswer(kind), LINK_FAILS[kind]] });
    const result = await run(world, requestFor(kind, world));
    const failure = failureOf(result);
    expect(world.world.log.of(CREATE[kind])).toHaveLength(1);
    expect(failure.cleanup).toBe('complete');
    expect(live(world).total).toBe(0);
    const atlas = failure.resources[0]!;
    if (kind === 'serverless') {
      expect(atlas).toMatchObject({ type: 'atlas-serverless-endpoint', disposition: 'deleted' });
      expect(world.world.log.of('deleteServerlessPrivateEndpoint', 204)).toHaveLength(1);
    } else {
      // The service carries no mark, but the retry of the create step (its first invocation failed after the
      // lost answer, its look-ups failing) finds this execution's intent marked `posting`: the POST was this
      // execution's, so the service is its own and the cleanup deletes it (issue 9, finding 4).
      expect(atlas).toMatchObject({ type: 'atlas-endpoint-service', id: atlas.id, disposition: 'deleted' });
      // Atlas removed it with its last interface endpoint (the cleanup's), which the report counts as deleted.
      expect(failure.cause).toContain(`Deleted: Atlas endpoint service ${atlas.id}`);
      expect(failure.cause).not.toContain('not owned');
      expect(failure.cause).not.toContain('left as they were');
    }
  });
});

describe('serverless: the ownership marker', () => {
  it('a re-run of a request whose endpoint was kept owns it: a later failure deletes it and says so', async () => {
    world = await newWorld({
      faults: [
        {
          operation: 'CreateVpcEndpoint',
          effect: { kind: 'ec2-error', code: 'VpcEndpointLimitExceeded', status: 400, message: 'limit' },
        },
        LINK_FAILS.serverless,
      ],
    });
    const input = requestFor('serverless', world, { requestId: 'kept-once' });
    const first = failureOf(await run(world, { ...input, rollbackOnFailure: false }));
    expect(first.error).toBe(ErrorNames.AwsRequestRejected);
    const kept = first.resources.find((r) => r.type === 'atlas-serverless-endpoint');
    expect(kept?.disposition).toBe('kept');

    const second = await run(world, input, { executionName: 'second-run' });
    const failure = failureOf(second);
    expect(failure.error).toBe(ErrorNames.EndpointFailed);
    expect(failure.resources).toContainEqual(
      expect.objectContaining({ type: 'atlas-serverless-endpoint', id: kept?.id, disposition: 'deleted' }),
    );
    expect(failure.cause).not.toContain('Not owned');
    expect(world.world.log.of(CREATE.serverless)).toHaveLength(1);
    expect(live(world).total).toBe(0);
  });

  it('an unmarked endpoint, even after a create whose connection dropped, is neither adopted nor deleted', async () => {
    world = await newWorld({
      faults: [{ operation: CREATE.serverless, effect: { kind: 'drop-connection' } }, LINK_FAILS.serverless],
    });
    const d = world.world.demo;
    const foreign = world.world.atlas.createServerlessEndpoint(d.groupId, d.serverlessInstanceName, {});
    const { comment: _none, ...input } = requestFor('serverless', world);
    const result = await run(world, input);
    const failure = failureOf(result);
    expect(failure.cleanup).toBe('complete');
    const ours = failure.resources.find((r) => r.type === 'atlas-serverless-endpoint');
    expect(ours).toMatchObject({ disposition: 'deleted' });
    expect(ours?.id).not.toBe(foreign._id);
    expect(world.world.log.of(CREATE.serverless).map((e) => e.status)).toEqual([0, 201]);
    expect(live(world).serverlessEndpoints.map((e) => [e.id, e.status])).toEqual([[foreign._id, 'RESERVED']]);
    expect(live(world).total).toBe(1);
  });
});

describe('what to do next depends on the error', () => {
  it('Atlas refuses the credentials before anything is created: check them (not "fix the request")', async () => {
    world = await newWorld({ preset: 'instant' });
    const d = world.world.demo;
    const result = await runLocalWorkflow({
      input: requestFor('dedicated', world),
      target: {
        atlasUrl: world.atlasUrl,
        ec2Url: world.ec2Url,
        dynamodbUrl: world.dynamodbUrl,
        atlasCredentials: { clientId: d.serviceAccount.clientId, clientSecret: 'mdb_sa_sk_not-the-secret' },
        awsCredentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
        awsRegion: d.awsRegion,
      },
      clock: world.world.clock,
      requestLog: world.world.log,
    });
    const failure = failureOf(result);
    expect(failure.error).toBe(ErrorNames.AtlasAuthFailed);
    expect(result.path).not.toContain(S.CreateAtlasEndpoint);
    expect(failure.cause).toMatch(/Nothing was created; check the Atlas credentials in the secret/);
    expect(failure.cause).not.toContain('fix the request');
    expect(failure.cause).not.toContain('mdb_sa_sk_not-the-secret');
  });
});
