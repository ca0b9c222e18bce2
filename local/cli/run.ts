/**
 * `npm start`: runs the synthesized workflow once, against the built-in simulated world (default) or an
 * external Atlas-compatible API (`--atlas-url`, e.g. a separate `npm run simulator`).
 *
 * Extension points: a new option is one row of RUN_OPTIONS (parser, help and the built-in-world-only check
 * read it) plus its use in `prepareRun`; `RunPlan` carries everything decided before the run; a new kind of
 * run (another action, a sequence of runs) can call `executeRun` with its own plan.
 */
import { relative } from 'node:path';
import { normalizeBaseUrl } from '../../lambdas/atlas/client.ts';
import type { EndpointKind } from '../cloud/fault-catalog.ts';
import type { FaultRule } from '../cloud/faults.ts';
import type { RunningWorld } from '../cloud/index.ts';
import type { LocalRunResult, LocalTarget } from '../engine.ts';
import { Display, fmtDuration, paintStatusWords, statusNote } from './display.ts';
import { decide, deliveredEvent, entryOf, targetInput } from './event.ts';
import { derivedRequestId, exampleRequestFile, readJsonFile } from './input.ts';
import { type CliIo, onSigint } from './io.ts';
import {
  choiceOption,
  numberOption,
  type OptionSpec,
  type OptionValues,
  optionsHelp,
  parseOptions,
  UsageError,
} from './options.ts';
import { isTransientAnswer, type RequestLine, requestLines } from './requests.ts';
import { describeResource, inventoryLines, type ResourceLine, RunResources } from './resources.ts';
import { isSimulatorInfo, type SimulatorInfo } from './simulator.ts';
import { checkFaultKind, faultList, faultPlan, PRESET_HELP, presetOption } from './world-options.ts';

const KINDS: readonly EndpointKind[] = ['serverless', 'dedicated'];
/** Virtual seconds per real second during waits in the built-in world. */
export const BUILT_IN_TIME_SCALE = 120;
/** Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it). */
export const EXIT_INTERRUPTED = 130;

export const RUN_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'kind',
    type: 'string',
    value: '<serverless|dedicated>',
    help: 'endpoint kind of the default example request (default: serverless); with --input or --event, the kind of a request that names none',
  },
  {
    name: 'input',
    type: 'string',
    value: '<file>',
    help: 'execution input JSON (default: examples/<kind>-request.json)',
  },
  {
    name: 'event',
    type: 'string',
    value: '<file>',
    help: 'a put-events entry (e.g. examples/eventbridge-request-event.json): apply the deployed rule (pattern and input path) and start the execution it would start',
  },
  {
    name: 'preset',
    type: 'string',
    value: '<instant|realistic|slow>',
    help: `${PRESET_HELP} (default: realistic)`,
    builtInWorldOnly: true,
  },
  {
    name: 'time-scale',
    type: 'string',
    value: '<n>',
    help: `virtual seconds per real second during waits (default: ${BUILT_IN_TIME_SCALE}; 0 = do not wait at all). With --atlas-url: read from a simulator, else 1 (real time)`,
  },
  {
    name: 'fault',
    type: 'string',
    value: '<name>',
    help: 'inject a named fault plan into the simulated world (see --list-faults)',
    builtInWorldOnly: true,
  },
  {
    name: 'list-faults',
    type: 'boolean',
    help: 'list the named fault plans (with --kind: those for that kind) and exit',
  },
  {
    name: 'auth',
    type: 'string',
    value: '<service-account|api-key>',
    help: 'how the handlers authenticate to the simulated Atlas (default: service-account)',
    builtInWorldOnly: true,
  },
  {
    name: 'retired',
    type: 'boolean',
    help: "simulate today's Atlas, where the serverless private endpoint API is gone (410)",
    builtInWorldOnly: true,
  },
  {
    name: 'json',
    type: 'boolean',
    help: 'print only a machine-readable document (the result with every Atlas and EC2 request, or the error)',
  },
  { name: 'verbose', type: 'boolean', help: "also print the handlers' structured logs" },
  {
    name: 'atlas-url',
    type: 'string',
    value: '<url>',
    help:
      "run against an external Atlas-compatible API instead of the built-in world (another 'npm run simulator', or the real Atlas). Credentials come from MONGODB_ATLAS_CLIENT_ID and " +
      'MONGODB_ATLAS_CLIENT_SECRET, or MONGODB_ATLAS_PUBLIC_KEY and MONGODB_ATLAS_PRIVATE_KEY; EC2 from ' +
      "the AWS SDK's own configuration (AWS_ENDPOINT_URL_EC2, AWS_REGION, credentials)",
  },
  { name: 'help', short: 'h', type: 'boolean', help: 'show this help' },
];

