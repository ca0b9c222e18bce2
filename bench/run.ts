/**
 * `npm run bench`: the figures of issue 12, measured on whatever polling schedule (lambdas/workflow/steps.ts
 * `PHASES`) and simulated world are in the tree. Not part of `npm test`.
 *
 * 1. Time to ready per kind on `realistic` and `slow` (bench/time-to-ready.ts): virtual duration, the
 *    provider's own time from the world's transition log, overhead, calls, invocations, state transitions,
 *    and per phase where the overhead and the calls come from.
 * 2. Anchors (bench/anchors.ts): the same timelines replayed with the loops of MongoDB's Terraform provider,
 *    CloudFormation resources and Kubernetes operator, beside ours, with ratios.
 * 3. Scale (bench/scale.ts): 200 executions at once in one world with Atlas's limits on.
 * 4. Lambda bundles (bench/bundles.ts): minified size, module load time, what dominates.
 * 5. `npm test` wall time (a child process).
 *
 * Prints one markdown table (the issue's targets) and short sections; writes `.bench/results.json`
 * (schema: bench/results.ts). Options: `--skip-test-time`, `--skip-scale`, `--skip-bundles` (for quick
 * tuning rounds: time to ready and anchors alone take about a minute), `--executions <n>` (default 200),
 * `--load-runs <n>` (default 15, at least 10).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_ATLAS_RESERVED_CONCURRENCY,
  RECOMMENDED_ATLAS_RESERVED_CONCURRENCY,
} from '../lib/private-endpoint-workflow.ts';
import { type Kind, ourSteps, overheadSpread, replay, TOOLS } from './anchors.ts';
import { type BundleFigures, measureBundles } from './bundles.ts';
import {
  evaluateTargets,
  KINDS,
  PRESETS,
  ResultsBaseSchema,
  ResultsSchema,
  targetsTable,
} from './results.ts';
import { runScale, type ScaleResult } from './scale.ts';
import { measureTimeToReady, type TimeToReady } from './time-to-ready.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(args[i + 1]);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} needs a whole number >= 1`);
    process.exit(2);
  }
  return value;
};
const known = new Set(['--skip-test-time', '--skip-scale', '--skip-bundles', '--executions', '--load-runs']);
for (const a of args) {
  if (a.startsWith('--') && !known.has(a)) {
    console.error(`unknown option ${a} (known: ${[...known].join(', ')})`);
    process.exit(2);
  }
}
const executions = option('--executions', 200);
const loadRuns = Math.max(10, option('--load-runs', 15));

const s = (v: number) => `${(v / 1000).toFixed(1)} s`;
const progress = (text: string) => process.stderr.write(`${text}\n`);
const machine = {
  cores: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
  loadAverageAtStart: loadavg().map((v) => Number(v.toFixed(2))),
};
const startedAt = performance.now();

// 1. Time to ready ----------------------------------------------------------------------------------------
const ttr: Record<Kind, Record<string, TimeToReady>> = { serverless: {}, dedicated: {} };
for (const kind of KINDS) {
  for (const preset of PRESETS) {
    progress(`time to ready: ${kind} on ${preset}`);
    ttr[kind][preset] = await measureTimeToReady(kind, preset);
  }
}

// 2. Anchors ----------------------------------------------------------------------------------------------
const anchors: Record<string, Record<Kind, Record<string, unknown>>> = {};
const ourSpread: Record<Kind, Record<string, ReturnType<typeof overheadSpread>>> = {
  serverless: {},
  dedicated: {},
};
for (const kind of KINDS) {
  for (const preset of PRESETS) {
    const ours = ttr[kind][preset]!;
    ourSpread[kind][preset] = overheadSpread(ourSteps(kind, ours.callProfile), ours.timeline);
  }
}
for (const tool of TOOLS) {
  anchors[tool.id] = { serverless: {}, dedicated: {} };
  for (const kind of KINDS) {
    for (const preset of PRESETS) {
      const ours = ttr[kind][preset]!;
      const r = replay(tool.steps[kind], ours.timeline);
      const spread = overheadSpread(tool.steps[kind], ours.timeline);
      anchors[tool.id]![kind][preset] = {
        name: tool.name,
        endMs: r.endMs,
        providerMs: r.providerMs,
        overheadMs: r.overheadMs,
        atlasCalls: r.atlasCalls,
        delivers: r.delivers,
        overheadMeanMs: spread.meanMs,
        overheadMaxMs: spread.maxMs,
        overheadRatio: r.overheadMs !== null && ours.overheadMs > 0 ? r.overheadMs / ours.overheadMs : null,
        atlasCallsRatio: r.atlasCalls / ours.atlasCalls,
        steps: r.steps,
      };
    }
  }
}

// 3. Scale ------------------------------------------------------------------------------------------------
// The deployment as the construct ships it (its default reserved concurrency), then with the concurrency the
// README recommends where the account has room; the targets are judged on the first.
let scale: ScaleResult | null = null;
let scaleRecommended: ScaleResult | null = null;
if (!flag('--skip-scale')) {
  for (const reservedConcurrency of [
    DEFAULT_ATLAS_RESERVED_CONCURRENCY,
    RECOMMENDED_ATLAS_RESERVED_CONCURRENCY,
  ]) {
    progress(
      `scale: ${executions} executions at once, Atlas functions' reserved concurrency ${reservedConcurrency || 'none'} ` +
        '(a few real minutes: token waits run in real time)',
    );
    const result = await runScale({ executions, reservedConcurrency, onProgress: progress });
    if (scale === null) scale = result;
    else scaleRecommended = result;
  }
}

// 4. Bundles ----------------------------------------------------------------------------------------------
let bundles: Record<string, BundleFigures> = {};
if (!flag('--skip-bundles')) {
  progress(`bundles: esbuild, then ${loadRuns} fresh node processes per handler`);
  bundles = await measureBundles(loadRuns);
}

// 5. npm test ---------------------------------------------------------------------------------------------
let npmTest: { wallMs: number; exitCode: number; log: string } | null = null;
mkdirSync(join(root, '.bench'), { recursive: true });
if (!flag('--skip-test-time')) {
  progress('npm test (output in .bench/npm-test.log)');
  const logPath = join(root, '.bench', 'npm-test.log');
  const log = createWriteStream(logPath);
  const t = performance.now();
  const exitCode = await new Promise<number>((resolve, reject) => {
    const child = spawn('npm', ['test'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  log.end();
  npmTest = { wallMs: performance.now() - t, exitCode, log: '.bench/npm-test.log' };
}

// Results -------------------------------------------------------------------------------------------------
const partial = {
  version: 1 as const,
  date: new Date().toISOString(),
  machine: { ...machine, loadAverageAtEnd: loadavg().map((v) => Number(v.toFixed(2))) },
  benchRealMs: performance.now() - startedAt,
  timeToReady: Object.fromEntries(
    KINDS.map((kind) => [
      kind,
      Object.fromEntries(
        PRESETS.map((preset) => {
          const t = ttr[kind][preset]!;
          return [preset, { ...t, ourScheduleSpread: ourSpread[kind][preset] }];
        }),
      ),
    ]),
  ),
  anchors,
  scale,
  scaleRecommended,
  bundles,
  npmTest,
};
const targets = evaluateTargets(ResultsBaseSchema.parse(partial));
const results = ResultsSchema.parse({ ...partial, targets });
writeFileSync(join(root, '.bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

// Markdown ------------------------------------------------------------------------------------------------
const lines: string[] = [];
const out = (line = '') => lines.push(line);
out(`## Performance (\`npm run bench\`, ${results.date.slice(0, 10)})`);
out();
out(
  `Machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.platform}, Node ${machine.node}; ` +
    `load average (1/5/15 min) ${machine.loadAverageAtStart.join(' / ')} at the start, ` +
    `${partial.machine.loadAverageAtEnd.join(' / ')} at the end (the cores are shared).`,
);
out();
out(targetsTable(targets));
out();
out('### Time to ready (one execution each, virtual clock)');
out();
out(
  '| kind | preset | run | provider | overhead | mean overhead, durations ±20 % | Atlas | EC2 | Lambda | transitions |',
);
out('|---|---|---|---|---|---|---|---|---|---|');
for (const kind of KINDS) {
  for (const preset of PRESETS) {
    const t = ttr[kind][preset]!;
    const spread = ourSpread[kind][preset]!;
    out(
      `| ${kind} | ${preset} | ${s(t.virtualMs)} | ${s(t.providerReadyMs)} | ${s(t.overheadMs)} | ` +
        `${spread.meanMs === null ? 'n/a' : s(spread.meanMs)} | ${t.atlasCalls} | ${t.ec2Calls} | ` +
        `${t.lambdaInvocations} | ${t.stateTransitions} |`,
    );
  }
}
out();
out(
  'Where the overhead and the calls come from (phase: provider time / overhead it adds / checks / Atlas calls):',
);
out();
for (const kind of KINDS) {
  for (const preset of PRESETS) {
    const t = ttr[kind][preset]!;
    const phases = t.phases
      .map((p) => `${p.phase} ${s(p.providerMs)} / ${s(p.addedMs)} / ${p.checks} / ${p.atlasCalls}`)
      .join('; ');
    const byStep = Object.entries(t.atlasCallsByStep)
      .filter(([, n]) => n > 0)
      .map(([step, n]) => `${step} ${n}`)
      .join(', ');
    const check =
      t.replay.endMs === t.virtualMs ? 'replay of PHASES matches' : `replay of PHASES: ${s(t.replay.endMs)}`;
    out(`- ${kind}, ${preset}: ${phases}. Atlas calls by step: ${byStep}. (${check})`);
  }
}
out();
out("### Anchors: the same timelines, other tools' loops (bench/anchors.ts)");
out();
out(
  '| tool | kind | preset | ready at | overhead | mean overhead ±20 % | Atlas calls | overhead × ours | calls × ours |',
);
out('|---|---|---|---|---|---|---|---|---|');
for (const kind of KINDS) {
  for (const preset of PRESETS) {
    const t = ttr[kind][preset]!;
    const spread = ourSpread[kind][preset]!;
    out(
      `| **this workflow** | ${kind} | ${preset} | ${s(t.virtualMs)} | ${s(t.overheadMs)} | ` +
        `${spread.meanMs === null ? 'n/a' : s(spread.meanMs)} | ${t.atlasCalls} | 1 | 1 |`,
    );
    for (const tool of TOOLS) {
      const a = anchors[tool.id]![kind][preset] as {
        endMs: number;
        overheadMs: number | null;
        overheadMeanMs: number | null;
        atlasCalls: number;
        delivers: boolean;
        overheadRatio: number | null;
        atlasCallsRatio: number;
      };
      const overhead = a.overheadMs === null ? 'no private string at its end' : s(a.overheadMs);
      const ratio =
        a.overheadMs === null
          ? 'n/a'
          : a.overheadRatio === null
            ? `+${s(a.overheadMs - t.overheadMs)}`
            : `${a.overheadRatio.toFixed(1)}`;
      out(
        `| ${tool.name} | ${kind} | ${preset} | ${s(a.endMs)} | ${overhead} | ` +
          `${a.overheadMeanMs === null ? 'n/a' : s(a.overheadMeanMs)} | ${a.atlasCalls} | ${ratio} | ${a.atlasCallsRatio.toFixed(1)} |`,
      );
    }
  }
}
out();
const scaleSection = (sc: ScaleResult) => {
  const reserved = sc.reservedConcurrency === null ? 'none' : String(sc.reservedConcurrency);
  out(
    `### Scale: ${sc.executions} executions at once, one world; Atlas functions' reserved concurrency ${reserved}`,
  );
  out();
  const failures = Object.entries(sc.failures)
    .map(([e, n]) => `${e} ${n}`)
    .join(', ');
  out(
    `- ${sc.succeeded} of ${sc.executions} succeeded${failures ? ` (failed: ${failures})` : ''}; time to ready p50 ` +
      `${s(sc.p50Ms)}, p95 ${s(sc.p95Ms)}, max ${s(sc.maxMs)} (serverless p50 ${s(sc.byKind.serverless?.p50Ms ?? 0)}, ` +
      `dedicated p50 ${s(sc.byKind.dedicated?.p50Ms ?? 0)}).`,
  );
  out(
    `- 429s met: ${sc.http429.total} (${
      Object.entries(sc.http429.byOperation)
        .map(([o, n]) => `${o} ${n}`)
        .join(', ') || 'none'
    }); followed by a success of the same request: ${sc.http429.recovered}.`,
  );
  out(
    `- Token endpoint: ${sc.tokenRequests} requests, ${sc.tokensMinted} tokens minted; per minute at most ` +
      `${sc.tokenRequestsPerMinuteMax} requests and ${sc.tokensPerMinuteMax} tokens minted; live tokens at the peak ${sc.liveTokensMax}.`,
  );
  out(
    `- Lambda model: containers ${JSON.stringify(sc.fleet.containers)}; throttled invocations ` +
      `${JSON.stringify(sc.fleet.throttles)}.`,
  );
  out(
    `- Atlas calls ${sc.atlasCalls} (at most ${sc.atlasCallsPerMinuteMax} in a minute). Virtual span ${s(sc.virtualSpanMs)}, ` +
      `of which ${s(sc.virtualSpanMs - sc.jumpedMs)} ran at real speed (work, including this process's CPU ` +
      `contention and real Retry-After sleeps); ${s(sc.realMs)} real.`,
  );
  for (const [why, n] of Object.entries(sc.failureGroups)) out(`- failed ×${n}: ${why}.`);
  out();
};
if (scale) scaleSection(scale);
if (scaleRecommended) scaleSection(scaleRecommended);
if (Object.keys(bundles).length > 0) {
  out('### Lambda bundles (esbuild as NodejsFunction bundles them; load = median of fresh Node processes)');
  out();
  out('| step | minified | load (median wall) | load (median CPU) | largest parts |');
  out('|---|---|---|---|---|');
  for (const [step, b] of Object.entries(bundles)) {
    const top = b.top
      .slice(0, 3)
      .map((p) => `${p.input} ${(p.bytes / 1024).toFixed(0)} KiB`)
      .join(', ');
    out(
      `| ${step} | ${(b.bytes / 1024).toFixed(0)} KiB | ${b.loadMs.toFixed(0)} ms | ${b.loadCpuMs.toFixed(0)} ms | ${top} |`,
    );
  }
  out();
}
if (npmTest) {
  out(`npm test: ${s(npmTest.wallMs)} wall, exit code ${npmTest.exitCode} (log: ${npmTest.log}).`);
} else {
  out('npm test: not timed (--skip-test-time).');
}
out();
out('Written to .bench/results.json.');
console.log(lines.join('\n'));
