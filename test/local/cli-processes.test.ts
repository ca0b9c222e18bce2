/**
 * The CLI as separate processes: `npm run simulator` in a child process with `npm start -- --atlas-url`
 * against it (the time scale comes from the simulator, the README recipe works as written), and Ctrl-C
 * (SIGINT) sent to a child `npm start`, which reports what exists and how to resume, and whose re-run adopts
 * what the interrupted run created. (Ctrl-C in the built-in world is tested in-process in cli.test.ts.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG_REQUEST_ID } from '../../lambdas/core/tags.ts';
import type { SimulatorInfo } from '../../local/cli/simulator.ts';
import { main } from '../../local/cli.ts';
import { FakeStream } from '../support/cli.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

interface Child {
  readonly process: ChildProcess;
  /** Everything printed so far (stdout and stderr). */
  output(): string;
  /** Resolves once the output matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

/** Starts `node --import tsx local/cli.ts <args>` (the Node 24 that runs the tests). */
function start(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/cli.ts', ...args], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const listeners = new Set<() => void>();
  const take = (chunk: Buffer) => {
    text += chunk.toString();
    for (const l of listeners) l();
  };
  child.stdout?.on('data', take);
  child.stderr?.on('data', take);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    process: child,
    output: () => text,
    exited,
    waitFor: (pattern, timeoutMs = 45_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(text);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no ${pattern} in:\n${text}`));
        }, timeoutMs);
        listeners.add(check);
        exited.then(() => setTimeout(check, 0));
        check();
      }),
  };
}

/** The shell blocks of the README section under `heading` (up to the next heading of its level or above). */
function readmeBlocks(heading: string): string {
  const at = readme.indexOf(heading);
  expect(at, heading).toBeGreaterThanOrEqual(0);
  const rest = readme.slice(at + heading.length);
  const section = rest.slice(0, rest.search(/\n#{1,3} /) === -1 ? undefined : rest.search(/\n#{1,3} /));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
}

describe('npm run simulator + npm start -- --atlas-url', () => {
  let dir: string;
  let simulator: Child;
  let atlasUrl: string;
  let vars: Record<string, string>;
  const saved = { ...process.env };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ape-cli-proc-'));
    // 100x: a realistic dedicated run takes about 2.5 s, long enough to interrupt it midway.
    simulator = start(['simulator', '--port', '0', '--time-scale', '100']);
    const banner = (await simulator.waitFor(/Press Ctrl-C to stop\./)).input;
    atlasUrl = /Simulated Atlas Admin API: (http:\/\/127\.0\.0\.1:\d+)\/api\/atlas\/v2/.exec(
      banner,
    )?.[1] as string;
    const env = (name: string) => new RegExp(`${name}=(\\S+)`).exec(banner)?.[1] as string;
    vars = {
      MONGODB_ATLAS_CLIENT_ID: env('MONGODB_ATLAS_CLIENT_ID'),
      MONGODB_ATLAS_CLIENT_SECRET: env('MONGODB_ATLAS_CLIENT_SECRET'),
      AWS_ACCESS_KEY_ID: env('AWS_ACCESS_KEY_ID'),
      AWS_SECRET_ACCESS_KEY: env('AWS_SECRET_ACCESS_KEY'),
      AWS_ENDPOINT_URL_EC2: env('AWS_ENDPOINT_URL_EC2'),
      AWS_ENDPOINT_URL_DYNAMODB: env('AWS_ENDPOINT_URL_DYNAMODB'),
      AWS_REGION: env('AWS_REGION'),
    };
    for (const [k, v] of Object.entries(vars)) expect(v, k).toBeDefined();
  });
  afterAll(async () => {
    for (const k of Object.keys(vars ?? {})) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    simulator?.process.kill('SIGINT');
    await simulator?.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  async function inventory(): Promise<SimulatorInfo['inventory']> {
    const info = (await (await fetch(`${atlasUrl}/__simulator`)).json()) as SimulatorInfo;
    return info.inventory;
  }

  /** npm start in-process with the simulator's variables (the AWS SDK reads them from process.env). */
  async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    Object.assign(process.env, vars);
    const stdout = new FakeStream();
    const stderr = new FakeStream();
    const code = await main(['run', ...args], { stdout, stderr, env: process.env });
    return { code, out: stdout.text(), err: stderr.text() };
  }

  it('the README recipe and the banner name no --time-scale for npm start: the CLI reads the simulator\u2019s', async () => {
    const recipe = readmeBlocks('### The simulator on its own');
    const startLine = recipe.split('\n').find((l) => l.includes('npm start'));
    expect(startLine).toMatch(/npm start -- --atlas-url http:\/\/127\.0\.0\.1:8090/);
    expect(startLine).not.toMatch(/--time-scale/);
    expect(simulator.output()).toMatch(new RegExp(`  npm start -- --atlas-url ${atlasUrl}\\n`));
    expect(readme).toMatch(/npm start -- --help/);
  });

  it('a run without --time-scale waits at the simulator\u2019s pace and succeeds; a different --time-scale is refused', async () => {
    // At the CLI's former default for --atlas-url (1x), every wait would have taken its full length in real
    // time; at the simulator's 100x the waits take a hundredth of it (the rest of the real time is the CPU).
    const ok = await run('--kind', 'dedicated', '--atlas-url', atlasUrl, '--json');
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    const { status, metrics } = JSON.parse(ok.out) as {
      status: string;
      metrics: { providerTimeMs: number; realDurationMs: number };
    };
    expect(status).toBe('SUCCEEDED');
    expect(metrics.providerTimeMs).toBeGreaterThan(60_000);
    expect(metrics.realDurationMs).toBeLessThan(metrics.providerTimeMs / 4);

    const refused = await run('--kind', 'dedicated', '--atlas-url', atlasUrl, '--time-scale', '60');
    expect(refused.code).toBe(2);
    expect(refused.out).toBe('');
    expect(refused.err).toMatch(/--time-scale 60 does not match the simulator at .*, which runs at 100/);
    // the same scale as the simulator's is accepted (the former README recipe passed it on both sides)
    expect(
      (await run('--kind', 'dedicated', '--atlas-url', atlasUrl, '--time-scale', '100', '--json')).code,
    ).toBe(0);
  });

  it('Ctrl-C reports what was running, what exists and how to resume; the re-run adopts it', async () => {
    const input = join(dir, 'ctrl-c.json');
    // The serverless instance: the other tests connect the cluster, so this connection is this test's alone.
    const example = JSON.parse(readFileSync(join(root, 'examples/serverless-request.json'), 'utf8'));
    writeFileSync(input, JSON.stringify(example));
    const child = start(['run', '--input', input, '--atlas-url', atlasUrl], { ...process.env, ...vars });
    await child.waitFor(/Create VPC endpoint\n\s+AWS \w+, vpce-/);
    child.process.kill('SIGINT');
    expect(await child.exited).toBe(130);
    const report = child.output();
    expect(report).toMatch(/Simulator: preset realistic; waits run at its time scale, 100x/);
    expect(report).toMatch(/Interrupted \(Ctrl-C\) during "[^"]+" at \[\d\d:\d\d:\d\d\] of virtual time\./);
    const vpce = /VPC endpoint (vpce-[0-9a-f]+)/.exec(report.slice(report.indexOf('Interrupted')))?.[1];
    expect(vpce).toBeDefined();
    expect(report).toMatch(/Atlas serverless private endpoint [0-9a-f]{24}/);
    expect(report).toMatch(new RegExp(`To resume: npm start -- --input ${input} --atlas-url ${atlasUrl}`));
    expect(report).toMatch(
      new RegExp(
        `To delete it instead: npm start -- --action delete --atlas-url ${atlasUrl} --input ${input}`,
      ),
    );
    const requestId = /Request id: (local-[0-9a-f]{16})/.exec(report)?.[1];
    expect(requestId).toBeDefined();
    expect(report).toContain(`The request id ${requestId} is derived from the input`);

    const again = await run('--input', input, '--atlas-url', atlasUrl);
    expect(again.code).toBe(0);
    expect(again.out).toContain(`Request id: ${requestId}`);
    // the same VPC endpoint, taken up as this request's own (not merely adopted), and no second one anywhere
    expect(again.out).toMatch(new RegExp(`Create VPC endpoint\\n\\s+AWS \\w+, ${vpce}\\n`));
    expect(again.out).not.toMatch(/adopted, not this request's/);
    expect(again.out).toContain(`"vpcEndpointId": "${vpce}"`);
    const mine = (await inventory()).aws.vpcEndpoints.filter((e) => e.tags[TAG_REQUEST_ID] === requestId);
    expect(mine.map((e) => e.id)).toEqual([vpce]);
  });

  it('Ctrl-C of a request with its own requestId: the next run (a new execution) takes over the lease and resumes', async () => {
    // The previous test's connection goes first (the same target), with the command its report printed.
    const input = join(dir, 'ctrl-c.json');
    const removed = await run('--action', 'delete', '--atlas-url', atlasUrl, '--input', input);
    expect(removed.code, removed.out).toBe(0);
    const own = join(dir, 'ctrl-c-own-id.json');
    const example = JSON.parse(readFileSync(join(root, 'examples/serverless-request.json'), 'utf8'));
    writeFileSync(own, JSON.stringify({ ...example, requestId: 'orders-ctrl-c' }));
    const child = start(['run', '--input', own, '--atlas-url', atlasUrl], { ...process.env, ...vars });
    await child.waitFor(/Create VPC endpoint\n\s+AWS \w+, vpce-/);
    child.process.kill('SIGINT');
    expect(await child.exited).toBe(130);
    const report = child.output();
    expect(report).toContain('Request id: orders-ctrl-c');
    expect(report).toContain('The request id orders-ctrl-c is the same on the next run');
    const vpce = /VPC endpoint (vpce-[0-9a-f]+)/.exec(report.slice(report.indexOf('Interrupted')))?.[1];
    expect(vpce).toBeDefined();

    // A new execution (its name is new: no derived one with an explicit requestId) finds the lease of the
    // interrupted one, which no longer runs, takes it over and converges on what it made.
    const again = await run('--input', own, '--atlas-url', atlasUrl);
    expect(again.out).not.toContain('TargetBusy');
    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain(`"vpcEndpointId": "${vpce}"`);
    const mine = (await inventory()).aws.vpcEndpoints.filter(
      (e) => e.tags[TAG_REQUEST_ID] === 'orders-ctrl-c',
    );
    expect(mine.map((e) => e.id)).toEqual([vpce]);
  });
});
