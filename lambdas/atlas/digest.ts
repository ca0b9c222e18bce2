/**
 * HTTP Digest access authentication (RFC 7616), as Atlas API keys use it: the public key is the
 * username, the private key the password, `qop=auth`, algorithm MD5 (SHA-256 and the `-sess` variants
 * are supported too, in case a server offers them).
 *
 * A `DigestSession` keeps the last challenge (realm, nonce, opaque, algorithm) and reuses the nonce
 * for later requests with an incrementing nonce count (`nc`), so only the first request of a session
 * (and the first after the server retires the nonce with `stale=true`) costs an extra round trip.
 */
import { createHash, randomBytes } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque?: string;
  readonly algorithm: DigestAlgorithm;
  /** The qop values the server offers (`auth`, `auth-int`); empty for an RFC 2069 server. */
  readonly qop: readonly string[];
  readonly stale: boolean;
}

export interface DigestResponseInput {
  readonly username: string;
  readonly password: string;
  readonly method: string;
  /** The request-target: path and query, e.g. `/api/atlas/v2/groups/…?pretty=false`. */
  readonly uri: string;
  readonly challenge: DigestChallenge;
  /** Nonce count, 1-based. */
  readonly nc: number;
  readonly cnonce: string;
}

/** One `scheme params` entry of a WWW-Authenticate header. */
export interface AuthChallenge {
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * Parses a WWW-Authenticate value, which may hold several challenges (and fetch joins repeated
 * headers with ", "). Parameter names are lower-cased; quoted-string escapes are undone.
 */
export function parseAuthenticate(header: string): AuthChallenge[] {
  const out: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === ' ' || header[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(header[i] as string)) i++;
    return header.slice(start, i);
  };
  while (i < n) {
    skipSpace();
    if (header[i] === ',') {
      i++;
      continue;
    }
    const token = readToken();
    if (token === '') {
      i++;
      continue;
    }
    skipSpace();
    const current = out[out.length - 1];
    if (header[i] === '=' && current !== undefined) {
      i++;
      skipSpace();
      let value = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') {
          if (header[i] === '\\' && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++;
      } else {
        const start = i;
        while (i < n && header[i] !== ',' && header[i] !== ' ' && header[i] !== '\t') i++;
        value = header.slice(start, i);
      }
      current.params[token.toLowerCase()] = value;
    } else {
      out.push({ scheme: token, params: {} });
    }
  }
  return out;
}

const ALGORITHMS: Record<string, DigestAlgorithm> = {
  MD5: 'MD5',
  'MD5-SESS': 'MD5-sess',
  'SHA-256': 'SHA-256',
  'SHA-256-SESS': 'SHA-256-sess',
};

/** Preference when a server offers several Digest challenges. */
const STRENGTH: Record<DigestAlgorithm, number> = { 'SHA-256': 4, 'SHA-256-sess': 3, MD5: 2, 'MD5-sess': 1 };

/**
 * The best Digest challenge in a WWW-Authenticate value that this module can answer with qop=auth
 * (or without qop, RFC 2069 style), or undefined when there is none.
 */
export function selectDigestChallenge(header: string | null | undefined): DigestChallenge | undefined {
  if (!header) return undefined;
  let best: DigestChallenge | undefined;
  for (const { scheme, params } of parseAuthenticate(header)) {
    if (scheme.toLowerCase() !== 'digest') continue;
    const algorithm = ALGORITHMS[(params.algorithm ?? 'MD5').toUpperCase()];
    if (algorithm === undefined || params.realm === undefined || params.nonce === undefined) continue;
    const qop = (params.qop ?? '')
      .split(',')
      .map((q) => q.trim().toLowerCase())
      .filter((q) => q !== '');
    if (qop.length > 0 && !qop.includes('auth')) continue;
    const challenge: DigestChallenge = {
      realm: params.realm,
      nonce: params.nonce,
      ...(params.opaque === undefined ? {} : { opaque: params.opaque }),
      algorithm,
      qop,
      stale: (params.stale ?? '').toLowerCase() === 'true',
    };
    if (best === undefined || STRENGTH[algorithm] > STRENGTH[best.algorithm]) best = challenge;
  }
  return best;
}

