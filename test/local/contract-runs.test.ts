/**
 * Contract-report bookkeeping: each `vitest run` gets its own folder (started by the globalSetup), and the
 * report reads the latest run only, instead of summing every run ever made.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  addRunCounts,
  CONTRACT_REPORT_DIR,
  KEEP_RUNS_MS,
  latestRunId,
  runTotals,
  startContractRun,
} from '../support/contract-runs.ts';

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'ape-contract-runs-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe('contract report runs', () => {
  it('the report sums the latest run only', () => {
    const t0 = Date.now();
    const first = startContractRun(base, t0);
    addRunCounts(first, { 'getCluster 200 valid': 5 }, 1, base, 101);
    const second = startContractRun(base, t0 + 1000);
    expect(second).not.toBe(first);
    addRunCounts(second, { 'getCluster 200 valid': 2 }, 0, base, 201);
    addRunCounts(second, { 'getCluster 200 valid': 1, 'oauthToken 200 not-in-spec': 3 }, 0, base, 202);
    addRunCounts(second, { 'getCluster 200 valid': 1 }, 0, base, 202);
    expect(latestRunId(base)).toBe(second);
    expect(runTotals(base)).toEqual({
      runId: second,
      files: 2,
      counts: { 'getCluster 200 valid': 4, 'oauthToken 200 not-in-spec': 3 },
      violations: 0,
    });
    // The earlier run is still readable by id, and unchanged.
    expect(runTotals(base, first)?.counts).toEqual({ 'getCluster 200 valid': 5 });
  });

  it('a new run removes the old layout and runs older than the keep window', () => {
    writeFileSync(join(base, 'counts-4242.json'), JSON.stringify({ counts: { x: 1 }, violations: 0 }));
    const old = startContractRun(base, Date.now());
    expect(readdirSync(base)).not.toContain('counts-4242.json');
    const young = startContractRun(base, Date.now() + 1000);
    expect(existsSync(join(base, old))).toBe(true);
    const later = startContractRun(base, Date.now() + KEEP_RUNS_MS + 60_000);
    expect(existsSync(join(base, old))).toBe(false);
    expect(existsSync(join(base, young))).toBe(false);
    expect(latestRunId(base)).toBe(later);
    expect(runTotals(base)).toEqual({ runId: later, files: 0, counts: {}, violations: 0 });
  });

  it('there is nothing to report before any run, and odd run ids are refused', () => {
    expect(latestRunId(base)).toBeUndefined();
    expect(runTotals(base)).toBeUndefined();
    writeFileSync(join(base, 'latest-run'), '../../etc');
    expect(latestRunId(base)).toBeUndefined();
    expect(() => addRunCounts('../x', {}, 0, base)).toThrow(/not a run id/);
  });

  it('this vitest run was started by the globalSetup', () => {
    const runId = inject('contractRunId');
    expect(runId).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(existsSync(join(CONTRACT_REPORT_DIR, runId))).toBe(true);
  });
});
