/**
 * Sharing the Atlas access token between the containers of a deployment (the store: #core/token-cache).
 *
 * - Sealing: AES-256-GCM, a fresh 96-bit IV per token, the store key as additional data, under a key derived
 *   (HKDF-SHA-256) from the service account's secret and id. Whoever can open a sealed token could mint one
 *   with the secret anyway; whoever can only read the table learns nothing usable.
 * - Minting: a container that finds no usable token takes the right to mint (a conditional write with a
 *   short expiry), mints, stores the sealed token, gives the right back. The others wait for the stored token
 *   (re-reading every second or so) instead of asking Atlas, so the deployment asks for about one token an
 *   hour however many containers it runs.
 * - The store is an optimisation, never a dependency: when it fails, the container mints its own token as
 *   before (logged by the caller's retry policy only through the token request itself).
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { SHARED_TOKEN_KEY_PREFIX } from '#core/leases';
import type { SealedToken, SharedTokenStore } from '#core/token-cache';

export type { SealedToken, SharedTokenStore };

/** A deployment's shared token, as the authenticator uses it. */
export interface TokenShare {
  readonly store: SharedTokenStore;
  /** This container's name in the store (the holder of the right to mint). */
  readonly holder: string;
}

/** How long the right to mint is held at most (a token request takes well under a second). */
export const MINT_CLAIM_MS = 20_000;
/** How often a waiting container re-reads the store (plus up to 50 % jitter). */
export const SHARED_TOKEN_POLL_MS = 1_000;

const VERSION = 'v1';

function b64(buffer: Buffer): string {
  return buffer.toString('base64url');
}

/** The store key of a service account at a base URL (no secret in it). */
export function sharedTokenKey(baseUrl: string, clientId: string): string {
  return `${SHARED_TOKEN_KEY_PREFIX}${createHash('sha256').update(`${baseUrl}\u0000${clientId}`).digest('base64url').slice(0, 32)}`;
}

export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token).digest('base64url').slice(0, 22);
}

function sealingKey(secret: string, clientId: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', secret, clientId, 'atlas-private-endpoint-workflow token cache v1', 32),
  );
}

export function sealToken(
  token: string,
  expiresAtMs: number,
  key: string,
  secret: string,
  clientId: string,
): SealedToken {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(secret, clientId), iv);
  cipher.setAAD(Buffer.from(key, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return {
    sealed: [VERSION, b64(iv), b64(cipher.getAuthTag()), b64(ciphertext)].join('.'),
    expiresAtMs,
    fingerprint: tokenFingerprint(token),
  };
}

/** The token inside `sealed`, or undefined when it cannot be opened (another secret, tampering, a new format). */
export function openToken(
  sealed: SealedToken,
  key: string,
  secret: string,
  clientId: string,
): string | undefined {
  const [version, iv, tag, ciphertext] = sealed.sealed.split('.');
  if (version !== VERSION || iv === undefined || tag === undefined || ciphertext === undefined)
    return undefined;
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      sealingKey(secret, clientId),
      Buffer.from(iv, 'base64url'),
    );
    decipher.setAAD(Buffer.from(key, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const token = Buffer.concat([
      decipher.update(Buffer.from(ciphertext, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
    return tokenFingerprint(token) === sealed.fingerprint ? token : undefined;
  } catch {
    return undefined;
  }
}