function hash(algorithm: DigestAlgorithm, value: string): string {
  return createHash(algorithm.startsWith('SHA-256') ? 'sha256' : 'md5')
    .update(value, 'utf8')
    .digest('hex');
}

/** `nc` as the 8 hex digits the header carries. */
export function formatNonceCount(nc: number): string {
  return nc.toString(16).padStart(8, '0');
}

/** The `response` value of RFC 7616 §3.4.1 (qop=auth, or RFC 2069 when the server sent no qop). */
export function digestResponse(input: DigestResponseInput): string {
  const { challenge, username, password, method, uri, cnonce } = input;
  const alg = challenge.algorithm;
  let ha1 = hash(alg, `${username}:${challenge.realm}:${password}`);
  if (alg.endsWith('-sess')) ha1 = hash(alg, `${ha1}:${challenge.nonce}:${cnonce}`);
  const ha2 = hash(alg, `${method.toUpperCase()}:${uri}`);
  if (challenge.qop.length === 0) return hash(alg, `${ha1}:${challenge.nonce}:${ha2}`);
  return hash(alg, `${ha1}:${challenge.nonce}:${formatNonceCount(input.nc)}:${cnonce}:auth:${ha2}`);
}

function quote(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** The full `Authorization: Digest …` value for one request. */
export function digestAuthorization(input: DigestResponseInput): string {
  const { challenge } = input;
  const parts = [
    `username=${quote(input.username)}`,
    `realm=${quote(challenge.realm)}`,
    `uri=${quote(input.uri)}`,
    `algorithm=${challenge.algorithm}`,
    `nonce=${quote(challenge.nonce)}`,
  ];
  if (challenge.qop.length > 0) {
    parts.push(`nc=${formatNonceCount(input.nc)}`, `cnonce=${quote(input.cnonce)}`, 'qop=auth');
  }
  parts.push(`response=${quote(digestResponse(input))}`);
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

/** A fresh client nonce: 16 random bytes, base64url. */
export function newClientNonce(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * Digest state for one (server, user): the cached challenge and the next nonce count.
 * Counts are taken synchronously, so concurrent requests never share an `nc`.
 */
export class DigestSession {
  private challenge: DigestChallenge | undefined;
  private nc = 0;

  constructor(
    private readonly username: string,
    private readonly password: string,
    private readonly cnonce: () => string = newClientNonce,
  ) {}

  /** True once a challenge has been seen (later requests authenticate up front). */
  get primed(): boolean {
    return this.challenge !== undefined;
  }

  /** The nonce the session currently uses (for tests and logs; it is not a secret). */
  get nonce(): string | undefined {
    return this.challenge?.nonce;
  }

  /** Authorization for a request with the cached challenge, or undefined before the first challenge. */
  authorize(method: string, uri: string): string | undefined {
    const challenge = this.challenge;
    if (challenge === undefined) return undefined;
    this.nc += 1;
    return digestAuthorization({
      username: this.username,
      password: this.password,
      method,
      uri,
      challenge,
      nc: this.nc,
      cnonce: this.cnonce(),
    });
  }

  /**
   * Takes the challenge of a 401. Returns it (and resets `nc` when the nonce changed), or undefined
   * when the header holds no Digest challenge this session can answer.
   */
  accept(header: string | null | undefined): DigestChallenge | undefined {
    const challenge = selectDigestChallenge(header);
    if (challenge === undefined) return undefined;
    if (this.challenge?.nonce !== challenge.nonce) this.nc = 0;
    this.challenge = challenge;
    return challenge;
  }

  /** Forgets the challenge (the next request goes out unauthenticated and gets a new one). */
  reset(): void {
    this.challenge = undefined;
    this.nc = 0;
  }
}
