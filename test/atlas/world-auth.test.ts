/**
 * Both auth methods against the simulated Atlas: token caching, single-flight, expiry and refresh,
 * Digest challenge reuse and stale nonces, bad credentials, and secrets kept out of logs and errors.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiKeyCredentials, ServiceAccountCredentials } from '../../lambdas/atlas/auth.ts';
import { createAtlasClient } from '../../lambdas/atlas/client.ts';
import { dedicatedClient } from '../../lambdas/atlas/dedicated.ts';
import { atlasHttpError } from '../../local/cloud/fault-catalog.ts';
import { type AtlasHarness, AUTH_METHODS, startAtlasHarness, thrown } from './harness.ts';

const HOUR = 3_600_000;

/** Captures what the Powertools Logger prints (DEBUG/INFO go to stdout, WARN/ERROR to stderr). */
function captureOutput(): { written: string[]; restore(): void } {
  const written: string[] = [];
  const record = (chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(record);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(record);
  return {
    written,
    restore: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}

let h: AtlasHarness;
afterEach(async () => {
  await h.close();
});

describe('service account (OAuth client credentials)', () => {
  beforeEach(async () => {
    h = await startAtlasHarness();
  });

  it('asks for one token however many calls wait for it, across clients of the container', async () => {
    const a = h.kind('dedicated', 'service-account');
    const b = h.kind('dedicated', 'service-account');
    const t = h.target('dedicated');
    const results = await Promise.all(Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).findExisting(t)));
    expect(results.every((r) => r === undefined)).toBe(true);
    expect(h.world.log.of('oauthToken')).toHaveLength(1);
    expect(h.world.log.of('listPrivateEndpointService', 200)).toHaveLength(24);
    await a.findExisting(t);
    expect(h.world.log.of('oauthToken')).toHaveLength(1);
    const token = h.world.log.of('oauthToken')[0];
    expect(token).toMatchObject({ method: 'POST', path: '/api/oauth/token', status: 200, auth: 'basic' });
  });

  it('gets a new token once the old one expires (clock advanced 3600 s), without a 401', async () => {
    const k = h.kind('dedicated', 'service-account');
    const t = h.target('dedicated');
    await k.findExisting(t);
    h.tick(HOUR);
    await k.findExisting(t);
    expect(h.world.log.of('oauthToken', 200)).toHaveLength(2);
    expect(h.world.log.entries.filter((e) => e.status === 401)).toEqual([]);
  });

  it('refreshes 60 s before expiry, not earlier', async () => {
    const k = h.kind('dedicated', 'service-account');
    const t = h.target('dedicated');
    await k.findExisting(t);
    h.tick(HOUR - 61_000);
    await k.findExisting(t);
    expect(h.world.log.of('oauthToken')).toHaveLength(1);
    h.tick(2000);
    await k.findExisting(t);
    expect(h.world.log.of('oauthToken')).toHaveLength(2);
  });

  it('drops a cached token Atlas no longer accepts and retries once with a fresh one', async () => {
    // The client's own clock stands still, so only Atlas knows the token expired.
    const frozen = h.world.clock.now();
    const k = h.kind('dedicated', 'service-account', { now: () => frozen });
    const t = h.target('dedicated');
    await k.findExisting(t);
    h.tick(HOUR + 1000);
    expect(await k.findExisting(t)).toBeUndefined();
    expect(h.calls()).toEqual([
      'oauthToken 200',
      'listPrivateEndpointService 200',
      'listPrivateEndpointService 401',
      'oauthToken 200',
      'listPrivateEndpointService 200',
    ]);
  });

  it('fails with AtlasAuthFailed (invalid_client) on a bad secret, without retrying or echoing it', async () => {
    const badSecret = 'mdb_sa_sk_this-is-the-wrong-secret';
    const client = h.client('service-account', {
      auth: new ServiceAccountCredentials(h.demo.serviceAccount.clientId, badSecret),
    });
    const error = await thrown(() => dedicatedClient(client).findExisting(h.target('dedicated')));
    expect(error.name).toBe('AtlasAuthFailed');
    expect(error.details).toMatchObject({
      operation: 'oauthToken',
      status: 401,
      errorCode: 'invalid_client',
    });
    expect(h.calls()).toEqual(['oauthToken 401']);
    for (const text of [error.message, JSON.stringify(error), String(error.stack)]) {
      expect(text).not.toContain(badSecret);
    }
  });

  it('gives up after one refresh when Atlas keeps answering 401 (no access to the project)', async () => {
    const orgId = h.world.atlas.addOrganization('Other Org');
    h.world.atlas.addProject({ id: 'aaaaaaaaaaaaaaaaaaaaaaaa', name: 'other', orgId });
    const k = h.kind('dedicated', 'service-account');
    const error = await thrown(() =>
      k.findExisting({ ...h.target('dedicated'), groupId: 'aaaaaaaaaaaaaaaaaaaaaaaa' }),
    );
    expect(error.name).toBe('AtlasAuthFailed');
    expect(error.details).toMatchObject({ status: 401, errorCode: 'NOT_IN_GROUP' });
    expect(h.calls()).toEqual([
      'oauthToken 200',
      'listPrivateEndpointService 401',
      'oauthToken 200',
      'listPrivateEndpointService 401',
    ]);
  });
});

