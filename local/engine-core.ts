/**
 * The engine's interpreter half: runs a concrete ASL definition with aws-local-stepfunctions, with every
 * Task bound to an in-process function and every Wait following the world's virtual clock.
 *
 * Waits: aws-local-stepfunctions sleeps in real time. Each Wait state is rewritten into a Task of the same
 * name whose local handler advances the virtual clock by the seconds the Wait asks for and passes its input
 * through unchanged, exactly as a Wait does. Retries: the interpreter's retry pause is overridden to 0 and
 * the same pause (IntervalSeconds x BackoffRate^(n-1), capped by MaxDelaySeconds, without jitter) is added
 * to the virtual clock before the retried attempt, so a retried call costs the virtual time it would in AWS.
 */
import { ExecutionError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { AslDefinition, AslState } from '../lib/asl.ts';
import type { VirtualClock } from './cloud/clock.ts';

/**
 * aws-local-stepfunctions 3 needs Node.js 22 or newer (it calls `Promise.withResolvers`); on older Node every
 * Task would fail with a TypeError that a Catch turns into a business failure. npm scripts run on the Node 24
 * of the `node` dev dependency, so this only fires when a script is started with an older `node` directly.
 */
export const MIN_NODE_MAJOR = 22;
if (Number(process.versions.node.split('.')[0]) < MIN_NODE_MAJOR) {
  throw new Error(
    `The local engine needs Node.js ${MIN_NODE_MAJOR} or newer; this is ${process.version}. Run it through npm ` +
      '(npm start, npm test, npm run bench), which uses the Node.js 24 that `npm ci` installs in node_modules.',
  );
}

type Execution = ReturnType<StateMachine['run']>;
type EventLog = Execution['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type JSONValue = Parameters<StateMachine['run']>[0];

export type { AslDefinition, AslState } from '../lib/asl.ts';

/** A function a Task state runs. It receives the Task's effective input; its return value is the result. */
export type TaskFunction = (
  input: JSONValue,
  meta: { stateName: string; attempt: number },
) => Promise<unknown>;

export type HistoryKind = 'entered' | 'succeeded' | 'failed' | 'retried' | 'caught' | 'waited';

export interface HistoryEntry {
  readonly kind: HistoryKind;
  readonly state: string;
  /** The state's type in the original definition (Wait stays Wait even though it ran as a local Task). */
  readonly type: string;
  /** Virtual time (epoch ms) and real ms since the run started. */
  readonly virtualTime: number;
  readonly realMs: number;
  readonly error?: string;
  readonly cause?: string;
  readonly waitSeconds?: number;
}

export interface CoreRunOptions {
  readonly definition: AslDefinition;
  /** Task state name -> function. Every Task of the definition must be bound. */
  readonly tasks: Readonly<Record<string, TaskFunction>>;
  readonly clock: VirtualClock;
  readonly input: unknown;
  /** Mocked Step Functions context object (`$$`). */
  readonly context?: Record<string, unknown>;
  /** Called synchronously for each history entry as it happens. */
  readonly onHistory?: (entry: HistoryEntry) => void;
  /** Called with the seconds a Wait state is about to wait (before the clock advances), for progress displays. */
  readonly onWait?: (state: string, seconds: number) => Promise<void> | void;
  /**
   * How a Wait state or a retry pause lets virtual time pass (the engine shares one clock among concurrent
   * executions, see local/virtual-time.ts). @default advance the clock at once
   */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface CoreRunResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: unknown;
  readonly error?: { readonly error: string; readonly cause: string };
  readonly history: readonly HistoryEntry[];
  readonly stateTransitions: number;
  /** Virtual ms spent in Wait states and retry pauses: the time the clouds took. */
  readonly waitedMs: number;
}

const LOCAL_WAIT_RESOURCE = 'arn:aws:states:::local:wait';

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  MaxAttempts?: number;
}

/**
 * The interpreter stamps `$$.Execution.StartTime` with the machine's clock whatever the context says; the
 * execution runs on the world's clock. Paths to it read {@link WORLD_START_TIME} instead, which the engine sets
 * from the world's clock (any `StartTime` the caller passes in the context is copied there).
 */
export const WORLD_START_TIME = 'WorldStartTime';
const START_TIME_PATH = '$$.Execution.StartTime';

function onWorldStartTime<T>(value: T): T {
  if (typeof value === 'string') {
    return (value === START_TIME_PATH ? `$$.Execution.${WORLD_START_TIME}` : value) as T;
  }
  if (Array.isArray(value)) return value.map(onWorldStartTime) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, onWorldStartTime(v)])) as T;
  }
  return value;
}

