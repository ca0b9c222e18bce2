/**
 * The installable construct, as another CDK app gets it: `npm pack` (which runs `prepack`: the build), then
 * `npm install <tarball>` into a new app in a temporary folder, which synthesizes a stack with the construct
 * (assets staged, as `cdk synth` does) and type-checks against its declarations.
 *
 * Kept fast and offline: one pack; the tarball has no dependencies, so `npm install --offline` needs no registry;
 * the peer dependencies (aws-cdk-lib, constructs) are linked from this repository's node_modules, as an app that
 * already has them would provide them. The consumer has no esbuild and no lock file of ours: the handlers are
 * the pre-built bundles in the package.
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_IDS } from '../lambdas/workflow/steps.ts';
import { resolveIntrinsics } from '../lib/asl.ts';
import { PROJECT_ROOT } from '../lib/private-endpoint-workflow.ts';

const PACKAGE = 'atlas-private-endpoint-workflow';
let work: string;
let app: string;
let packed: { filename: string; files: { path: string }[] };
const timings: Record<string, number> = {};

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}) {
  const started = performance.now();
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 240_000,
    env: {
      ...process.env,
      // npm scripts (prepack) and the app run on this repository's Node 24.
      PATH: `${join(PROJECT_ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      ...env,
    },
  });
  timings[`${command} ${args[0]}`] = Math.round(performance.now() - started);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'ape-package-'));
  const out = run('npm', ['pack', '--json', '--pack-destination', work], PROJECT_ROOT).stdout;
  // prepack's own output comes first; the JSON report is the last thing npm prints.
  packed = (JSON.parse(out.slice(out.lastIndexOf('\n[') + 1)) as (typeof packed)[])[0]!;

  app = join(work, 'consumer-app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer-app', private: true, type: 'module' }),
  );
  run(
    'npm',
    [
      'install',
      join(work, packed.filename),
      '--offline',
      '--legacy-peer-deps',
      '--ignore-scripts',
      '--no-package-lock',
    ],
    app,
  );
  for (const peer of ['aws-cdk-lib', 'constructs']) {
    symlinkSync(join(PROJECT_ROOT, 'node_modules', peer), join(app, 'node_modules', peer), 'dir');
  }
}, 300_000);

afterAll(() => {
  console.log(`package test timings (ms): ${JSON.stringify(timings)}`);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('holds compiled JavaScript with declarations, the pre-built handlers, and no sources or tests', () => {
    const files = packed.files.map((f) => f.path);
    expect(files).toContain('package.json');
    expect(files).toContain('dist/lib/index.js');
    expect(files).toContain('dist/lib/index.d.ts');
    for (const id of STEP_IDS) expect(files).toContain(`dist/handlers/${id}/index.mjs`);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    expect(files.filter((f) => /^(test|local|bench|lambdas|lib|bin)\//.test(f))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules', PACKAGE, 'package.json'), 'utf8'));
    expect(manifest.dependencies ?? {}).toEqual({});
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(['aws-cdk-lib', 'constructs']);
    expect(manifest.exports['.']).toEqual({ types: './dist/lib/index.d.ts', default: './dist/lib/index.js' });
  });
});

describe('a new CDK app that installed the tarball', () => {
  it('synthesizes the workflow and the VPC access role, with the packaged handlers as function code', () => {
    const outdir = join(app, 'cdk.out');
    writeFileSync(
      join(app, 'app.mjs'),
      `import { App, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { PrivateEndpointWorkflow, PrivateEndpointVpcAccessRole } from '${PACKAGE}';

const app = new App({ outdir: process.env.OUTDIR, builtinCloudFormationValidation: false });
const hub = new Stack(app, 'Hub', { env: { account: '123456789012', region: 'eu-west-1' } });
const workflow = new PrivateEndpointWorkflow(hub, 'AtlasLink', {
  atlasSecret: secretsmanager.Secret.fromSecretCompleteArn(hub, 'Secret',
    'arn:aws:secretsmanager:eu-west-1:123456789012:secret:atlas/workflow-AbCdEf'),
  defaultKind: 'dedicated',
  allowedRegions: ['eu-west-1', 'eu-central-1'],
  vpcAccountIds: ['210987654321'],
  vpcAccountExternalId: 'orders-platform-external-id',
  managedByTagValue: 'orders-platform',
  stateMachineName: 'orders-atlas-link',
});
const spoke = new Stack(app, 'Spoke', { env: { account: '210987654321', region: 'eu-west-1' } });
new PrivateEndpointVpcAccessRole(spoke, 'VpcAccess', {
  workflowAccountId: '123456789012',
  externalId: 'orders-platform-external-id',
  managedByTagValue: 'orders-platform',
});
app.synth();
console.log(JSON.stringify({ functions: Object.keys(workflow.functions).length }));
`,
    );
    const result = run(process.execPath, ['app.mjs'], app, { OUTDIR: outdir });
    expect(JSON.parse(result.stdout.trim().split('\n').at(-1)!)).toEqual({ functions: STEP_IDS.length });
    expect(existsSync(join(app, 'node_modules', 'esbuild'))).toBe(false);

    const hub = JSON.parse(readFileSync(join(outdir, 'Hub.template.json'), 'utf8'));
    const resources = Object.values(hub.Resources) as { Type: string; Properties: Record<string, unknown> }[];
    const machines = resources.filter((r) => r.Type === 'AWS::StepFunctions::StateMachine');
    expect(machines).toHaveLength(1);
    expect(machines[0]!.Properties.StateMachineName).toBe('orders-atlas-link');
    const functions = resources.filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(STEP_IDS.length);
    const packaged = join(app, 'node_modules', PACKAGE, 'dist', 'handlers');
    const bundles = new Map(
      STEP_IDS.map((id) => [readFileSync(join(packaged, id, 'index.mjs'), 'utf8'), id] as const),
    );
    const seen = new Set<string>();
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        Architectures: ['arm64'],
      });
      const key = (fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
      const staged = join(outdir, `asset.${key}`);
      expect(readdirSync(staged).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      const id = bundles.get(readFileSync(join(staged, 'index.mjs'), 'utf8'));
      expect(id, `${key} is one of the packaged bundles`).toBeDefined();
      seen.add(id!);
    }
    expect(seen.size).toBe(STEP_IDS.length);
    const spoke = JSON.parse(readFileSync(join(outdir, 'Spoke.template.json'), 'utf8'));
    expect(JSON.stringify(spoke)).toContain('"RoleName":"AtlasPrivateEndpointVpcAccess"');
  });

  it('each packaged handler loads in plain Node with the environment its function gets', () => {
    const outdir = join(app, 'cdk.out');
    const hub = JSON.parse(readFileSync(join(outdir, 'Hub.template.json'), 'utf8'));
    type Fn = {
      Type: string;
      Properties: { Code: { S3Key: string }; Environment: { Variables: Record<string, unknown> } };
    };
    const modules = (Object.values(hub.Resources) as Fn[])
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((fn) => ({
        url: pathToFileURL(
          join(outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`, 'index.mjs'),
        ).href,
        // Intrinsics resolve as CloudFormation would; a resource's own Ref (the lease table's name) gets a stand-in.
        env: Object.fromEntries(
          Object.entries(fn.Properties.Environment.Variables).map(([k, v]) => {
            const ref = (v as { Ref?: unknown } | null)?.Ref;
            if (typeof ref === 'string' && !ref.startsWith('AWS::')) return [k, `${ref}-name`];
            return [k, resolveIntrinsics(v)];
          }),
        ),
      }));
    const script = `
      const modules = JSON.parse(process.env.MODULES);
      for (const m of modules) {
        Object.assign(process.env, m.env);
        const mod = await import(m.url);
        if (typeof mod.handler !== 'function') throw new Error(m.url + ': no handler export');
      }
      console.log('loaded ' + modules.length);
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', MODULES: JSON.stringify(modules) },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe(`loaded ${STEP_IDS.length}`);
  });

  it('type-checks against the declarations: real types, not any', () => {
    writeFileSync(
      join(app, 'types.ts'),
      `import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { type PrivateEndpointWorkflowProps, PrivateEndpointWorkflow, PrivateEndpointVpcAccessRole } from '${PACKAGE}';

declare const atlasSecret: ISecret;
export const ok: PrivateEndpointWorkflowProps = { atlasSecret, defaultKind: 'dedicated', allowedRegions: ['us-east-1'] };
// @ts-expect-error defaultKind is 'serverless' | 'dedicated' (declared in the packaged lambdas/core/state.d.ts)
export const badKind: PrivateEndpointWorkflowProps = { atlasSecret, defaultKind: 'shared' };
// @ts-expect-error allowedRegions is a list of region names
export const badRegions: PrivateEndpointWorkflowProps = { atlasSecret, allowedRegions: 'us-east-1' };
export type Classes = [typeof PrivateEndpointWorkflow, typeof PrivateEndpointVpcAccessRole];
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: [],
        },
        files: ['types.ts'],
      }),
    );
    run(join(PROJECT_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json'], app);
  });
});
