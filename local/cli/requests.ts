/**
 * Each Atlas, EC2 and STS request a run made, from the simulated world's request log, with its attempt number:
 * 1 for a first try, n when the n-1 answers just before it to the same call (service, operation, method and
 * path) were transient failures (no answer, 429 or 5xx), i.e. it is the (n-1)-th retry.
 */
import type { RequestLogEntry } from '../cloud/request-log.ts';

export interface RequestLine {
  /** Virtual seconds since the run started. */
  readonly atSeconds: number;
  readonly service: RequestLogEntry['service'];
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  /** HTTP status; 0 when the connection was dropped without an answer. */
  readonly status: number;
  readonly attempt: number;
  readonly errorCode?: string;
  /** The fault plan effect that produced this answer, if any. */
  readonly fault?: string;
}

/** A transient failure: the clients retry it. */
export function isTransientAnswer(e: Pick<RequestLogEntry, 'status'>): boolean {
  return e.status === 0 || e.status === 429 || e.status >= 500;
}

export function requestLines(entries: readonly RequestLogEntry[], startMs: number): RequestLine[] {
  const failuresBefore = new Map<string, number>();
  return entries.map((e) => {
    const key = `${e.service} ${e.operation} ${e.method} ${e.path}`;
    const attempt = (failuresBefore.get(key) ?? 0) + 1;
    failuresBefore.set(key, isTransientAnswer(e) ? attempt : 0);
    return {
      atSeconds: Math.round((e.at - startMs) / 1000),
      service: e.service,
      operation: e.operation,
      method: e.method,
      path: e.path,
      status: e.status,
      attempt,
      ...(e.errorCode ? { errorCode: e.errorCode } : {}),
      ...(e.fault ? { fault: e.fault } : {}),
    };
  });
}
