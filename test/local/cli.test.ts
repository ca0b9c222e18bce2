/**
 * `npm start` and `npm run simulator`: options, exit codes, and a run against a separately started simulator.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RETIRED_NOTE, SERVERLESS_NOTE } from '../../local/cli/run.ts';
import { exampleRequestFile, isMainModule, main } from '../../local/cli.ts';
import { FAULT_CATALOG } from '../../local/cloud/fault-catalog.ts';
import { handlerModuleUrl } from '../../local/engine.ts';
import { ESC, FakeStream, framesOf } from '../support/cli.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let stdout: FakeStream;
let stderr: FakeStream;
/** What the last run printed on stdout and stderr. */
let out: string;
let err: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ape-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `npm start -- <args>` in-process, on a pipe (or a fake terminal), with `env` as its environment. */
async function cli(...args: string[]): Promise<number> {
  return cliWith({}, ...args);
}

async function cliWith(
  options: { tty?: { columns: number }; env?: Record<string, string | undefined> },
  ...args: string[]
): Promise<number> {
  stdout = new FakeStream(options.tty !== undefined, options.tty?.columns);
  stderr = new FakeStream(false);
  const code = await main(['run', ...args], { stdout, stderr, env: options.env ?? process.env });
  out = stdout.text();
  err = stderr.text();
  return code;
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('npm start options', () => {
  it('--help prints the options and exits 0', async () => {
    expect(await cli('--help')).toBe(0);
    expect(out).toMatch(/--kind <serverless\|dedicated>/);
    expect(out).toMatch(/--atlas-url/);
    expect(out).toMatch(/--event <file>/);
    expect(out).toMatch(/130 interrupted with Ctrl-C/);
  });

  it.each([
    [['--bogus'], /unknown option --bogus$/m],
    [['--fualt', 'atlas-500'], /unknown option --fualt; did you mean --fault\?/],
    [['--time-scale', '-5'], /--time-scale must be a number >= 0, got -5$/m],
    [['--time-scale=-3'], /--time-scale must be a number >= 0, got -3$/m],
    [['--input'], /--input needs a value <file>/],
    [['--kind', 'flex'], /--kind must be one of serverless, dedicated, got "flex"/],
    [['--kind', 'dedicatd'], /got "dedicatd" \(did you mean dedicated\?\)/],
    [['--preset', 'fast'], /--preset must be one of instant, realistic, slow/],
    [['--fault', 'nope'], /unknown --fault "nope"; known: .*atlas-500/],
    [['--fault', 'atlas-50'], /unknown --fault "atlas-50"; did you mean atlas-500/],
    [['--auth', 'x509'], /--auth must be one of service-account, api-key/],
    [['--atlas-url', 'not a url'], /--atlas-url must be a URL/],
    [
      ['--atlas-url', 'http://example.com'],
      /--atlas-url is not usable: .*plain http is allowed only for loopback/,
    ],
    [['--atlas-url', 'ftp://127.0.0.1:9'], /--atlas-url is not usable: .*must use https/],
    [['--atlas-url', 'https://cloud.mongodb.com/?x=1'], /--atlas-url is not usable: .*query or fragment/],
    [['--atlas-url', 'http://127.0.0.1:9', '--fault', 'atlas-500'], /--fault applies to the built-in world/],
    [['--input', 'a.json', '--event', 'b.json'], /--input and --event both give the execution input/],
  ])('%j is refused with exit code 2 before anything runs', async (args, message) => {
    expect(await cli(...args)).toBe(2);
    expect(err).toMatch(message);
    expect(out).not.toMatch(/Simulated world/);
  });

  it('--atlas-url with embedded credentials exits 2 without echoing them', async () => {
    expect(await cli('--atlas-url', 'https://user:hunter2@cloud.mongodb.com')).toBe(2);
    expect(err).toMatch(/--atlas-url is not usable: .*must not embed credentials/);
    expect(`${err}${out}`).not.toContain('hunter2');
  });

  it('a missing, malformed or invalid --input file exits 2 with the reason in plain words', async () => {
    expect(await cli('--input', join(dir, 'absent.json'))).toBe(2);
    expect(err).toMatch(/--input .*absent\.json: file not found/);
    expect(err).not.toMatch(/ENOENT/);
    expect(await cli('--input', dir)).toBe(2);
    expect(err).toMatch(/is a directory, not a file/);
    expect(await cli('--input', file('broken.json', '{"kind":'))).toBe(2);
    expect(err).toMatch(/is not valid JSON/);
    expect(
      await cli(
        '--input',
        file('invalid.json', JSON.stringify({ kind: 'dedicated', groupId: 'zz', subnetIds: 'x' })),
      ),
    ).toBe(2);
    expect(err).toMatch(/- groupId: got "zz"/);
    expect(err).toMatch(/- subnetIds: got "x"/);
    expect(err).toMatch(/- vpcId: is required/);
  });

  it('with --json, a refusal is also a JSON document on stdout (with the bad fields)', async () => {
    const invalid = file('invalid-json.json', JSON.stringify({ kind: 'dedicated', groupId: 'zz' }));
    expect(await cli('--json', '--input', invalid)).toBe(2);
    const doc = JSON.parse(out) as {
      status: string;
      exitCode: number;
      error: { name: string; message: string; issues: { field: string; problem: string }[] };
    };
    expect(doc).toMatchObject({ status: 'REFUSED', exitCode: 2, error: { name: 'UsageError' } });
    expect(doc.error.issues.map((i) => i.field)).toEqual(expect.arrayContaining(['groupId', 'vpcId']));
    expect(err).toMatch(/is invalid/);

    expect(await cli('--json', '--fualt', 'x')).toBe(2);
    expect(JSON.parse(out)).toMatchObject({
      status: 'REFUSED',
      error: { message: expect.stringMatching(/did you mean --fault/) },
    });
  });

  it('a fault plan is refused for a kind it does not apply to, with the plans that do', async () => {
    const kinds = ['serverless', 'dedicated'] as const;
    for (const [name, plan] of Object.entries(FAULT_CATALOG)) {
      for (const kind of kinds.filter((k) => !plan.kinds.includes(k))) {
        expect(await cli('--kind', kind, '--fault', name), `${name} with ${kind}`).toBe(2);
        const listed = /plans for \w+: (.*)$/m.exec(err)?.[1]?.split(', ') ?? [];
        expect(err).toMatch(new RegExp(`--fault ${name} applies to ${plan.kinds.join(' and ')} requests`));
        expect(listed.sort()).toEqual(
          Object.keys(FAULT_CATALOG)
            .filter((n) => FAULT_CATALOG[n]?.kinds.includes(kind))
            .sort(),
        );
      }
    }
  });

  it('--list-faults names every plan; with --kind only the plans for that kind', async () => {
    expect(await cli('--list-faults')).toBe(0);
    for (const name of Object.keys(FAULT_CATALOG)) expect(out).toContain(name);
    expect(await cli('--list-faults', '--kind', 'dedicated')).toBe(0);
    expect(out).toContain('dedicated-stuck');
    expect(out).not.toContain('serverless-stuck');
  });

  it('runs the default serverless example and prints a line per state, the output and a summary', async () => {
    expect(await cli('--time-scale', '0')).toBe(0);
    expect(out).toMatch(/\[00:00:00\] Validate request/);
    expect(out).toMatch(/\[00:01:00\] Check endpoint service\n\s+Atlas RESERVED/);
    expect(out).toMatch(/Wait for link: \d+ s/);
    expect(out).toMatch(/"status": "AVAILABLE"/);
    expect(out).toMatch(/Summary: SUCCEEDED in 00:0\d:\d\d of virtual time/);
    expect(out).toMatch(/Atlas calls: .*createServerlessPrivateEndpoint 1/);
    // One line says the serverless API is retired on today's Atlas and which flow to use.
    expect(out.split('\n').filter((line) => line === SERVERLESS_NOTE)).toHaveLength(1);
    expect(SERVERLESS_NOTE).toMatch(/retired.*2026-01-22.*--kind dedicated/);
    // The serverless instance applies the change (UPDATING) before it publishes the private string.
    expect(out).toMatch(/Read connection string\n\s+Atlas UPDATING; next check in \d+ s/);
    // Not a terminal: no progress bar, no colour.
    expect(out).not.toContain('\r');
    expect(out).not.toContain(ESC);
  });

  it('after a failure, no status line of the failed check is printed under it', async () => {
    expect(await cli('--kind', 'dedicated', '--fault', 'vpc-endpoint-failed', '--time-scale', '0')).toBe(1);
    // No retirement note for the dedicated flow.
    expect(out).not.toContain(SERVERLESS_NOTE);
    expect(out).not.toContain(RETIRED_NOTE);
    const lines = out.split('\n');
    const failed = lines.flatMap((line, i) => (/^\s+failed: /.test(line) ? [i] : []));
    expect(failed.length).toBeGreaterThan(0);
    for (const i of failed) expect(lines[i + 1], `line after "${lines[i]}"`).toMatch(/^\[\d\d:\d\d:\d\d\] /);
  });

  it('DeadlineExceeded reports the waiting time the clock shows', async () => {
    const stuck = file(
      'stuck.json',
      JSON.stringify({
        ...JSON.parse(readFileSync(exampleRequestFile('serverless'), 'utf8')),
        phaseBudgetSeconds: { atlasEndpoint: 300 },
      }),
    );
    expect(await cli('--fault', 'serverless-stuck', '--input', stuck, '--time-scale', '0', '--json')).toBe(1);
    const result = JSON.parse(out) as {
      error: { error: string; cause: string };
      history: { kind: string; state: string; virtualTime: number; error?: string }[];
    };
    expect(result.error.error).toBe('DeadlineExceeded');
    const waited = Number(/\((\d+) checks: (\d+) s of waiting/.exec(result.error.cause)?.[2]);
    const firstWait = result.history.find(
      (h) => h.state === 'Wait for endpoint service' && h.kind === 'entered',
    );
    const gaveUp = result.history.find((h) => h.kind === 'failed' && h.error === 'DeadlineExceeded');
    expect(firstWait && gaveUp).toBeTruthy();
    expect(waited).toBe(((gaveUp?.virtualTime ?? 0) - (firstWait?.virtualTime ?? 0)) / 1000);
  });

  it('--json lists each Atlas and EC2 request with its status and attempt', async () => {
    expect(
      await cli('--kind', 'dedicated', '--fault', 'atlas-burst-5xx', '--preset', 'instant', '--json'),
    ).toBe(0);
    const doc = JSON.parse(out) as {
      status: string;
      requests: { service: string; operation: string; status: number; attempt: number; fault?: string }[];
    };
    expect(doc.status).toBe('SUCCEEDED');
    const polls = doc.requests.filter((r) => r.operation === 'getPrivateEndpointService');
    expect(polls.slice(0, 4).map((r) => [r.status, r.attempt])).toEqual([
      [500, 1],
      [503, 2],
      [502, 3],
      [200, 4],
    ]);
    expect(polls[0]?.fault).toBe('http-error');
    expect(
      doc.requests.some(
        (r) => r.service === 'ec2' && r.operation === 'CreateVpcEndpoint' && r.status === 200,
      ),
    ).toBe(true);
    // the text display names each transient answer
    expect(await cli('--kind', 'dedicated', '--fault', 'atlas-500', '--preset', 'instant')).toBe(0);
    expect(out).toMatch(/Atlas getPrivateEndpointService: 500 UNEXPECTED_ERROR; retried/);
    expect(out).toMatch(/transient failures answered: \d+, each retried/);
  });

  it('a request for a region the deployment does not allow is refused naming the allowed regions', async () => {
    const example = JSON.parse(readFileSync(exampleRequestFile('dedicated'), 'utf8')) as Record<
      string,
      unknown
    >;
    const elsewhere = file('eu.json', JSON.stringify({ ...example, region: 'eu-west-1' }));
    expect(await cli('--input', elsewhere, '--preset', 'instant', '--json')).toBe(1);
    const { error } = JSON.parse(out) as { error: { error: string; cause: string } };
    expect(error.error).toBe('InvalidRequest');
    // The local run's deployment allows the stack region only; with eu-west-1 allowed, the network check
    // says the subnets are not there (test/workflow/accounts.test.ts).
    expect(error.cause).toMatch(
      /region: "eu-west-1" is not a region this deployment allows \(allowed: us-east-1\)/,
    );
    expect(error.cause).not.toMatch(/Signature/);
  });

  it('--event applies the deployed rule to a put-events entry and runs what it starts', async () => {
    expect(
      await cli('--event', 'examples/eventbridge-request-event.json', '--preset', 'instant', '--json'),
    ).toBe(0);
    const doc = JSON.parse(out) as { status: string; output: { kind: string; instanceName: string } };
    expect(doc.output).toMatchObject({ kind: 'dedicated', instanceName: 'orders-dedicated' });

    const entries = JSON.parse(
      readFileSync(join(root, 'examples/eventbridge-request-event.json'), 'utf8'),
    ) as Record<string, unknown>[];
    const other = file('other-event.json', JSON.stringify([{ ...entries[0], Source: 'someone.else' }]));
    expect(await cli('--event', other)).toBe(2);
    expect(err).toMatch(
      /would start no execution:\n\s+- rule \w+: source is "someone\.else"; the rule wants "atlas-private-endpoint-workflow\.requests"/,
    );
    // the example as --input is the envelope list, not a request: the error says so and points to --event
    expect(await cli('--input', 'examples/eventbridge-request-event.json')).toBe(2);
    expect(err).toMatch(/got a list/);
    expect(err).toContain(
      'holds EventBridge put-events entries, not a request: run it with --event examples/eventbridge-request-event.json',
    );
  });

  it('on a terminal: the bar fits 40 columns, status words are coloured, NO_COLOR turns colour off', async () => {
    const args = ['--kind', 'dedicated', '--time-scale', '1000'];
    expect(await cliWith({ tty: { columns: 40 }, env: {} }, ...args)).toBe(0);
    const frames = framesOf(out);
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) expect(frame.length, frame).toBeLessThanOrEqual(39);
    expect(out).toContain(`${ESC}[32mdone${ESC}[39m`);
    expect(out).toContain(`${ESC}[32mSUCCEEDED${ESC}[39m`);

    expect(await cliWith({ tty: { columns: 40 }, env: { NO_COLOR: '1' } }, ...args)).toBe(0);
    expect(framesOf(out).length).toBeGreaterThan(0);
    expect(out).not.toMatch(new RegExp(`${ESC}\\[\\d+m`));
  });

  it('Ctrl-C in the built-in world names the state, lists what the world held, and exits 130', async () => {
    let interrupt: () => void = () => undefined;
    stdout = new FakeStream();
    stderr = new FakeStream();
    const running = main(['run', '--kind', 'dedicated', '--time-scale', '100'], {
      stdout,
      stderr,
      env: process.env,
      onInterrupt: (handler) => {
        interrupt = handler;
        return () => undefined;
      },
    });
    // Interrupt once the VPC endpoint exists (its status line is printed after the create returned).
    for (let i = 0; i < 600 && !/Create VPC endpoint\n\s+AWS \w+, vpce-/.test(stdout.text()); i++)
      await new Promise((r) => setTimeout(r, 50));
    interrupt();
    expect(await running).toBe(130);
    const report = stdout.text().slice(stdout.text().indexOf('Interrupted'));
    expect(report).toMatch(/^Interrupted \(Ctrl-C\) during "[^"]+" at \[\d\d:\d\d:\d\d\] of virtual time\./);
    expect(report).toMatch(/The simulated world held, when interrupted .*nothing is left anywhere/);
    expect(report).toMatch(/Atlas endpoint service [0-9a-f]{24} \(\w+\)/);
    expect(report).toMatch(/VPC endpoint vpce-[0-9a-f]+ \(\w+\)/);
    // nothing is printed after the report, though the execution went on until the process would exit
    const after = stdout.text().length;
    await new Promise((r) => setTimeout(r, 300));
    expect(stdout.text().length).toBe(after);
  });

  it('--retired reproduces today\u2019s Atlas: the serverless request fails fast and points to dedicated', async () => {
    expect(await cli('--retired', '--time-scale', '0')).toBe(1);
    // Facts §10: the 410 is the documented rule for sunset versions; no source observed what Atlas answers.
    expect(out.split('\n')).toContain(RETIRED_NOTE);
    expect(RETIRED_NOTE).toMatch(/410 VERSION_GONE, the documented rule.*not observed/);
    expect(out).toMatch(/AtlasApiGone/);
    expect(out).toMatch(/dedicated/);
    expect(err).toMatch(/The workflow failed: AtlasApiGone/);
  });

  it('--json prints only the machine-readable result; a failure exits 1 with the named error', async () => {
    expect(await cli('--kind', 'dedicated', '--preset', 'instant', '--auth', 'api-key', '--json')).toBe(0);
    const ok = JSON.parse(out) as { status: string; output: { kind: string } };
    expect(ok.status).toBe('SUCCEEDED');
    expect(ok.output.kind).toBe('dedicated');

    expect(await cli('--fault', 'serverless-reservation-failed', '--preset', 'instant', '--json')).toBe(1);
    const failed = JSON.parse(out) as { status: string; error: { error: string } };
    expect(failed.status).toBe('FAILED');
    expect(failed.error.error).toBe('EndpointFailed');
  });

  it('npm start -- --atlas-url where nothing answers exits 2 and says so', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const env = { MONGODB_ATLAS_CLIENT_ID: 'id', MONGODB_ATLAS_CLIENT_SECRET: 'secret' };
    expect(await cliWith({ env }, '--kind', 'dedicated', '--atlas-url', `http://127.0.0.1:${port}`)).toBe(2);
    expect(err).toContain(
      `nothing answers at --atlas-url http://127.0.0.1:${port} (connection refused: is the simulator running?)`,
    );
    expect(err).not.toContain('secret');
  });

  it('npm start -- --atlas-url without credentials exits 2 and says which variables are missing', async () => {
    expect(await cliWith({ env: {} }, '--atlas-url', 'http://127.0.0.1:9')).toBe(2);
    expect(err).toMatch(/MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET/);
  });
});

