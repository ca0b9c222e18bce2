import { describe, expect, it } from 'vitest';
import type { StartWorldOptions } from '../../local/cloud/index.ts';
import { demoApi, V2023, V2024 } from '../support/atlas-http.ts';
import { useTestWorlds } from '../support/world.ts';

const startWorld = useTestWorlds();

async function setup(options: StartWorldOptions = {}) {
  const w = await startWorld(options);
  return { w, ...demoApi(w) };
}

describe('versioned media types', () => {
  it('answers 406 INVALID_VERSION_DATE without Accept, for a plain JSON Accept or an unknown version', async () => {
    const { atlas, services, group } = await setup();
    for (const accept of [null, 'application/json', '*/*', 'application/vnd.atlas.2025-03-12+json']) {
      const res = await atlas.request('GET', services, { accept });
      expect(res.status, String(accept)).toBe(406);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.body).toEqual({
        detail: 'Invalid accept header or version date.',
        error: 406,
        errorCode: 'INVALID_VERSION_DATE',
        parameters: [],
        reason: 'Not Acceptable',
      });
    }
    // getCluster only serves 2024-08-05; the private endpoint operations only 2023-01-01.
    expect((await atlas.request('GET', `${group}/clusters/orders-dedicated`, { accept: V2023 })).status).toBe(
      406,
    );
    expect((await atlas.request('GET', services, { accept: V2024 })).status).toBe(406);
    // A list of types is fine as long as one is a version the resource has.
    const listed = await atlas.request('GET', services, { accept: `application/json, ${V2023};q=0.9` });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('content-type')).toBe(V2023);
  });

  it('accepts bodies as the versioned type or application/json, and answers 415 for anything else', async () => {
    const { atlas, serverless } = await setup();
    expect((await atlas.request('POST', serverless, { body: {}, contentType: V2023 })).status).toBe(201);
    expect(
      (await atlas.request('POST', serverless, { body: {}, contentType: 'application/json' })).status,
    ).toBe(201);
    const text = await atlas.request('POST', serverless, { body: {}, contentType: 'text/plain' });
    expect(text.status).toBe(415);
    expect(text.body.errorCode).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('pretty-prints with ?pretty=true', async () => {
    const { atlas, services } = await setup();
    const res = await atlas.request('GET', `${services}?pretty=true`);
    expect(res.status).toBe(200);
    expect(res.text).toBe('[]');
    const err = await atlas.request('GET', `${services}/aaaaaaaaaaaaaaaaaaaaaaaa?pretty=true`);
    expect(err.text).toContain('\n  "error": 404');
  });
});

