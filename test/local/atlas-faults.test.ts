import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ATLAS_OPERATIONS } from '../../local/atlas-server.ts';
import { ATLAS_LIFECYCLE } from '../../local/cloud/atlas-model.ts';
import { AWS_LIFECYCLE_FAULTS, EC2_ACTIONS } from '../../local/cloud/aws-model.ts';
import { DYNAMODB_OPERATIONS } from '../../local/cloud/dynamodb-model.ts';
import {
  atlasHttpError,
  atlasSlowRules,
  FAULT_CATALOG,
  faultPlanTable,
} from '../../local/cloud/fault-catalog.ts';
import type { StartWorldOptions } from '../../local/cloud/index.ts';
import { DigestClient, demoApi, V2023 } from '../support/atlas-http.ts';
import { useTestWorlds } from '../support/world.ts';

const startWorld = useTestWorlds();

async function setup(options: StartWorldOptions = {}) {
  const w = await startWorld(options);
  return { w, ...demoApi(w) };
}

describe('HTTP faults', () => {
  it('answers 500/502/503/504 with Atlas error bodies, Retry-After on 503 when the rule says so', async () => {
    const { w, atlas, services } = await setup({
      faults: [
        { operation: 'listPrivateEndpointService', occurrence: 1, effect: atlasHttpError(500) },
        { operation: 'listPrivateEndpointService', occurrence: 2, effect: atlasHttpError(503, 7) },
        { operation: 'listPrivateEndpointService', occurrence: 3, effect: atlasHttpError(503) },
        { operation: 'listPrivateEndpointService', occurrence: 4, effect: atlasHttpError(502) },
        { operation: 'listPrivateEndpointService', occurrence: 5, effect: atlasHttpError(504) },
      ],
    });
    const seen: [number, string | undefined, string | null][] = [];
    for (let i = 0; i < 6; i++) {
      const res = await atlas.request('GET', services);
      seen.push([res.status, res.body?.errorCode, res.headers.get('retry-after')]);
    }
    expect(seen).toEqual([
      [500, 'UNEXPECTED_ERROR', null],
      [503, 'SERVICE_UNAVAILABLE', '7'],
      [503, 'SERVICE_UNAVAILABLE', null],
      [502, 'BAD_GATEWAY', null],
      [504, 'GATEWAY_TIMEOUT', null],
      [200, undefined, null],
    ]);
    expect(w.world.log.of('listPrivateEndpointService').map((e) => e.fault ?? '-')).toEqual([
      'http-error',
      'http-error',
      'http-error',
      'http-error',
      'http-error',
      '-',
    ]);
  });

  it('answers 429 with and without Retry-After', async () => {
    const { atlas, services } = await setup({
      faults: [
        { operation: 'listPrivateEndpointService', effect: { kind: 'rate-limit', retryAfterSeconds: 3 } },
        { operation: 'listPrivateEndpointService', occurrence: 2, effect: { kind: 'rate-limit' } },
      ],
    });
    const first = await atlas.request('GET', services);
    expect(first.status).toBe(429);
    expect(first.headers.get('retry-after')).toBe('3');
    expect(first.body).toMatchObject({ errorCode: 'RATE_LIMITED_TOKEN_BUCKET', error: 429 });
    expect(first.body.parameters[1]).toBe(3);
    const second = await atlas.request('GET', services);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBeNull();
    expect(second.headers.get('ratelimit-remaining')).toBe('0');
    expect((await atlas.request('GET', services)).status).toBe(200);
  });

  it('drops the connection without an answer', async () => {
    const { w, atlas, services } = await setup({
      faults: [{ operation: 'listPrivateEndpointService', effect: { kind: 'drop-connection' } }],
    });
    await atlas.accessToken();
    await expect(atlas.request('GET', services)).rejects.toThrow();
    expect((await atlas.request('GET', services)).status).toBe(200);
    expect(w.world.log.of('listPrivateEndpointService').map((e) => [e.status, e.fault ?? '-'])).toEqual([
      [0, 'drop-connection'],
      [200, '-'],
    ]);
  });

  it('answers slowly: a client timeout fires, yet the request took effect (like a real slow POST)', async () => {
    const { w, atlas, group } = await setup({
      faults: [
        { operation: 'createPrivateEndpointService', effect: { kind: 'slow-response', delayMs: 3000 } },
      ],
    });
    const token = await atlas.accessToken();
    const started = performance.now();
    await expect(
      fetch(`${w.atlasUrl}${group}/privateEndpoint/endpointService`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, Accept: V2023, 'Content-Type': V2023 },
        body: JSON.stringify({ providerName: 'AWS', region: 'US_EAST_1' }),
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toThrow();
    // Gave up at the 100 ms timeout, long before the 3 s answer (wide margin for a busy machine).
    expect(performance.now() - started).toBeLessThan(2000);
    // The retry meets the service the first attempt created.
    const retry = await atlas.request('POST', `${group}/privateEndpoint/endpointService`, {
      body: { providerName: 'AWS', region: 'US_EAST_1' },
    });
    expect(retry.status).toBe(409);
    expect(w.world.log.of('createPrivateEndpointService').map((e) => e.fault ?? '-')).toEqual([
      'slow-response',
      '-',
    ]);
    // A patient client gets the delayed answer.
    w.world.faults.add({
      operation: 'listPrivateEndpointService',
      effect: { kind: 'slow-response', delayMs: 150 },
    });
    const t0 = performance.now();
    const slow = await atlas.request('GET', `${group}/privateEndpoint/AWS/endpointService`);
    expect(slow.status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('counts fault occurrences only for authenticated requests (a digest challenge does not use one up)', async () => {
    const { w, demo, services } = await setup({
      faults: [{ operation: 'listPrivateEndpointService', effect: atlasHttpError(500) }],
    });
    const digest = new DigestClient(w.atlasUrl, demo.apiKey.publicKey, demo.apiKey.privateKey);
    expect((await digest.request('GET', services)).status).toBe(500);
    expect((await digest.request('GET', services)).status).toBe(200);
    expect(w.world.log.of('listPrivateEndpointService').map((e) => `${e.auth} ${e.status}`)).toEqual([
      'none 401',
      'digest 500',
      'digest 200',
    ]);
    expect(w.world.faults.count('listPrivateEndpointService')).toBe(2);
  });

  it('applies faults to the token endpoint too', async () => {
    const { w, demo, atlas } = await setup({
      faults: [
        { operation: 'oauthToken', effect: atlasHttpError(503, 1) },
        { operation: 'oauthToken', occurrence: 2, effect: { kind: 'rate-limit', retryAfterSeconds: 5 } },
      ],
    });
    const { clientId, clientSecret } = demo.serviceAccount;
    const first = await fetch(`${w.atlasUrl}/api/oauth/token`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('1');
    await expect(atlas.accessToken()).rejects.toThrow(/429/);
    expect(await atlas.accessToken()).toEqual(expect.any(String));
    expect(w.world.log.of('oauthToken').map((e) => e.status)).toEqual([503, 429, 200]);
  });
});

describe('FAULT_CATALOG', () => {
  it('is documented, plan by plan with its outcome, in the README', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const block = /<!-- fault-plans:start -->\n([\s\S]*?)\n<!-- fault-plans:end -->/.exec(readme)?.[1];
    expect(block, 'paste faultPlanTable() between the fault-plans markers of the README').toBe(
      faultPlanTable(),
    );
    expect(Object.keys(FAULT_CATALOG).length).toBeGreaterThanOrEqual(30);
  });

  const lifecycle = new Set<string>([
    ...Object.values(ATLAS_LIFECYCLE),
    ...Object.values(AWS_LIFECYCLE_FAULTS),
  ]);
  const known = new Set<string>([...ATLAS_OPERATIONS, ...EC2_ACTIONS, ...DYNAMODB_OPERATIONS, ...lifecycle]);

  it('has every plan the workflow scenarios name, each with a description, kinds and known operations', () => {
    for (const name of [
      'atlas-500',
      'atlas-503',
      'atlas-429',
      'atlas-429-no-retry-after',
      'atlas-drop',
      'atlas-slow',
      'serverless-reservation-failed',
      'serverless-link-failed',
      'serverless-stuck',
      'dedicated-service-failed',
      'dedicated-interface-rejected',
      'dedicated-stuck',
      'cluster-stuck-updating',
      'ec2-throttle',
      'ec2-limit',
      'vpc-endpoint-failed',
      'atlas-burst-429',
      'atlas-burst-5xx',
    ]) {
      expect(FAULT_CATALOG[name], name).toBeDefined();
    }
    for (const [name, plan] of Object.entries(FAULT_CATALOG)) {
      expect(plan.description.length, name).toBeGreaterThan(10);
      expect(plan.kinds.length, name).toBeGreaterThan(0);
      expect(plan.rules.length, name).toBeGreaterThan(0);
      for (const rule of plan.rules) {
        expect(known.has(rule.operation), `${name}: ${rule.operation}`).toBe(true);
        const isLifecycle = lifecycle.has(rule.operation);
        const kind = rule.effect.kind;
        expect(isLifecycle, `${name}: ${kind} on ${rule.operation}`).toBe(
          kind === 'fail-transition' || kind === 'stuck',
        );
      }
    }
  });

  it('burst plans fire several consecutive errors and then let requests through', async () => {
    const { atlas, services, group } = await setup({ faults: FAULT_CATALOG['atlas-burst-5xx']?.rules ?? [] });
    const svc = await atlas.request('POST', `${group}/privateEndpoint/endpointService`, {
      body: { providerName: 'AWS', region: 'US_EAST_1' },
    });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push((await atlas.request('GET', `${services}/${svc.body.id}`)).status);
    expect(statuses).toEqual([500, 503, 502, 200]);

    const burst = await setup({ faults: FAULT_CATALOG['atlas-burst-429']?.rules ?? [] });
    const created: [number, string | null][] = [];
    for (let i = 0; i < 4; i++) {
      const res = await burst.atlas.request('POST', burst.serverless, { body: {} });
      created.push([res.status, res.headers.get('retry-after')]);
    }
    expect(created).toEqual([
      [429, '1'],
      [429, '2'],
      [429, null],
      [201, null],
    ]);
  });

  it('builds the slow plan with any delay', () => {
    const rules = atlasSlowRules(250);
    expect(rules.map((r) => r.operation).sort()).toEqual([
      'getPrivateEndpointService',
      'getServerlessPrivateEndpoint',
    ]);
    expect(rules.every((r) => r.effect.kind === 'slow-response' && r.effect.delayMs === 250)).toBe(true);
    expect(FAULT_CATALOG['atlas-slow']?.rules[0]?.effect).toEqual({ kind: 'slow-response', delayMs: 15_000 });
  });

  it('lifecycle plans change what the model does', async () => {
    const { w, atlas, serverless } = await setup({ faults: FAULT_CATALOG['serverless-stuck']?.rules ?? [] });
    const id = (await atlas.request('POST', serverless, { body: {} })).body._id;
    w.world.clock.advance(24 * 3_600_000);
    expect((await atlas.request('GET', `${serverless}/${id}`)).body.status).toBe('RESERVATION_REQUESTED');
  });
});
