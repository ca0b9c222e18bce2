/**
 * Secrets never leave the handlers: a whole forward path plus its failure path, and a credential rejection,
 * with DEBUG logs captured from the Powertools logger's stdout. Neither the outputs, nor the errors, nor
 * any log line contain the client secret, the API private key or an access token the world issued.
 */
import './quiet.ts';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiKeyCredentials, ServiceAccountCredentials } from '../../lambdas/atlas/auth.ts';
import { createAtlasClient } from '../../lambdas/atlas/client.ts';
import { ErrorNames } from '../../lambdas/core/errors.ts';
import {
  type AuthMethod,
  type Harness,
  KINDS,
  lambdaContext,
  MAKE_HANDLER,
  startHarness,
  thrown,
} from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await h?.close();
  h = undefined;
});

/** Captures what the Powertools logger writes (JSON lines; WARN and ERROR go to stderr). */
function captureOutput(): string[] {
  const lines: string[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    });
  }
  return lines;
}

/** The access tokens the world minted (read from the simulator's private token table). */
function issuedTokens(harness: Harness): string[] {
  const access = harness.world.atlas.access as unknown as { tokens: Map<string, unknown> };
  return [...access.tokens.keys()];
}

describe.each(KINDS)('%s: no secret in outputs, errors or logs', (kind) => {
  it.each(['service-account', 'api-key'] as AuthMethod[])('with %s credentials', async (auth) => {
    const logger = new Logger({ logLevel: 'DEBUG', serviceName: 'secrets-test' });
    h = await startHarness({ auth, logger });
    const lines = captureOutput();

    const outputs: unknown[] = [];
    const state = await h.drive(h.request(kind), `exec-secrets-${auth}`);
    outputs.push(state);
    const end = await h.compensate({
      ...state,
      error: { Error: 'EndpointFailed', Cause: 'simulated failure' },
    });
    outputs.push(end);

    // A rejected credential: the wrong secret must not be echoed either.
    const wrongSecret =
      auth === 'service-account' ? 'mdb_sa_sk_WRONGwrongWRONGwrong0000' : 'wrong-private-key-0000';
    const bad = createAtlasClient({
      baseUrl: h.running.atlasUrl,
      auth:
        auth === 'service-account'
          ? new ServiceAccountCredentials(h.demo.serviceAccount.clientId, wrongSecret)
          : new ApiKeyCredentials(h.demo.apiKey.publicKey, wrongSecret),
      now: () => h!.world.clock.now(),
      sleep: async (ms) => h!.world.clock.advance(ms),
      logger,
    });
    const handler = MAKE_HANDLER['create-atlas-endpoint'](h.deps({ atlasClient: async () => bad }));
    const error = await thrown(() => handler({ ...state, existing: {} }, lambdaContext()));
    expect(error.name).toBe(ErrorNames.AtlasAuthFailed);
    vi.restoreAllMocks();

    const logs = lines.join('');
    // The logs are there (so the check below means something): structured lines from the steps and the client.
    expect(logs).toContain('"message":"Request validated"');
    expect(logs).toContain('"message":"Atlas request succeeded"');
    expect(logs).toContain('"level":"WARN"'); // the AtlasAuthFailed line

    const secrets = [
      h.demo.serviceAccount.clientSecret,
      h.demo.apiKey.privateKey,
      wrongSecret,
      ...issuedTokens(h),
    ];
    if (auth === 'service-account') expect(issuedTokens(h).length).toBeGreaterThan(0);
    const texts = {
      outputs: JSON.stringify(outputs),
      error: `${error.message} ${JSON.stringify(error)} ${JSON.stringify((error as { details?: unknown }).details)}`,
      logs,
    };
    for (const [where, text] of Object.entries(texts)) {
      for (const secret of secrets) expect(text.includes(secret), `${where} contains a secret`).toBe(false);
      expect(text, where).not.toMatch(/authorization|Bearer\s|Digest\s+username/i);
    }
  });
});