describe('API key (HTTP Digest)', () => {
  beforeEach(async () => {
    h = await startAtlasHarness({ digestNonceTtlSeconds: 60 });
  });

  it('answers the first challenge, then reuses the nonce with increasing nc (one 401 in all)', async () => {
    const k = h.kind('dedicated', 'api-key');
    const t = h.target('dedicated');
    await k.findExisting(t);
    const { view } = await k.create(t);
    await k.describe(t, view.id);
    await Promise.all(Array.from({ length: 16 }, () => k.describe(t, view.id)));
    const entries = h.world.log.entries.filter((e) => e.service === 'atlas');
    expect(entries.map((e) => `${e.auth} ${e.status}`).slice(0, 2)).toEqual(['none 401', 'digest 200']);
    expect(entries.filter((e) => e.status === 401)).toHaveLength(1);
    expect(entries.slice(1).every((e) => e.auth === 'digest' && e.status < 300)).toBe(true);
    expect(entries).toHaveLength(20);
  });

  it('handles many concurrent first calls, each answering its own challenge', async () => {
    const k = h.kind('dedicated', 'api-key');
    const t = h.target('dedicated');
    const results = await Promise.all(Array.from({ length: 12 }, () => k.findExisting(t)));
    expect(results).toEqual(Array.from({ length: 12 }, () => undefined));
    const entries = h.world.log.entries;
    expect(entries.filter((e) => e.status === 200)).toHaveLength(12);
    expect(entries.filter((e) => e.status === 401).every((e) => e.auth === 'none')).toBe(true);
  });

  it('re-challenges on stale=true and carries on', async () => {
    const k = h.kind('dedicated', 'api-key');
    const t = h.target('dedicated');
    await k.findExisting(t);
    h.tick(90_000); // past the 60 s nonce lifetime: Atlas answers stale=true to the right credentials
    await k.findExisting(t);
    expect(h.world.log.entries.map((e) => `${e.auth} ${e.status}`)).toEqual([
      'none 401',
      'digest 200',
      'digest 401',
      'digest 200',
    ]);
  });

  it('starts over when Atlas has forgotten the nonce altogether', async () => {
    const k = h.kind('dedicated', 'api-key');
    const t = h.target('dedicated');
    await k.findExisting(t);
    h.tick(10 * 60_000); // the world drops nonces after twice their lifetime; a new one must be issued first
    await h
      .kind('serverless', 'api-key', { auth: new ApiKeyCredentials('someone-else', 'x') })
      .findExisting(h.target('serverless'))
      .catch(() => undefined);
    await k.findExisting(t);
    const mine = h.world.log.of('listPrivateEndpointService').map((e) => `${e.auth} ${e.status}`);
    expect(mine).toEqual(['none 401', 'digest 200', 'digest 401', 'digest 200']);
  });

  it('fails with AtlasAuthFailed on a wrong private key after exactly one challenge round', async () => {
    const wrongKey = 'wrong-private-key-0000';
    const k = h.kind('dedicated', 'api-key', {
      auth: new ApiKeyCredentials(h.demo.apiKey.publicKey, wrongKey),
    });
    const error = await thrown(() => k.findExisting(h.target('dedicated')));
    expect(error.name).toBe('AtlasAuthFailed');
    expect(error.details).toMatchObject({ status: 401, operation: 'listPrivateEndpointService' });
    expect(h.world.log.entries.map((e) => `${e.auth} ${e.status}`)).toEqual(['none 401', 'digest 401']);
    expect(JSON.stringify(error)).not.toContain(wrongKey);
  });

  it('gives up when the project belongs to another organization (NOT_IN_GROUP)', async () => {
    const orgId = h.world.atlas.addOrganization('Other Org');
    h.world.atlas.addProject({ id: 'bbbbbbbbbbbbbbbbbbbbbbbb', name: 'other', orgId });
    const k = h.kind('dedicated', 'api-key');
    const error = await thrown(() =>
      k.findExisting({ ...h.target('dedicated'), groupId: 'bbbbbbbbbbbbbbbbbbbbbbbb' }),
    );
    expect(error.name).toBe('AtlasAuthFailed');
    expect(error.details.errorCode).toBe('NOT_IN_GROUP');
    expect(h.world.log.entries).toHaveLength(2);
  });
});

