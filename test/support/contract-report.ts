/**
 * Sums the contract-validation counts that test processes wrote to os.tmpdir()/atlas-contract-report.
 *
 *   npx tsx test/support/contract-report.ts           # print the totals
 *   npx tsx test/support/contract-report.ts --clear   # delete the counts (run before a fresh `vitest run`)
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CONTRACT_REPORT_DIR } from './world.ts';

function main(): void {
  if (process.argv.includes('--clear')) {
    rmSync(CONTRACT_REPORT_DIR, { recursive: true, force: true });
    console.log(`cleared ${CONTRACT_REPORT_DIR}`);
    return;
  }
  if (!existsSync(CONTRACT_REPORT_DIR)) {
    console.log(`no contract counts in ${CONTRACT_REPORT_DIR} (run the tests first)`);
    return;
  }
  const byOperation = new Map<string, Map<string, number>>();
  let violations = 0;
  let files = 0;
  for (const name of readdirSync(CONTRACT_REPORT_DIR)) {
    if (!name.endsWith('.json')) continue;
    const data = JSON.parse(readFileSync(join(CONTRACT_REPORT_DIR, name), 'utf8')) as {
      counts: Record<string, number>;
      violations: number;
    };
    files++;
    violations += data.violations;
    for (const [key, n] of Object.entries(data.counts)) {
      const [operation = '?', status = '?', verdict = '?'] = key.split(' ');
      const inner = byOperation.get(operation) ?? new Map<string, number>();
      const sub = `${status} ${verdict}`;
      inner.set(sub, (inner.get(sub) ?? 0) + n);
      byOperation.set(operation, inner);
    }
  }
  const verdictTotals = new Map<string, number>();
  console.log(`Atlas contract validation (${files} process file(s) in ${CONTRACT_REPORT_DIR})\n`);
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
  console.log(`\n  by verdict: ${summary || 'none'}; violations recorded: ${violations}`);
}

main();
