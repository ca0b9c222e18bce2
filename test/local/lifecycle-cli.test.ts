/**
 * The CLI's lifecycle parts (local/lifecycle.ts): `--action`, `--repair`, `--lifecycle`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusNote } from '../../local/cli/display.ts';
import { withAction } from '../../local/cli/input.ts';
import { main } from '../../local/cli.ts';
import type { LifecycleResult } from '../../local/lifecycle.ts';
import { FakeStream } from '../support/cli.ts';

let dir: string;
/** What the last run printed on stdout and stderr. */
let out: string;
let err: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ape-lifecycle-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...args: string[]): Promise<number> {
  const stdout = new FakeStream(false);
  const stderr = new FakeStream(false);
  const code = await main(['run', ...args], { stdout, stderr, env: process.env });
  out = stdout.text();
  err = stderr.text();
  return code;
}

describe('--action and --repair', () => {
  it('sets the action on the input (and clears it for create); repair only when asked', () => {
    const request = { kind: 'dedicated', groupId: 'g' };
    expect(withAction(request, 'delete', false)).toEqual({ ...request, action: 'delete' });
    expect(withAction(request, 'check', true)).toEqual({ ...request, action: 'check', repair: true });
    expect(withAction({ ...request, action: 'check' }, 'create', false)).toEqual(request);
    expect(request).toEqual({ kind: 'dedicated', groupId: 'g' });
  });

  it.each([
    [['--action', 'purge'], /--action must be one of create, delete, check, got "purge"/],
    [['--repair'], /--repair needs --action check/],
    [['--action', 'delete', '--repair'], /--repair needs --action check/],
    [
      ['--lifecycle', '--action', 'delete'],
      /--lifecycle runs its own actions in the built-in world; drop --action/,
    ],
    [
      ['--lifecycle', '--atlas-url', 'http://127.0.0.1:1'],
      /--lifecycle runs its own actions in the built-in world; drop --atlas-url/,
    ],
  ])('%j exits 2 before running anything', async (args, message) => {
    expect(await cli(...args)).toBe(2);
    expect(err).toMatch(message);
  });

  it('validates the request the action makes of the input file (a create output refused for create)', async () => {
    const output = join(dir, 'output.json');
    writeFileSync(
      output,
      JSON.stringify({
        kind: 'dedicated',
        groupId: '5f7cac1adf5d6c6306f4b283',
        instanceName: 'orders-dedicated',
        requestId: 'orders-link',
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        region: 'us-east-1',
        atlasEndpointId: '6b0a981073d245e5d74474f9',
        vpcEndpointId: 'vpce-5d654432ded06e5ca',
        status: 'AVAILABLE',
      }),
    );
    expect(await cli('--input', output, '--action', 'create')).toBe(2);
    expect(err).toMatch(/atlasEndpointId: is a field of a create's output/);
  });
});

describe('status notes of the lifecycle steps', () => {
  it('Inspect connection shows what the check saw; Summarize delete its outcome', () => {
    const inspected = {
      request: { kind: 'dedicated' },
      inspection: {
        report: { status: 'DRIFTED', drift: [{ kind: 'atlas-gone' }, { kind: 'tags-changed' }] },
      },
    };
    expect(statusNote(inspected)).toBe('DRIFTED (atlas-gone, tags-changed)');
    expect(statusNote({ inspection: { report: { status: 'HEALTHY', drift: [] } } })).toBe('HEALTHY');
    const held = 'arn:aws:states:us-east-1:123456789012:execution:Workflow:create-1';
    expect(
      statusNote({
        inspection: { report: { status: 'IN_PROGRESS', drift: [], inProgress: { executionArn: held } } },
      }),
    ).toBe(`IN_PROGRESS (held by ${held})`);
    expect(statusNote({ action: 'delete', outcome: 'already-gone', deleted: [] })).toBe('already-gone');
  });
});

describe('--event with the delete and check detail-types', () => {
  it('the delete event matches the lifecycle rule, which passes the whole event; the delete runs', async () => {
    expect(
      await cli(
        '--event',
        'examples/eventbridge-delete-event.json',
        '--preset',
        'instant',
        '--time-scale',
        '0',
        '--json',
      ),
    ).toBe(0);
    const document = JSON.parse(out) as { output: { action: string; outcome: string; requestId: string } };
    expect(document.output).toMatchObject({
      action: 'delete',
      outcome: 'already-gone',
      requestId: 'orders-prod-link',
    });
  });
});

describe('--lifecycle', () => {
  it('create, check, drift, check, repair, delete in one world; ends with nothing left (exit 0)', async () => {
    expect(
      await cli('--lifecycle', '--kind', 'dedicated', '--preset', 'instant', '--time-scale', '0', '--json'),
    ).toBe(0);
    const result = JSON.parse(out) as LifecycleResult;
    expect(result.steps.map((s) => [s.step, s.status])).toEqual([
      ['create', 'SUCCEEDED'],
      ['check', 'SUCCEEDED'],
      ['drift', 'DONE'],
      ['check', 'SUCCEEDED'],
      ['check with repair', 'SUCCEEDED'],
      ['delete', 'SUCCEEDED'],
    ]);
    expect(result.steps.map((s) => s.summary.split(/[:;( ]/)[0])).toEqual([
      'AVAILABLE,',
      'HEALTHY',
      'deleted',
      'DRIFTED',
      'DRIFTED',
      'deleted',
    ]);
    expect(result.steps[4]!.summary).toMatch(/repaired: AVAILABLE, vpce-/);
    expect(result.steps[4]!.events).toEqual([
      'Atlas Private Endpoint Drift Detected',
      'Atlas Private Endpoint Available',
    ]);
    expect(result).toMatchObject({ left: 0, ok: true });
  });
});
