/**
 * The handler modules as Lambda (and the local engine) load them: one module per step, each exporting
 * `handler`, reading its environment once at import. With the environment the construct sets they load
 * cleanly; a missing or wrong variable makes every invocation fail with a named ConfigurationError. With the
 * local engine's environment (MONGODB_ATLAS_* credentials, simulator URLs) the default clients reach the world,
 * and the base URL that comes with the credentials wins over the deployment's ATLAS_BASE_URL.
 */
import './quiet.ts';
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { resetAtlasAuthCaches } from '../../lambdas/atlas/auth.ts';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import {
  defaultHandlerDeps,
  type HandlerDeps,
  type LambdaStepHandler,
} from '../../lambdas/handlers/support/runtime.ts';
import { envNamesFor, HandlerEnv, STEP_IDS, STEPS, type StepId } from '../../lambdas/workflow/steps.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { startTestWorld, type TestWorld } from '../support/world.ts';
import { lambdaContext, thrown } from './harness.ts';

interface HandlerModule {
  handler: LambdaStepHandler<StepId>;
  makeHandler: (deps: HandlerDeps) => LambdaStepHandler<StepId>;
  handlerDeps: HandlerDeps;
}

const HANDLERS_DIR = new URL('../../lambdas/handlers/', import.meta.url);

/** The values the construct gives each variable (see lib/private-endpoint-workflow.ts). */
/** The lease table the world gets for these tests (the engine deploys the template's). */
const LEASE_TABLE = 'workflow-leases';

function constructEnv(id: StepId): Record<string, string> {
  const values: Record<string, string> = {
    [HandlerEnv.WorkflowStep]: id,
    [HandlerEnv.AtlasSecretArn]:
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:atlas-credentials-AbCdEf',
    [HandlerEnv.AtlasBaseUrl]: 'https://cloud.mongodb.com',
    [HandlerEnv.ManagedByTagValue]: 'PrivateEndpointStackWorkflowAbCd1234',
    [HandlerEnv.WorkflowAccountId]: '123456789012',
    [HandlerEnv.VpcAccountRoleArns]: 'arn:aws:iam::210987654321:role/AtlasPrivateEndpointVpcAccess',
    [HandlerEnv.VpcAccountExternalId]: 'orders-platform-external-id',
    [HandlerEnv.AllowedRegions]: 'us-east-1,eu-west-1',
    [HandlerEnv.DefaultKind]: 'dedicated',
    [HandlerEnv.DefaultVpcId]: DEMO_AWS.vpcId,
    [HandlerEnv.DefaultSubnetIds]: DEMO_AWS.subnetIds.join(','),
    [HandlerEnv.DefaultSecurityGroupIds]: DEMO_AWS.securityGroupIds.join(','),
    [HandlerEnv.DefaultRegion]: 'us-east-1',
    [HandlerEnv.DefaultRollbackOnFailure]: 'true',
    [HandlerEnv.ExecutionTimeoutSeconds]: '24300',
    PHASE_BUDGET_ATLAS_ENDPOINT_SECONDS: '3600',
    PHASE_BUDGET_VPC_ENDPOINT_SECONDS: '900',
    PHASE_BUDGET_LINK_SECONDS: '3600',
    PHASE_BUDGET_CONNECTION_SECONDS: '1800',
    PHASE_BUDGET_CLEANUP_SECONDS: '2700',
    POLL_INTERVALS_ATLAS_ENDPOINT_SECONDS: '10,15,20,30,45,60',
    POLL_INTERVALS_VPC_ENDPOINT_SECONDS: '5,10,15,20,30',
    POLL_INTERVALS_LINK_SECONDS: '10,15,20,30,45,60',
    POLL_INTERVALS_CONNECTION_SECONDS: '10,20,30,60',
    POLL_INTERVALS_CLEANUP_SECONDS: '5,10,15,20,30',
    POLL_FIRST_WAIT_ATLAS_ENDPOINT_SECONDS: '60',
    POLL_FIRST_WAIT_VPC_ENDPOINT_SECONDS: '20',
    POLL_FIRST_WAIT_LINK_SECONDS: '120',
    POLL_FIRST_WAIT_CONNECTION_SECONDS: '180',
    POLL_FIRST_WAIT_CLEANUP_SECONDS: '5',
    [HandlerEnv.LeaseTableName]: LEASE_TABLE,
  };
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    POWERTOOLS_SERVICE_NAME: 'atlas-private-endpoint-workflow',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  for (const name of envNamesFor(id)) env[name] = values[name]!;
  return env;
}

