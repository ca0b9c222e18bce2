/**
 * `.bench/results.json`: its schema (scripts read these keys), the targets evaluated against it, and
 * the markdown `npm run bench` prints. Pure functions; `test/bench/instrument.test.ts` checks them on a tiny
 * input.
 */
import { z } from 'zod';

const ms = z.number();
const count = z.number().int().nonnegative();

export const TimeToReadySchema = z.looseObject({
  virtualMs: ms,
  providerReadyMs: ms,
  overheadMs: ms,
  atlasCalls: count,
  stateTransitions: count,
  ec2Calls: count,
  lambdaInvocations: count,
});

export const AnchorSchema = z.looseObject({
  /** null when the tool's last read does not find the private connection string. */
  overheadMs: ms.nullable(),
  atlasCalls: count,
  endMs: ms,
  delivers: z.boolean(),
});

export const ScaleSchema = z.looseObject({
  executions: count,
  succeeded: count,
  p50Ms: ms,
  p95Ms: ms,
  tokensPerMinuteMax: count,
  tokenRequestsPerMinuteMax: count,
  liveTokensMax: count,
});

export const BundleSchema = z.looseObject({ bytes: count, loadMs: ms });

export const TargetSchema = z.object({
  figure: z.string(),
  target: z.string(),
  value: z.string(),
  pass: z.boolean(),
});

const byKindPreset = <T extends z.ZodType>(inner: T) =>
  z.record(z.enum(['serverless', 'dedicated']), z.record(z.enum(['realistic', 'slow']), inner));

export const ResultsBaseSchema = z.looseObject({
  version: z.literal(1),
  date: z.string(),
  machine: z.looseObject({ cores: count, node: z.string(), cpuModel: z.string() }),
  timeToReady: byKindPreset(TimeToReadySchema),
  anchors: z.record(z.string(), byKindPreset(AnchorSchema)),
  scale: ScaleSchema.nullable(),
  bundles: z.record(z.string(), BundleSchema),
  npmTest: z.looseObject({ wallMs: ms, exitCode: z.number().int() }).nullable(),
});

export const ResultsSchema = ResultsBaseSchema.extend({ targets: z.array(TargetSchema) });

export type ResultsBase = z.infer<typeof ResultsBaseSchema>;
export type Results = z.infer<typeof ResultsSchema>;
export type Target = z.infer<typeof TargetSchema>;

export const KINDS = ['serverless', 'dedicated'] as const;
export const PRESETS = ['realistic', 'slow'] as const;

/** The target table (issue 12), as numbers. */
export const TARGETS = {
  overheadMs: { realistic: 10_000, slow: 60_000 },
  atlasCalls: { realistic: 30, slow: 80 },
  stateTransitionsSlow: 200,
  scaleExecutions: 200,
  tokenRequestsPerMinute: 10,
  liveTokens: 100,
  bundleBytes: 1_000_000,
  loadMs: 150,
  npmTestMs: 90_000,
} as const;

const sec = (v: number) => `${(v / 1000).toFixed(1)} s`;