describe('request validation', () => {
  it('answers 400 PATH_PARAM_PARSE_ERROR for malformed path parameters', async () => {
    const { atlas, demo, group, services } = await setup();
    const cases: [string, string][] = [
      [`/api/atlas/v2/groups/NOT-HEX/privateEndpoint/AWS/endpointService`, 'groupId'],
      [`${group}/privateEndpoint/serverless/instance/bad_name!/endpoint`, 'instanceName'],
      [`${group}/privateEndpoint/serverless/instance/orders/endpoint/123`, 'endpointId'],
      [`${group}/privateEndpoint/aws/endpointService`, 'cloudProvider'],
      [`${services}/xyz`, 'endpointServiceId'],
      [`${services}/aaaaaaaaaaaaaaaaaaaaaaaa/endpoint/vpce-123`, 'interfaceEndpointId'],
      [`${group}/clusters/-leading-dash`, 'clusterName'],
      [`${group}/serverless/sp%20ace`, 'name'],
    ];
    for (const [path, field] of cases) {
      const res = await atlas.request('GET', path, { accept: path.includes('/clusters/') ? V2024 : V2023 });
      expect(res.status, path).toBe(400);
      expect(res.body).toMatchObject({
        error: 400,
        errorCode: 'PATH_PARAM_PARSE_ERROR',
        parameters: [field],
      });
      expect(res.body.badRequestDetail.fields[0].field).toBe(field);
    }
    expect(demo.groupId).toMatch(/^[a-f0-9]{24}$/);
  });

  it('answers 400 VALIDATION_ERROR for bodies that break the request schemas', async () => {
    const { w, atlas, group, serverless, services } = await setup();
    const id = (await atlas.request('POST', serverless, { body: {} })).body._id;
    w.world.clock.advance(0);
    const svc = (
      await atlas.request('POST', `${group}/privateEndpoint/endpointService`, {
        body: { providerName: 'AWS', region: 'US_EAST_1' },
      })
    ).body.id;
    w.world.clock.advance(0);
    const cases: [string, string, unknown, string][] = [
      ['POST', serverless, { comment: 'x'.repeat(81) }, 'comment'],
      ['PATCH', `${serverless}/${id}`, { cloudProviderEndpointId: 'vpce-0123456789abcdef0' }, 'providerName'],
      ['PATCH', `${serverless}/${id}`, { providerName: 'GCP' }, 'providerName'],
      [
        'PATCH',
        `${serverless}/${id}`,
        { providerName: 'AWS', cloudProviderEndpointId: 'vpce-123' },
        'cloudProviderEndpointId',
      ],
      [
        'PATCH',
        `${serverless}/${id}`,
        { providerName: 'AWS', cloudProviderEndpointId: 'vpce-0123456789ABCDEF0' },
        'cloudProviderEndpointId',
      ],
      ['PATCH', `${serverless}/${id}`, { providerName: 'AWS', comment: 'y'.repeat(81) }, 'comment'],
      ['POST', `${group}/privateEndpoint/endpointService`, { region: 'US_EAST_1' }, 'providerName'],
      ['POST', `${group}/privateEndpoint/endpointService`, { providerName: 'AWS' }, 'region'],
      [
        'POST',
        `${group}/privateEndpoint/endpointService`,
        { providerName: 'aws', region: 'US_EAST_1' },
        'providerName',
      ],
      ['POST', `${services}/${svc}/endpoint`, { id: 'vpce-12' }, 'id'],
      ['POST', `${services}/${svc}/endpoint`, {}, 'id'],
      ['POST', serverless, [], 'body'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await atlas.request(method, path, { body });
      expect(res.status, `${method} ${JSON.stringify(body)}`).toBe(400);
      expect(res.body.errorCode).toBe('VALIDATION_ERROR');
      expect(res.body.badRequestDetail.fields.map((f: { field: string }) => f.field)).toContain(field);
    }
    // Nothing was changed by the rejected requests.
    expect((await atlas.request('GET', `${serverless}/${id}`)).body.status).toBe('RESERVED');
    expect(w.world.inventory().atlas.interfaceEndpoints).toEqual([]);
  });

  it('answers 400 INVALID_ATTRIBUTE for unknown attributes and INVALID_JSON for unparsable bodies', async () => {
    const { atlas, serverless } = await setup();
    const unknown = await atlas.request('POST', serverless, { body: { coment: 'typo' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ errorCode: 'INVALID_ATTRIBUTE', parameters: ['coment'] });
    const broken = await atlas.request('POST', serverless, { rawBody: '{"comment": ' });
    expect(broken.status).toBe(400);
    expect(broken.body.errorCode).toBe('INVALID_JSON');
    const none = await atlas.request('POST', serverless, {});
    expect(none.status).toBe(400);
    expect(none.body.errorCode).toBe('VALIDATION_ERROR');
  });

  it('answers 404 for unknown paths and 405 for a wrong method on a known path', async () => {
    const { atlas, group } = await setup();
    const missing = await atlas.request('GET', `${group}/nothingHere`);
    expect(missing.status).toBe(404);
    expect(missing.body.errorCode).toBe('RESOURCE_NOT_FOUND');
    const wrong = await atlas.request('PUT', `${group}/privateEndpoint/endpointService`, { body: {} });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
  });
});

describe('token-bucket rate limits', () => {
  it('sends RateLimit headers and answers 429 RATE_LIMITED_TOKEN_BUCKET with Retry-After when empty', async () => {
    const { w, atlas, services } = await setup({
      rateLimits: { privateEndpointServices: { capacity: 3, refillRate: 1, refillIntervalSeconds: 10 } },
    });
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const ok = await atlas.request('GET', services);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-limit')).toBe('3');
      remaining.push(ok.headers.get('ratelimit-remaining'));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const limited = await atlas.request('GET', services);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('10');
    expect(limited.headers.get('ratelimit-limit')).toBe('3');
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    const where = services.slice(1);
    expect(limited.body).toEqual({
      detail: `Rate limit exceeded for ${where}. Please retry after 10 seconds. Request capacity: 3. Refill rate: 1 per 10 seconds.`,
      error: 429,
      errorCode: 'RATE_LIMITED_TOKEN_BUCKET',
      parameters: [where, 10, 3, 1, 10],
      reason: 'Too Many Requests',
    });
    w.world.clock.advance(9_999);
    expect((await atlas.request('GET', services)).status).toBe(429);
    w.world.clock.advance(1);
    expect((await atlas.request('GET', services)).status).toBe(200);
    expect(w.world.log.of('listPrivateEndpointService', 429).map((e) => e.errorCode)).toEqual([
      'RATE_LIMITED_TOKEN_BUCKET',
      'RATE_LIMITED_TOKEN_BUCKET',
    ]);
  });

  it('keeps one bucket per endpoint set and project, with the documented default capacities', async () => {
    const { w, atlas, group, services, serverless } = await setup({
      rateLimits: { privateEndpointServices: { capacity: 1 } },
    });
    expect((await atlas.request('GET', services)).status).toBe(200);
    expect((await atlas.request('GET', services)).status).toBe(429);
    // Another project has its own bucket.
    const other = w.world.atlas.addProject({ name: 'second', orgId: w.world.demo.orgId });
    expect(
      (await atlas.request('GET', `/api/atlas/v2/groups/${other.id}/privateEndpoint/AWS/endpointService`))
        .status,
    ).toBe(200);
    // Other endpoint sets are untouched and report their default capacities.
    const sl = await atlas.request('GET', serverless);
    expect(sl.headers.get('ratelimit-limit')).toBe('1200');
    const cluster = await atlas.request('GET', `${group}/clusters/orders-dedicated`, { accept: V2024 });
    expect(cluster.headers.get('ratelimit-limit')).toBe('10000');
    const instance = await atlas.request('GET', `${group}/serverless/orders`);
    expect(instance.headers.get('ratelimit-limit')).toBe('1200');
  });
});