describe('npm run simulator', () => {
  let taken: Server;
  beforeAll(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

  it('a port already taken is named, with --port to choose another (no stack trace)', async () => {
    const port = (taken.address() as { port: number }).port;
    stdout = new FakeStream();
    stderr = new FakeStream();
    expect(await main(['simulator', '--port', String(port)], { stdout, stderr, env: {} })).toBe(2);
    expect(stderr.text()).toMatch(
      new RegExp(`port ${port} is already taken .*choose another with --port <n>`),
    );
    expect(stderr.text()).not.toMatch(/EADDRINUSE|at .*\(/);
    expect(
      await main(['simulator', '--port', '0', '--ec2-port', String(port)], { stdout, stderr, env: {} }),
    ).toBe(2);
    expect(stderr.text()).toMatch(/choose another with --ec2-port <n>/);
  });

  it('refuses a time scale of 0 (its clock would never move)', async () => {
    stdout = new FakeStream();
    stderr = new FakeStream();
    expect(await main(['simulator', '--time-scale', '0'], { stdout, stderr, env: {} })).toBe(2);
    expect(stderr.text()).toMatch(/--time-scale must be a number > 0, got 0/);
  });
});

describe('paths with a space, or reached through a symlink', () => {
  let spaced: string;
  beforeAll(() => {
    spaced = join(dir, 'checkout with space');
    mkdirSync(join(spaced, 'local'), { recursive: true });
    mkdirSync(join(spaced, 'examples'), { recursive: true });
  });

  it('isMainModule compares real paths, not URL text', () => {
    const script = join(spaced, 'local', 'cli.ts');
    writeFileSync(script, '');
    const link = join(dir, 'link with space.ts');
    symlinkSync(script, link);
    const url = pathToFileURL(script).href;
    expect(url).toContain('%20');
    expect(isMainModule(url, script)).toBe(true);
    // node resolves the main module's symlinks, while argv[1] keeps the path it was given
    expect(isMainModule(url, link)).toBe(true);
    expect(isMainModule(url, join(dir, 'absent.ts'))).toBe(false);
    expect(isMainModule(url, undefined)).toBe(false);
  });

  it('exampleRequestFile decodes the module URL into a usable file path', () => {
    const moduleUrl = pathToFileURL(join(spaced, 'local', 'cli', 'input.ts')).href;
    const expected = join(spaced, 'examples', 'dedicated-request.json');
    expect(exampleRequestFile('dedicated', moduleUrl)).toBe(expected);
    // and the real one exists
    expect(exampleRequestFile('serverless')).toBe(join(root, 'examples', 'serverless-request.json'));
  });

  it('handlerModuleUrl can be imported from a root whose path has a space', async () => {
    writeFileSync(join(spaced, 'handler.mjs'), 'export const handler = async () => "loaded";\n');
    const href = handlerModuleUrl('handler.mjs', 7, pathToFileURL(`${spaced}/`));
    expect(href).toMatch(/checkout%20with%20space\/handler\.mjs\?run=7$/);
    const mod = (await import(href)) as { handler: () => Promise<string> };
    expect(await mod.handler()).toBe('loaded');
  });

  it('npm start through a symlinked checkout path with a space prints the help', async () => {
    const link = join(dir, 'repo link with space');
    symlinkSync(root, link, 'dir');
    // The script is named through the link (a relative name would resolve against the real cwd).
    const script = join(link, 'local', 'cli.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, 'run', '--help'], {
      cwd: root,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^Usage: npm start/);
  });
});