describe('secrets stay out of logs and errors', () => {
  beforeEach(async () => {
    h = await startAtlasHarness({ digestNonceTtlSeconds: 60 });
  });

  it.each(AUTH_METHODS)(
    '%s: debug logs of successes, retries and failures hold no secret',
    async (method) => {
      const { written, restore } = captureOutput();
      const authorizations: string[] = [];
      const recordingFetch: typeof fetch = async (input, init) => {
        const value = new Headers(init?.headers).get('authorization');
        if (value) authorizations.push(value);
        return fetch(input, init);
      };
      const logger = new Logger({ serviceName: 'atlas-test', logLevel: 'DEBUG' });
      const errors: unknown[] = [];
      try {
        h.world.faults.add({ operation: 'listPrivateEndpointService', effect: atlasHttpError(503, 1) });
        h.world.faults.add({ operation: 'oauthToken', effect: atlasHttpError(500) });
        const k = h.kind('dedicated', method, { logger, fetch: recordingFetch });
        const t = h.target('dedicated');
        await k.findExisting(t);
        const { view } = await k.create(t);
        h.tick(90_000); // expire nonce / age token
        await k.describe(t, view.id);
        const wrong =
          method === 'service-account'
            ? new ServiceAccountCredentials(h.demo.serviceAccount.clientId, 'mdb_sa_sk_wrong-wrong-wrong')
            : new ApiKeyCredentials(h.demo.apiKey.publicKey, 'wrong-private-key');
        errors.push(
          await thrown(() =>
            h.kind('dedicated', method, { logger, fetch: recordingFetch, auth: wrong }).findExisting(t),
          ),
        );
        h.world.faults.add({
          operation: 'getPrivateEndpointService',
          times: 10,
          effect: atlasHttpError(500),
        });
        errors.push(
          await thrown(() =>
            h.kind('dedicated', method, { logger, fetch: recordingFetch }).describe(t, view.id),
          ),
        );
      } finally {
        restore();
      }
      const logText = written.join('');
      // The capture works and the logs say something useful.
      expect(logText).toContain('"operation":"listPrivateEndpointService"');
      expect(logText).toContain('"status":503');
      expect(logText).toContain('Atlas request gave up');
      expect(authorizations.length).toBeGreaterThan(3);
      const secrets = [
        h.demo.serviceAccount.clientSecret,
        h.demo.apiKey.privateKey,
        'mdb_sa_sk_wrong-wrong-wrong',
        'wrong-private-key',
        ...authorizations,
        ...authorizations.map((a) => a.slice(a.indexOf(' ') + 1)),
      ];
      const errorText = errors
        .flatMap((e) => [String(e), JSON.stringify(e), (e as Error).stack ?? ''])
        .join('\n');
      for (const secret of secrets) {
        expect(logText).not.toContain(secret);
        expect(errorText).not.toContain(secret);
      }
      expect(logText.toLowerCase()).not.toContain('authorization');
    },
  );

  it('a header fetch refuses becomes a ConfigurationError that names the header, not its value', async () => {
    // A public key with a line break makes the Digest Authorization value invalid; fetch's own error would
    // quote the whole value (username, nonce, response hash).
    const badKey = new ApiKeyCredentials(
      `${h.demo.apiKey.publicKey}\nX-Injected: 1`,
      h.demo.apiKey.privateKey,
    );
    const lines: string[] = [];
    const record = (...args: unknown[]) => {
      lines.push(JSON.stringify(args));
    };
    const logger = { debug: record, info: record, warn: record, error: record } as unknown as Logger;
    const error = await thrown(() =>
      h.kind('dedicated', 'api-key', { auth: badKey, logger }).findExisting(h.target('dedicated')),
    );
    expect(error.name).toBe('ConfigurationError');
    expect(error.details).toMatchObject({
      operation: 'listPrivateEndpointService',
      header: 'authorization',
      errorCode: 'INVALID_REQUEST_HEADER',
    });
    expect(error.cause).toBeUndefined();
    for (const text of [String(error), JSON.stringify(error), error.stack ?? '', ...lines]) {
      expect(text).not.toContain('Digest ');
      expect(text).not.toContain('response=');
      expect(text).not.toContain('X-Injected');
      expect(text).not.toContain(h.demo.apiKey.privateKey);
    }
    // Only the unauthenticated first round trip reached Atlas.
    expect(h.world.log.entries.map((e) => e.status)).toEqual([401]);
  });

  it.each([
    ['a line break', 'agent\r\nX-Injected: 1'],
    // fetch's own check lets this one through; undici then fails as if the connection dropped
    ['a control character', 'agent\u0001X-Injected: 1'],
  ])(
    'a non-secret header (user agent) with %s is refused the same way, before sending',
    async (_name, ua) => {
      const error = await thrown(() =>
        h.kind('dedicated', 'service-account', { userAgent: ua }).findExisting(h.target('dedicated')),
      );
      expect(error.name).toBe('ConfigurationError');
      expect(error.details).toMatchObject({ header: 'user-agent', errorCode: 'INVALID_REQUEST_HEADER' });
      expect(String(error)).not.toContain('X-Injected');
      expect(h.world.log.entries).toEqual([]);
    },
  );

  it('keeps the credentials object itself opaque in logs', () => {
    const logger = new Logger({ serviceName: 'atlas-test', logLevel: 'INFO' });
    const { written, restore } = captureOutput();
    try {
      const client = createAtlasClient({
        baseUrl: h.running.atlasUrl,
        auth: new ServiceAccountCredentials('mdb_sa_id_x', h.demo.serviceAccount.clientSecret),
      });
      logger.info('configured', {
        client,
        auth: new ServiceAccountCredentials('id', h.demo.serviceAccount.clientSecret),
      });
    } finally {
      restore();
    }
    expect(written.join('')).toContain('configured');
    expect(written.join('')).not.toContain(h.demo.serviceAccount.clientSecret);
  });
});
