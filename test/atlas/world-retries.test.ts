/**
 * Retries against the simulated Atlas: every retryable fault is recovered, waits follow Retry-After or
 * full-jitter backoff, the budget and deadlines are honoured, and non-idempotent POST/PATCH are resent
 * only when safe (or after the converge look-up found nothing).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atlasHttpError } from '../../local/cloud/fault-catalog.ts';
import type { FaultEffect } from '../../local/cloud/faults.ts';
import { type AtlasHarness, AUTH_METHODS, startAtlasHarness, thrown } from './harness.ts';

/** Far longer than any client timeout here, so "did not wait for the answer" holds with a wide margin. */
const SLOW_MS = 3000;
/**
 * Short against SLOW_MS, but long enough that a loopback answer on a busy machine (a full `npm test` on 2 shared
 * cores, with synths and bundling in other workers) is not mistaken for a timeout: at 120 ms, ordinary answers
 * timed out there and were retried, adding requests these tests count.
 */
const CLIENT_TIMEOUT_MS = 600;

const RECOVERABLE: readonly [string, FaultEffect, number | undefined][] = [
  ['500', atlasHttpError(500), undefined],
  ['502', atlasHttpError(502), undefined],
  ['503', atlasHttpError(503), undefined],
  ['504', atlasHttpError(504), undefined],
  ['503 with Retry-After 3', atlasHttpError(503, 3), 3],
  ['429 without Retry-After', { kind: 'rate-limit' }, undefined],
  ['429 with Retry-After 2', { kind: 'rate-limit', retryAfterSeconds: 2 }, 2],
  ['a dropped connection', { kind: 'drop-connection' }, undefined],
  ['a response slower than the client timeout', { kind: 'slow-response', delayMs: SLOW_MS }, undefined],
];

let h: AtlasHarness;
beforeEach(async () => {
  h = await startAtlasHarness();
});
afterEach(async () => {
  await h.close();
});

/** Creates a dedicated endpoint service and waits (virtually) until it is ready. */
async function readyService(method: (typeof AUTH_METHODS)[number]) {
  const k = h.kind('dedicated', method);
  const t = h.target('dedicated');
  const { view } = await k.create(t);
  h.tick();
  return { t, id: view.id };
}

describe.each(AUTH_METHODS)('idempotent reads recover (%s)', (method) => {
  it.each(RECOVERABLE)('from %s', async (_name, effect, retryAfterSeconds) => {
    const { t, id } = await readyService(method);
    h.world.faults.add({ operation: 'getPrivateEndpointService', effect });
    const k = h.kind('dedicated', method, { timeoutMs: CLIENT_TIMEOUT_MS });
    const started = Date.now();
    const virtualStart = h.world.clock.now();
    const view = await k.describe(t, id);
    expect(view.status).toBe('ready-for-vpc-endpoint');
    const gets = h.world.log.of('getPrivateEndpointService');
    expect(gets).toHaveLength(2);
    expect(gets[0]?.fault).toBe(effect.kind);
    expect(gets[1]?.status).toBe(200);
    expect(h.sleeps).toHaveLength(1);
    const slept = h.sleeps[0] ?? -1;
    if (retryAfterSeconds !== undefined) {
      expect(slept).toBeGreaterThanOrEqual(retryAfterSeconds * 1000);
      expect(slept).toBeLessThanOrEqual(retryAfterSeconds * 1100);
    } else {
      // Full jitter below the first ceiling (baseDelayMs 250), with random() = 0.5.
      expect(slept).toBe(125);
    }
    // The wait went through the injected sleep (virtual time moved by exactly that much)...
    expect(h.world.clock.now() - virtualStart).toBe(slept);
    // ...and not through a real timer: where the real wait would be long (Retry-After of seconds, or the
    // slow answer the client should have given up on), the call ends well before it.
    const realWaitAvoided = effect.kind === 'slow-response' ? SLOW_MS : (retryAfterSeconds ?? 0) * 1000;
    if (realWaitAvoided > 0) expect(Date.now() - started).toBeLessThan(realWaitAvoided);
  });
});