export function runHelp(): string {
  return `Usage: npm start -- [options]

Runs the synthesized private-endpoint workflow end to end on this machine, against the built-in
simulated Atlas Admin API and EC2 (no AWS or Atlas account needed).

Options:
${optionsHelp(RUN_OPTIONS)}

Exit codes: 0 the workflow succeeded, 1 it failed (named error printed), 2 bad options or input
(nothing ran), ${EXIT_INTERRUPTED} interrupted with Ctrl-C (what exists and how to resume is printed).`;
}

/** Checks `--atlas-url` the way the Atlas client will (https, or plain http on loopback only). */
function atlasUrlOption(raw: string): string {
  try {
    new URL(raw);
  } catch {
    throw new UsageError(`--atlas-url must be a URL, got "${raw}"`);
  }
  try {
    return normalizeBaseUrl(raw);
  } catch (err) {
    // The client's message names the problem without echoing credentials embedded in the URL.
    throw new UsageError(`--atlas-url is not usable: ${(err as Error).message}`);
  }
}

/** Asks an external API whether it is `npm run simulator` (GET /__simulator). */
async function probeSimulator(atlasUrl: string): Promise<SimulatorInfo | undefined> {
  let response: Response;
  try {
    response = await fetch(`${atlasUrl}/__simulator`, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new UsageError(
      `nothing answers at --atlas-url ${atlasUrl}${cause === 'ECONNREFUSED' ? ' (connection refused: is the simulator running?)' : ''}`,
    );
  }
  if (!response.ok) return undefined;
  const body = (await response.json().catch(() => undefined)) as unknown;
  return isSimulatorInfo(body) ? body : undefined;
}

function atlasCredentials(env: CliIo['env']): LocalTarget['atlasCredentials'] {
  if (env.MONGODB_ATLAS_CLIENT_ID && env.MONGODB_ATLAS_CLIENT_SECRET)
    return { clientId: env.MONGODB_ATLAS_CLIENT_ID, clientSecret: env.MONGODB_ATLAS_CLIENT_SECRET };
  if (env.MONGODB_ATLAS_PUBLIC_KEY && env.MONGODB_ATLAS_PRIVATE_KEY)
    return { publicKey: env.MONGODB_ATLAS_PUBLIC_KEY, privateKey: env.MONGODB_ATLAS_PRIVATE_KEY };
  throw new UsageError(
    '--atlas-url needs MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET (or MONGODB_ATLAS_PUBLIC_KEY and MONGODB_ATLAS_PRIVATE_KEY)',
  );
}

/** Where the execution input came from, for the header and for the resume command. */
export type InputSource =
  | { readonly from: 'input'; readonly file: string }
  | { readonly from: 'event'; readonly file: string; readonly rule: string; readonly inputPath?: string };

/** Everything decided before the run starts. */
export interface RunPlan {
  readonly argv: readonly string[];
  readonly input: unknown;
  readonly source: InputSource;
  readonly kind: EndpointKind;
  readonly json: boolean;
  readonly verbose: boolean;
  readonly timeScale: number;
  /** Built-in world settings; undefined with --atlas-url. */
  readonly world?: {
    readonly preset: import('../cloud/timeline.ts').PresetName;
    readonly faultName?: string;
    readonly faults: readonly FaultRule[];
    readonly retired: boolean;
    readonly auth: 'service-account' | 'api-key';
  };
  /** External target settings; undefined for the built-in world. */
  readonly external?: {
    readonly atlasUrl: string;
    readonly target: LocalTarget;
    readonly simulator?: SimulatorInfo;
  };
  /** The execution name (the default request id); derived from the input for external runs. */
  readonly executionName?: string;
  /** The request id the run uses, when known before it starts. */
  readonly requestId?: string;
}

/** Reads the input from --input / --event / the example, and turns an event into the execution input. */
async function readExecutionInput(
  values: OptionValues,
  kindOption: EndpointKind | undefined,
): Promise<{ input: unknown; source: InputSource }> {
  if (typeof values.input === 'string' && typeof values.event === 'string')
    throw new UsageError('--input and --event both give the execution input; use one of them');
  if (typeof values.event === 'string') {
    const file = values.event;
    const entry = entryOf(readJsonFile('event', file), file);
    const { synthesizeWorkflow } = await import('../engine.ts');
    const { triggers } = synthesizeWorkflow();
    const event = deliveredEvent(entry, { account: '123456789012', region: 'us-east-1', now: new Date() });
    const decisions = decide(triggers, entry, event);
    const match = decisions.find((d) => d.miss === undefined);
    if (!match) {
      throw new UsageError(
        `the event in ${file} would start no execution:\n${decisions
          .map((d) => `  - rule ${d.rule.logicalId}: ${d.miss}`)
          .join('\n')}`,
      );
    }
    return {
      input: targetInput(match.rule, event),
      source: {
        from: 'event',
        file,
        rule: match.rule.logicalId,
        ...(match.rule.inputPath ? { inputPath: match.rule.inputPath } : {}),
      },
    };
  }
  const file =
    typeof values.input === 'string' ? values.input : exampleRequestFile(kindOption ?? 'serverless');
  return { input: readJsonFile('input', file), source: { from: 'input', file } };
}

/** Parses the options and the input; throws UsageError (exit 2) for anything wrong, before anything runs. */
export async function prepareRun(argv: readonly string[], values: OptionValues, io: CliIo): Promise<RunPlan> {
  const kindOption =
    values.kind === undefined ? undefined : choiceOption('kind', values.kind, KINDS, 'serverless');
  const auth = choiceOption('auth', values.auth, ['service-account', 'api-key'] as const, 'service-account');
  const atlasUrl = typeof values['atlas-url'] === 'string' ? atlasUrlOption(values['atlas-url']) : undefined;
  const preset = presetOption(values.preset);
  if (atlasUrl !== undefined) {
    for (const spec of RUN_OPTIONS)
      if (spec.builtInWorldOnly && values[spec.name] !== undefined)
        throw new UsageError(`--${spec.name} applies to the built-in world, not to --atlas-url`);
  }
  const explicitScale =
    values['time-scale'] === undefined ? undefined : numberOption('time-scale', values['time-scale'], 0);

  const { input, source } = await readExecutionInput(values, kindOption);
  if (kindOption && input && typeof input === 'object' && !Array.isArray(input) && !('kind' in input)) {
    (input as Record<string, unknown>).kind = kindOption;
  }
  const hasRequestId =
    input !== null && typeof input === 'object' && (input as Record<string, unknown>).requestId !== undefined;
  const executionName = atlasUrl !== undefined && !hasRequestId ? derivedRequestId(input) : undefined;

  // The same validation the first state runs, so a bad input stops here with exit code 2.
  const { parseRequest } = await import('../../lambdas/workflow/request.ts');
  let kind: EndpointKind;
  let requestId: string | undefined;
  try {
    const parsed = parseRequest(input, { executionName: executionName ?? 'local-run' });
    kind = parsed.kind;
    requestId = executionName === undefined && !hasRequestId ? undefined : parsed.requestId;
  } catch (err) {
    const issues = (err as { issues?: readonly { field: string; problem: string }[] }).issues;
    if (!issues) throw err;
    const where =
      source.from === 'event'
        ? `the execution input the event in ${source.file} gives`
        : `the request in ${source.file}`;
    throw new UsageError(
      `${where} is invalid:\n${issues.map((i) => `  - ${i.field}: ${i.problem}`).join('\n')}`,
      issues,
    );
  }

  const faultName = typeof values.fault === 'string' ? values.fault : undefined;
  let faults: readonly FaultRule[] = [];
  if (faultName !== undefined) {
    const plan = await faultPlan(faultName);
    await checkFaultKind(faultName, plan, kind);
    faults = plan.rules;
  }

  const common = {
    argv,
    input,
    source,
    kind,
    json: values.json === true,
    verbose: values.verbose === true,
    ...(executionName ? { executionName } : {}),
    ...(requestId ? { requestId } : {}),
  };
  if (atlasUrl === undefined) {
    return {
      ...common,
      timeScale: explicitScale ?? BUILT_IN_TIME_SCALE,
      world: { preset, ...(faultName ? { faultName } : {}), faults, retired: values.retired === true, auth },
    };
  }
  const credentials = atlasCredentials(io.env);
  const simulator = await probeSimulator(atlasUrl);
  if (simulator && explicitScale !== undefined && explicitScale !== simulator.timeScale) {
    throw new UsageError(
      `--time-scale ${explicitScale} does not match the simulator at ${atlasUrl}, which runs at ${simulator.timeScale}: ` +
        'the workflow would wait at another pace than the simulated clouds move. Leave --time-scale out: it is read from the simulator',
    );
  }
  return {
    ...common,
    timeScale: simulator?.timeScale ?? explicitScale ?? 1,
    external: {
      atlasUrl,
      target: {
        atlasUrl,
        atlasCredentials: credentials,
        ...(io.env.AWS_REGION ? { awsRegion: io.env.AWS_REGION } : {}),
      },
      ...(simulator ? { simulator } : {}),
    },
  };
}

/** A shell-safe rendering of one argument (for the commands the CLI suggests). */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** Follows a run: prints the lines (unless --json), tracks resources, draws the progress bar during waits. */
class RunView {
  readonly resources = new RunResources();
  /** Set once the run was interrupted: from then on nothing more is printed. */
  stopped = false;
  currentState: string | undefined;
  currentType: string | undefined;
  /** Whether the current state is a Task still running (entered, not yet ended). */
  taskRunning = false;
  t0: number | undefined;
  lastSeen = 0;
  private printedLog = 0;

  constructor(
    private readonly display: Display,
    private readonly plan: RunPlan,
    private readonly running: RunningWorld | undefined,
  ) {}

  private get quiet(): boolean {
    return this.plan.json || this.stopped;
  }

  at(virtualTime: number): string {
    return `[${fmtDuration(virtualTime - (this.t0 ?? virtualTime))}]`;
  }

  /** Prints the transient failures the world answered since the last call (the retries they caused follow). */
  private transientAnswers(indent: string): void {
    const entries = this.running?.world.log.entries;
    if (!entries) return;
    const fresh = entries.slice(this.printedLog);
    this.printedLog = entries.length;
    for (const e of fresh) {
      if (!isTransientAnswer(e)) continue;
      const what =
        e.status === 0
          ? 'no answer (connection dropped)'
          : `${e.status}${e.errorCode ? ` ${e.errorCode}` : ''}`;
      this.display.line(
        `${indent}${this.display.paint(`${e.service === 'atlas' ? 'Atlas' : 'EC2'} ${e.operation}: ${what}; retried`, 'warn')}`,
      );
    }
  }

  onHistory(entry: import('../engine.ts').HistoryEntry, info: { readonly result?: unknown }): void {
    if (this.stopped) return;
    if (info.result !== undefined) this.resources.observe(info.result);
    this.t0 ??= entry.virtualTime;
    this.lastSeen = entry.virtualTime;
    if (entry.kind === 'entered') {
      this.currentState = entry.state;
      this.currentType = entry.type;
      this.taskRunning = entry.type === 'Task';
    } else if (entry.state === this.currentState && entry.kind !== 'retried') {
      this.taskRunning = false;
    }
    if (this.quiet || entry.type !== 'Task') return;
    const at = this.at(entry.virtualTime);
    const indent = `${' '.repeat(at.length)}   `;
    if (entry.kind !== 'entered') this.transientAnswers(indent);
    if (entry.kind === 'entered') this.display.line(`${at} ${entry.state}`);
    else if (entry.kind === 'succeeded') {
      const note = statusNote(info.result);
      if (note) this.display.line(`${indent}${paintStatusWords(this.display, note)}`);
    } else if (entry.kind === 'retried')
      this.display.line(`${indent}${this.display.paint('retrying (transient error)', 'warn')}`);
    else if (entry.kind === 'failed')
      this.display.line(`${indent}${this.display.paint(`failed: ${entry.error}`, 'bad')}`);
  }

  async onWait(state: string, seconds: number): Promise<void> {
    if (this.stopped) return;
    if (!this.quiet && seconds > 0) this.display.line(`${this.at(this.lastSeen)} ${state}: ${seconds} s`);
    const { timeScale } = this.plan;
    if (timeScale <= 0 || seconds <= 0) return;
    const totalMs = (seconds * 1000) / timeScale;
    const start = performance.now();
    if (this.quiet || !this.display.tty) {
      await new Promise((r) => setTimeout(r, totalMs));
      return;
    }
    for (;;) {
      if (this.stopped) return;
      const elapsed = performance.now() - start;
      const frac = Math.min(1, elapsed / totalMs);
      this.display.progress(state, frac * seconds, seconds);
      if (frac >= 1) break;
      await new Promise((r) => setTimeout(r, Math.min(100, totalMs - elapsed)));
    }
    this.display.clearProgress();
  }
}

/** The interruption report: what was running, what exists, how to resume or delete. */
async function interruptionReport(
  view: RunView,
  plan: RunPlan,
  running: RunningWorld | undefined,
): Promise<{ lines: string[]; document: Record<string, unknown> }> {
  const lines: string[] = [];
  const where = view.currentState
    ? `during "${view.currentState}" at ${view.at(view.lastSeen)} of virtual time`
    : 'before the first state started';
  lines.push(`Interrupted (Ctrl-C) ${where}.`);
  const inFlight = view.taskRunning && view.currentState !== undefined;
  const seen = view.resources.list();
  const document: Record<string, unknown> = {
    status: 'INTERRUPTED',
    state: view.currentState ?? null,
    virtualSeconds: Math.round((view.lastSeen - (view.t0 ?? view.lastSeen)) / 1000),
    stepInFlight: inFlight,
    seenByThisRun: seen,
  };
  if (running) {
    const held = inventoryLines(running.world.inventory());
    lines.push(
      held.length === 0
        ? 'The simulated world held nothing yet. It lived in this process and ends with it: nothing is left anywhere.'
        : 'The simulated world held, when interrupted (it lived in this process and ends with it: nothing is left anywhere):',
    );
    for (const r of held) lines.push(`  ${describeResource(r)}`);
    lines.push('Run the command again to start over.');
    document.worldHeld = held;
    return { lines, document };
  }

  const ext = plan.external as NonNullable<RunPlan['external']>;
  lines.push(
    seen.length === 0
      ? 'This run had not seen any resource yet.'
      : `What this run created or adopted (each may still be changing on ${ext.atlasUrl} and in EC2):`,
  );
  for (const r of seen) lines.push(`  ${describeResource(r)}`);
  if (inFlight) {
    lines.push(
      `"${view.currentState}" was waiting for an answer: what it asked for may exist without being listed here (the next run finds it).`,
    );
  }
  if (ext.simulator) {
    const now = await probeSimulator(ext.atlasUrl).catch(() => undefined);
    if (now) {
      const held: ResourceLine[] = inventoryLines(now.inventory);
      lines.push(`The simulator at ${ext.atlasUrl} holds ${held.length === 0 ? 'nothing' : 'now:'}`);
      for (const r of held) lines.push(`  ${describeResource(r)}`);
      document.simulatorHolds = held;
    }
  }
  const args = plan.argv.map(shellWord).join(' ');
  const shownFile = relative(process.cwd(), plan.source.file);
  const sourceArg = `--${plan.source.from} ${shellWord(shownFile.startsWith('..') || shownFile === '' ? plan.source.file : shownFile)}`;
  const resume = `npm start -- ${args}`;
  const del = `npm start -- --action delete --atlas-url ${ext.atlasUrl} ${sourceArg}`;
  lines.push(
    `To resume: ${resume}`,
    `  The request id ${plan.requestId ?? '(from the input)'} ${plan.executionName ? 'is derived from the input, so the next run with the same input' : 'is the same on the next run, which'} adopts what exists instead of creating it twice.`,
    `To delete it instead: ${del}`,
  );
  document.requestId = plan.requestId ?? null;
  document.resume = resume;
  document.delete = del;
  return { lines, document };
}

function summaryLines(display: Display, result: LocalRunResult, running: RunningWorld | undefined): string[] {
  const m = result.metrics;
  const calls = (c: Readonly<Record<string, number>>) =>
    Object.entries(c)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const status = display.paint(result.status, result.status === 'SUCCEEDED' ? 'good' : 'bad');
  const lines = [
    `Summary: ${status} in ${fmtDuration(m.virtualDurationMs)} of virtual time`,
    `  (${(m.realDurationMs / 1000).toFixed(1)} s real; clouds took ${fmtDuration(m.providerTimeMs)})`,
    `  state transitions ${m.stateTransitions}, Lambda invocations ${m.lambdaInvocations}`,
  ];
  if (running) {
    lines.push(`  Atlas calls: ${calls(m.atlasCalls)}`, `  EC2 calls: ${calls(m.ec2Calls)}`);
    const retried = running.world.log.entries.filter(isTransientAnswer).length;
    if (retried > 0)
      lines.push(`  transient failures answered: ${retried}, each retried (--json lists every request)`);
    const inv = running.world.inventory();
    lines.push(
      `  left in the world: ${inv.atlas.serverlessEndpoints.length} serverless endpoint(s), ${inv.atlas.endpointServices.length} endpoint service(s), ${inv.atlas.interfaceEndpoints.length} interface endpoint(s), ${inv.aws.vpcEndpoints.length} VPC endpoint(s)`,
    );
  }
  lines.push(`  events: ${result.events.map((e) => e.detailType).join(', ') || 'none'}`);
  return lines;
}

/** Resolves on Ctrl-C (as `io` defines it); `dispose` stops listening. */
function onInterrupt(io: CliIo): { promise: Promise<'interrupted'>; dispose: () => void } {
  let dispose: () => void = () => undefined;
  const promise = new Promise<'interrupted'>((resolve) => {
    dispose = (io.onInterrupt ?? onSigint)(() => resolve('interrupted'));
  });
  return { promise, dispose };
}

/** Runs a prepared plan: prints as it goes; returns the exit code. */
export async function executeRun(plan: RunPlan, io: CliIo): Promise<number> {
  const display = new Display(io.stdout, io.env);
  const say = (line = '') => {
    if (!plan.json) display.line(line);
  };
  const { runLocalWorkflow } = await import('../engine.ts');
  let running: RunningWorld | undefined;
  let target: LocalTarget;
  if (plan.world) {
    const { startWorld } = await import('../cloud/index.ts');
    const { DEMO_AWS } = await import('../cloud/aws-model.ts');
    const w = plan.world;
    running = await startWorld({
      preset: w.preset,
      timeScale: 0,
      faults: w.faults,
      serverlessRetired: w.retired,
    });
    const demo = running.world.demo;
    target = {
      atlasUrl: running.atlasUrl,
      ec2Url: running.ec2Url,
      atlasCredentials: w.auth === 'api-key' ? demo.apiKey : demo.serviceAccount,
      awsCredentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
      awsRegion: demo.awsRegion,
    };
    say(
      `Simulated world: preset ${w.preset}${w.faultName ? `, fault ${w.faultName}` : ''}${w.retired ? ', serverless API retired' : ''}; waits run at ${plan.timeScale === 0 ? 'no real time' : `${plan.timeScale}x`}`,
    );
  } else {
    const ext = plan.external as NonNullable<RunPlan['external']>;
    target = ext.target;
    say(
      `Running against ${ext.atlasUrl} (EC2: ${io.env.AWS_ENDPOINT_URL_EC2 ?? 'the AWS SDK default endpoint'})`,
    );
    say(
      ext.simulator
        ? `Simulator: preset ${ext.simulator.preset}${ext.simulator.fault ? `, fault ${ext.simulator.fault}` : ''}; waits run at its time scale, ${ext.simulator.timeScale}x`
        : `Waits run at ${plan.timeScale === 1 ? 'real time' : `${plan.timeScale}x`}`,
    );
    if (plan.requestId)
      say(
        `Request id: ${plan.requestId}${plan.executionName ? ' (derived from the input: running the same input again converges on the same resources)' : ''}`,
      );
  }
  const shown = relative(process.cwd(), plan.source.file) || plan.source.file;
  say(
    plan.source.from === 'event'
      ? `Event: ${shown} matches rule ${plan.source.rule}; execution input: ${plan.source.inputPath ?? 'the event'}`
      : `Input: ${shown}`,
  );
  say();

  const view = new RunView(display, plan, running);
  const interrupt = onInterrupt(io);
  const startedAt = running?.world.clock.now() ?? 0;
  try {
    const execution = runLocalWorkflow({
      input: plan.input,
      target,
      ...(plan.executionName ? { executionName: plan.executionName } : {}),
      ...(running ? { clock: running.world.clock, requestLog: running.world.log } : {}),
      logLevel: plan.verbose ? 'INFO' : 'SILENT',
      onHistory: (entry, info) => view.onHistory(entry, info),
      onWait: (state, seconds) => view.onWait(state, seconds),
    });
    const outcome = await Promise.race([execution, interrupt.promise]);
    if (outcome === 'interrupted') {
      view.stopped = true;
      display.clearProgress();
      // The execution goes on in the background until the process exits; its later failures are not news.
      execution.catch(() => undefined);
      const report = await interruptionReport(view, plan, running);
      if (plan.json) io.stdout.write(`${JSON.stringify(report.document, null, 2)}\n`);
      else {
        io.stdout.write('\n');
        display.line(display.paint(report.lines[0] as string, 'warn'));
        for (const line of report.lines.slice(1)) display.line(line);
      }
      return EXIT_INTERRUPTED;
    }
    const result = outcome;
    if (plan.json) {
      const requests: RequestLine[] | undefined = running
        ? requestLines(running.world.log.entries, startedAt)
        : undefined;
      const document = {
        ...result,
        ...(requests
          ? { requests }
          : { requests: null, requestsNote: 'recorded only in the built-in world' }),
        ...(running ? { leftInTheWorld: inventoryLines(running.world.inventory()) } : {}),
      };
      io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    } else {
      display.line(`\n${result.status === 'SUCCEEDED' ? 'Output' : 'Failure'}:`);
      display.line(JSON.stringify(result.status === 'SUCCEEDED' ? result.output : result.error, null, 2));
      display.line();
      for (const line of summaryLines(display, result, running)) display.line(line);
      if (result.status !== 'SUCCEEDED') io.stderr.write(`\nThe workflow failed: ${result.error?.error}\n`);
    }
    return result.status === 'SUCCEEDED' ? 0 : 1;
  } finally {
    interrupt.dispose();
    await running?.close();
  }
}

export async function runCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const values = parseOptions(argv, RUN_OPTIONS);
  if (values.help) {
    io.stdout.write(`${runHelp()}\n`);
    return 0;
  }
  if (values['list-faults']) {
    const kind =
      values.kind === undefined ? undefined : choiceOption('kind', values.kind, KINDS, 'serverless');
    io.stdout.write(`${(await faultList(kind)).join('\n')}\n`);
    return 0;
  }
  const plan = await prepareRun(argv, values, io);
  return executeRun(plan, io);
}
