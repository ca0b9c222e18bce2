import { describe, expect, it } from 'vitest';
import { MAX_LIVE_TOKENS, TOKEN_LIFETIME_SECONDS } from '../../local/cloud/atlas-model.ts';
import type { StartWorldOptions } from '../../local/cloud/index.ts';
import {
  DigestClient,
  demoApi,
  digestAuthorization,
  parseChallenge,
  requestToken,
  V2023,
} from '../support/atlas-http.ts';
import { useTestWorlds } from '../support/world.ts';

const startWorld = useTestWorlds();

async function setup(options: StartWorldOptions = {}) {
  const w = await startWorld(options);
  const demo = w.world.demo;
  const listPath = `/api/atlas/v2/groups/${demo.groupId}/privateEndpoint/AWS/endpointService`;
  const get = (authorization?: string, path = listPath) =>
    fetch(`${w.atlasUrl}${path}`, {
      headers: { Accept: V2023, ...(authorization ? { Authorization: authorization } : {}) },
    });
  return { w, demo, listPath, get };
}

describe('service accounts (OAuth 2.0 client credentials)', () => {
  it('mints a one-hour bearer token that works until it expires on the virtual clock', async () => {
    const { w, demo, get } = await setup();
    const res = await requestToken(
      w.atlasUrl,
      demo.serviceAccount.clientId,
      demo.serviceAccount.clientSecret,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({ access_token: expect.any(String), expires_in: 3600, token_type: 'Bearer' });
    expect(demo.serviceAccount.clientId).toMatch(/^mdb_sa_id_[0-9a-f]{24}$/);
    expect(demo.serviceAccount.clientSecret).toMatch(/^mdb_sa_sk_/);
    const token = (res.body as { access_token: string }).access_token;

    expect((await get(`Bearer ${token}`)).status).toBe(200);
    w.world.clock.advance(TOKEN_LIFETIME_SECONDS * 1000 - 1);
    expect((await get(`Bearer ${token}`)).status).toBe(200);
    w.world.clock.advance(1);
    const expired = await get(`Bearer ${token}`);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toEqual({
      error: 401,
      reason: 'Unauthorized',
      detail: 'The access token has expired.',
    });
    expect((await get('Bearer not-a-token')).status).toBe(401);
    expect(w.world.log.entries.map((e) => `${e.operation} ${e.auth} ${e.status}`)).toEqual([
      'oauthToken basic 200',
      'listPrivateEndpointService bearer 200',
      'listPrivateEndpointService bearer 200',
      'listPrivateEndpointService bearer 401',
      'listPrivateEndpointService bearer 401',
    ]);
  });

  it('answers invalid_client, invalid_request and unsupported_grant_type like an OAuth server', async () => {
    const { w, demo } = await setup();
    const wrong = await requestToken(w.atlasUrl, demo.serviceAccount.clientId, 'mdb_sa_sk_wrong');
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: 'invalid_client' });
    expect((await requestToken(w.atlasUrl, 'mdb_sa_id_unknown', 'x')).status).toBe(401);

    const post = (headers: Record<string, string>, body: string) =>
      fetch(`${w.atlasUrl}/api/oauth/token`, { method: 'POST', headers, body }).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      }));
    const auth = `Basic ${Buffer.from(`${demo.serviceAccount.clientId}:${demo.serviceAccount.clientSecret}`).toString('base64')}`;
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    expect(await post(form, 'grant_type=client_credentials')).toMatchObject({
      status: 401,
      body: { error: 'invalid_client' },
    });
    expect(await post({ ...form, Authorization: auth }, 'grant_type=password')).toMatchObject({
      status: 400,
      body: { error: 'unsupported_grant_type' },
    });
    expect(await post({ ...form, Authorization: auth }, '')).toMatchObject({
      status: 400,
      body: { error: 'invalid_request' },
    });
    expect(
      await post(
        { 'Content-Type': 'application/json', Authorization: auth },
        '{"grant_type":"client_credentials"}',
      ),
    ).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    // Nothing secret reaches the request log.
    const logged = JSON.stringify(w.world.log.entries);
    expect(logged).not.toContain(demo.serviceAccount.clientSecret);
    expect(logged).not.toContain('mdb_sa_sk_');
  });

  it('limits token requests to 10 per minute per client (429 RATE_LIMITED with Retry-After)', async () => {
    const { w, demo } = await setup();
    const { clientId, clientSecret } = demo.serviceAccount;
    for (let i = 0; i < 10; i++) {
      expect((await requestToken(w.atlasUrl, clientId, clientSecret)).status).toBe(200);
      w.world.clock.advance(1000);
    }
    const limited = await requestToken(w.atlasUrl, clientId, clientSecret);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      detail: 'Resource /api/oauth/token is limited to 10 requests every 1 minutes.',
      error: 429,
      errorCode: 'RATE_LIMITED',
      parameters: ['/api/oauth/token', 10, 1],
      reason: 'Too Many Requests',
    });
    // The first request was at t=0; the window frees up at t=60 s, 50 s from now.
    expect(limited.headers.get('retry-after')).toBe('50');
    w.world.clock.advance(50_000);
    expect((await requestToken(w.atlasUrl, clientId, clientSecret)).status).toBe(200);
  });

  it(`caps live tokens at ${MAX_LIVE_TOKENS} per service account (403 access_denied); revoking frees one`, async () => {
    const { w, demo } = await setup();
    const { clientId, clientSecret } = demo.serviceAccount;
    let last = '';
    for (let i = 0; i < MAX_LIVE_TOKENS; i++) {
      const res = await requestToken(w.atlasUrl, clientId, clientSecret);
      expect(res.status).toBe(200);
      last = (res.body as { access_token: string }).access_token;
      w.world.clock.advance(6_001); // stay under 10 requests per minute
    }
    const denied = await requestToken(w.atlasUrl, clientId, clientSecret);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ error: 'access_denied' });
    expect((denied.body as { error_description: string }).error_description).toMatch(
      /Access Token limit reached/,
    );

    const revoke = await fetch(`${w.atlasUrl}/api/oauth/revoke`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: last, token_type_hint: 'access_token' }).toString(),
    });
    expect(revoke.status).toBe(200);
    w.world.clock.advance(6_001);
    expect((await requestToken(w.atlasUrl, clientId, clientSecret)).status).toBe(200);
    // Tokens expire after an hour, which frees the cap too.
    w.world.clock.advance(3_600_000);
    expect((await requestToken(w.atlasUrl, clientId, clientSecret)).status).toBe(200);
  });
});