describe('the token endpoint', () => {
  it('is retried on 503 and 429 like any call', async () => {
    h.world.faults.add({ operation: 'oauthToken', times: 1, effect: atlasHttpError(503) });
    h.world.faults.add({
      operation: 'oauthToken',
      occurrence: 2,
      effect: { kind: 'rate-limit', retryAfterSeconds: 1 },
    });
    const k = h.kind('dedicated', 'service-account');
    expect(await k.findExisting(h.target('dedicated'))).toBeUndefined();
    expect(h.world.log.of('oauthToken').map((e) => e.status)).toEqual([503, 429, 200]);
    expect(h.sleeps[1]).toBeGreaterThanOrEqual(1000);
  });
});

describe('the retry budget', () => {
  it('stops after maxAttempts with AtlasTransientError carrying the last Atlas answer', async () => {
    const { t, id } = await readyService('service-account');
    h.world.faults.add({
      operation: 'getPrivateEndpointService',
      times: Number.POSITIVE_INFINITY,
      effect: atlasHttpError(503),
    });
    const error = await thrown(() =>
      h.kind('dedicated', 'service-account', { retry: { maxAttempts: 4 } }).describe(t, id),
    );
    expect(error.name).toBe('AtlasTransientError');
    expect(error.details).toMatchObject({
      operation: 'getPrivateEndpointService',
      status: 503,
      errorCode: 'SERVICE_UNAVAILABLE',
      attempts: 4,
      gaveUp: 'attempts',
    });
    expect(h.world.log.of('getPrivateEndpointService')).toHaveLength(4);
    // Waits grow with full jitter: random() = 0.5 of 250, 500, 1000.
    expect(h.sleeps).toEqual([125, 250, 500]);
  });

  it.each([0, 300, 1000, 5000, 20_000])('never waits past a %i ms budget', async (budgetMs) => {
    const { t, id } = await readyService('api-key');
    h.world.faults.add({
      operation: 'getPrivateEndpointService',
      times: Number.POSITIVE_INFINITY,
      effect: atlasHttpError(500),
    });
    const startedAt = h.world.clock.now();
    const k = h.kind('dedicated', 'api-key', {
      retry: { budgetMs, maxAttempts: 100, baseDelayMs: 200, maxDelayMs: 4000 },
      random: () => 0.99,
    });
    const error = await thrown(() => k.describe(t, id));
    expect(error.name).toBe('AtlasTransientError');
    expect(error.details.gaveUp).toBe('deadline');
    const elapsed = h.world.clock.now() - startedAt;
    expect(elapsed).toBeLessThanOrEqual(budgetMs);
    expect(h.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(budgetMs);
  });

  it('gives up at once when Retry-After reaches past the deadline (e.g. the Lambda remaining time)', async () => {
    const { t, id } = await readyService('service-account');
    h.world.faults.add({
      operation: 'getPrivateEndpointService',
      effect: { kind: 'rate-limit', retryAfterSeconds: 30 },
    });
    const client = h.client('service-account').withDeadline(h.world.clock.now() + 10_000);
    const { dedicatedClient } = await import('../../lambdas/atlas/dedicated.ts');
    const error = await thrown(() => dedicatedClient(client).describe(t, id));
    expect(error.name).toBe('AtlasTransientError');
    expect(error.details).toMatchObject({
      status: 429,
      retryAfterSeconds: 30,
      gaveUp: 'deadline',
      attempts: 1,
    });
    expect(error.details.errorCode).toBe('RATE_LIMITED_TOKEN_BUCKET');
    expect(h.sleeps).toEqual([]);
  });

  it('shortens the per-attempt timeout to what is left of the deadline', async () => {
    const { t, id } = await readyService('service-account');
    h.world.faults.add({
      operation: 'getPrivateEndpointService',
      effect: { kind: 'slow-response', delayMs: SLOW_MS },
    });
    // Real clock here, so the 100 ms left bound the attempt (the configured timeout is 10 s).
    const client = h
      .client('service-account', { now: Date.now, timeoutMs: 10_000 })
      .withDeadline(Date.now() + 100);
    const { dedicatedClient } = await import('../../lambdas/atlas/dedicated.ts');
    const started = Date.now();
    const error = await thrown(() => dedicatedClient(client).describe(t, id));
    expect(Date.now() - started).toBeLessThan(SLOW_MS);
    expect(error.name).toBe('AtlasTransientError');
    expect(error.details).toMatchObject({ reason: 'timeout', gaveUp: 'deadline' });
  });
});

describe('non-idempotent requests', () => {
  const services = () => h.world.inventory().atlas.endpointServices;

  it.each([
    ['503', atlasHttpError(503)],
    ['429', { kind: 'rate-limit', retryAfterSeconds: 1 } as FaultEffect],
  ])('resend a POST after %s (Atlas did not process it)', async (_name, effect) => {
    h.world.faults.add({ operation: 'createPrivateEndpointService', effect });
    const { created } = await h.kind('dedicated', 'service-account').create(h.target('dedicated'));
    expect(created).toBe(true);
    expect(h.calls().filter((c) => !c.startsWith('oauthToken'))).toEqual([
      `createPrivateEndpointService ${effect.kind === 'rate-limit' ? 429 : 503}`,
      'createPrivateEndpointService 200',
    ]);
    expect(services()).toHaveLength(1);
  });

  it.each([
    ['500', atlasHttpError(500)],
    ['a dropped connection', { kind: 'drop-connection' } as FaultEffect],
  ])('look for the resource after %s, then resend when it does not exist', async (_name, effect) => {
    h.world.faults.add({ operation: 'createPrivateEndpointService', effect });
    const { created } = await h.kind('dedicated', 'api-key').create(h.target('dedicated'));
    expect(created).toBe(true);
    expect(h.calls().filter((c) => !c.endsWith(' 401'))).toEqual([
      `createPrivateEndpointService ${effect.kind === 'drop-connection' ? 0 : 500}`,
      'listPrivateEndpointService 200',
      'createPrivateEndpointService 200',
    ]);
    expect(services()).toHaveLength(1);
  });

  it('converge on the resource a timed-out POST created, without sending it again (dedicated)', async () => {
    h.world.faults.add({
      operation: 'createPrivateEndpointService',
      effect: { kind: 'slow-response', delayMs: SLOW_MS },
    });
    const k = h.kind('dedicated', 'service-account', { timeoutMs: CLIENT_TIMEOUT_MS });
    const { view, created } = await k.create(h.target('dedicated'));
    expect(created).toBe(true);
    expect(services().map((s) => s.id)).toEqual([view.id]);
    expect(h.world.log.of('createPrivateEndpointService')).toHaveLength(1);
  });

  it('converge on the endpoint a timed-out POST created, without sending it again (serverless)', async () => {
    h.world.faults.add({
      operation: 'createServerlessPrivateEndpoint',
      effect: { kind: 'slow-response', delayMs: SLOW_MS },
    });
    const k = h.kind('serverless', 'api-key', { timeoutMs: CLIENT_TIMEOUT_MS });
    const { view } = await k.create(h.target('serverless', 'timed out'));
    expect(h.world.inventory().atlas.serverlessEndpoints.map((e) => e.id)).toEqual([view.id]);
    // (Digest's unauthenticated first round trip is a 401 that Atlas did not process.)
    expect(h.world.log.of('createServerlessPrivateEndpoint').filter((e) => e.status !== 401)).toHaveLength(1);
  });

  it('never PATCH twice: a timed-out link converges on the link it made', async () => {
    const k = h.kind('serverless', 'service-account', { timeoutMs: CLIENT_TIMEOUT_MS });
    const t = h.target('serverless');
    const { view } = await k.create(t);
    h.tick();
    const vpce = await h.createVpcEndpoint((await k.describe(t, view.id)).endpointServiceName ?? '');
    h.world.faults.add({
      operation: 'updateServerlessPrivateEndpoint',
      effect: { kind: 'slow-response', delayMs: SLOW_MS },
    });
    const link = await k.link(t, view.id, vpce);
    // The look-up ran after the (virtual) backoff, by when the instant timeline had accepted the link.
    expect(link).toEqual({ status: 'available', atlasStatus: 'AVAILABLE', errorMessage: null });
    expect(h.world.log.of('updateServerlessPrivateEndpoint')).toHaveLength(1);
  });

  it('resend the interface endpoint POST after a 502 when the look-up finds nothing', async () => {
    const { t, id } = await readyService('service-account');
    const vpce = await h.createVpcEndpoint(
      (await h.kind('dedicated', 'service-account').describe(t, id)).endpointServiceName ?? '',
    );
    h.world.faults.add({ operation: 'createPrivateEndpoint', effect: atlasHttpError(502) });
    const link = await h.kind('dedicated', 'service-account').link(t, id, vpce);
    expect(link.status).toBe('linking');
    expect(h.calls().filter((c) => /PrivateEndpoint /.test(c))).toEqual([
      'createPrivateEndpoint 502',
      'getPrivateEndpoint 404',
      'createPrivateEndpoint 200',
    ]);
  });

  describe('look once more before giving up after an ambiguous failure', () => {
    const timedOutCreate = () =>
      h.world.faults.add({
        operation: 'createPrivateEndpointService',
        effect: { kind: 'slow-response', delayMs: SLOW_MS },
      });
    const createCalls = () =>
      h.calls().filter((c) => /^(create|list)PrivateEndpointService /.test(c) && !c.endsWith(' 401'));

    it.each([
      ['the attempts run out', { maxAttempts: 1 }],
      // random() = 0.5 makes the first backoff 125 ms: past a 100 ms budget.
      ['the next wait would pass the deadline', { maxAttempts: 5, budgetMs: 100 }],
    ] as const)('when %s, the timed-out POST that took effect is the result', async (_name, retry) => {
      timedOutCreate();
      const k = h.kind('dedicated', 'service-account', { timeoutMs: CLIENT_TIMEOUT_MS, retry });
      const { view, created } = await k.create(h.target('dedicated'));
      expect(created).toBe(true);
      expect(services().map((s) => s.id)).toEqual([view.id]);
      expect(createCalls()).toEqual(['createPrivateEndpointService 200', 'listPrivateEndpointService 200']);
      expect(h.world.log.of('createPrivateEndpointService')[0]?.fault).toBe('slow-response');
      expect(h.sleeps).toEqual([]);
    });

    it('when the look-up finds nothing, the call fails as before (ambiguous, not resent)', async () => {
      h.world.faults.add({ operation: 'createPrivateEndpointService', effect: atlasHttpError(500) });
      const k = h.kind('dedicated', 'api-key', { retry: { maxAttempts: 1 } });
      const error = await thrown(() => k.create(h.target('dedicated')));
      expect(error.name).toBe('AtlasTransientError');
      expect(error.details).toMatchObject({ attempts: 1, ambiguous: true, gaveUp: 'attempts', status: 500 });
      expect(createCalls()).toEqual(['createPrivateEndpointService 500', 'listPrivateEndpointService 200']);
      expect(services()).toEqual([]);
    });

    it('when no time is left, it does not look', async () => {
      h.world.faults.add({ operation: 'createPrivateEndpointService', effect: atlasHttpError(500) });
      // The answer arrives after the whole (virtual) budget has passed.
      const lateFetch: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        if (init?.method === 'POST' && String(input).endsWith('/endpointService')) h.tick(60_000);
        return response;
      };
      const k = h.kind('dedicated', 'service-account', { fetch: lateFetch, retry: { budgetMs: 30_000 } });
      const error = await thrown(() => k.create(h.target('dedicated')));
      expect(error.name).toBe('AtlasTransientError');
      expect(error.details).toMatchObject({ attempts: 1, ambiguous: true, gaveUp: 'deadline' });
      expect(createCalls()).toEqual(['createPrivateEndpointService 500']);
    });

    it('POSTs without any ambiguity (503: not processed) are not looked up', async () => {
      h.world.faults.add({
        operation: 'createPrivateEndpointService',
        times: Number.POSITIVE_INFINITY,
        effect: atlasHttpError(503),
      });
      const k = h.kind('dedicated', 'service-account', { retry: { maxAttempts: 2 } });
      const error = await thrown(() => k.create(h.target('dedicated')));
      expect(error.details).toMatchObject({ attempts: 2, ambiguous: false, gaveUp: 'attempts' });
      expect(createCalls()).toEqual(['createPrivateEndpointService 503', 'createPrivateEndpointService 503']);
    });
  });

  it('fail fast, marked ambiguous, when the caller gives no way to converge', async () => {
    h.world.faults.add({ operation: 'createPrivateEndpointService', effect: atlasHttpError(500) });
    const client = h.client('service-account');
    const error = await thrown(() =>
      client.request({
        operation: 'createPrivateEndpointService',
        method: 'POST',
        path: `/api/atlas/v2/groups/${h.demo.groupId}/privateEndpoint/endpointService`,
        version: '2023-01-01',
        body: { providerName: 'AWS', region: 'US_EAST_1' },
      }),
    );
    expect(error.name).toBe('AtlasTransientError');
    expect(error.details).toMatchObject({ attempts: 1, ambiguous: true, gaveUp: 'ambiguous', status: 500 });
    expect(h.world.log.of('createPrivateEndpointService')).toHaveLength(1);
  });
});
