/**
 * The one slow test: a real synth with esbuild bundling and aws-cdk-lib's built-in CloudFormation
 * validation, as `cdk synth` does it. Proves the handlers bundle (ESM + require banner, source maps, within
 * the size target), that each bundle loads in a plain Node process with the environment the template gives
 * its function, and that a deployed bundle (its SDK schemas rewritten by the bundle plugins) still speaks
 * EC2, DynamoDB and Atlas correctly, against the simulated world.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HandlerEnv, STEP_IDS, type StepId } from '../../lambdas/workflow/steps.ts';
import { ESM_REQUIRE_BANNER } from '../../lib/handler-function.ts';
import { DEMO_AWS } from '../../local/cloud/aws-model.ts';
import { startTestWorld } from '../support/world.ts';
import { logicalIdOf, type Synthesized, synthWorkflow } from './support.ts';

let synth: Synthesized;
let started = 0;
let synthMs = 0;

beforeAll(() => {
  started = performance.now();
  synth = synthWorkflow({}, { bundling: true, validation: true, keepOutdir: true });
  synthMs = performance.now() - started;
}, 120_000);

afterAll(() => {
  if (synth) rmSync(synth.outdir, { recursive: true, force: true });
});

function assetDir(id: StepId): string {
  const fn = synth.template.toJSON().Resources[logicalIdOf(synth.stack, synth.workflow.functions[id])];
  const key = fn.Properties.Code.S3Key as string;
  return join(synth.outdir, `asset.${key.replace(/\.zip$/, '')}`);
}

describe('bundled synth with CloudFormation validation', () => {
  // How long it takes is a figure for `npm run bench`, not an assertion: a wall-clock limit fails on a busy machine.
  it('synthesizes with CloudFormation validation passing', () => {
    expect(synth.template.toJSON().Resources).toBeDefined();
    console.log(`bundled + validated synth: ${Math.round(synthMs)} ms`);
  });

  it('bundles every handler as minified ESM with the require banner and a source map', () => {
    for (const id of STEP_IDS) {
      const dir = assetDir(id);
      const bundle = join(dir, 'index.mjs');
      expect(existsSync(bundle), `${id}: ${bundle}`).toBe(true);
      expect(existsSync(`${bundle}.map`), id).toBe(true);
      const text = readFileSync(bundle, 'utf8');
      expect(text.startsWith(ESM_REQUIRE_BANNER), id).toBe(true);
      expect(text).toContain('sourceMappingURL=index.mjs.map');
      // The issue-12 target: each bundle at most 1 MB minified.
      expect(statSync(bundle).size, id).toBeLessThanOrEqual(1_000_000);
      // Built-ins come through the banner's require (an ESM import of node:http loads undici at cold start).
      const esmImports = [...text.matchAll(/\bimport\s*\{[^}]*\}\s*from\s*["']([^"']+)["']/g)].map(
        (m) => m[1],
      );
      expect(esmImports, id).toEqual(['module']);
    }
  });

  it('each bundle loads in plain Node with its function environment and exports a handler', () => {
    const resources = synth.template.toJSON().Resources;
    const modules = STEP_IDS.map((id) => ({
      id,
      url: pathToFileURL(join(assetDir(id), 'index.mjs')).href,
      env: resources[logicalIdOf(synth.stack, synth.workflow.functions[id])].Properties.Environment.Variables,
    }));
    // Each function has its own step's bundle (WORKFLOW_STEP names the step: another step's module would
    // report the mismatch as a configuration error at load).
    expect(new Set(modules.map((m) => m.url)).size).toBe(STEP_IDS.length);
    const script = `
      const modules = JSON.parse(process.env.MODULES);
      const base = { ...process.env };
      for (const m of modules) {
        for (const k of Object.keys(process.env)) if (!(k in base)) delete process.env[k];
        Object.assign(process.env, m.env);
        const mod = await import(m.url);
        if (typeof mod.handler !== 'function') throw new Error(m.id + ': no handler export');
        const problem = mod.handlerDeps?.configurationError?.message;
        if (problem !== undefined) throw new Error(m.id + ': ' + problem);
      }
      console.log('loaded ' + modules.length);
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        MODULES: JSON.stringify(modules),
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(`loaded ${STEP_IDS.length}`);
    expect(result.status).toBe(0);
  });
});

describe('a deployed bundle against the simulated world', () => {
  it('validate-request, as bundled, checks the network on EC2, takes the lease in DynamoDB and reads Atlas', async () => {
    const world = await startTestWorld({ preset: 'instant', timeScale: 0 });
    try {
      const table = 'bundle-leases';
      world.world.dynamodb.handle('CreateTable', {
        TableName: table,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      });
      const resources = synth.template.toJSON().Resources;
      const fnEnv = resources[logicalIdOf(synth.stack, synth.workflow.functions['validate-request'])]
        .Properties.Environment.Variables as Record<string, unknown>;
      const env: Record<string, string> = {};
      for (const [k, v] of Object.entries(fnEnv)) if (typeof v === 'string') env[k] = v;
      delete env[HandlerEnv.AtlasSecretArn];
      const script = `
        const mod = await import(process.env.BUNDLE_URL);
        const context = { getRemainingTimeInMillis: () => 60000, awsRequestId: 'bundle', functionName: 'bundle' };
        try {
          process.stdout.write(JSON.stringify({ ok: await mod.handler(JSON.parse(process.env.EVENT), context) }));
        } catch (e) {
          process.stdout.write(JSON.stringify({ error: e.name, message: e.message }));
        }
      `;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        env: {
          PATH: process.env.PATH,
          ...env,
          POWERTOOLS_LOG_LEVEL: 'SILENT',
          AWS_REGION: 'us-east-1',
          [HandlerEnv.LeaseTableName]: table,
          MONGODB_ATLAS_CLIENT_ID: world.world.demo.serviceAccount.clientId,
          MONGODB_ATLAS_CLIENT_SECRET: world.world.demo.serviceAccount.clientSecret,
          MONGODB_ATLAS_BASE_URL: world.atlasUrl,
          AWS_ENDPOINT_URL_EC2: world.ec2Url,
          AWS_ENDPOINT_URL_DYNAMODB: world.dynamodbUrl,
          AWS_ACCESS_KEY_ID: DEMO_AWS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: DEMO_AWS.secretAccessKey,
          BUNDLE_URL: pathToFileURL(join(assetDir('validate-request'), 'index.mjs')).href,
          EVENT: JSON.stringify({
            input: {
              kind: 'dedicated',
              groupId: world.world.demo.groupId,
              instanceName: world.world.demo.clusterName,
              vpcId: DEMO_AWS.vpcId,
              subnetIds: DEMO_AWS.subnetIds,
              securityGroupIds: DEMO_AWS.securityGroupIds,
              region: 'us-east-1',
            },
            executionName: 'exec-bundle',
          }),
        },
        timeout: 60_000,
      });
      const result = JSON.parse(stdout) as { ok?: Record<string, unknown>; error?: string; message?: string };
      expect(result.error, result.message).toBeUndefined();
      expect(result.ok).toMatchObject({
        request: {
          kind: 'dedicated',
          requestId: 'exec-bundle',
          vpcId: DEMO_AWS.vpcId,
          subnetIds: DEMO_AWS.subnetIds,
          securityGroupIds: DEMO_AWS.securityGroupIds,
        },
      });
      const operations = world.world.log.entries.map((e) => `${e.service}:${e.operation}`);
      expect(operations).toEqual(
        expect.arrayContaining([
          'ec2:DescribeVpcs',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeVpcEndpoints',
          'dynamodb:PutItem',
        ]),
      );
      expect(operations.some((o) => o.startsWith('atlas:'))).toBe(true);
    } finally {
      await world.close();
      expect(world.contractViolations()).toEqual([]);
    }
  });
});
