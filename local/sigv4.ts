/**
 * AWS Signature Version 4 checks for the simulated AWS fronts (EC2 Query, DynamoDB JSON): the Authorization
 * header is parsed and the signature recomputed with the model's secret for the access key. The request time
 * is not compared with the clock (the world runs on virtual time).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { AuthKind } from './cloud/request-log.ts';

export interface SigV4Failure {
  /** The AWS error code (EC2 and DynamoDB use the same ones for signature problems). */
  readonly code: string;
  readonly message: string;
}

export interface SigV4Outcome {
  readonly kind: AuthKind;
  readonly error?: SigV4Failure;
}

/** What the check needs from the service it guards. */
export interface SigV4Service {
  /** The credential scope's service, e.g. `ec2`, `dynamodb`. */
  readonly service: string;
  readonly region: string;
  secretFor(accessKeyId: string): string | undefined;
}

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

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * Checks the AWS4-HMAC-SHA256 Authorization header and recomputes the signature with the model's secret.
 * The request time is not compared with the clock (the world runs on virtual time).
 */
export function verifySigV4(req: IncomingMessage, body: Buffer, model: SigV4Service): SigV4Outcome {
  const header = req.headers.authorization;
  if (!header) {
    return {
      kind: 'none',
      error: { code: 'MissingAuthenticationToken', message: 'The request must contain valid credentials.' },
    };
  }
  const fail = (code: string, message: string): SigV4Outcome => ({ kind: 'sigv4', error: { code, message } });
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
  const secret = model.secretFor(accessKeyId);
  if (secret === undefined) {
    return {
      kind: 'sigv4',
      error: {
        code: model.service === 'ec2' ? 'AuthFailure' : 'UnrecognizedClientException',
        message:
          model.service === 'ec2'
            ? 'AWS was not able to validate the provided access credentials'
            : 'The security token included in the request is invalid.',
      },
    };
  }
  if (service !== model.service)
    return fail(
      'SignatureDoesNotMatch',
      `Credential should be scoped to correct service: '${model.service}'.`,
    );
  if (region !== model.region)
    return fail('SignatureDoesNotMatch', 'Credential should be scoped to a valid region.');
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
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  const given = Buffer.from(signature);
  const want = Buffer.from(expected);
  if (given.length !== want.length || !timingSafeEqual(given, want)) {
    return fail('SignatureDoesNotMatch', SIGNATURE_MISMATCH);
  }
  return { kind: 'sigv4' };
}
