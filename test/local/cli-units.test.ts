/**
 * The CLI's parts on their own: the option parser, the terminal display (progress bar, colour) and the
 * EventBridge rule matcher used by --event. Fast: no world, no engine runs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { colourAllowed, Display, progressFrame } from '../../local/cli/display.ts';
import { decide, deliveredEvent, entryOf, patternMiss, targetInput } from '../../local/cli/event.ts';
import { canonicalJson, derivedRequestId } from '../../local/cli/input.ts';
import { closest, type OptionSpec, parseOptions, UsageError, wrap } from '../../local/cli/options.ts';
import { requestLines } from '../../local/cli/requests.ts';
import { withoutSharedToken } from '../../local/cli/simulator.ts';
import type { RequestLogEntry } from '../../local/cloud/request-log.ts';
import type { Inventory } from '../../local/cloud/world.ts';
import type { TriggerRule } from '../../local/engine.ts';
import { ESC, FakeStream, framesOf } from '../support/cli.ts';

const SEED = 20261213;

describe('option parser', () => {
  const specs: OptionSpec[] = [
    { name: 'fault', type: 'string', help: '' },
    { name: 'time-scale', type: 'string', help: '' },
    { name: 'json', type: 'boolean', help: '' },
    { name: 'help', short: 'h', type: 'boolean', help: '' },
  ];
  const refused = (argv: string[]) => {
    try {
      parseOptions(argv, specs);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
    throw new Error(`${JSON.stringify(argv)} was accepted`);
  };

  it('suggests the option a misspelling is closest to', () => {
    expect(refused(['--fualt', 'x'])).toBe('unknown option --fualt; did you mean --fault?');
    expect(refused(['--time-scal', '3'])).toMatch(/did you mean --time-scale\?/);
    expect(refused(['--zzzzzz'])).toBe('unknown option --zzzzzz');
  });

  it('takes a value that starts with a dash, so the option itself can judge it', () => {
    expect(parseOptions(['--time-scale', '-5'], specs)).toEqual({ 'time-scale': '-5' });
    expect(parseOptions(['--time-scale=-5', '--json', '-h'], specs)).toEqual({
      'time-scale': '-5',
      json: true,
      help: true,
    });
  });

  it('says which value is missing, and refuses values on switches and stray words', () => {
    expect(refused(['--fault'])).toBe('--fault needs a value <value>');
    expect(refused(['--fault', '--json'])).toBe('--fault needs a value <value>');
    expect(refused(['--json=yes'])).toBe('--json takes no value, got "yes"');
    expect(refused(['fault'])).toMatch(/unexpected argument "fault"/);
  });

  it('a single typo (insertion, deletion, change or swap) of a known name is always suggested', () => {
    const names = ['fault', 'time-scale', 'atlas-url', 'list-faults', 'preset', 'verbose', 'input', 'event'];
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.nat(),
        fc.constantFrom('insert', 'delete', 'change', 'swap'),
        fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz-'),
        (name, at, how, ch) => {
          const i = at % name.length;
          const typo =
            how === 'insert'
              ? name.slice(0, i) + ch + name.slice(i)
              : how === 'delete'
                ? name.slice(0, i) + name.slice(i + 1)
                : how === 'change'
                  ? name.slice(0, i) + ch + name.slice(i + 1)
                  : i + 1 < name.length
                    ? name.slice(0, i) + name[i + 1] + name[i] + name.slice(i + 2)
                    : name;
          if (typo === name || names.includes(typo)) return true;
          return closest(typo, names).includes(name);
        },
      ),
      { seed: SEED },
    );
  });

  it('wraps help text at spaces within the width', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-z]{1,12}$/), { maxLength: 40 }),
        fc.integer({ min: 12, max: 80 }),
        (words, width) => {
          const lines = wrap(words.join(' '), width);
          return (
            lines.every((l) => l.length <= width) &&
            lines.join(' ').split(' ').filter(Boolean).join(' ') === words.join(' ')
          );
        },
      ),
      { seed: SEED },
    );
  });
});

describe('progress bar and colour', () => {
  it('every frame fits in the terminal, whatever its width, label and progress', () => {
    fc.assert(
      fc.property(
        fc
          .string({ maxLength: 60 })
          .map((s) => s.replaceAll('\r', ' ').replaceAll('\n', ' ').replaceAll(ESC, ' ')),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 300 }),
        (label, done, total, columns) => {
          const frame = progressFrame(label, Math.min(done, total), total, columns);
          return frame.length <= columns - 1 && !/[\r\n]/.test(frame);
        },
      ),
      { seed: SEED },
    );
  });

  it('keeps the whole label and a bar when there is room, and the counter when there is little', () => {
    expect(progressFrame('Wait for link', 30, 60, 80)).toBe(
      '    Wait for link [###############...............] 30/60 s',
    );
    const narrow = progressFrame('Wait for endpoint service', 15, 30, 40);
    expect(narrow.length).toBeLessThanOrEqual(39);
    expect(narrow).toMatch(/\[#+\.+\] 15\/30 s$/);
    expect(progressFrame('Wait for endpoint service', 15, 30, 12)).toBe('Wa… 15/30 s');
    expect(progressFrame('Wait for endpoint service', 15, 30, 6)).toBe('15/3…');
  });

  it('draws on a terminal only, redraws in place, and clears before the next line', () => {
    const tty = new FakeStream(true, 40);
    const d = new Display(tty, {});
    d.progress('Wait for endpoint service', 5, 15);
    d.progress('Wait for endpoint service', 15, 15);
    d.line('[00:00:15] Check endpoint service');
    const text = tty.text();
    expect(framesOf(text).every((f) => f.length <= 39)).toBe(true);
    expect(text.endsWith(`\r${ESC}[K[00:00:15] Check endpoint service\n`)).toBe(true);

    const pipe = new FakeStream(false);
    const p = new Display(pipe, {});
    p.progress('Wait', 1, 2);
    p.line('x');
    expect(pipe.text()).toBe('x\n');
  });

  it('uses colour on a terminal unless NO_COLOR is set (to anything but empty) or TERM is dumb', () => {
    expect(colourAllowed(new FakeStream(true), {})).toBe(true);
    expect(colourAllowed(new FakeStream(true), { NO_COLOR: '1' })).toBe(false);
    expect(colourAllowed(new FakeStream(true), { NO_COLOR: '' })).toBe(true);
    expect(colourAllowed(new FakeStream(true), { TERM: 'dumb' })).toBe(false);
    expect(colourAllowed(new FakeStream(false), {})).toBe(false);
    expect(new Display(new FakeStream(true), {}).paint('FAILED', 'bad')).toBe(`${ESC}[31mFAILED${ESC}[39m`);
    expect(new Display(new FakeStream(true), { NO_COLOR: 'x' }).paint('FAILED', 'bad')).toBe('FAILED');
  });
});

describe('request lines (--json)', () => {
  const entry = (operation: string, status: number, at = 0): RequestLogEntry => ({
    at,
    service: 'atlas',
    operation,
    method: 'GET',
    path: `/api/atlas/v2/${operation}`,
    status,
    auth: 'bearer',
  });

  it('numbers the attempts of a call: a transient failure makes the next one a retry, an answer ends it', () => {
    const lines = requestLines(
      [
        entry('get', 500),
        entry('get', 0),
        entry('get', 429),
        entry('get', 200),
        entry('get', 200),
        entry('get', 404),
      ],
      0,
    );
    expect(lines.map((l) => [l.status, l.attempt])).toEqual([
      [500, 1],
      [0, 2],
      [429, 3],
      [200, 4],
      [200, 1],
      [404, 1],
    ]);
  });
});

describe('the request id of an external run', () => {
  const input = { kind: 'dedicated', groupId: 'g', instanceName: 'i', vpcId: 'v', tags: { a: '1', b: '2' } };

  it('is the same for the same request whatever the key order, the action or the patience', () => {
    const shuffled = {
      tags: { b: '2', a: '1' },
      vpcId: 'v',
      instanceName: 'i',
      groupId: 'g',
      kind: 'dedicated',
    };
    const id = derivedRequestId(input);
    expect(id).toMatch(/^local-[0-9a-f]{16}$/);
    expect(derivedRequestId(shuffled)).toBe(id);
    expect(derivedRequestId({ ...input, action: 'delete', phaseBudgetSeconds: { link: 60 } })).toBe(id);
    expect(derivedRequestId({ ...input, instanceName: 'other' })).not.toBe(id);
    expect(canonicalJson(shuffled)).toBe(canonicalJson(input));
  });
});

describe('--event: the rule applied to a put-events entry', () => {
  const rule: TriggerRule = {
    logicalId: 'Rule',
    eventBusName: 'default',
    eventPattern: { source: ['requests'], 'detail-type': ['Requested'] },
    inputPath: '$.detail',
  };
  const where = { account: '123456789012', region: 'us-east-1', now: new Date('2026-12-01T00:00:00Z') };
  const event = (detail: unknown, over: Record<string, unknown> = {}) =>
    deliveredEvent(
      { Source: 'requests', DetailType: 'Requested', Detail: JSON.stringify(detail), ...over },
      where,
    );

  it('delivers the detail as the execution input when source and detail-type match', () => {
    const e = event({ kind: 'dedicated' });
    expect(e).toMatchObject({
      source: 'requests',
      'detail-type': 'Requested',
      detail: { kind: 'dedicated' },
    });
    expect(decide([rule], {}, e)).toEqual([{ rule }]);
    expect(targetInput(rule, e)).toEqual({ kind: 'dedicated' });
  });

  it('says why an entry would start nothing', () => {
    const e = event({}, { DetailType: 'Other' });
    expect(decide([rule], {}, e)[0]?.miss).toBe('detail-type is "Other"; the rule wants "Requested"');
    expect(decide([rule], { EventBusName: 'orders' }, event({}))[0]?.miss).toMatch(
      /goes to the event bus "orders"; the rule listens on "default"/,
    );
    expect(() => deliveredEvent({ Source: 'x', DetailType: 'y', Detail: '[1]' }, where)).toThrow(
      /must be a JSON object/,
    );
    expect(() => deliveredEvent({ Source: 'x', Detail: '{}' }, where)).toThrow(/has no DetailType/);
    expect(() => entryOf([{}, {}], 'f.json')).toThrow(/holds 2 entries/);
  });

  it('supports the content filters of EventBridge patterns', () => {
    const detail = { kind: 'dedicated', size: 7, tags: ['a', 'b'], ip: '10.0.1.5', name: 'Orders-Prod' };
    const e = event(detail);
    const matches = (p: unknown) => patternMiss({ detail: p }, e) === undefined;
    expect(matches({ kind: [{ prefix: 'ded' }] })).toBe(true);
    expect(matches({ kind: [{ suffix: 'less' }] })).toBe(false);
    expect(matches({ kind: [{ 'anything-but': ['serverless'] }] })).toBe(true);
    expect(matches({ kind: [{ 'anything-but': { prefix: 'd' } }] })).toBe(false);
    expect(matches({ size: [{ numeric: ['>', 5, '<=', 7] }] })).toBe(true);
    expect(matches({ size: [{ numeric: ['<', 5] }] })).toBe(false);
    expect(matches({ missing: [{ exists: false }] })).toBe(true);
    expect(matches({ kind: [{ exists: false }] })).toBe(false);
    expect(matches({ tags: ['b'] })).toBe(true);
    expect(matches({ ip: [{ cidr: '10.0.0.0/16' }] })).toBe(true);
    expect(matches({ ip: [{ cidr: '10.1.0.0/16' }] })).toBe(false);
    expect(matches({ name: [{ 'equals-ignore-case': 'orders-prod' }] })).toBe(true);
    expect(matches({ name: [{ wildcard: 'Orders-*' }] })).toBe(true);
    expect(patternMiss({ $or: [{ source: ['x'] }, { detail: { size: [7] } }] }, e)).toBeUndefined();
    expect(() => patternMiss({ detail: { kind: [{ regex: '.*' }] } }, e)).toThrow(/does not know/);
  });

  it('an exact-value pattern matches exactly the events that carry one of its values', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 }),
        fc.string({ minLength: 1, maxLength: 6 }),
        (wanted, given) => {
          const e = deliveredEvent({ Source: given, DetailType: 'Requested', Detail: '{}' }, where);
          const miss = patternMiss({ source: wanted }, e);
          return (miss === undefined) === wanted.includes(given);
        },
      ),
      { seed: SEED },
    );
  });

  it('fills an InputTransformer template from its paths', () => {
    const transformer: TriggerRule = {
      logicalId: 'T',
      eventBusName: 'default',
      eventPattern: {},
      inputTransformer: {
        inputPathsMap: { kind: '$.detail.kind', detail: '$.detail' },
        inputTemplate: '{"action":"delete","kind":"<kind>","request":<detail>}',
      },
    };
    expect(targetInput(transformer, event({ kind: 'dedicated' }))).toEqual({
      action: 'delete',
      kind: 'dedicated',
      request: { kind: 'dedicated' },
    });
  });
});

describe('the simulator info page', () => {
  it('lists the lease table without the shared Atlas token item', () => {
    const lease = { pk: { S: 'dedicated#p#us-east-1#a#vpc-1' }, holder: { S: 'arn:x' } };
    const token = { pk: { S: 'atlas-token#abc' }, sealed: { S: 'ciphertext' } };
    const inventory = {
      atlas: { serverlessEndpoints: [], endpointServices: [], interfaceEndpoints: [] },
      aws: { vpcEndpoints: [] },
      dynamodb: { Leases: [lease, token] },
    } as unknown as Inventory;
    const shown = withoutSharedToken(inventory);
    expect(shown.dynamodb).toEqual({ Leases: [lease] });
    expect(JSON.stringify(shown)).not.toContain('ciphertext');
    expect(inventory.dynamodb.Leases).toHaveLength(2);
  });
});
