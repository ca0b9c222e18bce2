/**
 * HTTP front of the simulated DynamoDB, speaking the JSON 1.0 protocol `@aws-sdk/client-dynamodb` uses:
 * `POST /` with `X-Amz-Target: DynamoDB_20120810.<Operation>`, `Content-Type: application/x-amz-json-1.0`,
 * signed with SigV4 (service `dynamodb`). Answers are JSON; errors carry DynamoDB's `__type`
 * (`com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException`, …) and `message`, with status 400
 * (500 for InternalServerError, 503 for ServiceUnavailable).
 *
 * Request handling order: clock.settle() -> SigV4 -> operation known? -> fault plan (by operation name:
 * `http-error`, `rate-limit` as ThrottlingException, `drop-connection`, `drop-after-commit`,
 * `slow-response`) -> the model. Every answered request is recorded in the RequestLog (service `dynamodb`).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { VirtualClock } from './cloud/clock.ts';
import {
  DYNAMODB_OPERATIONS,
  DynamoDbError,
  type DynamoDbModel,
  type DynamoDbOperation,
} from './cloud/dynamodb-model.ts';
import type { FaultEffect, FaultPlan } from './cloud/faults.ts';
import type { RequestLog } from './cloud/request-log.ts';
import { type HttpFront, listen } from './ec2-server.ts';
import { type SigningCredential, verifySigV4 } from './sigv4.ts';

export interface DynamoDbServerOptions {
  readonly model: DynamoDbModel;
  readonly clock: VirtualClock;
  readonly faults: FaultPlan;
  readonly log: RequestLog;
  /** Access key id -> credential (the AWS model's keys, temporary ones with their session token). */
  readonly credentialFor: (accessKeyId: string) => SigningCredential | undefined;
  /** @default 0 (ephemeral) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
}

const TARGET_PREFIX = 'DynamoDB_20120810.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
const MAX_BODY_BYTES = 1024 * 1024;

/** The names DynamoDB gives the signature problems the shared check reports with EC2's codes. */
const SIGNATURE_ERRORS: Readonly<Record<string, string>> = {
  SignatureDoesNotMatch: 'InvalidSignatureException',
  IncompleteSignature: 'IncompleteSignatureException',
  MissingAuthenticationToken: 'MissingAuthenticationTokenException',
};

function isOperation(name: string): name is DynamoDbOperation {
  return (DYNAMODB_OPERATIONS as readonly string[]).includes(name);
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly errorCode?: string;
}

function errorAnswer(error: DynamoDbError): Answer {
  return {
    status: error.status,
    body: {
      __type: error.type,
      message: error.message,
      ...(error.item === undefined ? {} : { Item: error.item }),
    },
    errorCode: error.name,
  };
}

/** The DynamoDB error an HTTP fault effect answers with, if it is one. */
function faultError(effect: FaultEffect): DynamoDbError | undefined {
  switch (effect.kind) {
    case 'http-error':
      return effect.status === 503
        ? new DynamoDbError('ServiceUnavailable', 'Service unavailable', { status: 503 })
        : new DynamoDbError('InternalServerError', 'Internal server error', { status: effect.status });
    case 'rate-limit':
      return new DynamoDbError('ThrottlingException', 'Rate of requests exceeds the allowed throughput.');
    default:
      return undefined;
  }
}

/** The model's answer to one operation's JSON body. */
function serve(model: DynamoDbModel, operation: DynamoDbOperation, body: Buffer): Answer {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return errorAnswer(
      new DynamoDbError('SerializationException', 'Start of structure or map found where not expected.'),
    );
  }
  try {
    return { status: 200, body: model.handle(operation, parsed as Record<string, unknown>) };
  } catch (error) {
    if (!(error instanceof DynamoDbError)) throw error;
    return errorAnswer(error);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.destroy();
        reject(new Error('body too large'));
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Starts the DynamoDB front on 127.0.0.1 (ephemeral port unless given). */
export async function startDynamoDbServer(options: DynamoDbServerOptions): Promise<HttpFront> {
  const { model, clock, faults, log } = options;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      return;
    }
    clock.settle();
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : 'unknown';
    const auth = verifySigV4(req, body, {
      service: 'dynamodb',
      region: (signed) => signed === model.region,
      credentialFor: options.credentialFor,
      unknownKeyCode: 'UnrecognizedClientException',
    });
    let fault: FaultEffect | undefined;
    const record = (status: number, errorCode: string | undefined) =>
      log.record({
        at: clock.now(),
        service: 'dynamodb',
        operation,
        method: req.method ?? 'POST',
        path: req.url ?? '/',
        status,
        auth: auth.kind,
        ...(errorCode ? { errorCode } : {}),
        ...(fault ? { fault: fault.kind } : {}),
      });

    let answer: Answer;
    if (auth.error) {
      const code = SIGNATURE_ERRORS[auth.error.code] ?? auth.error.code;
      answer = errorAnswer(new DynamoDbError(code, auth.error.message, { status: 400 }));
    } else if (req.method !== 'POST' || !isOperation(operation)) {
      answer = errorAnswer(
        new DynamoDbError('UnknownOperationException', `Unknown operation ${target || '(none)'}`),
      );
    } else {
      fault = faults.take(operation);
      if (fault?.kind === 'drop-connection') {
        record(0, undefined);
        req.socket.destroy();
        return;
      }
      const injected = fault ? faultError(fault) : undefined;
      answer = injected ? errorAnswer(injected) : serve(model, operation, body);
    }

    record(answer.status, answer.errorCode);
    if (fault?.kind === 'drop-after-commit') {
      req.socket.destroy();
      return;
    }
    const payload = JSON.stringify(answer.body);
    const send = () => {
      if (res.destroyed) return;
      res.writeHead(answer.status, {
        'content-type': CONTENT_TYPE,
        'x-amzn-requestid': requestId,
        'content-length': Buffer.byteLength(payload),
      });
      res.end(payload);
    };
    if (fault?.kind === 'slow-response') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        send();
      }, fault.delayMs);
      timers.add(timer);
    } else send();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : 'unexpected error';
      if (!res.headersSent) res.writeHead(500, { 'content-type': CONTENT_TYPE });
      res.end(
        JSON.stringify({
          __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
          message: `Simulator failure: ${message}`,
        }),
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
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
