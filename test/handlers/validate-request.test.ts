/**
 * validate-request: defaults, budgets, one InvalidRequest naming every bad field (schema, network, Atlas
 * target), the retired serverless API, and that it never creates anything.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorNames, type InvalidRequestError } from '../../lambdas/core/errors.ts';
import { atlasAccess } from '../../lambdas/handlers/support/atlas.ts';
import { HandlerEnv, type ValidatedState } from '../../lambdas/workflow/steps.ts';
import { type Harness, lambdaContext, MAKE_HANDLER, silentLogger, startHarness, thrown } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function issuesOf(error: Error): Record<string, string> {
  expect(error.name).toBe(ErrorNames.InvalidRequest);
  return Object.fromEntries((error as InvalidRequestError).issues.map((i) => [i.field, i.problem]));
}

describe('validate-request', () => {
  it('fills deployment defaults and uses the execution name as the request id', async () => {
    h = await startHarness();
    const handler = MAKE_HANDLER['validate-request'](
      h.deps({
        requestDefaults: {
          kind: 'dedicated',
          vpcId: h.demo.vpcId,
          subnetIds: h.demo.subnetIds,
          securityGroupIds: h.demo.securityGroupIds,
          region: h.demo.awsRegion,
          rollbackOnFailure: false,
        },
      }),
    );
    const out = (await handler(
      {
        input: { groupId: h.demo.groupId, instanceName: h.demo.clusterName },
        executionName: 'exec-defaults',
      },
      lambdaContext(),
    )) as ValidatedState;
    expect(out.request).toEqual({
      kind: 'dedicated',
      groupId: h.demo.groupId,
      instanceName: h.demo.clusterName,
      vpcId: h.demo.vpcId,
      subnetIds: h.demo.subnetIds,
      securityGroupIds: h.demo.securityGroupIds,
      region: 'us-east-1',
      privateDnsEnabled: false,
      tags: {},
      requestId: 'exec-defaults',
      rollbackOnFailure: false,
    });
    expect(out.existing).toEqual({});
  });

  it('resolves phase budgets: request override > deployment env > default; the override is not kept in request', async () => {
    h = await startHarness({ env: { PHASE_BUDGET_LINK_SECONDS: '7200' } });
    const out = await h.call('validate-request', {
      input: h.request('serverless', { phaseBudgetSeconds: { atlasEndpoint: 120 } }),
      executionName: 'exec-budgets',
    });
    expect(out.settings.phaseBudgetSeconds).toEqual({
      atlasEndpoint: 120,
      vpcEndpoint: 900,
      link: 7200,
      connection: 1800,
      cleanup: 2700,
    });
    expect(out.request).not.toHaveProperty('phaseBudgetSeconds');
  });

  it('rejects budgets that do not fit the execution timeout, as a request problem', async () => {
    h = await startHarness({ env: { [HandlerEnv.ExecutionTimeoutSeconds]: '12000' } });
    const error = await thrown(() =>
      h!.call('validate-request', {
        input: h!.request('serverless', { phaseBudgetSeconds: { link: 20000 } }),
        executionName: 'exec-too-long',
      }),
    );
    expect(issuesOf(error).phaseBudgetSeconds).toMatch(/exceeds the execution timeout of 12000 s/);
  });

  it('reports a malformed budget env as ConfigurationError, not as a request problem', async () => {
    h = await startHarness({ env: { PHASE_BUDGET_CLEANUP_SECONDS: 'soon' } });
    const error = await thrown(() =>
      h!.call('validate-request', { input: h!.request('serverless'), executionName: 'exec-bad-env' }),
    );
    expect(error.name).toBe(ErrorNames.ConfigurationError);
    expect(error.message).toContain('PHASE_BUDGET_CLEANUP_SECONDS');
  });

  it('a request the schema refuses is answered from the request alone: no EC2 or Atlas call', async () => {
    h = await startHarness();
    const error = await thrown(() =>
      h!.call('validate-request', {
        input: h!.request('serverless', {
          groupId: 'not-a-project',
          subnetIds: [h!.demo.subnetIds[0], 'subnet-0123456789abcdef0'],
          securityGroupIds: ['sg-0123456789abcdef0'],
          comment: 'x'.repeat(81),
        }),
        executionName: 'exec-bad',
      }),
    );
    const issues = issuesOf(error);
    expect(Object.keys(issues).sort()).toEqual(['comment', 'groupId']);
    expect(error.message).toContain('groupId:');
    expect(h.inventory().aws.vpcEndpoints).toEqual([]);
    // The request was malformed: neither EC2 nor Atlas was asked.
    expect(h.atlasCalls()).toEqual([]);
    expect(h.ec2Calls()).toEqual([]);
  });

  it('lists the network problems of a well-formed request in one InvalidRequest, and creates nothing', async () => {
    h = await startHarness();
    const error = await thrown(() =>
      h!.call('validate-request', {
        input: h!.request('serverless', {
          subnetIds: [h!.demo.subnetIds[0], 'subnet-0123456789abcdef0'],
          securityGroupIds: ['sg-0123456789abcdef0'],
        }),
        executionName: 'exec-bad-network',
      }),
    );
    const issues = issuesOf(error);
    expect(Object.keys(issues).sort()).toEqual(['securityGroupIds[0]', 'subnetIds[1]']);
    expect(issues['subnetIds[1]']).toMatch(/subnet "subnet-0123456789abcdef0" does not exist/);
    expect(issues['securityGroupIds[0]']).toMatch(/does not exist/);
    expect(h.inventory().aws.vpcEndpoints).toEqual([]);
  });

  it('reports a missing instance with the network problems of a well-formed request', async () => {
    h = await startHarness();
    const error = await thrown(() =>
      h!.call('validate-request', {
        input: h!.request('dedicated', {
          instanceName: 'no-such-cluster',
          subnetIds: ['subnet-0123456789abcdef0'],
        }),
        executionName: 'exec-missing',
      }),
    );
    const issues = issuesOf(error);
    expect(issues.instanceName).toMatch(/no dedicated cluster named "no-such-cluster".*CLUSTER_NOT_FOUND/);
    expect(issues['subnetIds[0]']).toMatch(/does not exist/);
  });

  it('reports an unknown project on groupId', async () => {
    h = await startHarness();
    const error = await thrown(() =>
      h!.call('validate-request', {
        input: h!.request('dedicated', { groupId: '0123456789abcdef01234567' }),
        executionName: 'exec-no-project',
      }),
    );
    expect(issuesOf(error).groupId).toMatch(/no project 0123456789abcdef01234567.*GROUP_NOT_FOUND/);
  });

  it.each([
    [
      'dedicated',
      'orders',
      'instanceName',
      /"orders" is a serverless instance, not a dedicated cluster; name a dedicated cluster/,
    ],
    [
      'serverless',
      'orders-dedicated',
      'instanceName',
      /no longer a serverless instance: MongoDB migrated .* it is now a dedicated cluster; run the request with "kind": "dedicated"/,
    ],
    // Facts §10: private endpoints need a dedicated cluster; Flex, free and shared tiers have none.
    [
      'dedicated',
      'orders-flex',
      'instanceName',
      /is a Flex cluster\. Atlas offers private endpoints only on dedicated clusters \(M10 and up\).*upgrade it/,
    ],
    [
      'dedicated',
      'orders-free',
      'instanceName',
      /is a free \(M0\) cluster\. Atlas offers private endpoints only on dedicated clusters/,
    ],
    ['dedicated', 'orders-gcp', 'instanceName', /has no node on AWS \(its nodes are on GCP\)/],
    [
      'dedicated',
      'orders-eu',
      'region',
      /dedicated cluster orders-eu has no node in us-east-1 \(its AWS regions: eu-west-1\)/,
    ],
    [
      'serverless',
      'orders-flex',
      'instanceName',
      /no longer a serverless instance.*now a Flex cluster.*upgrade it/,
    ],
    [
      'serverless',
      'orders-free',
      'instanceName',
      /no longer a serverless instance.*now a free \(M0\) cluster/,
    ],
    [
      'serverless',
      'orders-gone',
      'instanceName',
      /no serverless instance named "orders-gone" \(Atlas SERVERLESS_INSTANCE_NOT_FOUND\); MongoDB migrated every serverless instance.*"kind": "dedicated"/,
    ],
  ] as const)(
    'refuses %s on %s before anything is created, saying what to do',
    async (kind, instanceName, field, expected) => {
      h = await startHarness();
      const error = await thrown(() =>
        h!.call('validate-request', {
          input: h!.request(kind, { instanceName }),
          executionName: 'exec-kind',
        }),
      );
      expect(issuesOf(error)[field]).toMatch(expected);
      const writes = h!.world.log.entries.filter(
        (e) => e.method !== 'GET' && e.service === 'atlas' && e.operation !== 'oauthToken',
      );
      expect(writes).toEqual([]);
    },
  );

  it('accepts a multi-region dedicated cluster with a node in the request region', async () => {
    h = await startHarness();
    const state = await h.call('validate-request', {
      input: h.request('dedicated', { instanceName: 'orders-multi-region' }),
      executionName: 'exec-multi',
    });
    expect(state.request).toMatchObject({ kind: 'dedicated', instanceName: 'orders-multi-region' });
  });

  it('reports the retired serverless API as AtlasApiGone pointing to kind dedicated', async () => {
    h = await startHarness({ serverlessRetired: true });
    const error = await thrown(() =>
      h!.call('validate-request', { input: h!.request('serverless'), executionName: 'exec-retired' }),
    );
    expect(error.name).toBe(ErrorNames.AtlasApiGone);
    expect(error.message).toMatch(/410 Gone to listServerlessPrivateEndpoint/);
    expect(error.message).toMatch(/retired serverless private endpoints on 2026-01-22/);
    expect(error.message).toContain('"kind": "dedicated"');
    expect(h.inventory().atlas.serverlessEndpoints).toEqual([]);
    // The same world serves the dedicated kind.
    const ok = await h.call('validate-request', {
      input: h.request('dedicated'),
      executionName: 'exec-dedicated',
    });
    expect(ok.request.kind).toBe('dedicated');
  });

  it('ignores a tagged VPC endpoint of this request whose Atlas side is gone', async () => {
    h = await startHarness();
    const input = h.request('serverless', { requestId: 'orphan-1' });
    const state = await h.drive(input, 'exec-orphan', 'create-vpc-endpoint');
    // The Atlas side disappears (deleted by hand), the VPC endpoint stays.
    h.world.atlas.deleteServerlessEndpoint(h.demo.groupId, 'orders', state.atlas!.id);
    const validated = await h.call('validate-request', { input, executionName: 'exec-after' });
    expect(validated.existing.vpcEndpoint).toBeUndefined();
    expect(validated.existing.atlas).toBeUndefined();
  });

  it('rejects an event without the validate-request shape as a wiring problem', async () => {
    h = await startHarness();
    const error = await thrown(() => h!.call('validate-request', { request: {} }));
    expect(error.name).toBe(ErrorNames.ConfigurationError);
    expect(error.message).toMatch(/not \{ input, executionName \}/);
  });
});

describe('validate-request checks the request before it touches the Atlas credentials', () => {
  // The credential secret holds half a service account: loading it fails with ConfigurationError.
  let sm: AwsClientStub<SecretsManagerClient>;
  let secretCount = 0;
  const savedRegion = process.env.AWS_REGION;
  beforeEach(() => {
    process.env.AWS_REGION = 'us-east-1';
    sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ clientId: 'mdb_sa_id_half' }) });
  });
  afterEach(() => {
    sm.restore();
    if (savedRegion === undefined) delete process.env.AWS_REGION;
    else process.env.AWS_REGION = savedRegion;
  });

  /** validate-request with the real Atlas access of a Lambda (credentials from a fresh secret ARN). */
  function withUnusableCredentials(harness: Harness) {
    const arn = `arn:aws:secretsmanager:us-east-1:123456789012:secret:atlas-half-${++secretCount}`;
    const access = atlasAccess({ [HandlerEnv.AtlasSecretArn]: arn }, silentLogger());
    expect(access.problems).toEqual([]); // configured; only the secret's content is unusable
    return MAKE_HANDLER['validate-request'](
      harness.deps({ atlasClient: access.client, onAtlasAuthFailed: access.onAuthFailed }),
    );
  }

  it('an invalid request with unusable Atlas credentials yields InvalidRequest listing the fields', async () => {
    h = await startHarness();
    const handler = withUnusableCredentials(h);
    const error = await thrown(() =>
      handler(
        {
          input: h!.request('dedicated', {
            groupId: 'not-a-project',
            instanceName: '-orders',
            subnetIds: [h!.demo.subnetIds[0], 'subnet-0123456789abcdef0'],
          }),
          executionName: 'exec-invalid-creds',
        },
        lambdaContext(),
      ),
    );
    const issues = issuesOf(error);
    expect(Object.keys(issues).sort()).toEqual(['groupId', 'instanceName']);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
    expect(h.atlasCalls()).toEqual([]);

    // The same function with a well-formed request reads the secret, and the credentials are indeed unusable.
    const config = await thrown(() =>
      handler({ input: h!.request('dedicated'), executionName: 'exec-valid-creds' }, lambdaContext()),
    );
    expect(config.name).toBe(ErrorNames.ConfigurationError);
    expect(config.message).toMatch(/No usable Atlas credentials in the Atlas credential secret/);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
  });

  it('a well-formed request whose budgets do not fit is InvalidRequest without reading the credentials', async () => {
    h = await startHarness({ env: { [HandlerEnv.ExecutionTimeoutSeconds]: '12000' } });
    const handler = withUnusableCredentials(h);
    const error = await thrown(() =>
      handler(
        {
          input: h!.request('dedicated', { phaseBudgetSeconds: { link: 20000 } }),
          executionName: 'exec-budget-creds',
        },
        lambdaContext(),
      ),
    );
    expect(Object.keys(issuesOf(error))).toEqual(['phaseBudgetSeconds']);
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
  });

  it('network problems of a well-formed request win over the credentials problem the Atlas check hit', async () => {
    h = await startHarness();
    const handler = withUnusableCredentials(h);
    const error = await thrown(() =>
      handler(
        {
          input: h!.request('dedicated', { securityGroupIds: ['sg-0123456789abcdef0'] }),
          executionName: 'exec-network-creds',
        },
        lambdaContext(),
      ),
    );
    const issues = issuesOf(error);
    expect(Object.keys(issues)).toEqual(['securityGroupIds[0]']);
    expect(issues['securityGroupIds[0]']).toMatch(/does not exist/);
    // The Atlas check did try (and could not load the credentials); Atlas itself was never called.
    expect(sm).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(h.atlasCalls()).toEqual([]);
  });
});
