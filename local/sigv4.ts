/**
 * AWS Signature Version 4 verification for the simulated AWS fronts (EC2, STS): the AWS4-HMAC-SHA256
 * Authorization header is parsed and the signature recomputed with the secret of the access key it names, the
 * way AWS does it. Temporary credentials (from STS) also need their session token in `X-Amz-Security-Token`.
 * The request time is not compared with any clock (the world runs on virtual time).
 *
 * Failures carry the AWS error code and message; each front turns them into its own error document.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** What a front knows about an access key. */
export interface SigningCredential {
  readonly secretAccessKey: string;
  /** Set for temporary credentials: requests must carry it. */
  readonly sessionToken?: string;
}

export interface SigV4Check {
  /** The service name the credential scope must name (`ec2`, `sts`). */
  readonly service: string;
  /** Whether the credential scope may name this region. */
  readonly region: (region: string) => boolean;
  /** The credential of an access key, or undefined when the key is unknown. */
  readonly credentialFor: (accessKeyId: string) => SigningCredential | undefined;
  /** The error code for an unknown access key or session token (EC2 `AuthFailure`, STS `InvalidClientTokenId`). */
  readonly unknownKeyCode: string;
}

export interface SigV4Failure {
  readonly code: string;
  readonly message: string;
}

export interface SigV4Outcome {
  /** `none` when the request carried no Authorization header. */
  readonly kind: 'none' | 'sigv4';
  readonly accessKeyId?: string;
  /** The region the request is signed for (once the signature is verified). */
  readonly region?: string;
  readonly error?: SigV4Failure;
}

export const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

const UNKNOWN_KEY = 'The security token included in the request is invalid.';

function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** All values of one header from the raw list, trimmed, inner whitespace collapsed, comma-joined. */
function canonicalHeaderValue(req: IncomingMessage, name: string): string | undefined {
  const values: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() === name)
      values.push(req.rawHeaders[i + 1]!.trim().replace(/\s+/g, ' '));
  }
  return values.length === 0 ? undefined : values.join(',');
}

function equalSecrets(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Checks the request's SigV4 signature (and session token) against `check`. */
export function verifySigV4(req: IncomingMessage, body: Buffer, check: SigV4Check): SigV4Outcome {
  const header = req.headers.authorization;
  if (!header) {
    return {
      kind: 'none',
      error: { code: 'MissingAuthenticationToken', message: 'The request must contain valid credentials.' },
    };
  }
  const fail = (code: string, message: string, accessKeyId?: string): SigV4Outcome => ({
    kind: 'sigv4',
    ...(accessKeyId === undefined ? {} : { accessKeyId }),
    error: { code, message },
  });
  const m = /^AWS4-HMAC-SHA256\s+(.+)$/.exec(header);
  if (!m) return fail('IncompleteSignature', 'Unsupported Authorization Type; expected AWS4-HMAC-SHA256.');
  const parts = new Map<string, string>();
  for (const piece of m[1]!.split(',')) {
    const eq = piece.indexOf('=');
    if (eq > 0) parts.set(piece.slice(0, eq).trim(), piece.slice(eq + 1).trim());
  }
  const credential = parts.get('Credential');
  const signedHeadersRaw = parts.get('SignedHeaders');
  const signature = parts.get('Signature');
  if (!credential || !signedHeadersRaw || !signature) {
    return fail(
      'IncompleteSignature',
      "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.",
    );
  }
  const scope = credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request') {
    return fail(
      'IncompleteSignature',
      'Credential must have the form <key>/<date>/<region>/<service>/aws4_request.',
    );
  }
  const [accessKeyId, date, region, service] = scope as [string, string, string, string];
  const known = check.credentialFor(accessKeyId);
  if (known === undefined) {
    const message =
      check.unknownKeyCode === 'AuthFailure'
        ? 'AWS was not able to validate the provided access credentials'
        : UNKNOWN_KEY;
    return fail(check.unknownKeyCode, message);
  }
  if (service !== check.service) {
    return fail(
      'SignatureDoesNotMatch',
      `Credential should be scoped to correct service: '${check.service}'.`,
    );
  }
  if (!check.region(region))
    return fail('SignatureDoesNotMatch', 'Credential should be scoped to a valid region.');
  // ASSUMPTION: a temporary key with a missing or wrong session token gets the same answer as an unknown key
  // (EC2 AuthFailure, STS InvalidClientTokenId); no source here says which code EC2 uses for that case.
  if (known.sessionToken !== undefined) {
    const token = canonicalHeaderValue(req, 'x-amz-security-token');
    if (token === undefined || !equalSecrets(token, known.sessionToken)) {
      return fail(check.unknownKeyCode, UNKNOWN_KEY);
    }
  }
  const amzDate = canonicalHeaderValue(req, 'x-amz-date');
  if (!amzDate || !/^\d{8}T\d{6}Z$/.test(amzDate)) {
    return fail(
      'IncompleteSignature',
      'Authorization header requires existence of either a X-Amz-Date or a Date header.',
    );
  }
  if (amzDate.slice(0, 8) !== date) {
    return fail(
      'SignatureDoesNotMatch',
      'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date.',
    );
  }
  const signedHeaders = signedHeadersRaw.split(';');
  if (!signedHeaders.includes('host')) {
    return fail('IncompleteSignature', "'Host' must be a signed header.");
  }
  const bodyHash = sha256Hex(body);
  const declaredHash = canonicalHeaderValue(req, 'x-amz-content-sha256');
  if (declaredHash !== undefined && declaredHash !== bodyHash && declaredHash !== 'UNSIGNED-PAYLOAD') {
    return fail('SignatureDoesNotMatch', SIGNATURE_MISMATCH);
  }
  const url = new URL(req.url ?? '/', 'http://localhost');
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${canonicalHeaderValue(req, h) ?? ''}\n`).join('');
  const canonicalRequest = [
    req.method ?? 'POST',
    url.pathname || '/',
    query,
    canonicalHeaders,
    signedHeadersRaw,
    declaredHash ?? bodyHash,
  ].join('\n');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    `${date}/${region}/${service}/aws4_request`,
    sha256Hex(canonicalRequest),
  ].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${known.secretAccessKey}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  if (!equalSecrets(signature, expected)) return fail('SignatureDoesNotMatch', SIGNATURE_MISMATCH);
  return { kind: 'sigv4', accessKeyId, region };
}