/** Every figure of the target table against its target. Figures that were not measured are left out. */
export function evaluateTargets(r: ResultsBase): Target[] {
  const out: Target[] = [];
  const add = (figure: string, target: string, value: string, pass: boolean) =>
    out.push({ figure, target, value, pass });
  for (const preset of PRESETS) {
    for (const kind of KINDS) {
      const t = r.timeToReady[kind]?.[preset];
      if (!t) continue;
      add(
        `overhead, ${preset}, ${kind}`,
        `≤ ${sec(TARGETS.overheadMs[preset])}`,
        sec(t.overheadMs),
        t.overheadMs <= TARGETS.overheadMs[preset],
      );
      const tf = r.anchors.terraform?.[kind]?.[preset];
      const limit = TARGETS.atlasCalls[preset];
      const beatsTf = tf !== undefined && t.atlasCalls < tf.atlasCalls;
      add(
        `Atlas calls per execution, ${preset}, ${kind}`,
        `≤ ${limit} and < Terraform replay`,
        `${t.atlasCalls} (Terraform ${tf?.atlasCalls ?? 'n/a'})`,
        t.atlasCalls <= limit && beatsTf,
      );
      if (preset === 'slow') {
        add(
          `state transitions per execution, slow, ${kind}`,
          `≤ ${TARGETS.stateTransitionsSlow}`,
          String(t.stateTransitions),
          t.stateTransitions <= TARGETS.stateTransitionsSlow,
        );
      }
    }
  }
  if (r.scale) {
    const s = r.scale;
    add(
      `${TARGETS.scaleExecutions} concurrent executions succeed`,
      `${TARGETS.scaleExecutions} of ${TARGETS.scaleExecutions}`,
      `${s.succeeded} of ${s.executions}`,
      s.executions >= TARGETS.scaleExecutions && s.succeeded === s.executions,
    );
    add(
      'token requests per minute (max), at scale',
      `≤ ${TARGETS.tokenRequestsPerMinute}`,
      String(s.tokenRequestsPerMinuteMax),
      s.tokenRequestsPerMinuteMax <= TARGETS.tokenRequestsPerMinute,
    );
    add(
      'live tokens (max), at scale',
      `≤ ${TARGETS.liveTokens}`,
      String(s.liveTokensMax),
      s.liveTokensMax <= TARGETS.liveTokens,
    );
  }
  for (const [step, b] of Object.entries(r.bundles)) {
    add(
      `bundle ${step}`,
      '≤ 1 MB (1,000,000 bytes)',
      `${(b.bytes / 1e6).toFixed(2)} MB`,
      b.bytes <= TARGETS.bundleBytes,
    );
    add(
      `load ${step}`,
      `≤ ${TARGETS.loadMs} ms median`,
      `${b.loadMs.toFixed(0)} ms`,
      b.loadMs <= TARGETS.loadMs,
    );
  }
  if (r.npmTest) {
    const { wallMs, exitCode } = r.npmTest;
    add(
      'npm test wall time',
      `≤ ${sec(TARGETS.npmTestMs)}, green`,
      exitCode === 0 ? sec(wallMs) : `${sec(wallMs)}, exit code ${exitCode}`,
      exitCode === 0 && wallMs <= TARGETS.npmTestMs,
    );
  }
  return out;
}

/** The one markdown table: each target once (bundle rows folded into their worst case, failures named). */
export function targetsTable(targets: readonly Target[]): string {
  const rows: string[] = ['| figure | target | measured | |', '|---|---|---|---|'];
  const mark = (pass: boolean) => (pass ? 'pass' : '**FAIL**');
  const bundles = targets.filter((t) => t.figure.startsWith('bundle '));
  const loads = targets.filter((t) => t.figure.startsWith('load '));
  for (const t of targets) {
    if (t.figure.startsWith('bundle ') || t.figure.startsWith('load ')) continue;
    rows.push(`| ${t.figure} | ${t.target} | ${t.value} | ${mark(t.pass)} |`);
  }
  const fold = (list: readonly Target[], what: string, target: string) => {
    if (list.length === 0) return;
    const failing = list.filter((t) => !t.pass).map((t) => `${t.figure.split(' ')[1]} ${t.value}`);
    const value =
      failing.length === 0
        ? `all ${list.length} within`
        : `${failing.length} of ${list.length} over: ${failing.join(', ')}`;
    rows.push(`| ${what} | ${target} | ${value} | ${mark(failing.length === 0)} |`);
  };
  fold(bundles, 'each Lambda bundle, minified', '≤ 1 MB');
  fold(loads, 'each Lambda bundle, module load (median)', `≤ ${TARGETS.loadMs} ms`);
  return rows.join('\n');
}

/** The most events in any window of `windowMs` (times in any order). */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < t.length; hi++) {
    while ((t[hi] ?? 0) - (t[lo] ?? 0) >= windowMs) lo += 1;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
