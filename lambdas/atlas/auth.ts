/**
 * Atlas credentials and the per-request authenticators built from them.
 *
 * Two methods, as the Atlas Admin API offers them:
 * - Service accounts (recommended by MongoDB): OAuth 2.0 client credentials. The access token is cached
 *   per container (module scope, keyed by base URL and client) until `refreshMarginMs` before it
 *   expires; however many calls wait for a token, one token request is in flight. A 401 on an API call
 *   made with a cached token drops that token and retries the call once with a fresh one.
 * - API keys (legacy): HTTP Digest (see `digest.ts`). The challenge is cached per container too, so later
 *   calls reuse the nonce with an incrementing `nc`; `stale=true` or an unknown nonce re-challenges.
 *
 * Credentials keep their secret half in a private field: logging or JSON-serialising a credentials
 * object (or anything holding one) shows the public id only.
 */
import { createHash } from 'node:crypto';
import { AtlasTransientError } from '#core/errors';
import { DigestSession } from './digest.ts';
import {
  MINT_CLAIM_MS,
  openToken,
  SHARED_TOKEN_POLL_MS,
  sealToken,
  sharedTokenKey,
  type TokenShare,
  tokenFingerprint,
} from './token-share.ts';

export type AtlasAuthKind = 'service-account' | 'api-key';

const REDACTED = '[redacted]';

/** OAuth client credentials of an Atlas service account. */
export class ServiceAccountCredentials {
  readonly kind = 'service-account' as const;
  readonly #clientSecret: string;

  constructor(
    readonly clientId: string,
    clientSecret: string,
  ) {
    this.#clientSecret = clientSecret;
  }

  /** The secret, for building the token request only. */
  revealSecret(): string {
    return this.#clientSecret;
  }

  toJSON(): Record<string, string> {
    return { kind: this.kind, clientId: this.clientId, clientSecret: REDACTED };
  }
}

/** A programmatic API key pair (HTTP Digest: public key = username, private key = password). */
export class ApiKeyCredentials {
  readonly kind = 'api-key' as const;
  readonly #privateKey: string;

  constructor(
    readonly publicKey: string,
    privateKey: string,
  ) {
    this.#privateKey = privateKey;
  }

  /** The private key, for computing Digest responses only. */
  revealSecret(): string {
    return this.#privateKey;
  }

  toJSON(): Record<string, string> {
    return { kind: this.kind, publicKey: this.publicKey, privateKey: REDACTED };
  }
}

export type AtlasCredentials = ServiceAccountCredentials | ApiKeyCredentials;

/** What an OAuth token endpoint returned, already checked. */
export interface IssuedToken {
  readonly accessToken: string;
  readonly expiresInSeconds: number;
}

/** RFC 6750 §2.1 `b64token`: the characters a bearer access token may contain. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** Whether `value` can be sent as `Authorization: Bearer <value>` (RFC 6750 b64token). */
export function isBearerToken(value: string): boolean {
  return B64TOKEN.test(value);
}

/**
 * Masks credentials an error text may quote: whatever follows an authorization scheme name (`Bearer`,
 * `Basic`, `Digest`) up to the end of fetch's "is an invalid header value" sentence, or else to the end of
 * the line. For logging errors of unknown origin; the client's own errors never quote credentials.
 */
