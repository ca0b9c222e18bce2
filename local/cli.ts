/**
 * `npm start` (run the workflow offline) and `npm run simulator` (the simulated world, standalone).
 * Exit codes: 0 success, 1 the workflow failed, 2 bad options or input (nothing ran).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { normalizeBaseUrl } from '../lambdas/atlas/client.ts';
import { isPresetName, PRESETS, type PresetName } from './cloud/timeline.ts';

class UsageError extends Error {
  override name = 'UsageError';
}

const RUN_HELP = `Usage: npm start -- [options]

Runs the synthesized private-endpoint workflow end to end on this machine, against the built-in
simulated Atlas Admin API and EC2 (no AWS or Atlas account needed).

Options:
  --kind <serverless|dedicated>  endpoint kind of the default example request (default: serverless)
  --input <file>                 execution input JSON (default: examples/<kind>-request.json)
  --preset <instant|realistic|slow>
                                 how long the simulated clouds take (default: realistic)
  --time-scale <n>               virtual seconds per real second during waits (default: 120;
                                 0 = do not wait at all). Against --atlas-url it defaults to 1.
  --fault <name>                 inject a named fault plan into the simulated world (see --list-faults)
  --list-faults                  list the named fault plans and exit
  --auth <service-account|api-key>
                                 how the handlers authenticate to the simulated Atlas (default: service-account)
  --retired                      simulate today's Atlas, where the serverless private endpoint API is gone (410)
  --json                         print only the machine-readable result
  --verbose                      also print the handlers' structured logs
  --atlas-url <url>              run against an external Atlas-compatible API instead of the built-in world
                                 (another 'npm run simulator', or the real Atlas). Credentials come from
                                 MONGODB_ATLAS_CLIENT_ID/MONGODB_ATLAS_CLIENT_SECRET or
                                 MONGODB_ATLAS_PUBLIC_KEY/MONGODB_ATLAS_PRIVATE_KEY; EC2 from the AWS SDK's
                                 own configuration (AWS_ENDPOINT_URL_EC2, AWS_REGION, credentials).
  -h, --help                     show this help

Exit codes: 0 the workflow succeeded, 1 it failed (named error printed), 2 bad options or input.`;

const SIM_HELP = `Usage: npm run simulator -- [options]

Starts the simulated Atlas Admin API and EC2 on loopback and runs until stopped (Ctrl-C).

Options:
  --port <n>           Atlas front port (default: 8090); EC2 listens on the next port unless --ec2-port
  --ec2-port <n>       EC2 front port
  --preset <instant|realistic|slow>   (default: realistic)
  --time-scale <n>     virtual seconds per real second (default: 1)
  --fault <name>       inject a named fault plan (see npm start -- --list-faults)
  --retired            answer 410 on the retired serverless private endpoint API
  -h, --help           show this help`;

/**
 * Whether the module at `moduleUrl` is the script node was started with (`argv1`). Compares real file system
 * paths, so a checkout path with spaces (percent-encoded in the URL) or reached through a symlink (node
 * resolves the main module's symlinks, not argv[1]) still counts.
 */
export function isMainModule(moduleUrl: string, argv1: string | undefined): boolean {
  if (argv1 === undefined) return false;
  try {
    return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(argv1);
  } catch {
    return false;
  }
}

/** The example request file for `kind`, as a file system path (decoded, unlike `URL.pathname`). */
export function exampleRequestFile(kind: string, moduleUrl: string = import.meta.url): string {
  return fileURLToPath(new URL(`../examples/${kind}-request.json`, moduleUrl));
}

/** Checks `--atlas-url` the way the Atlas client will (https, or plain http on loopback only). */
function parseAtlasUrl(raw: string): string {
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

function parseNumber(name: string, raw: string | undefined, fallback: number, min = 0): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min)
    throw new UsageError(`--${name} must be a number >= ${min}, got "${raw}"`);
  return n;
}

function parsePort(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--${name} must be a port 0-65535, got "${raw}"`);
  return n;
}

function parsePreset(raw: string | undefined): PresetName {
  if (raw === undefined) return 'realistic';
  if (!isPresetName(raw))
    throw new UsageError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}, got "${raw}"`);
  return raw;
}

