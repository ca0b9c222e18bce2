/**
 * Sums the contract-validation counts of the latest `vitest run` (see `contract-runs.ts`).
 *
 *   npx tsx test/support/contract-report.ts           # print the latest run's totals
 *   npx tsx test/support/contract-report.ts --clear   # delete every run's counts
 */
import { rmSync } from 'node:fs';
import { CONTRACT_REPORT_DIR, runTotals } from './contract-runs.ts';

function main(): void {
  if (process.argv.includes('--clear')) {
    rmSync(CONTRACT_REPORT_DIR, { recursive: true, force: true });
    console.log(`cleared ${CONTRACT_REPORT_DIR}`);
    return;
  }
  const run = runTotals();
  if (run === undefined) {
    console.log(`no contract counts in ${CONTRACT_REPORT_DIR} (run the tests first)`);
    return;
  }
  const byOperation = new Map<string, Map<string, number>>();
  for (const [key, n] of Object.entries(run.counts)) {
    const [operation = '?', status = '?', verdict = '?'] = key.split(' ');
    const inner = byOperation.get(operation) ?? new Map<string, number>();
    const sub = `${status} ${verdict}`;
    inner.set(sub, (inner.get(sub) ?? 0) + n);
    byOperation.set(operation, inner);
  }
  const verdictTotals = new Map<string, number>();
  console.log(
    `Atlas contract validation, latest run ${run.runId} (${run.files} process file(s) in ${CONTRACT_REPORT_DIR})\n`,
  );
  for (const operation of [...byOperation.keys()].sort()) {
    const inner = byOperation.get(operation) ?? new Map();
    const total = [...inner.values()].reduce((a, b) => a + b, 0);
    const parts = [...inner.entries()]
      .sort()
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
    console.log(`  ${operation.padEnd(32)} ${String(total).padStart(5)}  (${parts})`);
    for (const [k, n] of inner) {
      const verdict = k.split(' ')[1] ?? '?';
      verdictTotals.set(verdict, (verdictTotals.get(verdict) ?? 0) + n);
    }
  }
  const summary = [...verdictTotals.entries()]
    .sort()
    .map(([v, n]) => `${v} ${n}`)
    .join(', ');
  console.log(`\n  by verdict: ${summary || 'none'}; violations recorded: ${run.violations}`);
}

main();
