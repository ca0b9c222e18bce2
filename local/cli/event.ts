/**
 * `npm start -- --event <file>`: what EventBridge would do with a put-events entry, offline.
 *
 * The entry becomes the event EventBridge delivers (the envelope with `detail-type`, `source`, `detail`, …),
 * each rule of the synthesized template that targets the state machine is applied to it (its bus, its event
 * pattern, then its target's InputPath / Input / InputTransformer), and the first rule that matches gives the
 * execution input. The rules are read from the template, so this is the construct's real rule, not a copy.
 *
 * The pattern matcher covers EventBridge's content filters: exact values, `prefix`, `suffix`,
 * `equals-ignore-case`, `anything-but` (values, prefix, suffix), `numeric`, `exists`, `wildcard`, `cidr`
 * and `$or`. An operator it does not know is reported, never guessed.
 */
import { randomUUID } from 'node:crypto';
import type { TriggerRule } from '../engine.ts';
import { readPath } from '../engine-core.ts';
import { UsageError } from './options.ts';

/** The put-events entry fields the CLI reads (the AWS CLI's `--entries` file holds a list of these). */
export interface PutEventsEntry {
  readonly Source?: unknown;
  readonly DetailType?: unknown;
  readonly Detail?: unknown;
  readonly EventBusName?: unknown;
  readonly Resources?: unknown;
  readonly Time?: unknown;
}

export interface DeliveredEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

/** Picks the one entry of a put-events file: a list of one entry, one entry, or `{ "Entries": [one] }`. */
export function entryOf(document: unknown, file: string): PutEventsEntry {
  const list = Array.isArray(document)
    ? document
    : document && typeof document === 'object' && Array.isArray((document as { Entries?: unknown }).Entries)
      ? ((document as { Entries: unknown[] }).Entries as unknown[])
      : [document];
  if (list.length !== 1) {
    throw new UsageError(
      `--event ${file} holds ${list.length} entries; give a file with one put-events entry (one execution per run)`,
    );
  }
  const entry = list[0];
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
    throw new UsageError(
      `--event ${file}: expected a put-events entry (an object with Source, DetailType, Detail)`,
    );
  }
  return entry as PutEventsEntry;
}

/** The event EventBridge would deliver for `entry`, or UsageError for what put-events itself would refuse. */
export function deliveredEvent(
  entry: PutEventsEntry,
  where: { account: string; region: string; now: Date },
): DeliveredEvent {
  const missing = (['Source', 'DetailType', 'Detail'] as const).filter(
    (k) => typeof entry[k] !== 'string' || entry[k] === '',
  );
  if (missing.length > 0) {
    throw new UsageError(
      `the put-events entry has no ${missing.join(', ')} (put-events needs Source, DetailType and Detail as strings)`,
    );
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail as string);
  } catch (err) {
    throw new UsageError(`the entry's Detail is not valid JSON: ${(err as Error).message}`);
  }
  if (!detail || typeof detail !== 'object' || Array.isArray(detail)) {
    throw new UsageError("the entry's Detail must be a JSON object (put-events refuses anything else)");
  }
  const time = typeof entry.Time === 'string' ? new Date(entry.Time) : where.now;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': entry.DetailType as string,
    source: entry.Source as string,
    account: where.account,
    time: (Number.isNaN(time.getTime()) ? where.now : time).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: where.region,
    resources: Array.isArray(entry.Resources) ? entry.Resources.map(String) : [],
    detail,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Pattern matching

/** Why a value did not match, or undefined when it did. */
type Miss = string | undefined;

const OPERATORS = new Set([
  'prefix',
  'suffix',
  'equals-ignore-case',
  'anything-but',
  'numeric',
  'exists',
  'wildcard',
  'cidr',
]);

function show(value: unknown): string {
  return value === undefined ? 'absent' : JSON.stringify(value);
}

