/**
 * The one slow test: a real synth with esbuild bundling and aws-cdk-lib's built-in CloudFormation
 * validation, as `cdk synth` does it. Proves the handlers bundle (ESM + require banner, source maps) and
 * that each bundle loads in a plain Node process with the environment the template gives its function.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STEP_IDS, type StepId } from '../../lambdas/workflow/steps.ts';
import { ESM_REQUIRE_BANNER } from '../../lib/handler-function.ts';
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
      expect(statSync(bundle).size).toBeLessThan(5 * 1024 * 1024);
    }
  });

  it('each bundle loads in plain Node with its function environment and exports a handler', () => {
    const resources = synth.template.toJSON().Resources;
    const modules = STEP_IDS.map((id) => ({
      id,
      url: pathToFileURL(join(assetDir(id), 'index.mjs')).href,
      env: resources[logicalIdOf(synth.stack, synth.workflow.functions[id])].Properties.Environment.Variables,
    }));
    const script = `
      const modules = JSON.parse(process.env.MODULES);
      const base = { ...process.env };
      for (const m of modules) {
        for (const k of Object.keys(process.env)) if (!(k in base)) delete process.env[k];
        Object.assign(process.env, m.env);
        const mod = await import(m.url);
        if (typeof mod.handler !== 'function') throw new Error(m.id + ': no handler export');
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
