/**
 * `npm run bench`: the numbers behind any performance claim in this project.
 *
 * 1. Synthesis of the construct in-process (what the engine and the CDK tests pay).
 * 2. Whole workflow runs through the local engine against the simulated world (both kinds, the
 *    `realistic` timeline on the virtual clock), in real milliseconds, plus calls made per run.
 * 3. Atlas client round trips against the simulator: service-account (bearer) vs API key (digest).
 * 4. Lambda bundles: esbuild bundle size per handler and the time Node takes to load it (a cold-start proxy).
 *
 * Everything runs on loopback; loops are bounded by count. Results go to stdout and `.bench/results.json`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import {
  ApiKeyCredentials,
  createAtlasClient,
  endpointKindClient,
  ServiceAccountCredentials,
} from '../lambdas/atlas/index.ts';
import { STEP_IDS, STEPS } from '../lambdas/workflow/steps.ts';
import { DEMO_AWS } from '../local/cloud/aws-model.ts';
import { startWorld } from '../local/cloud/index.ts';
import { runLocalWorkflow, synthesizeWorkflow } from '../local/engine.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const quick = process.argv.includes('--quick');

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const pick = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
  return {
    n: s.length,
    min: s[0] ?? Number.NaN,
    p50: pick(0.5),
    p90: pick(0.9),
    max: s[s.length - 1] ?? Number.NaN,
  };
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const results: Record<string, unknown> = { node: process.version, date: new Date().toISOString() };

// 1. Synthesis --------------------------------------------------------------------------------------------
{
  const t = performance.now();
  synthesizeWorkflow({});
  const first = performance.now() - t;
  const t2 = performance.now();
  synthesizeWorkflow({ rollbackOnFailure: false });
  const second = performance.now() - t2;
  results.synth = { firstMs: first, warmMs: second };
  console.log(
    `synthesize construct in-process: first ${fmt(first)} (cold caches), second with other props ${fmt(second)}`,
  );
}

// 2. Whole workflow runs ----------------------------------------------------------------------------------
const runsPerKind = quick ? 3 : 10;
for (const kind of ['serverless', 'dedicated'] as const) {
  const real: number[] = [];
  let last: Awaited<ReturnType<typeof runLocalWorkflow>> | undefined;
  for (let i = 0; i < runsPerKind; i++) {
    const w = await startWorld({ preset: 'realistic', timeScale: 0 });
    const d = w.world.demo;
    const input = {
      kind,
      groupId: d.groupId,
      instanceName: kind === 'serverless' ? d.serverlessInstanceName : d.clusterName,
      region: d.awsRegion,
      vpcId: d.vpcId,
      subnetIds: [...d.subnetIds],
      securityGroupIds: [...d.securityGroupIds],
    };
    const t = performance.now();
    last = await runLocalWorkflow({
      input,
      target: {
        atlasUrl: w.atlasUrl,
        ec2Url: w.ec2Url,
        dynamodbUrl: w.dynamodbUrl,
        atlasCredentials: d.serviceAccount,
        awsCredentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
        awsRegion: d.awsRegion,
      },
      clock: w.world.clock,
      requestLog: w.world.log,
    });
    real.push(performance.now() - t);
    await w.close();
    if (last.status !== 'SUCCEEDED') throw new Error(`${kind} run failed: ${JSON.stringify(last.error)}`);
  }
  const m = last?.metrics;
  const atlasCalls = Object.values(m?.atlasCalls ?? {}).reduce((a, b) => a + b, 0);
  const ec2Calls = Object.values(m?.ec2Calls ?? {}).reduce((a, b) => a + b, 0);
  const st = stats(real);
  results[`run-${kind}`] = {
    realMs: st,
    virtualMs: m?.virtualDurationMs,
    transitions: m?.stateTransitions,
    atlasCalls,
    ec2Calls,
  };
  console.log(
    `${kind} workflow, realistic timeline: real p50 ${fmt(st.p50)} (min ${fmt(st.min)}, max ${fmt(st.max)}, n=${st.n}); ` +
      `virtual ${((m?.virtualDurationMs ?? 0) / 60000).toFixed(1)} min, ${m?.stateTransitions} transitions, ` +
      `${atlasCalls} Atlas calls, ${ec2Calls} EC2 calls`,
  );
}

// 3. Atlas client round trips -----------------------------------------------------------------------------
{
  const calls = quick ? 100 : 500;
  const w = await startWorld({ preset: 'instant', timeScale: 0 });
  const d = w.world.demo;
  const target = { groupId: d.groupId, instanceName: d.clusterName, region: d.awsRegion };
  for (const [label, auth] of [
    [
      'service account (bearer)',
      new ServiceAccountCredentials(d.serviceAccount.clientId, d.serviceAccount.clientSecret),
    ],
    ['API key (digest)', new ApiKeyCredentials(d.apiKey.publicKey, d.apiKey.privateKey)],
  ] as const) {
    const client = createAtlasClient({ baseUrl: w.atlasUrl, auth });
    const kindClient = endpointKindClient('dedicated', client);
    const { view } = await kindClient.create(target);
    const before = w.world.log.entries.length;
    const t = performance.now();
    for (let i = 0; i < calls; i++) await kindClient.describe(target, view.id);
    const ms = performance.now() - t;
    const requests = w.world.log.entries.length - before;
    results[`atlas-${label}`] = { calls, ms, perCallMs: ms / calls, httpRequests: requests };
    console.log(
      `Atlas describe via ${label}: ${(ms / calls).toFixed(2)} ms per call over ${calls} sequential calls, ` +
        `${requests} HTTP requests (${(requests / calls).toFixed(2)} per call)`,
    );
    await kindClient.remove(target, view.id);
    w.world.clock.advance(600_000);
  }
  await w.close();
}

// 4. Lambda bundles ---------------------------------------------------------------------------------------
{
  const dir = mkdtempSync(join(tmpdir(), 'ape-bench-'));
  const rows: Record<string, unknown> = {};
  try {
    for (const id of STEP_IDS) {
      const outfile = join(dir, `${id}.cjs`);
      await build({
        entryPoints: [join(root, STEPS[id].entry)],
        bundle: true,
        minify: true,
        platform: 'node',
        target: 'node22',
        format: 'cjs',
        mainFields: ['module', 'main'],
        outfile,
        logLevel: 'error',
      });
      const size = statSync(outfile).size;
      const loads: number[] = [];
      for (let i = 0; i < (quick ? 3 : 7); i++) {
        const out = execFileSync(
          process.execPath,
          [
            '-e',
            `const t=performance.now();require(${JSON.stringify(outfile)});process.stdout.write(String(performance.now()-t))`,
          ],
          {
            env: {
              PATH: process.env.PATH ?? '',
              AWS_REGION: 'us-east-1',
              ATLAS_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf',
              ATLAS_BASE_URL: 'https://cloud.mongodb.com',
              MANAGED_BY_TAG_VALUE: 'bench',
              WORKFLOW_STEP: id,
              POWERTOOLS_LOG_LEVEL: 'SILENT',
            },
          },
        );
        loads.push(Number(out.toString()));
      }
      const st = stats(loads);
      rows[id] = { bytes: size, loadMs: st };
      console.log(
        `bundle ${id.padEnd(24)} ${(size / 1024).toFixed(0).padStart(5)} KiB, module load p50 ${fmt(st.p50)}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  results.bundles = rows;
}

mkdirSync(join(root, '.bench'), { recursive: true });
writeFileSync(join(root, '.bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log('\nwritten to .bench/results.json');