export function redactCredentials(text: string): string {
  return text
    .replace(/\b(Bearer|Basic|Digest)\s[\s\S]*?(?=" is an invalid header value)/gi, `$1 ${REDACTED}`)
    .replace(/\b(Bearer|Basic|Digest)\s+(?!\[redacted\])[^\n]*/gi, `$1 ${REDACTED}`);
}

/** Context of the call an authenticator works for (its deadline bounds any token request). */
export interface AuthContext {
  /** Absolute stop time of the call, in the client's `now()` time base. */
  readonly stopAt: number;
}

/** Per-request authentication state: what to send, and whether a 401 deserves another try. */
export interface RequestAuth {
  /** The Authorization value for the next send of this request (undefined: send without). */
  header(method: string, url: URL, context: AuthContext): Promise<string | undefined>;
  /** Called with a 401 answer; true when resending with new credentials may succeed. */
  retryAfterUnauthorized(wwwAuthenticate: string | null): boolean;
}

export interface Authenticator {
  readonly kind: AtlasAuthKind;
  /** The log's name for the scheme: `bearer` or `digest`. */
  readonly scheme: 'bearer' | 'digest';
  begin(): RequestAuth;
}

// ---------------------------------------------------------------------------------------------------
// Module-scope state: survives across invocations of a warm Lambda container.

interface CachedToken {
  readonly value: string;
  /** When to stop using it (expiry minus the refresh margin), in the client's time base. */
  readonly refreshAt: number;
}

interface TokenState {
  token: CachedToken | undefined;
  inflight: Promise<CachedToken> | undefined;
  /** A refused token being dropped from the shared store (awaited before the store is read again). */
  dropping?: Promise<void> | undefined;
}

const tokenStates = new Map<string, TokenState>();
const digestSessions = new Map<string, DigestSession>();

function fingerprint(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url').slice(0, 16);
}

function stateKey(baseUrl: string, id: string, secret: string): string {
  return `${baseUrl}\u0000${id}\u0000${fingerprint(secret)}`;
}

/** Forgets every cached token and Digest challenge (tests; or after rotating credentials). */
export function resetAtlasAuthCaches(): void {
  tokenStates.clear();
  digestSessions.clear();
}

/** Default: stop using a token 60 s before it expires (at most half its lifetime). */
export const DEFAULT_TOKEN_REFRESH_MARGIN_MS = 60_000;

export interface ServiceAccountAuthenticatorOptions {
  readonly baseUrl: string;
  readonly credentials: ServiceAccountCredentials;
  /** Requests a new token (through the client's retrying transport), bounded by `stopAt`. */
  readonly issueToken: (stopAt: number) => Promise<IssuedToken>;
  readonly now: () => number;
  readonly refreshMarginMs?: number;
  /**
   * The deployment's shared token (see ./token-share.ts): read before asking Atlas, and only the container
   * holding the right to mint asks. @default - none: this container asks for its own token
   */
  readonly share?: TokenShare;
  /** How to wait for another container's token. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Jitter source in [0, 1). @default Math.random */
  readonly random?: () => number;
}

export function serviceAccountAuthenticator(options: ServiceAccountAuthenticatorOptions): Authenticator {
  const key = stateKey(options.baseUrl, options.credentials.clientId, options.credentials.revealSecret());
  let state = tokenStates.get(key);
  if (state === undefined) {
    state = { token: undefined, inflight: undefined };
    tokenStates.set(key, state);
  }
  const shared = state;
  const margin = options.refreshMarginMs ?? DEFAULT_TOKEN_REFRESH_MARGIN_MS;

  const mint = async (stopAt: number): Promise<CachedToken & { expiresAtMs: number }> => {
    const requestedAt = options.now();
    const issued = await options.issueToken(stopAt);
    const lifetimeMs = issued.expiresInSeconds * 1000;
    return {
      value: issued.accessToken,
      refreshAt: requestedAt + lifetimeMs - Math.min(margin, lifetimeMs / 2),
      expiresAtMs: requestedAt + lifetimeMs,
    };
  };

  const share = options.share;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;
  const clientId = options.credentials.clientId;
  const shareKey = sharedTokenKey(options.baseUrl, clientId);

  /**
   * The deployment's token: the stored one while it is fresh; else this container mints it when it gets the
   * right to (and stores it sealed), or waits for the container that has it. Any store failure: mint here.
   */
  const fromShare = async (s: TokenShare, stopAt: number): Promise<CachedToken> => {
    const secret = options.credentials.revealSecret();
    for (;;) {
      await shared.dropping;
      let claimed: boolean;
      try {
        const stored = await s.store.read(shareKey);
        if (stored !== undefined) {
          const refreshAt = stored.expiresAtMs - margin;
          const value = options.now() < refreshAt ? openToken(stored, shareKey, secret, clientId) : undefined;
          if (value !== undefined) return { value, refreshAt };
        }
        const now = options.now();
        claimed = await s.store.claimMint(shareKey, s.holder, now, now + MINT_CLAIM_MS);
      } catch {
        return mint(stopAt);
      }
      if (claimed) {
        const token = await mint(stopAt);
        try {
          await s.store.write(
            shareKey,
            sealToken(token.value, token.expiresAtMs, shareKey, secret, clientId),
          );
          await s.store.releaseMint(shareKey, s.holder);
        } catch {
          // The token works for this container; the others mint once the claim expires.
        }
        return token;
      }
      const wait = Math.round(SHARED_TOKEN_POLL_MS * (1 + 0.5 * random()));
      if (options.now() + wait >= stopAt) {
        throw new AtlasTransientError(
          'Another container of this deployment was still obtaining the Atlas access token when this call ran out of time',
          { details: { operation: 'oauthToken', reason: 'shared-token-wait' } },
        );
      }
      await sleep(wait);
    }
  };

  const obtain = async (stopAt: number): Promise<CachedToken> => {
    const cached = shared.token;
    if (cached !== undefined && options.now() < cached.refreshAt) return cached;
    if (shared.inflight === undefined) {
      shared.inflight = (share === undefined ? mint(stopAt) : fromShare(share, stopAt))
        .then((token) => {
          const kept = { value: token.value, refreshAt: token.refreshAt };
          shared.token = kept;
          return kept;
        })
        .finally(() => {
          shared.inflight = undefined;
        });
    }
    return shared.inflight;
  };

  return {
    kind: 'service-account',
    scheme: 'bearer',
    begin(): RequestAuth {
      let sent: CachedToken | undefined;
      let refreshed = false;
      return {
        async header(_method, _url, context) {
          sent = await obtain(context.stopAt);
          return `Bearer ${sent.value}`;
        },
        retryAfterUnauthorized() {
          if (refreshed || sent === undefined) return false;
          refreshed = true;
          // Drop the token only if nobody replaced it meanwhile; in the shared store too, if it is still there.
          if (shared.token === sent) shared.token = undefined;
          if (share !== undefined) {
            const refused = tokenFingerprint(sent.value);
            shared.dropping = share.store.drop(shareKey, refused).catch(() => undefined);
          }
          return true;
        },
      };
    },
  };
}

export interface DigestAuthenticatorOptions {
  readonly baseUrl: string;
  readonly credentials: ApiKeyCredentials;
  /** Client nonce source (tests pin it). */
  readonly cnonce?: () => string;
}

export function digestAuthenticator(options: DigestAuthenticatorOptions): Authenticator {
  const { credentials } = options;
  const key = stateKey(options.baseUrl, credentials.publicKey, credentials.revealSecret());
  let session = digestSessions.get(key);
  if (session === undefined) {
    session = new DigestSession(credentials.publicKey, credentials.revealSecret(), options.cnonce);
    digestSessions.set(key, session);
  }
  const shared = session;

  return {
    kind: 'api-key',
    scheme: 'digest',
    begin(): RequestAuth {
      /** How many 401s this request has answered, and whether the last one came from a fresh challenge. */
      let answeredFresh = false;
      let staleRetries = 0;
      return {
        async header(method, url) {
          return shared.authorize(method, `${url.pathname}${url.search}`);
        },
        retryAfterUnauthorized(wwwAuthenticate) {
          const challenge = shared.accept(wwwAuthenticate);
          if (challenge === undefined) return false;
          if (challenge.stale) {
            // The credentials were right; only the nonce expired.
            staleRetries += 1;
            return staleRetries <= 2;
          }
          // A non-stale 401 after answering a challenge received during this very request means the
          // credentials are wrong; after a cached (possibly forgotten) nonce, it deserves one fresh try.
          if (answeredFresh) return false;
          answeredFresh = true;
          return true;
        },
      };
    },
  };
}