/** Seconds a Wait state would wait for this input (Seconds, SecondsPath, Timestamp, TimestampPath). */
export function waitSecondsFor(state: AslState, input: unknown, nowMs: number): number {
  if (typeof state.Seconds === 'number') return state.Seconds;
  if (typeof state.SecondsPath === 'string')
    return toSeconds(readPath(input, state.SecondsPath), state.SecondsPath);
  const ts =
    typeof state.Timestamp === 'string'
      ? state.Timestamp
      : typeof state.TimestampPath === 'string'
        ? readPath(input, state.TimestampPath)
        : undefined;
  if (typeof ts === 'string') return Math.max(0, (Date.parse(ts) - nowMs) / 1000);
  throw new Error(`Wait state has no Seconds, SecondsPath, Timestamp or TimestampPath`);
}

function toSeconds(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`Wait SecondsPath ${path} must point to a number >= 0, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Reads a simple JSONPath (`$`, `$.a.b`, `$.a[0].b`) from a document. */
export function readPath(doc: unknown, path: string): unknown {
  if (path === '$') return doc;
  if (!path.startsWith('$.')) throw new Error(`unsupported JSONPath ${path}`);
  let cur: unknown = doc;
  for (const part of path.slice(2).split('.')) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) throw new Error(`unsupported JSONPath ${path}`);
    cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[m[1] as string] : undefined;
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) {
      cur = Array.isArray(cur) ? cur[Number(idx[1])] : undefined;
    }
  }
  return cur;
}

/**
 * Every state of a definition with its name: the top level, then the states of each Map's iteration
 * (`ItemProcessor`, or the older `Iterator`), depth first. State names are unique across all of them (CDK
 * requires it), and the interpreter looks local Task handlers up by name at every level.
 */
export function allStates(definition: { readonly States: Record<string, AslState> }): [string, AslState][] {
  const out: [string, AslState][] = [];
  for (const [name, state] of Object.entries(definition.States)) {
    out.push([name, state]);
    const nested = (state.ItemProcessor ?? state.Iterator) as
      | { States?: Record<string, AslState> }
      | undefined;
    if (state.Type === 'Map' && nested?.States) out.push(...allStates({ States: nested.States }));
  }
  return out;
}

/** The retrier a failed attempt matches, per the ASL rules (first match wins). */
function matchRetrier(state: AslState, errorName: string): Retrier | undefined {
  const retriers = (state.Retry as Retrier[] | undefined) ?? [];
  return retriers.find(
    (r) =>
      r.ErrorEquals.includes(errorName) ||
      r.ErrorEquals.includes('States.ALL') ||
      (r.ErrorEquals.includes('States.TaskFailed') && !errorName.startsWith('States.')),
  );
}

/**
 * Serializes an error thrown by a task function the way Lambda reports it to Step Functions:
 * Error = errorType (the error's name), Cause = the JSON `{ errorType, errorMessage, trace }`.
 */
export function toLambdaError(err: unknown): Error {
  const name = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  const out = new Error(JSON.stringify({ errorType: name, errorMessage: message, trace: [] }));
  out.name = name;
  return out;
}

/**
 * One interpreter per definition: building it validates the whole definition (asl-validator, which compiles
 * JSON schemas with ajv: most of an execution's cost if done per run). Every run passes its own Task handlers
 * and retry overrides to `run()`, so the machine itself holds nothing of a run and is safely shared.
 */
const machines = new WeakMap<AslDefinition, StateMachine>();

function machineFor(definition: AslDefinition, states: Record<string, AslState>): StateMachine {
  let machine = machines.get(definition);
  if (machine === undefined) {
    machine = new StateMachine({ ...definition, States: states } as unknown as StateMachineDefinition, {
      validationOptions: { checkArn: false },
    });
    machines.set(definition, machine);
  }
  return machine;
}

/** The rewritten Waits' real-time timeout: longer than any Wait runs (setTimeout's limit is 24.8 days). */
const WAIT_TASK_TIMEOUT_SECONDS = 2_000_000;

export async function runDefinition(options: CoreRunOptions): Promise<CoreRunResult> {
  const { definition, clock } = options;
  const sleep =
    options.sleep ??
    (async (ms: number) => {
      clock.advance(ms);
    });
  const realStart = performance.now();
  const history: HistoryEntry[] = [];
  const originalTypes = new Map(allStates(definition).map(([name, s]) => [name, s.Type]));
  let waitedMs = 0;
  let transitions = 0;

  const record = (entry: Omit<HistoryEntry, 'virtualTime' | 'realMs'>): void => {
    const full: HistoryEntry = { ...entry, virtualTime: clock.now(), realMs: performance.now() - realStart };
    history.push(full);
    options.onHistory?.(full);
  };

  // Rewrite Waits into local Tasks, bind everything.
  const states: Record<string, AslState> = {};
  const handlers: Record<string, (input: JSONValue) => Promise<JSONValue>> = {};
  const retryOverrides: Record<string, number> = {};
  const topLevel = new Set(Object.keys(definition.States));
  for (const [name, state] of allStates(definition)) {
    if (state.Type === 'Wait' && !topLevel.has(name)) {
      throw new Error(`Wait state "${name}" inside a Map: the local engine runs Waits at the top level only`);
    }
    if (state.Type === 'Wait') {
      const { Seconds: _s, SecondsPath: _sp, Timestamp: _t, TimestampPath: _tp, ...rest } = state;
      // A Wait has no timeout, but the interpreter gives every Task a real-time one (60 s by default): on a
      // running clock (timeScale > 0, the scale bench) a longer Wait would end in States.Timeout.
      states[name] = {
        ...rest,
        Type: 'Task',
        Resource: LOCAL_WAIT_RESOURCE,
        TimeoutSeconds: WAIT_TASK_TIMEOUT_SECONDS,
      };
      handlers[name] = async (input) => {
        // Let the event-log consumer record StateEntered at the pre-wait virtual time.
        await new Promise((resolve) => setImmediate(resolve));
        const seconds = waitSecondsFor(state, input, clock.now());
        await options.onWait?.(name, seconds);
        await sleep(seconds * 1000);
        waitedMs += seconds * 1000;
        record({ kind: 'waited', state: name, type: 'Wait', waitSeconds: seconds });
        return input;
      };
      continue;
    }
    if (topLevel.has(name)) states[name] = onWorldStartTime(state);
    if (state.Type !== 'Task') continue;
    const fn = options.tasks[name];
    if (!fn) throw new Error(`no local function bound to Task state "${name}" (${String(state.Resource)})`);
    let attempt = 0;
    let lastError: string | undefined;
    let retryCount = 0;
    retryOverrides[name] = 0;
    handlers[name] = async (input) => {
      if (lastError !== undefined) {
        const retrier = matchRetrier(state, lastError);
        if (retrier) {
          retryCount += 1;
          const interval = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** (retryCount - 1);
          const pause = Math.min(interval, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
          await sleep(pause * 1000);
          waitedMs += pause * 1000;
        }
      } else {
        retryCount = 0;
      }
      attempt += 1;
      try {
        const result = await fn(input, { stateName: name, attempt });
        lastError = undefined;
        return (result ?? null) as JSONValue;
      } catch (err) {
        const lambdaError = toLambdaError(err);
        lastError = lambdaError.name;
        throw lambdaError;
      }
    };
  }

  const machine = machineFor(definition, states);
  const context = options.context ?? {};
  const given = (context.Execution ?? {}) as Record<string, unknown>;
  const execution = machine.run(options.input as JSONValue, {
    overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides: retryOverrides },
    context: {
      ...context,
      Execution: { ...given, [WORLD_START_TIME]: given.StartTime ?? new Date(clock.now()).toISOString() },
    },
  });

  const drain = (async () => {
    for await (const ev of execution.eventLogs as AsyncGenerator<EventLog>) {
      if (!('state' in ev)) continue;
      const type = originalTypes.get(ev.state.name) ?? ev.state.type;
      switch (ev.type) {
        case 'StateEntered':
          transitions += 1;
          record({ kind: 'entered', state: ev.state.name, type });
          break;
        case 'StateExited':
          if (type !== 'Wait') record({ kind: 'succeeded', state: ev.state.name, type });
          break;
        case 'StateFailed':
          record({ kind: 'failed', state: ev.state.name, type, error: ev.Error, cause: String(ev.Cause) });
          break;
        case 'StateRetried':
          record({ kind: 'retried', state: ev.state.name, type });
          break;
        case 'StateCaught':
          record({ kind: 'caught', state: ev.state.name, type });
          break;
        default:
          break;
      }
    }
  })();

  let output: unknown;
  let failure: { error: string; cause: string } | undefined;
  try {
    output = await execution.result;
  } catch (err) {
    if (!(err instanceof ExecutionError)) throw err;
    const cause = (err as { cause?: unknown }).cause as { name?: string; message?: string } | undefined;
    failure = { error: cause?.name ?? err.name, cause: cause?.message ?? err.message };
  }
  await drain;

  return {
    status: failure ? 'FAILED' : 'SUCCEEDED',
    ...(failure ? { error: failure } : { output }),
    history,
    stateTransitions: transitions,
    waitedMs,
  };
}
