/**
 * Where test processes leave their contract-validation counts: one folder per `vitest run`.
 *
 * The vitest globalSetup (`global-setup.ts`) starts a run: a fresh run id, its folder, and the `latest-run`
 * file naming it; it also removes the folders of runs older than a few hours. Each test process adds its
 * counts to `<run id>/counts-<pid>.json`, and `contract-report.ts` reads the latest run only, so the totals
 * are those of one run, not of every run ever made. No vitest import here: the report runs under plain tsx.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The id of this `vitest run` (see `startContractRun`). */
    contractRunId: string;
  }
}

export const CONTRACT_REPORT_DIR = join(tmpdir(), 'atlas-contract-report');
const LATEST_FILE = 'latest-run';
/** Run folders older than this are removed when a new run starts (younger ones may belong to a run still going). */
export const KEEP_RUNS_MS = 6 * 3_600_000;
const RUN_ID = /^[A-Za-z0-9_-]+$/;

export interface RunTotals {
  readonly runId: string;
  /** How many process files the run left. */
  readonly files: number;
  /** `operation status verdict` -> count, summed over the run's processes. */
  readonly counts: Readonly<Record<string, number>>;
  readonly violations: number;
}

interface ProcessFile {
  counts: Record<string, number>;
  violations: number;
  updatedAt?: string;
}

/** Starts a run: creates its folder, names it in `latest-run`, prunes old runs. Returns the run id. */
export function startContractRun(baseDir: string = CONTRACT_REPORT_DIR, now: number = Date.now()): string {
  mkdirSync(baseDir, { recursive: true });
  prune(baseDir, now);
  const runId = `${new Date(now).toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
  mkdirSync(join(baseDir, runId), { recursive: true });
  // Write then rename, so a reader never sees a half-written name.
  const temp = join(baseDir, `${LATEST_FILE}.${process.pid}.tmp`);
  writeFileSync(temp, runId);
  renameSync(temp, join(baseDir, LATEST_FILE));
  return runId;
}

function prune(baseDir: string, now: number): void {
  for (const name of readdirSync(baseDir)) {
    const path = join(baseDir, name);
    try {
      // Files of the old layout (counts-<pid>.json directly in the folder) summed every run ever made.
      if (/^counts-\d+\.json$/.test(name)) {
        rmSync(path, { force: true });
        continue;
      }
      const stat = statSync(path);
      if (stat.isDirectory() && now - stat.mtimeMs > KEEP_RUNS_MS)
        rmSync(path, { recursive: true, force: true });
    } catch {
      // another run pruned it first
    }
  }
}

/** Adds one process's counts to its file in the run's folder (read-modify-write: files may share a process). */
export function addRunCounts(
  runId: string,
  delta: Readonly<Record<string, number>>,
  violations: number,
  baseDir: string = CONTRACT_REPORT_DIR,
  pid: number = process.pid,
): void {
  if (!RUN_ID.test(runId)) throw new Error(`not a run id: ${JSON.stringify(runId)}`);
  const dir = join(baseDir, runId);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `counts-${pid}.json`);
  let current: ProcessFile = { counts: {}, violations: 0 };
  try {
    current = JSON.parse(readFileSync(file, 'utf8')) as ProcessFile;
  } catch {
    // first write from this process
  }
  for (const [k, v] of Object.entries(delta)) current.counts[k] = (current.counts[k] ?? 0) + v;
  current.violations += violations;
  current.updatedAt = new Date().toISOString();
  writeFileSync(file, JSON.stringify(current, null, 2));
}

/** The id in `latest-run`, if there is a usable one. */
export function latestRunId(baseDir: string = CONTRACT_REPORT_DIR): string | undefined {
  let runId: string;
  try {
    runId = readFileSync(join(baseDir, LATEST_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
  return RUN_ID.test(runId) ? runId : undefined;
}

/** The totals of one run (default: the latest); undefined when there is no run to read. */
export function runTotals(
  baseDir: string = CONTRACT_REPORT_DIR,
  runId: string | undefined = latestRunId(baseDir),
): RunTotals | undefined {
  if (runId === undefined || !RUN_ID.test(runId)) return undefined;
  const dir = join(baseDir, runId);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const counts: Record<string, number> = {};
  let violations = 0;
  let files = 0;
  for (const name of names) {
    if (!/^counts-\d+\.json$/.test(name)) continue;
    const data = JSON.parse(readFileSync(join(dir, name), 'utf8')) as ProcessFile;
    files++;
    violations += data.violations;
    for (const [key, n] of Object.entries(data.counts)) counts[key] = (counts[key] ?? 0) + n;
  }
  return { runId, files, counts, violations };
}