const KEYS_WE_SET = [
  ...new Set([
    ...STEP_IDS.flatMap((id) => Object.keys(constructEnv(id))),
    'MONGODB_ATLAS_CLIENT_ID',
    'MONGODB_ATLAS_CLIENT_SECRET',
    'MONGODB_ATLAS_PUBLIC_KEY',
    'MONGODB_ATLAS_PRIVATE_KEY',
    HandlerEnv.AtlasRequestTimeoutMs,
    'MONGODB_ATLAS_BASE_URL',
    'AWS_ENDPOINT_URL_EC2',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
  ]),
];
const saved = { ...process.env };
afterEach(() => {
  for (const key of KEYS_WE_SET) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

let loads = 0;
/** Imports a fresh instance of the step's module with exactly `env` set (as a new Lambda container would). */
async function load(id: StepId, env: Record<string, string>): Promise<HandlerModule> {
  for (const key of KEYS_WE_SET) delete process.env[key];
  Object.assign(process.env, env);
  const url = new URL(`${id}.ts?container=${++loads}`, HANDLERS_DIR).href;
  return (await import(/* @vite-ignore */ url)) as HandlerModule;
}

describe('handler modules', () => {
  it('there is exactly one module per step, named after STEPS[id].entry', () => {
    const files = readdirSync(HANDLERS_DIR).filter((f) => f.endsWith('.ts'));
    expect(files.sort()).toEqual(STEP_IDS.map((id) => `${id}.ts`).sort());
    for (const id of STEP_IDS) expect(STEPS[id].entry).toBe(`lambdas/handlers/${id}.ts`);
  });

  it.each(STEP_IDS)('%s loads with the environment the construct sets and exports handler', async (id) => {
    const mod = await load(id, constructEnv(id));
    expect(typeof mod.handler).toBe('function');
    expect(typeof mod.makeHandler).toBe('function');
    expect(mod.handlerDeps.configurationError).toBeUndefined();
    // Only the steps that call Atlas hold an Atlas client; only EC2 steps hold EC2 operations.
    expect(mod.handlerDeps.atlasClient !== undefined).toBe(STEPS[id].atlas);
    expect(mod.handlerDeps.vpcEndpoints !== undefined).toBe(STEPS[id].ec2Actions.length > 0);
  });

  it.each(STEP_IDS.filter((id) => STEPS[id].ec2Actions.length > 0))(
    '%s without MANAGED_BY_TAG_VALUE fails every invocation with ConfigurationError',
    async (id) => {
      const { [HandlerEnv.ManagedByTagValue]: _omitted, ...env } = constructEnv(id);
      const mod = await load(id, env);
      expect(mod.handlerDeps.configurationError?.details).toMatchObject({
        variables: [HandlerEnv.ManagedByTagValue],
      });
      const error = await thrown(() => mod.handler({}, lambdaContext()));
      expect(error.name).toBe(ErrorNames.ConfigurationError);
      expect(error.message).toContain('MANAGED_BY_TAG_VALUE is not set');
    },
  );

  it.each(STEP_IDS.filter((id) => STEPS[id].atlas))(
    '%s without any Atlas credentials is misconfigured',
    async (id) => {
      const { [HandlerEnv.AtlasSecretArn]: _omitted, ...env } = constructEnv(id);
      const mod = await load(id, env);
      expect(mod.handlerDeps.configurationError?.message).toMatch(
        /ATLAS_SECRET_ARN is not set .*no Atlas credentials/,
      );
    },
  );

  it.each(['0', '99', '60001', '1.5', 'soon'])(
    'an Atlas function with ATLAS_REQUEST_TIMEOUT_MS=%j is misconfigured, naming the variable',
    async (value) => {
      const id = 'describe-atlas-endpoint';
      const mod = await load(id, { ...constructEnv(id), [HandlerEnv.AtlasRequestTimeoutMs]: value });
      const error = mod.handlerDeps.configurationError!;
      expect(error.name).toBe(ErrorNames.ConfigurationError);
      expect(error.details.variables).toEqual([HandlerEnv.AtlasRequestTimeoutMs]);
      expect(error.message).toContain(
        `must be whole milliseconds from 100 to 60000, got ${JSON.stringify(value)}`,
      );
    },
  );

  it.each(STEP_IDS.filter((id) => STEPS[id].ec2Actions.length > 0))(
    '%s with malformed deployment targets fails every invocation with ConfigurationError naming them',
    async (id) => {
      const mod = await load(id, {
        ...constructEnv(id),
        [HandlerEnv.VpcAccountRoleArns]: 'arn:aws:iam::210987654321:user/someone',
        [HandlerEnv.VpcAccountExternalId]: '',
        ...(STEPS[id].requestDefaults ? { [HandlerEnv.AllowedRegions]: 'us-east-1,Europe' } : {}),
      });
      const error = mod.handlerDeps.configurationError!;
      expect(error.name).toBe(ErrorNames.ConfigurationError);
      expect(error.details.variables).toEqual(
        expect.arrayContaining([
          HandlerEnv.VpcAccountRoleArns,
          ...(STEPS[id].requestDefaults ? [HandlerEnv.AllowedRegions] : []),
        ]),
      );
      expect(error.message).toContain('is not an IAM role ARN');
    },
  );

  it('a handler module that does not bring the clients its STEPS entry needs is misconfigured', () => {
    const deps = defaultHandlerDeps('check-cleanup', {}, constructEnv('check-cleanup'));
    expect(deps.configurationError?.message).toMatch(
      /does not provide EC2 access.*does not provide Atlas access/,
    );
    // A pure step needs nothing beyond the step name.
    expect(
      defaultHandlerDeps('summarize-failure', {}, constructEnv('summarize-failure')).configurationError,
    ).toBeUndefined();
  });

  it('a function wired to the wrong entry, bad defaults and a bad base URL are all reported at once', async () => {
    const mod = await load('validate-request', {
      ...constructEnv('validate-request'),
      [HandlerEnv.WorkflowStep]: 'link-endpoint',
      [HandlerEnv.DefaultRollbackOnFailure]: 'maybe',
      [HandlerEnv.AtlasBaseUrl]: 'http://cloud.mongodb.com',
      PHASE_BUDGET_LINK_SECONDS: '5',
    });
    const error = mod.handlerDeps.configurationError!;
    expect(error.name).toBe(ErrorNames.ConfigurationError);
    expect(error.details.variables).toEqual(
      expect.arrayContaining([
        'WORKFLOW_STEP',
        'DEFAULT_ROLLBACK_ON_FAILURE',
        'PHASE_BUDGET_LINK_SECONDS',
        'ATLAS_BASE_URL',
      ]),
    );
    const thrownError = await thrown(() => mod.handler({ input: {}, executionName: 'x' }, lambdaContext()));
    expect(thrownError).toBe(error);
  });
});

describe('default dependencies against the world (the local engine environment)', () => {
  let running: TestWorld | undefined;
  afterEach(async () => {
    await running?.close();
    expect(running?.contractViolations() ?? []).toEqual([]);
    running = undefined;
  });

  /** The function env as the engine builds it: the template's, minus the secret, plus simulator settings. */
  function engineEnv(
    id: StepId,
    world: TestWorld,
    atlas: { atlasBaseUrl: string; credentialBaseUrl?: string },
  ) {
    const { [HandlerEnv.AtlasSecretArn]: _secret, ...fn } = constructEnv(id);
    return {
      ...fn,
      [HandlerEnv.AtlasBaseUrl]: atlas.atlasBaseUrl,
      ...(atlas.credentialBaseUrl === undefined ? {} : { MONGODB_ATLAS_BASE_URL: atlas.credentialBaseUrl }),
      MONGODB_ATLAS_CLIENT_ID: world.world.demo.serviceAccount.clientId,
      MONGODB_ATLAS_CLIENT_SECRET: world.world.demo.serviceAccount.clientSecret,
      AWS_ENDPOINT_URL_EC2: world.ec2Url,
      AWS_ENDPOINT_URL_DYNAMODB: world.dynamodbUrl,
      AWS_ACCESS_KEY_ID: DEMO_AWS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DEMO_AWS.secretAccessKey,
    };
  }

  const input = (world: TestWorld) => ({
    groupId: world.world.demo.groupId,
    instanceName: world.world.demo.clusterName,
  });

  it('validate-request and create-atlas-endpoint reach the world; MONGODB_ATLAS_BASE_URL wins over ATLAS_BASE_URL', async () => {
    resetAtlasAuthCaches();
    running = await startTestWorld({ preset: 'instant', timeScale: 0 });
    running.world.dynamodb.handle('CreateTable', {
      TableName: LEASE_TABLE,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
    });
    const refused = 'http://127.0.0.1:1'; // nothing listens there
    const validate = await load(
      'validate-request',
      engineEnv('validate-request', running, { atlasBaseUrl: refused, credentialBaseUrl: running.atlasUrl }),
    );
    const state = await validate.handler(
      { input: input(running), executionName: 'exec-engine' },
      lambdaContext(),
    );
    expect(state).toMatchObject({
      request: { kind: 'dedicated', requestId: 'exec-engine', region: 'us-east-1' },
    });

    // ATLAS_BASE_URL alone (no base URL with the credentials) is used as the deployment default.
    const create = await load(
      'create-atlas-endpoint',
      engineEnv('create-atlas-endpoint', running, { atlasBaseUrl: running.atlasUrl }),
    );
    const atlas = await create.handler(state, lambdaContext());
    expect(atlas).toMatchObject({ kind: 'dedicated', created: true });
    expect(running.world.inventory().atlas.endpointServices).toHaveLength(1);
  });

  it('a base URL that comes with the credentials is used even when the deployment default would work', async () => {
    resetAtlasAuthCaches();
    running = await startTestWorld({ preset: 'instant', timeScale: 0 });
    const mod = await load(
      'validate-request',
      engineEnv('validate-request', running, {
        atlasBaseUrl: running.atlasUrl,
        credentialBaseUrl: 'http://127.0.0.1:1',
      }),
    );
    // 3.5 s left, 3 s margin: the refused connection is retried for half a second at most.
    const error = await thrown(() =>
      mod.handler({ input: input(running!), executionName: 'exec-precedence' }, lambdaContext(3500)),
    );
    expect(error.name).toBe(ErrorNames.AtlasTransientError);
    expect(running.world.log.entries.filter((e) => e.service === 'atlas')).toEqual([]);
  });
});
