/**
 * `npm start` and `npm run simulator`: options, exit codes, and a run against a separately started simulator.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { exampleRequestFile, isMainModule, main } from '../../local/cli.ts';
import { handlerModuleUrl } from '../../local/engine.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let out: string[];
let err: string[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ape-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => {
    out.push(a.join(' '));
  });
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => {
    err.push(a.join(' '));
  });
}
afterEach(() => vi.restoreAllMocks());

async function cli(...args: string[]): Promise<number> {
  capture();
  return main(['run', ...args]);
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('npm start options', () => {
  it('--help prints the options and exits 0', async () => {
    expect(await cli('--help')).toBe(0);
    expect(out.join('\n')).toMatch(/--kind <serverless\|dedicated>/);
    expect(out.join('\n')).toMatch(/--atlas-url/);
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--kind', 'flex'], /--kind must be serverless or dedicated/],
    [['--preset', 'fast'], /--preset must be one of instant, realistic, slow/],
    [['--time-scale=-3'], /--time-scale must be a number >= 0/],
    [['--fault', 'nope'], /unknown --fault "nope"; known: .*atlas-500/],
    [['--auth', 'x509'], /--auth must be service-account or api-key/],
    [['--atlas-url', 'not a url'], /--atlas-url must be a URL/],
    [
      ['--atlas-url', 'http://example.com'],
      /--atlas-url is not usable: .*plain http is allowed only for loopback/,
    ],
    [['--atlas-url', 'ftp://127.0.0.1:9'], /--atlas-url is not usable: .*must use https/],
    [['--atlas-url', 'https://cloud.mongodb.com/?x=1'], /--atlas-url is not usable: .*query or fragment/],
    [['--atlas-url', 'http://127.0.0.1:9', '--fault', 'atlas-500'], /--fault applies to the built-in world/],
  ])('%j is refused with exit code 2 before anything runs', async (args, message) => {
    expect(await cli(...args)).toBe(2);
    expect(err.join('\n')).toMatch(message);
    expect(out.join('\n')).not.toMatch(/Simulated world/);
  });

  it('--atlas-url with embedded credentials exits 2 without echoing them', async () => {
    expect(await cli('--atlas-url', 'https://user:hunter2@cloud.mongodb.com')).toBe(2);
    expect(err.join('\n')).toMatch(/--atlas-url is not usable: .*must not embed credentials/);
    expect([...err, ...out].join('\n')).not.toContain('hunter2');
  });

  it('a missing, malformed or invalid --input file exits 2 with the reason', async () => {
    expect(await cli('--input', join(dir, 'absent.json'))).toBe(2);
    expect(err.join('\n')).toMatch(/cannot read --input .*ENOENT/);
    expect(await cli('--input', file('broken.json', '{"kind":'))).toBe(2);
    expect(err.join('\n')).toMatch(/is not valid JSON/);
    expect(
      await cli('--input', file('invalid.json', JSON.stringify({ groupId: 'zz', subnetIds: 'x' }))),
    ).toBe(2);
    const text = err.join('\n');
    expect(text).toMatch(/- groupId: got "zz"/);
    expect(text).toMatch(/- subnetIds: got "x"/);
    expect(text).toMatch(/- vpcId: is required/);
  });

  it('--list-faults names every plan', async () => {
    expect(await cli('--list-faults')).toBe(0);
    const text = out.join('\n');
    for (const name of [
      'atlas-burst-429',
      'serverless-reservation-failed',
      'dedicated-interface-rejected',
      'ec2-limit',
    ]) {
      expect(text).toContain(name);
    }
  });

  it('runs the default serverless example and prints a line per state, the output and a summary', async () => {
    expect(await cli('--time-scale', '0')).toBe(0);
    const text = out.join('\n');
    expect(text).toMatch(/\[00:00:00\] Validate request/);
    expect(text).toMatch(/\[00:01:00\] Check endpoint service\n\s+Atlas RESERVED/);
    expect(text).toMatch(/Wait for link: \d+ s/);
    expect(text).toMatch(/"status": "AVAILABLE"/);
    expect(text).toMatch(/Summary: SUCCEEDED in 00:0\d:\d\d of virtual time/);
    expect(text).toMatch(/Atlas calls: .*createServerlessPrivateEndpoint 1/);
  });

  it('--json prints only the machine-readable result; a failure exits 1 with the named error', async () => {
    expect(await cli('--kind', 'dedicated', '--preset', 'instant', '--json')).toBe(0);
    const ok = JSON.parse(out.join('\n')) as { status: string; output: { kind: string }; path: string[] };
    expect(ok.status).toBe('SUCCEEDED');
    expect(ok.output.kind).toBe('dedicated');

    expect(await cli('--fault', 'serverless-reservation-failed', '--preset', 'instant', '--json')).toBe(1);
    const failed = JSON.parse(out.join('\n')) as { status: string; error: { error: string } };
    expect(failed.status).toBe('FAILED');
    expect(failed.error.error).toBe('EndpointFailed');
  });

  it('--retired reproduces today\u2019s Atlas: the serverless request fails fast and points to dedicated', async () => {
    expect(await cli('--retired', '--time-scale', '0')).toBe(1);
    expect(out.join('\n')).toMatch(/AtlasApiGone/);
    expect(out.join('\n')).toMatch(/dedicated/);
    expect(err.join('\n')).toMatch(/The workflow failed: AtlasApiGone/);
  });

  it('--auth api-key authenticates with HTTP Digest', async () => {
    expect(await cli('--kind', 'dedicated', '--preset', 'instant', '--auth', 'api-key')).toBe(0);
  });
});

describe('npm run simulator + npm start -- --atlas-url', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGTERM');
    child = undefined;
  });

  it('serves the world standalone, and the workflow succeeds against it', async () => {
    child = spawn(
      process.execPath,
      ['--import', 'tsx', 'local/cli.ts', 'simulator', '--port', '0', '--time-scale', '1000'],
      {
        cwd: root,
        env: process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let banner = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`simulator did not start: ${banner}`)), 30_000);
      child?.stdout?.on('data', (chunk: Buffer) => {
        banner += chunk.toString();
        if (banner.includes('Press Ctrl-C')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child?.on('exit', (code) => reject(new Error(`simulator exited with ${code}: ${banner}`)));
    });
    const atlasUrl = /Simulated Atlas Admin API: (http:\/\/127\.0\.0\.1:\d+)\/api\/atlas\/v2/.exec(
      banner,
    )?.[1];
    const ec2Url = /Simulated EC2:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1];
    const dynamodbUrl = /Simulated DynamoDB:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1];
    const env = (name: string) => new RegExp(`${name}=(\\S+)`).exec(banner)?.[1];
    expect(atlasUrl).toBeDefined();
    expect(ec2Url).toBeDefined();
    const vars = {
      MONGODB_ATLAS_CLIENT_ID: env('MONGODB_ATLAS_CLIENT_ID'),
      MONGODB_ATLAS_CLIENT_SECRET: env('MONGODB_ATLAS_CLIENT_SECRET'),
      AWS_ACCESS_KEY_ID: env('AWS_ACCESS_KEY_ID'),
      AWS_SECRET_ACCESS_KEY: env('AWS_SECRET_ACCESS_KEY'),
      AWS_ENDPOINT_URL_EC2: ec2Url,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbUrl,
      AWS_REGION: 'us-east-1',
    };
    for (const [k, v] of Object.entries(vars)) expect(v, k).toBeDefined();
    const saved = { ...process.env };
    Object.assign(process.env, vars);
    try {
      // The simulator runs 1000x real time; the engine's waits at 1000x keep both clocks in step.
      expect(
        await cli('--kind', 'dedicated', '--atlas-url', atlasUrl as string, '--time-scale', '1000'),
      ).toBe(0);
    } finally {
      for (const k of Object.keys(vars)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
    const text = out.join('\n');
    expect(text).toMatch(new RegExp(`Running against ${atlasUrl}`));
    expect(text).toMatch(/Summary: SUCCEEDED/);
  });

  it('npm start -- --atlas-url without credentials exits 2 and says which variables are missing', async () => {
    const saved = { ...process.env };
    for (const k of Object.keys(process.env)) if (k.startsWith('MONGODB_ATLAS_')) delete process.env[k];
    try {
      expect(await cli('--atlas-url', 'http://127.0.0.1:9')).toBe(2);
    } finally {
      Object.assign(process.env, saved);
    }
    expect(err.join('\n')).toMatch(/MONGODB_ATLAS_CLIENT_ID and MONGODB_ATLAS_CLIENT_SECRET/);
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
    const moduleUrl = pathToFileURL(join(spaced, 'local', 'cli.ts')).href;
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
