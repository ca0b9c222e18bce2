/**
 * Atlas access for the steps that call Atlas (`STEPS[id].atlas`): checks that credentials are configured,
 * and loads them on first use into one Atlas client per container.
 *
 * Credentials: `ATLAS_SECRET_ARN` (read through Powertools Parameters), or, without it, the
 * `MONGODB_ATLAS_CLIENT_ID`/`MONGODB_ATLAS_CLIENT_SECRET` or `MONGODB_ATLAS_PUBLIC_KEY`/`MONGODB_ATLAS_PRIVATE_KEY`
 * variables (how the local engine runs the handlers). Base URL, first one set wins: the secret's
 * `BaseUrl`/`baseUrl`, `MONGODB_ATLAS_BASE_URL`, `ATLAS_BASE_URL` (the construct's deployment default),
 * https://cloud.mongodb.com. A base URL that travels with the credentials names the Atlas they belong to
 * (commercial, government, a simulator), so it overrides the deployment-wide default.
 *
 * The client is built once (a memoized promise; a failed load is retried by the next invocation). After
 * Atlas rejected the credentials, the next load reads the secret again bypassing the cache, to pick up a
 * rotation. Access tokens and Digest challenges are cached inside the client. With `LEASE_TABLE_NAME` set (the
 * construct sets it on every Atlas function), the access token is shared with the deployment's other
 * containers through that table, sealed (lambdas/atlas/token-share.ts): one container mints, the others
 * read it, so hundreds of containers stay within the token endpoint's limits.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type AtlasClient, createAtlasClient, normalizeBaseUrl } from '#atlas/client';
import { ENV as CREDENTIAL_ENV, loadAtlasCredentials } from '#atlas/credentials';
import type { TokenShare } from '#atlas/token-share';
import { createDynamoDbClient } from '#aws/client';
import { DynamoDbSharedTokenStore } from '#aws/token-store';
import type { Environment } from '#workflow/config';
import { HandlerEnv } from '#workflow/steps';
import { type AtlasAccess, type EnvironmentProblem, type HandlerClock, nonEmpty } from './runtime.ts';

/** Bounds of `ATLAS_REQUEST_TIMEOUT_MS`. */
export const MIN_REQUEST_TIMEOUT_MS = 100;
export const MAX_REQUEST_TIMEOUT_MS = 60_000;

export function atlasAccess(env: Environment, logger: Logger, clock: HandlerClock = {}): AtlasAccess {
  const problems: EnvironmentProblem[] = [];
  const deploymentBaseUrl = nonEmpty(env[HandlerEnv.AtlasBaseUrl]);
  if (deploymentBaseUrl !== undefined) {
    try {
      normalizeBaseUrl(deploymentBaseUrl);
    } catch (error) {
      problems.push({
        variables: [HandlerEnv.AtlasBaseUrl],
        problem: `${HandlerEnv.AtlasBaseUrl}: ${(error as Error).message}`,
      });
    }
  }
  const E = CREDENTIAL_ENV;
  const has = (name: string) => nonEmpty(env[name]) !== undefined;
  if (
    !has(E.secretArn) &&
    !(has(E.clientId) && has(E.clientSecret)) &&
    !(has(E.publicKey) && has(E.privateKey))
  ) {
    problems.push({
      variables: [E.secretArn],
      problem:
        `${E.secretArn} is not set (nor ${E.clientId}/${E.clientSecret} or ${E.publicKey}/${E.privateKey}): ` +
        'no Atlas credentials',
    });
  }

  const timeoutText = nonEmpty(env[HandlerEnv.AtlasRequestTimeoutMs]);
  const timeoutMs = timeoutText === undefined ? undefined : Number(timeoutText);
  if (
    timeoutMs !== undefined &&
    !(
      Number.isInteger(timeoutMs) &&
      timeoutMs >= MIN_REQUEST_TIMEOUT_MS &&
      timeoutMs <= MAX_REQUEST_TIMEOUT_MS
    )
  ) {
    problems.push({
      variables: [HandlerEnv.AtlasRequestTimeoutMs],
      problem:
        `${HandlerEnv.AtlasRequestTimeoutMs} must be whole milliseconds from ${MIN_REQUEST_TIMEOUT_MS} to ` +
        `${MAX_REQUEST_TIMEOUT_MS}, got ${JSON.stringify(timeoutText)}`,
    });
  }

  const credentialEnv: Environment = { ...env, [E.baseUrl]: nonEmpty(env[E.baseUrl]) ?? deploymentBaseUrl };
  const tableName = nonEmpty(env[HandlerEnv.LeaseTableName]);
  let tokenShare: TokenShare | undefined;
  if (tableName !== undefined) {
    let store: DynamoDbSharedTokenStore | undefined;
    const sleep = clock.sleep === undefined ? {} : { sleep: clock.sleep };
    const get = () => {
      store ??= new DynamoDbSharedTokenStore(createDynamoDbClient({ env, ...sleep }), tableName);
      return store;
    };
    tokenShare = {
      holder: `container-${randomUUID()}`,
      store: {
        read: (key) => get().read(key),
        claimMint: (key, holder, nowMs, untilMs) => get().claimMint(key, holder, nowMs, untilMs),
        releaseMint: (key, holder) => get().releaseMint(key, holder),
        write: (key, token) => get().write(key, token),
        drop: (key, fingerprint) => get().drop(key, fingerprint),
      },
    };
  }
  let pending: Promise<AtlasClient> | undefined;
  let forceFetch = false;
  const client = (): Promise<AtlasClient> => {
    if (pending === undefined) {
      const load = (async () => {
        const loaded = await loadAtlasCredentials({ env: credentialEnv, forceFetch });
        forceFetch = false;
        logger.info('Atlas credentials loaded', {
          source: loaded.source,
          authKind: loaded.auth.kind,
          baseUrl: loaded.baseUrl,
        });
        return createAtlasClient({
          baseUrl: loaded.baseUrl,
          auth: loaded.auth,
          logger,
          ...(timeoutMs === undefined ? {} : { timeoutMs }),
          ...(clock.now === undefined ? {} : { now: clock.now }),
          ...(clock.sleep === undefined ? {} : { sleep: clock.sleep }),
          ...(tokenShare === undefined ? {} : { tokenShare }),
        });
      })();
      pending = load;
      load.catch(() => {
        if (pending === load) pending = undefined;
      });
    }
    return pending;
  };
  const onAuthFailed = () => {
    pending = undefined;
    forceFetch = true;
  };
  return { problems, client, onAuthFailed };
}
