/**
 * The engine runs several executions at once in one process: each Lambda invocation sees its own function's
 * environment (env-scope.ts), never another's, and the process's own environment is never written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { withEnvironment } from '../../local/env-scope.ts';
import { live, newWorld, requestFor, run, type TestWorld } from '../workflow/harness.ts';

const worlds: TestWorld[] = [];

afterEach(async () => {
  for (const w of worlds.splice(0)) {
    expect(w.contractViolations()).toEqual([]);
    await w.close();
  }
});

describe('concurrent executions in one process', () => {
  it('keep their handlers environments apart (two worlds, two auth methods, both kinds)', async () => {
    const before = { ...process.env };
    const [a, b] = await Promise.all([newWorld(), newWorld()]);
    worlds.push(a, b);
    const runs = await Promise.all([
      run(a, requestFor('dedicated', a), { executionName: 'conc-a1', auth: 'service-account' }),
      run(b, requestFor('serverless', b), { executionName: 'conc-b1', auth: 'api-key' }),
      run(a, requestFor('serverless', a), { executionName: 'conc-a2', auth: 'service-account' }),
      run(b, requestFor('dedicated', b), { executionName: 'conc-b2', auth: 'api-key' }),
    ]);
    for (const r of runs)
      expect(r.status, `${r.executionName}: ${JSON.stringify(r.error)}`).toBe('SUCCEEDED');
    // Each world holds exactly the two connections made against it.
    // and only with its own execution's credentials: world a saw bearer tokens only, world b digest only.
    const authOf = (w: TestWorld) =>
      new Set(w.world.log.entries.filter((e) => e.service === 'atlas' && e.status < 400).map((e) => e.auth));
    for (const w of [a, b]) expect(live(w).vpcEndpoints).toHaveLength(2);
    expect([...authOf(a)].sort()).toEqual(['basic', 'bearer']);
    expect([...authOf(b)]).toEqual(['digest']);
    expect(process.env).toEqual(before);
  });

  it('withEnvironment gives each asynchronous context its own process.env', async () => {
    const seen: string[] = [];
    const task = (value: string) =>
      withEnvironment({ ONLY_HERE: value }, async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        process.env.WRITTEN_HERE = value;
        await new Promise((resolve) => setTimeout(resolve, 5));
        seen.push(`${process.env.ONLY_HERE}/${process.env.WRITTEN_HERE}/${'PATH' in process.env}`);
      });
    await Promise.all([task('x'), task('y'), task('z')]);
    expect(seen.sort()).toEqual(['x/x/false', 'y/y/false', 'z/z/false']);
    expect(process.env.ONLY_HERE).toBeUndefined();
    expect(process.env.WRITTEN_HERE).toBeUndefined();
  });
});
