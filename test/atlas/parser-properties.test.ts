/**
 * Whatever a server sends, the Atlas client ends in a typed result: properties over arbitrary input for the
 * error body parser, the status-to-error mapping, the WWW-Authenticate (Digest challenge) parser, and the
 * whole client against a loopback server answering generated statuses, headers and bodies (with either kind of
 * credentials). Never a crash (TypeError, RangeError, …), never a body echoed beyond its clip.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKeyCredentials,
  resetAtlasAuthCaches,
  ServiceAccountCredentials,
} from '../../lambdas/atlas/auth.ts';
import { createAtlasClient } from '../../lambdas/atlas/client.ts';
import { parseAuthenticate, selectDigestChallenge } from '../../lambdas/atlas/digest.ts';
import { AtlasApiError, parseErrorBody, toWorkflowError } from '../../lambdas/atlas/errors.ts';
import { THROWN_ERROR_NAMES } from '../../lambdas/core/errors.ts';
import { reliabilitySeed } from '../support/reliability.ts';

const seed = reliabilitySeed();
const named = new Set<string>(THROWN_ERROR_NAMES);

/** Text a server might send: anything, JSON of anything, and JSON shaped like an error with wrong types. */
const bodyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        errorCode: fc.oneof(fc.string(), fc.jsonValue()),
        error: fc.oneof(fc.string(), fc.jsonValue()),
        detail: fc.oneof(fc.string({ maxLength: 2000 }), fc.jsonValue()),
        error_description: fc.jsonValue(),
        reason: fc.jsonValue(),
        parameters: fc.oneof(fc.array(fc.jsonValue()), fc.jsonValue()),
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
  fc.constantFrom('', '{', '<html><body>502 Bad Gateway</body></html>', '{"__proto__":{"x":1}}', 'null'),
);

describe('the Atlas error parser', () => {
  it('reads any text into a typed, clipped body, never throwing', () => {
    fc.assert(
      fc.property(bodyText, (text) => {
        const body = parseErrorBody(text);
        for (const key of ['errorCode', 'detail', 'reason'] as const) {
          const value = body[key];
          if (value !== undefined) {
            expect(typeof value).toBe('string');
            expect(value.length).toBeLessThanOrEqual(501);
          }
        }
        if (body.parameters !== undefined) {
          for (const p of body.parameters) expect(['string', 'number', 'boolean']).toContain(typeof p);
        }
        expect(
          Object.keys(body).every((k) => ['errorCode', 'detail', 'reason', 'parameters'].includes(k)),
        ).toBe(true);
      }),
      { numRuns: 1000, seed },
    );
  });

  it('maps any error status and body onto one of the named errors', () => {
    fc.assert(
      fc.property(fc.integer({ min: 400, max: 599 }), bodyText, fc.string(), (status, text, operation) => {
        const body = parseErrorBody(text);
        const error = toWorkflowError(new AtlasApiError({ operation, status, ...body }));
        expect(named.has(error.name)).toBe(true);
      }),
      { numRuns: 500, seed },
    );
  });
});

/** Header values a server might send: anything, and near-valid challenges. */
const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,10}$/);
const quoted = fc.string({ maxLength: 20 }).map((s) => `"${s.replace(/["\\]/g, '\\$&')}"`);
const param = fc.tuple(
  fc.oneof(fc.constantFrom('realm', 'nonce', 'qop', 'algorithm', 'opaque', 'stale', '__proto__'), token),
  fc.oneof(quoted, token, fc.constant('')),
);
const challenge = fc
  .tuple(
    fc.oneof(fc.constantFrom('Digest', 'digest', 'Bearer', 'Basic'), token),
    fc.array(param, { maxLength: 6 }),
  )
  .map(([scheme, params]) => `${scheme} ${params.map(([k, v]) => `${k}=${v}`).join(', ')}`);
const authenticate = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.array(challenge, { minLength: 1, maxLength: 3 }).map((c) => c.join(', ')),
);

describe('the Digest challenge parser', () => {
  it('parses any WWW-Authenticate value into challenges of tokens and string parameters, never throwing', () => {
    fc.assert(
      fc.property(authenticate, (header) => {
        for (const c of parseAuthenticate(header)) {
          expect(c.scheme).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
          for (const value of Object.values(c.params)) expect(typeof value).toBe('string');
        }
        const selected = selectDigestChallenge(header);
        if (selected !== undefined) {
          expect(typeof selected.realm).toBe('string');
          expect(typeof selected.nonce).toBe('string');
          expect(['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess']).toContain(selected.algorithm);
          expect(selected.qop.length === 0 || selected.qop.includes('auth')).toBe(true);
        }
      }),
      { numRuns: 1000, seed },
    );
  });
});

/** One generated answer: status, headers and body. */
interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const answer: fc.Arbitrary<Answer> = fc.record({
  status: fc.oneof(
    fc.constantFrom(200, 201, 204, 400, 401, 403, 404, 409, 410, 415, 429, 500, 502, 503, 504),
    fc.integer({ min: 200, max: 599 }),
  ),
  headers: fc.record(
    {
      'content-type': fc.constantFrom(
        'application/json',
        'application/vnd.atlas.2023-01-01+json',
        'text/html',
        'application/problem+json',
      ),
      'retry-after': fc.oneof(
        fc.constantFrom('0', '1', '-5', 'soon', 'Wed, 21 Oct 2015 07:28:00 GMT', '99999999'),
        token,
      ),
      'www-authenticate': authenticate.map((h) => h.replace(/[^\t\x20-\x7e]/g, '')),
    },
    { requiredKeys: ['content-type'] },
  ),
  body: bodyText,
});

describe('the Atlas client against arbitrary answers', () => {
  let server: Server;
  let url: string;
  let next: Answer;
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        // The token endpoint works, so the answers under test reach the API call itself.
        if (req.url === '/api/oauth/token') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              access_token: 'generated-token-000000',
              expires_in: 3600,
              token_type: 'Bearer',
            }),
          );
          return;
        }
        try {
          res.writeHead(next.status, next.headers);
          res.end(next.status === 204 ? undefined : next.body);
        } catch {
          res.destroy();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it.each(['service-account', 'api-key'] as const)(
    '%s: every answer ends in a result or a named workflow error',
    async (auth) => {
      await fc.assert(
        fc.asyncProperty(answer, async (generated) => {
          next = generated;
          resetAtlasAuthCaches();
          const client = createAtlasClient({
            baseUrl: url,
            auth:
              auth === 'service-account'
                ? new ServiceAccountCredentials('mdb_sa_id_generated', 'mdb_sa_sk_generated')
                : new ApiKeyCredentials('generated', 'generated-private-key'),
            retry: { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0, budgetMs: 5000 },
            sleep: async () => undefined,
            timeoutMs: 2000,
          });
          try {
            await client.request({
              operation: 'getCluster',
              method: 'GET',
              path: '/api/atlas/v2/x',
              version: '2024-08-05',
            });
          } catch (error) {
            expect(
              named.has((error as Error).name),
              `${(error as Error).name}: ${(error as Error).message}`,
            ).toBe(true);
            expect((error as Error).message).not.toContain('generated-private-key');
            expect((error as Error).message).not.toContain('mdb_sa_sk_generated');
          }
        }),
        { numRuns: 150, seed },
      );
    },
    120_000,
  );
});
