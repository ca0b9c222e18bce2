import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../local/cloud/clock.ts';
import { type AslDefinition, readPath, runDefinition, waitSecondsFor } from '../../local/engine-core.ts';

class Flaky extends Error {
  override name = 'Flaky';
}
class Boom extends Error {
  override name = 'Boom';
}

const definition: AslDefinition = {
  StartAt: 'Describe',
  States: {
    Describe: {
      Type: 'Task',
      Resource: 'arn:aws:lambda:us-east-1:123456789012:function:Describe',
      ResultPath: '$.poll',
      Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 2, BackoffRate: 3, MaxAttempts: 3 }],
      Catch: [{ ErrorEquals: ['Boom'], ResultPath: '$.error', Next: 'Failed' }],
      Next: 'Ready?',
    },
    'Ready?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.poll.ready', BooleanEquals: true, Next: 'Done' }],
      Default: 'Wait a bit',
    },
    'Wait a bit': { Type: 'Wait', SecondsPath: '$.poll.waitSeconds', Next: 'Describe' },
    Done: { Type: 'Succeed' },
    Failed: { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
  },
};

describe('engine core', () => {
  it('runs Waits on the virtual clock and passes input through them', async () => {
    const clock = new VirtualClock({ timeScale: 0 });
    const t0 = clock.now();
    let calls = 0;
    const result = await runDefinition({
      definition,
      clock,
      input: { keep: 'me' },
      tasks: { Describe: async () => ({ ready: ++calls === 3, waitSeconds: 30 }) },
    });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ keep: 'me', poll: { ready: true, waitSeconds: 30 } });
    expect(clock.now() - t0).toBe(60_000);
    expect(result.waitedMs).toBe(60_000);
    const waits = result.history.filter((h) => h.kind === 'waited');
    expect(waits.map((w) => [w.type, w.waitSeconds])).toEqual([
      ['Wait', 30],
      ['Wait', 30],
    ]);
    const entered = result.history.filter((h) => h.kind === 'entered').map((h) => h.state);
    expect(entered).toEqual([
      'Describe',
      'Ready?',
      'Wait a bit',
      'Describe',
      'Ready?',
      'Wait a bit',
      'Describe',
      'Ready?',
      'Done',
    ]);
    // The second Describe was entered after the first 30 s wait.
    const describes = result.history.filter((h) => h.kind === 'entered' && h.state === 'Describe');
    expect(describes.map((d) => d.virtualTime - t0)).toEqual([0, 30_000, 60_000]);
  });

  it('adds retry pauses to the virtual clock and reports errors as Lambda does', async () => {
    const clock = new VirtualClock({ timeScale: 0 });
    const t0 = clock.now();
    let calls = 0;
    const result = await runDefinition({
      definition,
      clock,
      input: {},
      tasks: {
        Describe: async () => {
          calls += 1;
          if (calls <= 2) throw new Flaky('try again');
          throw new Boom('permanent');
        },
      },
    });
    expect(calls).toBe(3);
    expect(clock.now() - t0).toBe(2_000 + 6_000);
    expect(result.status).toBe('FAILED');
    expect(result.error?.error).toBe('Boom');
    expect(JSON.parse(result.error?.cause ?? '{}')).toEqual({
      errorType: 'Boom',
      errorMessage: 'permanent',
      trace: [],
    });
    expect(result.history.filter((h) => h.kind === 'retried')).toHaveLength(2);
  });

  it('refuses to run a Task with no bound function', async () => {
    await expect(
      runDefinition({ definition, clock: new VirtualClock({ timeScale: 0 }), input: {}, tasks: {} }),
    ).rejects.toThrow(/no local function bound to Task state "Describe"/);
  });

  it('reads wait durations from every Wait form', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(waitSecondsFor({ Type: 'Wait', Seconds: 5 }, {}, now)).toBe(5);
    expect(waitSecondsFor({ Type: 'Wait', SecondsPath: '$.a.b[1]' }, { a: { b: [1, 7] } }, now)).toBe(7);
    expect(waitSecondsFor({ Type: 'Wait', Timestamp: '2026-01-01T00:01:00Z' }, {}, now)).toBe(60);
    expect(waitSecondsFor({ Type: 'Wait', TimestampPath: '$.t' }, { t: '2025-12-31T00:00:00Z' }, now)).toBe(
      0,
    );
    expect(() => waitSecondsFor({ Type: 'Wait', SecondsPath: '$.x' }, { x: -1 }, now)).toThrow(/number >= 0/);
    expect(readPath({ a: [{ b: 1 }] }, '$.a[0].b')).toBe(1);
  });
});