function stringMatcher(op: string, arg: unknown): (v: unknown) => boolean {
  if (op === 'prefix' || op === 'suffix') {
    const test = (v: string, a: string) => (op === 'prefix' ? v.startsWith(a) : v.endsWith(a));
    if (typeof arg === 'string') return (v) => typeof v === 'string' && test(v, arg);
    const ic = (arg as Record<string, unknown> | null)?.['equals-ignore-case'];
    if (typeof ic === 'string')
      return (v) => typeof v === 'string' && test(v.toLowerCase(), ic.toLowerCase());
  }
  if (op === 'equals-ignore-case' && typeof arg === 'string')
    return (v) => typeof v === 'string' && v.toLowerCase() === arg.toLowerCase();
  if (op === 'wildcard' && typeof arg === 'string') {
    const re = new RegExp(
      `^${arg
        .split('*')
        .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
      's',
    );
    return (v) => typeof v === 'string' && re.test(v);
  }
  throw new UsageError(
    `the rule's pattern uses ${JSON.stringify({ [op]: arg })}, which is not a valid filter`,
  );
}

function numericMatcher(arg: unknown): (v: unknown) => boolean {
  if (!Array.isArray(arg) || arg.length % 2 !== 0)
    throw new UsageError('numeric filter: expected [op, n, …]');
  const checks: ((n: number) => boolean)[] = [];
  for (let i = 0; i < arg.length; i += 2) {
    const op = arg[i];
    const n = arg[i + 1] as number;
    const cmp: Record<string, (x: number) => boolean> = {
      '=': (x) => x === n,
      '<': (x) => x < n,
      '<=': (x) => x <= n,
      '>': (x) => x > n,
      '>=': (x) => x >= n,
    };
    const f = cmp[String(op)];
    if (!f || typeof n !== 'number') throw new UsageError(`numeric filter: unknown comparison ${show(op)}`);
    checks.push(f);
  }
  return (v) => typeof v === 'number' && checks.every((c) => c(v));
}

function ipv4ToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function cidrMatcher(arg: unknown): (v: unknown) => boolean {
  const [base, bits] = String(arg).split('/');
  const start = ipv4ToInt(base ?? '');
  const size = Number(bits);
  if (start === undefined || !Number.isInteger(size) || size < 0 || size > 32)
    throw new UsageError(`cidr filter: only IPv4 CIDR blocks are supported locally, got ${show(arg)}`);
  const block = 2 ** (32 - size);
  const first = Math.floor(start / block) * block;
  return (v) => {
    const n = typeof v === 'string' ? ipv4ToInt(v) : undefined;
    return n !== undefined && n >= first && n < first + block;
  };
}

/** Whether one element of a pattern array matches one (non-array) event value; `present` tells absent apart. */
function elementMatches(element: unknown, value: unknown, present: boolean): boolean {
  if (element === null || typeof element !== 'object') return present && value === element;
  if (Array.isArray(element)) throw new UsageError("the rule's pattern nests a list in a list");
  const entries = Object.entries(element as Record<string, unknown>);
  if (entries.length !== 1) throw new UsageError(`a filter must have one operator, got ${show(element)}`);
  const [op, arg] = entries[0] as [string, unknown];
  if (!OPERATORS.has(op))
    throw new UsageError(
      `the rule's pattern uses the filter "${op}", which this local matcher does not know`,
    );
  if (op === 'exists') return arg === present;
  if (!present) return false;
  switch (op) {
    case 'numeric':
      return numericMatcher(arg)(value);
    case 'cidr':
      return cidrMatcher(arg)(value);
    case 'anything-but': {
      if (arg !== null && typeof arg === 'object' && !Array.isArray(arg)) {
        const [inner, innerArg] = Object.entries(arg as Record<string, unknown>)[0] ?? ['', undefined];
        const args = Array.isArray(innerArg) ? innerArg : [innerArg];
        return typeof value === 'string' && !args.some((a) => stringMatcher(inner, a)(value));
      }
      const excluded = Array.isArray(arg) ? arg : [arg];
      return !excluded.some((x) => x === value);
    }
    default:
      return stringMatcher(op, arg)(value);
  }
}

function fieldMiss(path: string, allowed: unknown[], value: unknown, present: boolean): Miss {
  const values = present && Array.isArray(value) ? value : [value];
  const hit = values.some((v) => allowed.some((element) => elementMatches(element, v, present)));
  if (hit) return undefined;
  return `${path} is ${present ? show(value) : 'absent'}; the rule wants ${allowed.map(show).join(' or ')}`;
}

/** Why `event` does not match `pattern` (EventBridge rules), or undefined when it matches. */
export function patternMiss(pattern: unknown, event: unknown, path = ''): Miss {
  if (!pattern || typeof pattern !== 'object' || Array.isArray(pattern))
    throw new UsageError(`the rule's pattern at ${path || 'the top'} is not an object`);
  for (const [key, want] of Object.entries(pattern as Record<string, unknown>)) {
    if (key === '$or') {
      if (!Array.isArray(want)) throw new UsageError('$or must be a list of patterns');
      const misses = want.map((p) => patternMiss(p, event, path));
      if (misses.every((m) => m !== undefined))
        return `none of the $or alternatives matches (${misses.join('; ')})`;
      continue;
    }
    const here = path ? `${path}.${key}` : key;
    const obj =
      event && typeof event === 'object' && !Array.isArray(event) ? (event as Record<string, unknown>) : {};
    const present = Object.hasOwn(obj, key);
    const value = obj[key];
    if (Array.isArray(want)) {
      const miss = fieldMiss(here, want, value, present);
      if (miss) return miss;
    } else if (want && typeof want === 'object') {
      if (!present || !value || typeof value !== 'object')
        return `${here} is ${show(value)}; the rule wants an object`;
      const miss = patternMiss(want, value, here);
      if (miss) return miss;
    } else {
      throw new UsageError(`the rule's pattern at ${here} must be a list or an object, got ${show(want)}`);
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Target input

/** The execution input a rule target gives for `event` (InputPath, Input, InputTransformer, or the event). */
export function targetInput(rule: TriggerRule, event: DeliveredEvent): unknown {
  if (rule.input !== undefined) return JSON.parse(rule.input);
  if (rule.inputPath !== undefined) return readPath(event, rule.inputPath);
  if (rule.inputTransformer !== undefined) {
    const values: Record<string, unknown> = {};
    for (const [name, p] of Object.entries(rule.inputTransformer.inputPathsMap ?? {}))
      values[name] = readPath(event, p);
    const text = rule.inputTransformer.inputTemplate.replace(
      /("?)<([A-Za-z0-9_.-]+)>("?)/g,
      (whole, open: string, name: string, close: string) => {
        if (!Object.hasOwn(values, name) && name !== 'aws.events.event.json') return whole;
        const v = name === 'aws.events.event.json' ? event : values[name];
        if (open === '"' && close === '"')
          return JSON.stringify(typeof v === 'string' ? v : JSON.stringify(v ?? null));
        return `${open}${v === undefined ? 'null' : JSON.stringify(v)}${close}`;
      },
    );
    return JSON.parse(text);
  }
  return event;
}

/** The bus name an entry goes to (`default` when it names none; an ARN's name part). */
function busName(raw: unknown): string {
  if (typeof raw !== 'string' || raw === '') return 'default';
  const arn = /:event-bus\/(.+)$/.exec(raw);
  return arn ? (arn[1] as string) : raw;
}

export interface RuleDecision {
  readonly rule: TriggerRule;
  /** Undefined when the rule matches. */
  readonly miss?: string;
}

/** Applies every trigger rule to the event; each decision says whether it matched and why not. */
export function decide(
  rules: readonly TriggerRule[],
  entry: PutEventsEntry,
  event: DeliveredEvent,
): RuleDecision[] {
  return rules.map((rule) => {
    const bus = busName(entry.EventBusName);
    if (typeof rule.eventBusName === 'string' && busName(rule.eventBusName) !== bus)
      return {
        rule,
        miss: `the entry goes to the event bus "${bus}"; the rule listens on "${busName(rule.eventBusName)}"`,
      };
    const miss = patternMiss(rule.eventPattern, event);
    return miss === undefined ? { rule } : { rule, miss };
  });
}