function readInput(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read --input ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--input ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

function fmtDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

/** A short status note from a step's result: Atlas status, AWS state, what a check saw. */
export function statusNote(result: unknown): string {
  if (!result || typeof result !== 'object') return '';
  const r = result as Record<string, unknown>;
  if ('observed' in r && typeof r.done === 'boolean') {
    const seen = statusNote(r.observed);
    const next = r.done ? 'done' : `next check in ${String(r.waitSeconds)} s`;
    return seen ? `${seen}; ${next}` : next;
  }
  const parts: string[] = [];
  if (typeof r.atlasStatus === 'string') parts.push(`Atlas ${r.atlasStatus}`);
  if (typeof r.state === 'string') parts.push(`AWS ${r.state}`);
  if (typeof r.vpcEndpointId === 'string') parts.push(r.vpcEndpointId);
  else if (typeof r.id === 'string') parts.push(r.id);
  if (typeof r.srvConnectionString === 'string') parts.push(r.srvConnectionString);
  if (Array.isArray(r.remaining)) parts.push(`${r.remaining.length} resource(s) still being deleted`);
  if (typeof r.error === 'string' && typeof r.cause === 'string') parts.push(r.error);
  if (r.request && typeof r.request === 'object') {
    const req = r.request as Record<string, unknown>;
    parts.push(`${String(req.kind)} ${String(req.instanceName)} in project ${String(req.groupId)}`);
  }
  return parts.join(', ');
}

async function progressSleep(seconds: number, timeScale: number, label: string, tty: boolean): Promise<void> {
  if (timeScale <= 0 || seconds <= 0) return;
  const totalMs = (seconds * 1000) / timeScale;
  if (!tty) {
    await new Promise((r) => setTimeout(r, totalMs));
    return;
  }
  const start = performance.now();
  const width = 24;
  for (;;) {
    const elapsed = performance.now() - start;
    const frac = Math.min(1, elapsed / totalMs);
    const filled = Math.round(frac * width);
    process.stdout.write(
      `\r    ${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(frac * seconds)}/${seconds}s`,
    );
    if (frac >= 1) break;
    await new Promise((r) => setTimeout(r, Math.min(100, totalMs - elapsed)));
  }
  process.stdout.write('\r\u001b[2K');
}

async function listFaults(): Promise<void> {
  const { FAULT_CATALOG } = await import('./cloud/index.ts');
  console.log('Named fault plans (npm start -- --fault <name>):\n');
  const names = Object.keys(FAULT_CATALOG).sort();
  const width = Math.max(...names.map((n) => n.length));
  for (const name of names) {
    const f = FAULT_CATALOG[name];
    if (!f) continue;
    console.log(`  ${name.padEnd(width)}  [${f.kinds.join(', ')}] ${f.description}`);
  }
}

async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      kind: { type: 'string' },
      input: { type: 'string' },
      preset: { type: 'string' },
      'time-scale': { type: 'string' },
      fault: { type: 'string' },
      'list-faults': { type: 'boolean' },
      auth: { type: 'string' },
      retired: { type: 'boolean' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
      'atlas-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(RUN_HELP);
    return 0;
  }
  if (values['list-faults']) {
    await listFaults();
    return 0;
  }
  const kind = values.kind ?? 'serverless';
  if (kind !== 'serverless' && kind !== 'dedicated') {
    throw new UsageError(`--kind must be serverless or dedicated, got "${kind}"`);
  }
  const auth = values.auth ?? 'service-account';
  if (auth !== 'service-account' && auth !== 'api-key') {
    throw new UsageError(`--auth must be service-account or api-key, got "${auth}"`);
  }
  const rawAtlasUrl = values['atlas-url'];
  const external = rawAtlasUrl === undefined ? undefined : parseAtlasUrl(rawAtlasUrl);
  const preset = parsePreset(values.preset);
  const timeScale = parseNumber('time-scale', values['time-scale'], external ? 1 : 120);
  if (external) {
    for (const opt of ['fault', 'retired', 'preset', 'auth'] as const) {
      if (values[opt] !== undefined)
        throw new UsageError(`--${opt} applies to the built-in world, not to --atlas-url`);
    }
  }
  const inputFile = values.input ?? exampleRequestFile(kind);
  const input = readInput(inputFile);
  if (values.kind && input && typeof input === 'object' && !('kind' in input)) {
    (input as Record<string, unknown>).kind = kind;
  }

  // The same validation the first state runs, so a bad input file stops here with exit code 2.
  const { parseRequest } = await import('../lambdas/workflow/request.ts');
  try {
    parseRequest(input, { executionName: 'local-run' });
  } catch (err) {
    const issues = (err as { issues?: readonly { field: string; problem: string }[] }).issues;
    if (!issues) throw err;
    throw new UsageError(
      `the request in ${inputFile} is invalid:\n${issues.map((i) => `  - ${i.field}: ${i.problem}`).join('\n')}`,
    );
  }

  const { FAULT_CATALOG, startWorld } = await import('./cloud/index.ts');
  const { runLocalWorkflow } = await import('./engine.ts');
  let faults: readonly import('./cloud/faults.ts').FaultRule[] = [];
  if (values.fault !== undefined) {
    const plan = FAULT_CATALOG[values.fault];
    if (!plan) {
      throw new UsageError(
        `unknown --fault "${values.fault}"; known: ${Object.keys(FAULT_CATALOG).sort().join(', ')} (see --list-faults)`,
      );
    }
    faults = plan.rules;
  }

  const json = values.json === true;
  const tty = !json && process.stdout.isTTY === true;
  const say = (line: string) => {
    if (!json) console.log(line);
  };

  let target: import('./engine.ts').LocalTarget;
  let running: Awaited<ReturnType<typeof startWorld>> | undefined;
  if (external) {
    const env = process.env;
    const atlasCredentials =
      env.MONGODB_ATLAS_CLIENT_ID && env.MONGODB_ATLAS_CLIENT_SECRET
        ? { clientId: env.MONGODB_ATLAS_CLIENT_ID, clientSecret: env.MONGODB_ATLAS_CLIENT_SECRET }
        : env.MONGODB_ATLAS_PUBLIC_KEY && env.MONGODB_ATLAS_PRIVATE_KEY
          ? { publicKey: env.MONGODB_ATLAS_PUBLIC_KEY, privateKey: env.MONGODB_ATLAS_PRIVATE_KEY }
          : undefined;
    if (!atlasCredentials) {
      throw new UsageError(
        '--atlas-url needs MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET (or MONGODB_ATLAS_PUBLIC_KEY and MONGODB_ATLAS_PRIVATE_KEY)',
      );
    }
    target = {
      atlasUrl: external,
      atlasCredentials,
      ...(env.AWS_REGION ? { awsRegion: env.AWS_REGION } : {}),
    };
    say(
      `Running against ${target.atlasUrl} (EC2: ${env.AWS_ENDPOINT_URL_EC2 ?? 'the AWS SDK default endpoint'})`,
    );
  } else {
    running = await startWorld({ preset, timeScale: 0, faults, serverlessRetired: values.retired === true });
    const demo = running.world.demo;
    const { DEMO_AWS } = await import('./cloud/aws-model.ts');
    target = {
      atlasUrl: running.atlasUrl,
      ec2Url: running.ec2Url,
      dynamodbUrl: running.dynamodbUrl,
      atlasCredentials: auth === 'api-key' ? demo.apiKey : demo.serviceAccount,
      awsCredentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
      awsRegion: demo.awsRegion,
    };
    say(
      `Simulated world: preset ${preset}${values.fault ? `, fault ${values.fault}` : ''}${values.retired ? ', serverless API retired' : ''}; waits run at ${timeScale === 0 ? 'no real time' : `${timeScale}x`}`,
    );
  }
  say(`Input: ${relative(process.cwd(), inputFile) || inputFile}\n`);

  let t0: number | undefined;
  let lastSeen = 0;
  try {
    const result = await runLocalWorkflow({
      input,
      target,
      ...(running ? { clock: running.world.clock, requestLog: running.world.log } : {}),
      logLevel: values.verbose ? 'INFO' : 'SILENT',
      onHistory: (entry, info) => {
        if (json) return;
        t0 ??= entry.virtualTime;
        lastSeen = entry.virtualTime;
        const at = `[${fmtDuration(entry.virtualTime - t0)}]`;
        if (entry.type !== 'Task') return;
        if (entry.kind === 'entered') console.log(`${at} ${entry.state}`);
        else if (entry.kind === 'succeeded') {
          const note = statusNote(info.result);
          if (note) console.log(`${' '.repeat(at.length)}   ${note}`);
        } else if (entry.kind === 'retried')
          console.log(`${' '.repeat(at.length)}   retrying (transient error)`);
        else if (entry.kind === 'failed') console.log(`${' '.repeat(at.length)}   failed: ${entry.error}`);
      },
      onWait: async (state, seconds) => {
        if (!json && seconds > 0)
          console.log(`[${fmtDuration(lastSeen - (t0 ?? lastSeen))}] ${state}: ${seconds} s`);
        await progressSleep(seconds, timeScale, state, tty);
      },
    });
    if (json) {
      console.log(JSON.stringify(result, null, 2));
    } else {
      console.log(`\n${result.status === 'SUCCEEDED' ? 'Output' : 'Failure'}:`);
      console.log(JSON.stringify(result.status === 'SUCCEEDED' ? result.output : result.error, null, 2));
      const m = result.metrics;
      const calls = (c: Record<string, number>) =>
        Object.entries(c)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none';
      console.log(`\nSummary: ${result.status} in ${fmtDuration(m.virtualDurationMs)} of virtual time`);
      console.log(
        `  (${(m.realDurationMs / 1000).toFixed(1)} s real; clouds took ${fmtDuration(m.providerTimeMs)})`,
      );
      console.log(`  state transitions ${m.stateTransitions}, Lambda invocations ${m.lambdaInvocations}`);
      if (running) {
        console.log(`  Atlas calls: ${calls(m.atlasCalls)}`);
        console.log(`  EC2 calls: ${calls(m.ec2Calls)}`);
        const inv = running.world.inventory();
        console.log(
          `  left in the world: ${inv.atlas.serverlessEndpoints.length} serverless endpoint(s), ${inv.atlas.endpointServices.length} endpoint service(s), ${inv.atlas.interfaceEndpoints.length} interface endpoint(s), ${inv.aws.vpcEndpoints.length} VPC endpoint(s)`,
        );
      }
      console.log(`  events: ${result.events.map((e) => e.detailType).join(', ') || 'none'}`);
    }
    if (result.status !== 'SUCCEEDED' && !json)
      console.error(`\nThe workflow failed: ${result.error?.error}`);
    return result.status === 'SUCCEEDED' ? 0 : 1;
  } finally {
    await running?.close();
  }
}

