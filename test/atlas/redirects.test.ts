/**
 * Redirects never carry credentials to another origin. Two tiny loopback servers: the "Atlas" one
 * authenticates (bearer or Digest) and then redirects; the other one records what reaches it.
 * The same tiny servers also issue malformed access tokens (which must never be echoed) and answer hops
 * slowly (one attempt's hops share one timeout).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ApiKeyCredentials,
  resetAtlasAuthCaches,
  ServiceAccountCredentials,
} from '../../lambdas/atlas/auth.ts';
import { type AtlasLogger, createAtlasClient } from '../../lambdas/atlas/client.ts';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
}

interface Tiny {
  readonly url: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

async function tiny(
  handler: (req: IncomingMessage, res: ServerResponse, seen: Seen[]) => void,
): Promise<Tiny> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
      handler(req, res, seen);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const CLIENT_SECRET = 'mdb_sa_sk_redirect-test-secret';
const PRIVATE_KEY = 'private-key-redirect-test';
const TOKEN = 'token-value-for-redirect-test';

let other: Tiny;
let atlas: Tiny | undefined;

beforeEach(async () => {
  resetAtlasAuthCaches();
  other = await tiny((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"stolen":true}');
  });
});

afterEach(async () => {
  await other.close();
  await atlas?.close();
  atlas = undefined;
});

/** An "Atlas" that answers the token endpoint and the Digest challenge, then redirects API calls. */
async function redirectingAtlas(status: number, location: (path: string) => string): Promise<Tiny> {
  return tiny((req, res) => {
    if (req.url === '/api/oauth/token') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: TOKEN, expires_in: 3600, token_type: 'Bearer' }));
      return;
    }
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') && !auth.startsWith('Digest ')) {
      res
        .writeHead(401, { 'www-authenticate': 'Digest realm="MMS Public API", nonce="n1", qop="auth"' })
        .end();
      return;
    }
    if (req.url?.startsWith('/landing')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"landed":true}');
      return;
    }
    res.writeHead(status, { location: location(req.url ?? '/') }).end();
  });
}

const request = {
  operation: 'getCluster',
  method: 'GET',
  path: '/api/atlas/v2/x',
  version: '2024-08-05',
} as const;

describe.each([
  ['service account', () => new ServiceAccountCredentials('mdb_sa_id_r', CLIENT_SECRET), 'Bearer '],
  ['API key (Digest)', () => new ApiKeyCredentials('pubkey', PRIVATE_KEY), 'Digest '],
])('%s', (_name, credentials, scheme) => {
  it.each([301, 302, 303, 307, 308])(
    'refuses a %i to another loopback port; the other server sees nothing',
    async (status) => {
      atlas = await redirectingAtlas(status, (path) => `${other.url}${path}`);
      const client = createAtlasClient({ baseUrl: atlas.url, auth: credentials() });
      const error = await client.request(request).then(
        () => expect.unreachable(),
        (e: Error & { details?: Record<string, unknown> }) => e,
      );
      expect(error.name).toBe('AtlasRequestRejected');
      expect(error.details).toMatchObject({
        status,
        errorCode: 'REDIRECT_REFUSED',
        redirectOrigin: other.url,
      });
      expect(other.seen).toEqual([]);
      // Atlas itself did get the credentials (so the refusal is about the redirect, not about auth).
      expect(atlas.seen.some((s) => s.authorization?.startsWith(scheme))).toBe(true);
      expect(JSON.stringify(error)).not.toContain(TOKEN);
    },
  );

  it('refuses a redirect to another host name for the same port', async () => {
    atlas = await redirectingAtlas(307, (path) => `${other.url.replace('127.0.0.1', 'localhost')}${path}`);
    const client = createAtlasClient({ baseUrl: atlas.url, auth: credentials() });
    await expect(client.request(request)).rejects.toMatchObject({ name: 'AtlasRequestRejected' });
    expect(other.seen).toEqual([]);
  });

  it('follows a same-origin redirect, authenticating again', async () => {
    atlas = await redirectingAtlas(307, () => '/landing');
    const client = createAtlasClient({ baseUrl: atlas.url, auth: credentials() });
    await expect(client.request(request)).resolves.toEqual({ landed: true });
    const landing = atlas.seen.find((s) => s.url === '/landing');
    expect(landing?.authorization?.startsWith(scheme)).toBe(true);
    if (scheme === 'Digest ') expect(landing?.authorization).toContain('uri="/landing"');
  });
});

