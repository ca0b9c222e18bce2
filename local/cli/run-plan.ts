/**
 * `npm start`, before the run: the option table, the help, and `prepareRun`, which reads the options and the
 * input into a RunPlan or refuses them (UsageError, exit code 2) before anything runs.
 *
 * Extension points: a new option is one row of RUN_OPTIONS (the parser, the help and the built-in-world-only
 * check read it) plus its use in `prepareRun`; whatever it decides goes into RunPlan.
 */
import { normalizeBaseUrl } from '../../lambdas/atlas/client.ts';
import type { EndpointKind } from '../cloud/fault-catalog.ts';
import type { FaultRule } from '../cloud/faults.ts';
import type { PresetName } from '../cloud/timeline.ts';
import type { LocalTarget } from '../engine.ts';
import { decide, deliveredEvent, entryOf, targetInput } from './event.ts';
import { derivedRequestId, exampleRequestFile, readJsonFile, withAction } from './input.ts';
import type { CliIo } from './io.ts';
import {
  choiceOption,
  numberOption,
  type OptionSpec,
  type OptionValues,
  optionsHelp,
  UsageError,
} from './options.ts';
import { isSimulatorInfo, type SimulatorInfo } from './simulator.ts';
import { checkFaultKind, faultPlan, PRESET_HELP, presetOption } from './world-options.ts';

export const KINDS: readonly EndpointKind[] = ['serverless', 'dedicated'];
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
    help: "answer 410 VERSION_GONE on the serverless private endpoint API (the documented rule for a sunset API version; what today's Atlas answers was never observed)",
    builtInWorldOnly: true,
  },
  {
    name: 'json',
    type: 'boolean',
    help: 'print only a machine-readable document (the result with every Atlas and EC2 request, or the error)',
  },
  { name: 'verbose', type: 'boolean', help: "also print the handlers' structured logs" },
  {
    name: 'action',
    type: 'string',
    value: '<create|delete|check>',
    help: "what to do with the connection the input names (default: the input's own action, else create); delete and check also take a create's output as --input",
  },
  {
    name: 'repair',
    type: 'boolean',
    help: 'with --action check: bring a drifted connection back to healthy',
  },
  {
    name: 'lifecycle',
    type: 'boolean',
    help: 'in one built-in world: create, check, delete the VPC endpoint outside the workflow, check (drift), check with repair, delete; ends with the inventory',
    builtInWorldOnly: true,
  },
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
export async function probeSimulator(atlasUrl: string): Promise<SimulatorInfo | undefined> {
  let response: Response;
  try {
    response = await fetch(`${atlasUrl}/__simulator`, { signal: AbortSignal.timeout(5000) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why =
      cause?.code === 'ECONNREFUSED'
        ? 'connection refused: is the simulator running?'
        : (cause?.message ?? (err as Error).message);
    throw new UsageError(`nothing answers at --atlas-url ${atlasUrl} (${why})`);
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
    readonly preset: PresetName;
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

/** `--action` and `--repair` (local/lifecycle.ts applies them to the input). */
export function actionOption(values: OptionValues): 'create' | 'delete' | 'check' | undefined {
  const raw = values.action;
  const action =
    raw === undefined
      ? undefined
      : choiceOption('action', raw, ['create', 'delete', 'check'] as const, 'create');
  if (values.repair === true && action !== 'check') throw new UsageError('--repair needs --action check');
  return action;
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

  const read = await readExecutionInput(values, kindOption);
  const { source } = read;
  let { input } = read;
  if (kindOption && input && typeof input === 'object' && !Array.isArray(input) && !('kind' in input)) {
    (input as Record<string, unknown>).kind = kindOption;
  }
  const action = actionOption(values);
  if (action !== undefined) input = withAction(input, action, values.repair === true);
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
    // A put-events entry list (the EventBridge example) given as a request: point at --event.
    const looksLikeEvent =
      source.from !== 'event' &&
      Array.isArray(input) &&
      input.some((e) => e !== null && typeof e === 'object' && 'DetailType' in e && 'Detail' in e);
    const hint = looksLikeEvent
      ? `\n${source.file} holds EventBridge put-events entries, not a request: run it with --event ${source.file}`
      : '';
    throw new UsageError(
      `${where} is invalid:\n${issues.map((i) => `  - ${i.field}: ${i.problem}`).join('\n')}${hint}`,
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