describe('API keys (HTTP Digest, RFC 7616)', () => {
  it('challenges with the Atlas realm and accepts a correct MD5/qop=auth response', async () => {
    const { w, demo, get, listPath } = await setup();
    const first = await get();
    expect(first.status).toBe(401);
    const header = first.headers.get('www-authenticate');
    expect(header).toMatch(
      /^Digest realm="MMS Public API", domain="", nonce="[^"]+", algorithm=MD5, qop="auth", stale=false$/,
    );
    expect(await first.json()).toEqual({
      error: 401,
      reason: 'Unauthorized',
      detail: 'You are not authorized for this resource.',
    });
    const challenge = parseChallenge(header);
    if (!challenge) throw new Error('no challenge');
    const auth = (nc: number, password = demo.apiKey.privateKey, username = demo.apiKey.publicKey) =>
      digestAuthorization({
        method: 'GET',
        uri: listPath,
        username,
        password,
        realm: challenge.realm,
        nonce: challenge.nonce,
        nc,
      });
    expect((await get(auth(1))).status).toBe(200);
    expect((await get(auth(2))).status).toBe(200);
    // Replaying an nc for this nonce is refused.
    const replay = await get(auth(2));
    expect(replay.status).toBe(401);
    expect(parseChallenge(replay.headers.get('www-authenticate'))?.stale).toBe(false);
    // Wrong password / unknown user.
    expect((await get(auth(3, 'wrong-private-key'))).status).toBe(401);
    expect((await get(auth(4, demo.apiKey.privateKey, 'nobody'))).status).toBe(401);
    // The digest must be computed for this request's URI.
    const otherUri = digestAuthorization({
      method: 'GET',
      uri: `${listPath}?pretty=true`,
      username: demo.apiKey.publicKey,
      password: demo.apiKey.privateKey,
      realm: challenge.realm,
      nonce: challenge.nonce,
      nc: 5,
    });
    expect((await get(otherUri)).status).toBe(401);
    expect(w.world.log.entries.map((e) => `${e.auth} ${e.status}`)).toEqual([
      'none 401',
      'digest 200',
      'digest 200',
      'digest 401',
      'digest 401',
      'digest 401',
      'digest 401',
    ]);
    expect(JSON.stringify(w.world.log.entries)).not.toContain(demo.apiKey.privateKey);
  });

  it('expires nonces: a correct response with an old nonce gets stale=true, and the client recovers', async () => {
    const { w, demo, listPath } = await setup({ digestNonceTtlSeconds: 300 });
    const digest = new DigestClient(w.atlasUrl, demo.apiKey.publicKey, demo.apiKey.privateKey);
    expect((await digest.request('GET', listPath)).status).toBe(200);
    w.world.clock.advance(299_000);
    expect((await digest.request('GET', listPath)).status).toBe(200);
    expect(digest.staleChallenges).toBe(0);
    w.world.clock.advance(2_000);
    expect((await digest.request('GET', listPath)).status).toBe(200);
    expect(digest.staleChallenges).toBe(1);
    expect(w.world.log.entries.map((e) => `${e.auth} ${e.status}`)).toEqual([
      'none 401',
      'digest 200',
      'digest 200',
      'digest 401',
      'digest 200',
    ]);
    // However old a nonce this world issued is, it is reported stale (never unknown).
    w.world.clock.advance(6 * 3_600_000);
    expect((await digest.request('GET', listPath)).status).toBe(200);
    expect(digest.staleChallenges).toBe(2);
  });

  it('does not call a nonce it never issued stale', async () => {
    const { demo, get, listPath } = await setup();
    const forged = digestAuthorization({
      method: 'GET',
      uri: listPath,
      username: demo.apiKey.publicKey,
      password: demo.apiKey.privateKey,
      realm: 'MMS Public API',
      nonce: Buffer.from('0.abc.def').toString('base64'),
      nc: 1,
    });
    const res = await get(forged);
    expect(res.status).toBe(401);
    expect(parseChallenge(res.headers.get('www-authenticate'))?.stale).toBe(false);
  });

  it('does not accept Basic credentials on the API', async () => {
    const { demo, get } = await setup();
    const res = await get(
      `Basic ${Buffer.from(`${demo.apiKey.publicKey}:${demo.apiKey.privateKey}`).toString('base64')}`,
    );
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Digest /);
  });
});

describe('project membership', () => {
  it('answers 401 NOT_IN_GROUP for a project of another organization', async () => {
    const { w } = await setup();
    const otherOrg = w.world.atlas.addOrganization('Other Org');
    const foreign = w.world.atlas.addProject({ name: 'theirs', orgId: otherOrg });
    const { atlas } = demoApi(w);
    const res = await atlas.request(
      'GET',
      `/api/atlas/v2/groups/${foreign.id}/privateEndpoint/AWS/endpointService`,
    );
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ errorCode: 'NOT_IN_GROUP', parameters: [foreign.id] });
  });
});
