/** Every request either HTTP front served, so tests can count calls and check auth kinds. */
export type AuthKind = 'bearer' | 'digest' | 'basic' | 'sigv4' | 'none';

export interface RequestLogEntry {
  /** Virtual time the request was served (epoch ms). */
  readonly at: number;
  readonly service: 'atlas' | 'ec2' | 'sts' | 'dynamodb';
  /**
   * Atlas operationId override (e.g. `createServerlessPrivateEndpoint`, `oauthToken`), EC2 or STS Action, or
   * DynamoDB operation.
   */
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly auth: AuthKind;
  /** Atlas `errorCode` or EC2 error `Code` when the answer was an error. */
  readonly errorCode?: string;
  /** Name of the fault effect applied, if a fault plan fired. */
  readonly fault?: string;
}

export class RequestLog {
  readonly entries: RequestLogEntry[] = [];
  private readonly listeners = new Set<(entry: RequestLogEntry) => void>();

  record(entry: RequestLogEntry): void {
    this.entries.push(entry);
    for (const listener of this.listeners) listener(entry);
  }

  /** Calls `listener` after each request is recorded (after the request took effect); returns the unsubscribe. */
  onRecord(listener: (entry: RequestLogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Entries for one operation (optionally only those with a given status). */
  of(operation: string, status?: number): RequestLogEntry[] {
    return this.entries.filter(
      (e) => e.operation === operation && (status === undefined || e.status === status),
    );
  }

  /** Number of requests per operation. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.entries) out[e.operation] = (out[e.operation] ?? 0) + 1;
    return out;
  }

  clear(): void {
    this.entries.length = 0;
  }
}