it('refuses to let the token endpoint redirect the Basic credentials elsewhere', async () => {
  atlas = await tiny((_req, res) => {
    res.writeHead(307, { location: `${other.url}/api/oauth/token` }).end();
  });
  const client = createAtlasClient({
    baseUrl: atlas.url,
    auth: new ServiceAccountCredentials('mdb_sa_id_r', CLIENT_SECRET),
  });
  await expect(client.request(request)).rejects.toMatchObject({
    name: 'AtlasRequestRejected',
    details: { operation: 'oauthToken', errorCode: 'REDIRECT_REFUSED' },
  });
  expect(atlas.seen.map((s) => s.authorization?.split(' ')[0])).toEqual(['Basic']);
  expect(other.seen).toEqual([]);
});

it('refuses a 302/303 that would turn a POST into a GET, even on the same origin', async () => {
  atlas = await redirectingAtlas(303, () => '/landing');
  const client = createAtlasClient({
    baseUrl: atlas.url,
    auth: new ServiceAccountCredentials('mdb_sa_id_r', CLIENT_SECRET),
  });
  await expect(client.request({ ...request, method: 'POST', body: {} })).rejects.toMatchObject({
    name: 'AtlasRequestRejected',
    details: { errorCode: 'REDIRECT_REFUSED' },
  });
  expect(atlas.seen.some((s) => s.url === '/landing')).toBe(false);
});

it('stops after a few same-origin hops', async () => {
  atlas = await redirectingAtlas(307, (path) => `${path}x`);
  const client = createAtlasClient({
    baseUrl: atlas.url,
    auth: new ServiceAccountCredentials('mdb_sa_id_r', CLIENT_SECRET),
  });
  await expect(client.request(request)).rejects.toThrow(/too many redirects/);
});

it('refuses plain http to a non-loopback host before sending anything', () => {
  expect(() =>
    createAtlasClient({
      baseUrl: 'http://cloud.mongodb.com',
      auth: new ServiceAccountCredentials('mdb_sa_id_r', CLIENT_SECRET),
    }),
  ).toThrow(expect.objectContaining({ name: 'ConfigurationError' }));
});

describe('a token endpoint that answers a malformed access_token', () => {
  const SECRET_PART = 'SeCrEtTokenPart0123';
  /** Records every log call (message and fields) as JSON. */
  const recordingLogger = (lines: string[]): AtlasLogger => {
    const record = (...args: unknown[]) => {
      lines.push(JSON.stringify(args));
    };
    return { debug: record, info: record, warn: record, error: record } as unknown as AtlasLogger;
  };

  it.each([
    ['a line feed', `abc\n${SECRET_PART}`],
    ['a NUL', `abc\u0000${SECRET_PART}`],
    ['a control character', `abc\u0001${SECRET_PART}`],
    ['a space', `abc ${SECRET_PART}`],
    ['a quote', `abc"${SECRET_PART}`],
    ['a non-ASCII letter', `ab\u00e7${SECRET_PART}`],
  ])('is rejected before use when it holds %s, and never echoed', async (_name, token) => {
    atlas = await tiny((req, res) => {
      if (req.url === '/api/oauth/token') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: token, expires_in: 3600, token_type: 'Bearer' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"served":true}');
    });
    const lines: string[] = [];
    const client = createAtlasClient({
      baseUrl: atlas.url,
      auth: new ServiceAccountCredentials('mdb_sa_id_r', CLIENT_SECRET),
      logger: recordingLogger(lines),
    });
    const error = await client.request(request).then(
      () => expect.unreachable('the call must not succeed with a malformed token'),
      (e: Error & { details?: Record<string, unknown> }) => e,
    );
    expect(error.name).toBe('AtlasTransientError');
    expect(error.details).toMatchObject({ operation: 'oauthToken', errorCode: 'INVALID_TOKEN_RESPONSE' });
    expect(error.message).toMatch(/not a valid bearer token/);
    // Nothing was sent with it.
    expect(atlas.seen.map((s) => s.url)).toEqual(['/api/oauth/token']);
    const texts = [String(error), JSON.stringify(error), error.stack ?? '', String(error.cause), ...lines];
    for (const text of texts) {
      expect(text).not.toContain(SECRET_PART);
      expect(text).not.toContain(CLIENT_SECRET);
    }
  });

  it('accepts every RFC 6750 b64token character', async () => {
    const token = 'AZaz09-._~+/==';
    atlas = await tiny((req, res) => {
      if (req.url === '/api/oauth/token') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: token, expires_in: 3600, token_type: 'Bearer' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"served":true}');
    });
    const client = createAtlasClient({
      baseUrl: atlas.url,
      auth: new ServiceAccountCredentials('mdb_sa_id_r', CLIENT_SECRET),
    });
    await expect(client.request(request)).resolves.toEqual({ served: true });
    expect(atlas.seen.at(-1)?.authorization).toBe(`Bearer ${token}`);
  });
});

