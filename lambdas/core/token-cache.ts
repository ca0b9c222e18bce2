/**
 * The Atlas access token shared by every container of a deployment (see lambdas/atlas/token-share.ts).
 *
 * Atlas's token endpoint allows 10 requests a minute per IP and client and 100 live tokens per service account
 * (facts §9/§10). A token cached per container alone cannot keep to that when hundreds of executions start at
 * once: every new container would ask for its own. So the containers share one token through a store (the
 * deployment's DynamoDB table), and one of them at a time may mint a new one.
 *
 * The store never sees the token: it holds it sealed (AES-256-GCM under a key derived from the service
 * account's secret, which every container reads anyway), a fingerprint (a truncated SHA-256, to drop exactly
 * the token Atlas refused) and its expiry.
 */

/** A token as the store keeps it. */
export interface SealedToken {
  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  readonly sealed: string;
  /** When Atlas said it expires (epoch ms in the clients' time base). */
  readonly expiresAtMs: number;
  /** Truncated SHA-256 of the token (base64url), to drop the very token Atlas refused. */
  readonly fingerprint: string;
}

/** Where the containers of a deployment share their Atlas token. */
export interface SharedTokenStore {
  /** The token stored under `key`, if any. */
  read(key: string): Promise<SealedToken | undefined>;
  /**
   * Takes the right to mint the next token for `key` until `untilMs` (a conditional write: of several
   * containers racing, one gets it; it is free again once it expires, should its holder die).
   */
  claimMint(key: string, holder: string, nowMs: number, untilMs: number): Promise<boolean>;
  /** Gives the right to mint back (best effort; it expires anyway). */
  releaseMint(key: string, holder: string): Promise<void>;
  /** Stores the token under `key` (the item expires with it). */
  write(key: string, token: SealedToken): Promise<void>;
  /** Deletes the token under `key` if it is still the one with `fingerprint`. */
  drop(key: string, fingerprint: string): Promise<void>;
}
