/**
 * The handlers' log lines reach the secret scan: the scenario harness runs the engine at DEBUG and collects
 * every line a handler writes (instead of printing it), scans them with the run's result and hands them to
 * the suite-wide scan of test/setup.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { secretHits } from '../../local/cloud/index.ts';
import { collectingLogs } from '../../local/log-capture.ts';
import { newWorld, requestFor, run, type TestWorld } from '../workflow/harness.ts';

let world: TestWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('handler log lines in the tests', () => {
  it('are collected per run at DEBUG, not printed, and handed to the suite-wide scan', async () => {
    world = await newWorld({ preset: 'instant' });
    const printed: string[] = [];
    const original = process.stdout.write;
    process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
      printed.push(String(chunk));
      return (original as (...args: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
    }) as typeof process.stdout.write;
    let result: Awaited<ReturnType<typeof run>>;
    try {
      result = await run(world, requestFor('dedicated', world), { executionName: 'log-scan' });
    } finally {
      process.stdout.write = original;
    }
    expect(result.status).toBe('SUCCEEDED');
    const logs = result.logs ?? [];
    const entries = logs.map((line) => JSON.parse(line) as { level: string; step?: string });
    // Every step that ran logged, at DEBUG too.
    expect(new Set(entries.map((e) => e.step))).toContain('validate-request');
    expect(new Set(entries.map((e) => e.step))).toContain('create-vpc-endpoint');
    expect(entries.some((e) => e.level === 'DEBUG')).toBe(true);
    expect(printed.filter((chunk) => logs.some((line) => chunk.includes(line)))).toEqual([]);
    const suiteWide = (globalThis as { __secretHygieneWritten?: string[] }).__secretHygieneWritten ?? [];
    expect(suiteWide).toEqual(expect.arrayContaining(logs.slice(0, 3)));
    expect(secretHits(logs.join('\n'))).toEqual([]);
  });

  it('a secret written by a handler would be in the scanned lines (the collector keeps every write)', async () => {
    world = await newWorld({ preset: 'instant' });
    const secret = world.world.demo.serviceAccount.clientSecret;
    const lines: string[] = [];
    await collectingLogs(lines, async () => {
      await Promise.resolve();
      process.stdout.write(`${JSON.stringify({ level: 'DEBUG', leaked: secret })}\n`);
    });
    expect(lines).toHaveLength(1);
    expect(secretHits(lines.join('\n')).length).toBeGreaterThan(0);
  });
});
