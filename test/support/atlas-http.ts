/**
 * Minimal Atlas HTTP helpers for the simulated world's own tests (the production client lives in lambdas/):
 * a bearer client that mints service-account tokens, and an RFC 7616 digest client (MD5, qop=auth) that
 * caches the server nonce and counts nc like real digest clients do.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { RunningWorld } from '../../local/cloud/index.ts';

export const V2023 = 'application/vnd.atlas.2023-01-01+json';
export const V2024 = 'application/vnd.atlas.2024-08-05+json';

export interface AtlasResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

export interface RequestOptions {
  readonly body?: unknown;
  /** Raw body text (sent as-is, e.g. malformed JSON). */
  readonly rawBody?: string;
  /** @default V2023 */
  readonly accept?: string | null;
  /** @default the accept type for requests with a body */
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies
export type AnyJson = any;

async function send(
  url: string,
  method: string,
  opts: RequestOptions,
  authorization?: string,
): Promise<AtlasResponse<AnyJson>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const accept = opts.accept === undefined ? V2023 : opts.accept;
  if (accept !== null) headers.Accept = accept;
  let body: string | undefined;
  if (opts.rawBody !== undefined) body = opts.rawBody;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers['Content-Type'] = opts.contentType ?? accept ?? 'application/json';
  if (authorization) headers.Authorization = authorization;
  const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

/** POST /api/oauth/token as the docs describe. */
export function requestToken(
  baseUrl: string,
  clientId: string,
  clientSecret: string,
): Promise<AtlasResponse> {
  return fetch(`${baseUrl}/api/oauth/token`, {
    method: 'POST',
    headers: {
      Authorization: basic(clientId, clientSecret),
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
    },
    body: 'grant_type=client_credentials',
  }).then(async (res) => {
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, text };
  });
}

/** Service-account client: one cached bearer token. */
export class BearerClient {
  private token: string | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly clientId: string,
    private readonly clientSecret: string,
  ) {}

  async accessToken(): Promise<string> {
    if (!this.token) {
      const res = await requestToken(this.baseUrl, this.clientId, this.clientSecret);
      if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`);
      this.token = (res.body as { access_token: string }).access_token;
    }
    return this.token;
  }

  forgetToken(): void {
    this.token = undefined;
  }

  /** Sends the request; on a 401 (e.g. the token expired) mints a new token and tries once more. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<AtlasResponse<AnyJson>> {
    const res = await send(`${this.baseUrl}${path}`, method, opts, `Bearer ${await this.accessToken()}`);
    if (res.status !== 401) return res;
    this.forgetToken();
    return send(`${this.baseUrl}${path}`, method, opts, `Bearer ${await this.accessToken()}`);
  }
}

export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly qop: string;
  readonly algorithm: string;
  readonly stale: boolean;
  readonly domain?: string;
}

export function parseChallenge(header: string | null): DigestChallenge | undefined {
  if (!header?.startsWith('Digest ')) return undefined;
  const p: Record<string, string> = {};
  for (const m of header.slice(7).matchAll(/([a-zA-Z]+)=(?:"([^"]*)"|([^\s,]*))/g)) {
    p[(m[1] ?? '').toLowerCase()] = m[2] ?? m[3] ?? '';
  }
  if (!p.realm || !p.nonce) return undefined;
  return {
    realm: p.realm,
    nonce: p.nonce,
    qop: p.qop ?? '',
    algorithm: p.algorithm ?? 'MD5',
    stale: p.stale === 'true',
    ...(p.domain === undefined ? {} : { domain: p.domain }),
  };
}

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** The `Authorization: Digest …` value for one request (RFC 7616, MD5, qop=auth). */
export function digestAuthorization(input: {
  method: string;
  uri: string;
  username: string;
  password: string;
  realm: string;
  nonce: string;
  nc: number;
  cnonce?: string;
}): string {
  const nc = input.nc.toString(16).padStart(8, '0');
  const cnonce = input.cnonce ?? randomBytes(8).toString('hex');
  const ha1 = md5(`${input.username}:${input.realm}:${input.password}`);
  const ha2 = md5(`${input.method}:${input.uri}`);
  const response = md5(`${ha1}:${input.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return (
    `Digest username="${input.username}", realm="${input.realm}", nonce="${input.nonce}", uri="${input.uri}", ` +
    `algorithm=MD5, response="${response}", qop=auth, nc=${nc}, cnonce="${cnonce}"`
  );
}

/** API-key client: challenge once, then reuse the nonce with increasing nc; re-challenge on 401. */
export class DigestClient {
  private challenge: DigestChallenge | undefined;
  private nc = 0;
  /** Number of 401 challenges this client has answered (first contact and stale nonces). */
  challenges = 0;
  staleChallenges = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly publicKey: string,
    private readonly privateKey: string,
  ) {}

  private authorization(method: string, uri: string): string | undefined {
    if (!this.challenge) return undefined;
    this.nc += 1;
    return digestAuthorization({
      method,
      uri,
      username: this.publicKey,
      password: this.privateKey,
      realm: this.challenge.realm,
      nonce: this.challenge.nonce,
      nc: this.nc,
    });
  }

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<AtlasResponse<AnyJson>> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await send(`${this.baseUrl}${path}`, method, opts, this.authorization(method, path));
      if (res.status !== 401) return res;
      const challenge = parseChallenge(res.headers.get('www-authenticate'));
      // A 401 with a challenge after we already answered one with a fresh nonce means bad credentials.
      if (!challenge || (this.challenge && !challenge.stale && attempt > 0)) return res;
      this.challenges += 1;
      if (challenge.stale) this.staleChallenges += 1;
      this.challenge = challenge;
      this.nc = 0;
    }
    throw new Error('digest authentication did not converge');
  }
}

/** The demo project of a running world as the Atlas tests use it: a service-account client and API paths. */
export function demoApi(w: RunningWorld) {
  const demo = w.world.demo;
  const atlas = new BearerClient(w.atlasUrl, demo.serviceAccount.clientId, demo.serviceAccount.clientSecret);
  const group = `/api/atlas/v2/groups/${demo.groupId}`;
  return {
    demo,
    atlas,
    group,
    /** The private endpoints of the demo serverless instance `orders`. */
    serverless: `${group}/privateEndpoint/serverless/instance/orders/endpoint`,
    /** The project's AWS private endpoint services. */
    services: `${group}/privateEndpoint/AWS/endpointService`,
    /** Creates an interface VPC endpoint to `serviceName` in the demo VPC (straight in the AWS model); its id. */
    vpce: (serviceName: string) =>
      w.world.aws.createVpcEndpoint({
        vpcId: demo.vpcId,
        serviceName,
        vpcEndpointType: 'Interface',
        subnetIds: [...demo.subnetIds],
        securityGroupIds: [...demo.securityGroupIds],
      }).endpoint.id,
  };
}
