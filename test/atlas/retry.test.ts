import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  classifyNetworkError,
  DEFAULT_RETRY,
  isRetryableStatus,
  isUnprocessedStatus,
  nextDelay,
  parseRetryAfter,
  resolveRetryOptions,
} from '../../lambdas/atlas/retry.ts';

const policy = fc.record({
  maxAttempts: fc.integer({ min: 1, max: 10 }),
  baseDelayMs: fc.integer({ min: 0, max: 10_000 }),
  maxDelayMs: fc.integer({ min: 0, max: 120_000 }),
  budgetMs: fc.integer({ min: 0, max: 900_000 }),
});

describe('backoff', () => {
  it('full jitter stays within [0, min(maxDelay, base * 2^n)) for any policy, retry and random value', () => {
    fc.assert(
      fc.property(policy, fc.integer({ min: 0, max: 200 }), fc.double({ min: 0, max: 1 }), (p, retry, r) => {
        const delay = backoffDelay(retry, p, () => r);
        const ceiling = Math.min(p.maxDelayMs, p.baseDelayMs * 2 ** retry);
        return Number.isInteger(delay) && delay >= 0 && (ceiling === 0 ? delay === 0 : delay < ceiling);
      }),
    );
  });

  it('grows exponentially until the cap (random fixed at the top)', () => {
    const p = resolveRetryOptions({ baseDelayMs: 100, maxDelayMs: 1000 });
    const delays = [0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, p, () => 0.999999999));
    expect(delays).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('never waits less than Retry-After, and at most 10 % more', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600_000 }), fc.double({ min: 0, max: 1 }), (retryAfter, r) => {
        const delay = nextDelay(3, retryAfter, DEFAULT_RETRY, () => r);
        return delay >= retryAfter && delay <= retryAfter * 1.1;
      }),
    );
  });

  it('tolerates a broken random source', () => {
    const p = resolveRetryOptions();
    expect(backoffDelay(2, p, () => Number.NaN)).toBe(0);
    expect(backoffDelay(2, p, () => 5)).toBeLessThan(1000);
  });

  it('rejects nonsense options', () => {
    expect(() => resolveRetryOptions({ maxAttempts: 0 })).toThrow(/maxAttempts/);
    expect(() => resolveRetryOptions({ budgetMs: -1 })).toThrow(/budgetMs/);
    expect(resolveRetryOptions({ maxAttempts: undefined }).maxAttempts).toBe(DEFAULT_RETRY.maxAttempts);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-11-28T09:00:00Z');
  it('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('55', now)).toBe(55_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1500);
    expect(parseRetryAfter('Sat, 28 Nov 2026 09:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sat, 28 Nov 2026 08:00:00 GMT', now)).toBe(0);
  });
  it('ignores absent or unreadable values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});

describe('classification', () => {
  it('retries 429 and 5xx only', () => {
    for (const s of [429, 500, 502, 503, 504, 599]) expect(isRetryableStatus(s)).toBe(true);
    for (const s of [200, 301, 400, 401, 403, 404, 409, 410, 422]) expect(isRetryableStatus(s)).toBe(false);
  });
  it('treats only 429 and 503 as "certainly not processed"', () => {
    expect([429, 500, 502, 503, 504].filter(isUnprocessedStatus)).toEqual([429, 503]);
  });
  it('tells connect failures (safe to resend) from dropped connections and timeouts', () => {
    const fetchFailed = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: { code } });
    expect(classifyNetworkError(fetchFailed('ECONNREFUSED'))).toBe('connect');
    expect(classifyNetworkError(fetchFailed('ENOTFOUND'))).toBe('connect');
    expect(classifyNetworkError(fetchFailed('UND_ERR_SOCKET'))).toBe('dropped');
    expect(classifyNetworkError(fetchFailed('ECONNRESET'))).toBe('dropped');
    expect(classifyNetworkError(new DOMException('timed out', 'TimeoutError'))).toBe('timeout');
    expect(classifyNetworkError(new Error('programming error'))).toBeUndefined();
    // A request undici refused to build (e.g. an invalid header value) was never sent: not a network failure.
    expect(classifyNetworkError(fetchFailed('UND_ERR_INVALID_ARG'))).toBeUndefined();
    expect(classifyNetworkError('not an error')).toBeUndefined();
  });
});
