/**
 * Lambda bundles: each handler bundled exactly as it is deployed (`handlerBuildOptions` of
 * lib/handler-bundle.ts, which the construct and the package build use: ESM, `mainFields: ['module', 'main']`,
 * nothing external, minified, the `createRequire` banner, a separate source map, the two load-time plugins),
 * then:
 * - `bytes`: the minified bundle (the .mjs file, without its source map);
 * - `loadMs`: median over `runs` fresh Node processes (the Node running this script, `process.execPath`;
 *   under npm that is the project's Node 24) of the wall time `await import()` of the bundle takes, with the
 *   environment variables the handler checks at load and, like the deployed functions, no `NODE_OPTIONS`
 *   (no `--enable-source-maps`);
 *   `loadCpuMs`: the CPU time of the same import (on shared cores the wall time also counts waiting);
 * - `top`: what dominates the bundle, from esbuild's metafile: bytes in the output per package (or project
 *   folder), largest first.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build } from 'esbuild';
import { STEP_IDS, STEPS } from '../lambdas/workflow/steps.ts';
import { HANDLER_FILE, handlerBuildOptions } from '../lib/handler-bundle.ts';

export interface BundleFigures {
  readonly bytes: number;
  readonly loadMs: number;
  /** Every sample, sorted (ms). */
  readonly loadSamplesMs: readonly number[];
  /**
   * Median CPU time (user + system) the import used, ms: on a machine whose cores are shared the wall time
   * (`loadMs`) includes waiting for a core; this is the part the module load itself costs.
   */
  readonly loadCpuMs: number;
  /** Largest contributors: package (or project folder) and bytes in the minified output. */
  readonly top: readonly { readonly input: string; readonly bytes: number }[];
}

const root = fileURLToPath(new URL('..', import.meta.url));

/** `node_modules/@aws-sdk/client-ec2/dist-es/…` → `@aws-sdk/client-ec2`; `lambdas/atlas/x.ts` → `lambdas/atlas`. */
export function packageOf(input: string): string {
  const parts = input.split('/');
  const nm = parts.lastIndexOf('node_modules');
  if (nm >= 0) {
    const first = parts[nm + 1] ?? '?';
    return first.startsWith('@') ? `${first}/${parts[nm + 2] ?? '?'}` : first;
  }
  return parts.slice(0, Math.max(1, parts.length - 1)).join('/');
}

function median(sorted: readonly number[]): number {
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export async function measureBundles(runs: number): Promise<Record<string, BundleFigures>> {
  const dir = mkdtempSync(join(tmpdir(), 'ape-bench-'));
  const out: Record<string, BundleFigures> = {};
  try {
    for (const id of STEP_IDS) {
      const outfile = join(dir, id, HANDLER_FILE);
      const result = await build({
        ...(handlerBuildOptions(join(root, STEPS[id].entry), join(dir, id), root) as BuildOptions),
        metafile: true,
      });
      const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('.mjs'))?.[1];
      const byPackage = new Map<string, number>();
      for (const [input, info] of Object.entries(output?.inputs ?? {})) {
        const key = packageOf(input);
        byPackage.set(key, (byPackage.get(key) ?? 0) + info.bytesInOutput);
      }
      const top = [...byPackage.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([input, bytes]) => ({ input, bytes }));
      const url = pathToFileURL(outfile).href;
      const samples: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < runs; i++) {
        const text = execFileSync(
          process.execPath,
          [
            '--input-type=module',
            '-e',
            'const c=process.cpuUsage();const t=performance.now();' +
              `const m=await import(${JSON.stringify(url)});` +
              'const w=performance.now()-t;const u=process.cpuUsage(c);' +
              'const e=m.handlerDeps?.configurationError?.message??null;' +
              'process.stdout.write(JSON.stringify([w,(u.user+u.system)/1000,e]))',
          ],
          {
            env: {
              PATH: process.env.PATH ?? '',
              AWS_REGION: 'us-east-1',
              ATLAS_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-AbCdEf',
              ATLAS_BASE_URL: 'https://cloud.mongodb.com',
              MANAGED_BY_TAG_VALUE: 'bench',
              WORKFLOW_ACCOUNT_ID: '123456789012',
              LEASE_TABLE_NAME: 'bench-leases',
              ALLOWED_REGIONS: 'us-east-1',
              WORKFLOW_STEP: id,
              POWERTOOLS_LOG_LEVEL: 'SILENT',
              POWERTOOLS_SERVICE_NAME: 'bench',
            },
          },
        );
        const [wall, used, problem] = JSON.parse(text.toString()) as [number, number, string | null];
        // The environment above must be a complete one: a misconfigured handler takes another path at load.
        if (problem !== null) throw new Error(`bench environment incomplete for ${id}: ${problem}`);
        samples.push(wall);
        cpu.push(used);
      }
      samples.sort((a, b) => a - b);
      cpu.sort((a, b) => a - b);
      out[id] = {
        bytes: statSync(outfile).size,
        loadMs: median(samples),
        loadSamplesMs: samples,
        loadCpuMs: median(cpu),
        top,
      };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
