/**
 * Fault plans: "at operation X, occurrence N, do Y".
 *
 * Operation names are the ones in the request log: Atlas operations use the Atlas operationId
 * overrides (`createServerlessPrivateEndpoint`, `getPrivateEndpointService`, `oauthToken`, …),
 * EC2 operations their Action name (`CreateVpcEndpoint`, …), and lifecycle faults use
 * `lifecycle:<resource>.<phase>` names defined by the models (see each model's exported list).
 */
export type FaultEffect =
  /** Answer with this HTTP status and the service's own error body (Atlas JSON / EC2 XML). */
  | { readonly kind: 'http-error'; readonly status: 500 | 502 | 503 | 504 }
  /** Atlas: 429 RATE_LIMITED_TOKEN_BUCKET; `retryAfterSeconds` undefined means no Retry-After header. */
  | { readonly kind: 'rate-limit'; readonly retryAfterSeconds?: number }
  /** Destroy the socket without answering. */
  | { readonly kind: 'drop-connection' }
  /**
   * Atlas and EC2: do the work (the resource is created, the change made), then destroy the socket instead of
   * answering: the answer is lost after the commit. The request log keeps the status the answer would have had.
   */
  | { readonly kind: 'drop-after-commit' }
  /** Answer normally, but only after `delayMs` real milliseconds (longer than a client timeout). */
  | { readonly kind: 'slow-response'; readonly delayMs: number }
  /** EC2: answer with this error code (e.g. RequestLimitExceeded, VpcEndpointLimitExceeded). */
  | { readonly kind: 'ec2-error'; readonly code: string; readonly status?: number; readonly message?: string }
  /** Lifecycle: the resource goes to FAILED (Atlas) / REJECTED or failed (interface / VPC endpoints). */
  | { readonly kind: 'fail-transition'; readonly errorMessage?: string }
  /** Lifecycle: the resource stops advancing at this phase. */
  | { readonly kind: 'stuck' };

export interface FaultRule {
  /** Operation or lifecycle name this rule applies to. */
  readonly operation: string;
  /** 1-based occurrence of that operation at which the rule starts to fire. @default 1 */
  readonly occurrence?: number;
  /** How many consecutive occurrences it fires for. Infinity = from `occurrence` on. @default 1 */
  readonly times?: number;
  /**
   * Repeats the pattern every `period` occurrences: fires `times` times, lets `period - times` through, and
   * again (a service that keeps failing, with short recoveries). @default - no repetition
   */
  readonly period?: number;
  readonly effect: FaultEffect;
}

export interface FiredFault {
  readonly operation: string;
  readonly occurrence: number;
  readonly effect: FaultEffect;
}

export class FaultPlan {
  private readonly counts = new Map<string, number>();
  private readonly rules: FaultRule[];
  readonly fired: FiredFault[] = [];

  constructor(rules: readonly FaultRule[] = []) {
    this.rules = [...rules];
  }

  add(rule: FaultRule): void {
    this.rules.push(rule);
  }

  /** Starts over with `rules`: counts and the list of fired faults are cleared too (one world, many plans). */
  replace(rules: readonly FaultRule[]): void {
    this.rules.splice(0, this.rules.length, ...rules);
    this.counts.clear();
    this.fired.length = 0;
  }

  /** Counts one occurrence of `operation` and returns the effect to apply, if a rule fires. */
  take(operation: string): FaultEffect | undefined {
    const n = (this.counts.get(operation) ?? 0) + 1;
    this.counts.set(operation, n);
    for (const rule of this.rules) {
      if (rule.operation !== operation) continue;
      const first = rule.occurrence ?? 1;
      const times = rule.times ?? 1;
      const offset = n - first;
      const inWindow = rule.period === undefined ? offset < times : offset % rule.period < times;
      if (offset >= 0 && inWindow) {
        this.fired.push({ operation, occurrence: n, effect: rule.effect });
        return rule.effect;
      }
    }
    return undefined;
  }

  /** How many times `operation` has been seen. */
  count(operation: string): number {
    return this.counts.get(operation) ?? 0;
  }
}