async function simulator(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      'ec2-port': { type: 'string' },
      preset: { type: 'string' },
      'time-scale': { type: 'string' },
      fault: { type: 'string' },
      retired: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(SIM_HELP);
    return 0;
  }
  const atlasPort = parsePort('port', values.port) ?? 8090;
  const ec2Port = parsePort('ec2-port', values['ec2-port']) ?? (atlasPort === 0 ? 0 : atlasPort + 1);
  const preset = parsePreset(values.preset);
  const timeScale = parseNumber('time-scale', values['time-scale'], 1);
  const { FAULT_CATALOG, startWorld } = await import('./cloud/index.ts');
  const plan = values.fault === undefined ? undefined : FAULT_CATALOG[values.fault];
  if (values.fault !== undefined && !plan) {
    throw new UsageError(
      `unknown --fault "${values.fault}"; known: ${Object.keys(FAULT_CATALOG).sort().join(', ')}`,
    );
  }
  const running = await startWorld({
    preset,
    timeScale,
    faults: plan?.rules ?? [],
    serverlessRetired: values.retired === true,
    atlasPort,
    ec2Port,
    // The lease table's DynamoDB, next to EC2.
    dynamodbPort: ec2Port === 0 ? 0 : ec2Port + 1,
  });
  const { DEMO_AWS } = await import('./cloud/aws-model.ts');
  const d = running.world.demo;
  console.log(`Simulated Atlas Admin API: ${running.atlasUrl}/api/atlas/v2`);
  console.log(`Simulated EC2:             ${running.ec2Url}`);
  console.log(`Simulated DynamoDB:        ${running.dynamodbUrl}`);
  console.log(`Preset ${preset}, time scale ${timeScale}${values.fault ? `, fault ${values.fault}` : ''}\n`);
  console.log(
    `Demo project ${d.groupId}: serverless instance "${d.serverlessInstanceName}", cluster "${d.clusterName}"`,
  );
  console.log(
    `Demo VPC ${d.vpcId}, subnets ${d.subnetIds.join(', ')}, security group ${d.securityGroupIds.join(', ')}\n`,
  );
  console.log('Demo credentials (simulator only):');
  console.log(`  service account: MONGODB_ATLAS_CLIENT_ID=${d.serviceAccount.clientId}`);
  console.log(`                   MONGODB_ATLAS_CLIENT_SECRET=${d.serviceAccount.clientSecret}`);
  console.log(`  API key:         MONGODB_ATLAS_PUBLIC_KEY=${d.apiKey.publicKey}`);
  console.log(`                   MONGODB_ATLAS_PRIVATE_KEY=${d.apiKey.privateKey}`);
  console.log(
    `  AWS:             AWS_ACCESS_KEY_ID=${DEMO_AWS.accessKeyId} AWS_SECRET_ACCESS_KEY=${DEMO_AWS.secretAccessKey}\n`,
  );
  console.log('Run the workflow against it from another terminal:');
  console.log(
    `  MONGODB_ATLAS_CLIENT_ID=${d.serviceAccount.clientId} MONGODB_ATLAS_CLIENT_SECRET=${d.serviceAccount.clientSecret} \\\n` +
      `  AWS_ENDPOINT_URL_EC2=${running.ec2Url} AWS_ENDPOINT_URL_DYNAMODB=${running.dynamodbUrl} AWS_REGION=${d.awsRegion} AWS_ACCESS_KEY_ID=${DEMO_AWS.accessKeyId} AWS_SECRET_ACCESS_KEY=${DEMO_AWS.secretAccessKey} \\\n` +
      `  npm start -- --atlas-url ${running.atlasUrl} --time-scale ${timeScale}\n`,
  );
  console.log('Press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await running.close();
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'run') return await run(rest);
    if (command === 'simulator') return await simulator(rest);
    throw new UsageError(`unknown command "${command ?? ''}" (expected run or simulator)`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
      console.error(`error: ${(err as Error).message}\nRun with --help for the options.`);
      return 2;
    }
    throw err;
  }
}

if (isMainModule(import.meta.url, process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    },
  );
}
