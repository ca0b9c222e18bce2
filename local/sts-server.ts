/**
 * HTTP front of the simulated STS, speaking the AWS Query protocol the SDK uses (`POST /` with a form body
 * `Action=AssumeRole&Version=2011-06-15&RoleArn=…`), signed with SigV4 against the world's accounts. Answers are
 * XML: `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">` with `AssumeRoleResult` and
 * `ResponseMetadata`, or `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
 * So the SDK's own `fromTemporaryCredentials` provider runs against it unchanged (`AWS_ENDPOINT_URL_STS`).
 *
 * Action: AssumeRole. Fault plans apply by Action name (`http-error`, `rate-limit` ->
 * `Throttling`, `drop-connection`). Every answered request is recorded in the request log (service `sts`).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { VirtualClock } from './cloud/clock.ts';
import type { FaultPlan } from './cloud/faults.ts';
import { type AwsAccounts, type IamModel, StsError } from './cloud/iam-model.ts';
import type { RequestLog } from './cloud/request-log.ts';
import { listen } from './ec2-server.ts';
import { verifySigV4 } from './sigv4.ts';

export interface StsServerOptions {
  readonly iam: IamModel;
  readonly accounts: AwsAccounts;
  readonly clock: VirtualClock;
  readonly faults: FaultPlan;
  readonly log: RequestLog;
  /** The region requests are signed for. @default 'us-east-1' */
  readonly region?: string;
  /** @default 0 (ephemeral) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
}

export const STS_ACTIONS = ['AssumeRole'] as const;
const XMLNS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const MAX_BODY_BYTES = 64 * 1024;

function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function leaf(name: string, value: string | number): string {
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function document(action: string, requestId: string, result: string): string {
  return `<${action}Response xmlns="${XMLNS}"><${action}Result>${result}</${action}Result><ResponseMetadata>${leaf('RequestId', requestId)}</ResponseMetadata></${action}Response>`;
}

function errorDocument(error: StsError, requestId: string): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return `<ErrorResponse xmlns="${XMLNS}"><Error>${leaf('Type', type)}${leaf('Code', error.code)}${leaf('Message', error.message)}</Error>${leaf('RequestId', requestId)}</ErrorResponse>`;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new StsError('RequestEntityTooLarge', 'Request body too large', 413));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Starts the STS front on 127.0.0.1 (ephemeral port unless given). */
export async function startStsServer(
  options: StsServerOptions,
): Promise<{ readonly url: string; close(): Promise<void> }> {
  const { iam, accounts, clock, faults, log } = options;
  const region = options.region ?? 'us-east-1';
  const sockets = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://localhost');
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      return;
    }
    clock.settle();
    const params = new URLSearchParams(url.search);
    if (method === 'POST') for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.set(k, v);
    const action = params.get('Action') ?? '';
    const auth = verifySigV4(req, body, {
      service: 'sts',
      region: (signed) => signed === region,
      unknownKeyCode: 'InvalidClientTokenId',
      credentialFor: (accessKeyId) => {
        for (const model of accounts.models) {
          const credential = model.credentialFor(accessKeyId);
          if (credential !== undefined) return credential;
        }
        return undefined;
      },
    });
    const fault = auth.error === undefined ? faults.take(action) : undefined;
    let status = 200;
    let text: string;
    let errorCode: string | undefined;
    try {
      if (auth.error)
        throw new StsError(
          auth.error.code,
          auth.error.message,
          auth.error.code === 'IncompleteSignature' ? 400 : 403,
        );
      if (fault?.kind === 'drop-connection') {
        log.record({
          at: clock.now(),
          service: 'sts',
          operation: action,
          method,
          path: url.pathname,
          status: 0,
          auth: auth.kind,
          fault: fault.kind,
        });
        req.socket.destroy();
        return;
      }
      if (fault?.kind === 'http-error')
        throw new StsError('InternalFailure', 'An internal error occurred.', fault.status);
      if (fault?.kind === 'rate-limit') throw new StsError('Throttling', 'Rate exceeded', 400);
      const callerKey = auth.accessKeyId!;
      if (action === 'AssumeRole') {
        const duration = params.get('DurationSeconds');
        const result = iam.assumeRole({
          callerAccessKeyId: callerKey,
          roleArn: params.get('RoleArn') ?? '',
          roleSessionName: params.get('RoleSessionName') ?? '',
          ...(params.get('ExternalId') === null ? {} : { externalId: params.get('ExternalId')! }),
          ...(duration === null ? {} : { durationSeconds: Number(duration) }),
        });
        const c = result.credentials;
        text = document(
          action,
          requestId,
          `<AssumedRoleUser>${leaf('AssumedRoleId', result.assumedRoleId)}${leaf('Arn', result.assumedRoleArn)}</AssumedRoleUser>` +
            `<Credentials>${leaf('AccessKeyId', c.accessKeyId)}${leaf('SecretAccessKey', c.secretAccessKey)}${leaf('SessionToken', c.sessionToken)}${leaf('Expiration', c.expiration.toISOString())}</Credentials>`,
        );
      } else {
        throw new StsError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`, 400);
      }
    } catch (error) {
      if (!(error instanceof StsError)) throw error;
      status = error.status;
      errorCode = error.code;
      text = errorDocument(error, requestId);
    }
    log.record({
      at: clock.now(),
      service: 'sts',
      operation: action || 'unknown',
      method,
      path: url.pathname,
      status,
      auth: auth.kind,
      ...(errorCode ? { errorCode } : {}),
      ...(fault ? { fault: fault.kind } : {}),
    });
    res.writeHead(status, {
      'content-type': 'text/xml',
      'x-amzn-requestid': requestId,
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/xml' });
      const message = error instanceof Error ? error.message : 'unexpected error';
      res.end(
        errorDocument(new StsError('InternalFailure', `Simulator failure: ${message}`, 500), randomUUID()),
      );
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return {
    url: await listen(server, options.port, options.host),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