describe('one attempt, however many hops', () => {
  const HOP_MS = 250;
  const timers = new Set<NodeJS.Timeout>();
  afterEach(() => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
  });

  /** An "Atlas" whose every API answer takes HOP_MS: three same-origin 307s, then 200. */
  const slowHops = () =>
    tiny((req, res) => {
      if (req.url === '/api/oauth/token') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: TOKEN, expires_in: 3600, token_type: 'Bearer' }));
        return;
      }
      const path = req.url ?? '/';
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (res.destroyed) return;
        if (path.endsWith('xxxx')) {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"landed":true}');
        } else {
          res.writeHead(307, { location: `${path}x` }).end();
        }
      }, HOP_MS);
      timers.add(timer);
    });

  it.each([
    ['the per-attempt timeout', { timeoutMs: 2.4 * HOP_MS }, undefined],
    ['the deadline', { timeoutMs: 10_000 }, 2.4 * HOP_MS],
  ] as const)('the hops share %s instead of each getting a fresh one', async (_name, options, deadlineIn) => {
    atlas = await slowHops();
    const base = createAtlasClient({
      baseUrl: atlas.url,
      auth: new ServiceAccountCredentials('mdb_sa_id_r', CLIENT_SECRET),
      retry: { maxAttempts: 1 },
      ...options,
    });
    const client = deadlineIn === undefined ? base : base.withDeadline(Date.now() + deadlineIn);
    const error = await client.request(request).then(
      () => expect.unreachable('four hops of HOP_MS cannot fit in 2.4 hops of time'),
      (e: Error & { details?: Record<string, unknown> }) => e,
    );
    expect(error.name).toBe('AtlasTransientError');
    expect(error.details).toMatchObject({ operation: 'getCluster', reason: 'timeout', attempts: 1 });
    // The attempt ran out of time at hop 3 at the latest (hop 4 was never sent; under heavy load the time
    // may already be gone before hop 3 or even hop 2).
    const hops = atlas.seen.filter((s) => s.url !== '/api/oauth/token').map((s) => s.url);
    expect(hops.length).toBeGreaterThanOrEqual(1);
    expect(hops).toEqual(['/api/atlas/v2/x', '/api/atlas/v2/xx', '/api/atlas/v2/xxx'].slice(0, hops.length));
  });

  it('the same hops succeed when the attempt has time for all of them', async () => {
    atlas = await slowHops();
    const client = createAtlasClient({
      baseUrl: atlas.url,
      auth: new ServiceAccountCredentials('mdb_sa_id_r', CLIENT_SECRET),
      retry: { maxAttempts: 1 },
      timeoutMs: 20 * HOP_MS,
    });
    await expect(client.request(request)).resolves.toEqual({ landed: true });
  });
});
