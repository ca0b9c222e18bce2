/**
 * The local engine's Step Functions front: the part of the Step Functions API the workflow's Lambdas call,
 * `DescribeExecution` (the target lease asks whether the execution holding it still runs), over the executions
 * this process's engine has run. JSON 1.0 protocol as `@aws-sdk/client-sfn` speaks it: `POST /` with
 * `X-Amz-Target: AWSStepFunctions.DescribeExecution`, SigV4 (service `states`); errors carry Step Functions'
 * `__type` (`ExecutionDoesNotExist`, `InvalidArn`, …) and `message`.
 *
 * Why here and not in the simulated world: locally, the engine is Step Functions. Its executions live in its
 * process, so the front and the registry live there too (one per process, started on first use, on loopback,
 * not keeping the process alive). An execution of another process (an earlier `npm start` that was cut short)
 * is unknown here: `ExecutionDoesNotExist`, as Step Functions answers for an ARN it does not know.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type SigningCredential, verifySigV4 } from './sigv4.ts';

export type LocalExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  status: LocalExecutionStatus;
  readonly startDate: number;
  stopDate?: number;
}

const executions = new Map<string, ExecutionRecord>();
const credentials = new Map<string, SigningCredential>();

/** The process's executions, as the engine reports them (tests may add an execution that runs elsewhere). */
export const localExecutions = {
  started(executionArn: string, stateMachineArn: string, name: string, at: number = Date.now()): void {
    executions.set(executionArn, { executionArn, stateMachineArn, name, status: 'RUNNING', startDate: at });
  },
  ended(
    executionArn: string,
    status: Exclude<LocalExecutionStatus, 'RUNNING'>,
    at: number = Date.now(),
  ): void {
    const record = executions.get(executionArn);
    // An execution ends once: an abort is not overwritten by the end the engine reaches later.
    if (record === undefined || record.status !== 'RUNNING') return;
    record.status = status;
    record.stopDate = at;
  },
  statusOf(executionArn: string): LocalExecutionStatus | undefined {
    return executions.get(executionArn)?.status;
  },
  forget(executionArn: string): void {
    executions.delete(executionArn);
  },
  /** An access key the front accepts (the engine registers the credentials its runs give their functions). */
  trust(accessKeyId: string, secretAccessKey: string): void {
    credentials.set(accessKeyId, { secretAccessKey });
  },
};

const TARGET_PREFIX = 'AWSStepFunctions.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
const ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/;

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

function error(type: string, message: string, status = 400): Answer {
  return { status, body: { __type: type, message } };
}

function answer(req: IncomingMessage, body: Buffer): Answer {
  const auth = verifySigV4(req, body, {
    service: 'states',
    region: () => true,
    credentialFor: (key) => credentials.get(key),
    unknownKeyCode: 'UnrecognizedClientException',
  });
  // A key the engine was not given (a run on the SDK's default credential chain: a profile, SSO) is let
  // through: the front is on loopback and reveals only this process's executions. A known key must sign right.
  if (auth.error && auth.error.code !== 'UnrecognizedClientException') {
    return error(auth.error.code, auth.error.message);
  }
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target !== `${TARGET_PREFIX}DescribeExecution`) {
    return error('UnknownOperationException', `Unknown operation ${target || '(none)'}`);
  }
  let parsed: { executionArn?: unknown };
  try {
    parsed = JSON.parse(body.toString('utf8') || '{}') as { executionArn?: unknown };
  } catch {
    return error('SerializationException', 'Malformed JSON body');
  }
  const arn = parsed.executionArn;
  if (typeof arn !== 'string' || !ARN.test(arn)) {
    return error('InvalidArn', `Invalid Arn: '${String(arn)}'`);
  }
  const record = executions.get(arn);
  if (record === undefined) return error('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  return {
    status: 200,
    body: {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate / 1000,
      ...(record.stopDate === undefined ? {} : { stopDate: record.stopDate / 1000 }),
    },
  };
}

let started: Promise<string> | undefined;

/** The front's URL (started on first use; it does not keep the process alive). */
export function localSfnUrl(): Promise<string> {
  started ??= new Promise<string>((resolve, reject) => {
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const { status, body } = answer(req, Buffer.concat(chunks));
        const payload = JSON.stringify(body);
        res.writeHead(status, { 'content-type': CONTENT_TYPE, 'content-length': Buffer.byteLength(payload) });
        res.end(payload);
      });
    });
    server.on('connection', (socket) => socket.unref());
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
  return started;
}
