/**
 * Hostile requests against the real validate-request handler, over the simulated world: wrong types, bad and
 * near-miss ids, oversized and Unicode-tricky strings, unknown and prototype keys, huge arrays, whole inputs
 * that are no object. Each generated request is a valid one with one to three fields spoiled; every one must
 * end in InvalidRequest naming each spoiled field, and the world must see no Atlas or EC2 call at all.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorNames, type InvalidRequestError } from '../../lambdas/core/errors.ts';
import { formatPath } from '../../lambdas/workflow/request.ts';
import { reliabilitySeed } from '../support/reliability.ts';
import { type Harness, startHarness } from './harness.ts';

/** Hostile requests per run. */
const FUZZED = 2000;

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});

const KNOWN = new Set([
  'kind',
  'groupId',
  'instanceName',
  'comment',
  'vpcId',
  'subnetIds',
  'securityGroupIds',
  'region',
  'privateDnsEnabled',
  'tags',
  'requestId',
  'rollbackOnFailure',
  'phaseBudgetSeconds',
  'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID',
]);

/** Strings that look like text but are not (all of them wrong for any id field). */
const trickyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\u202eorders',
    'zero\u200bwidth',
    '\uD83D',
    '\uDC00x',
    '😀'.repeat(40),
    'x'.repeat(100_000),
    '../../etc/passwd',
    '<script>alert(1)</script>',
    "'; DROP TABLE x; --",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style lookup string is the hostile input
    '${jndi:ldap://x}',
    '%s%n%x',
    'null',
    'undefined',
  ),
);

/** Values of the wrong JSON type, or structure where a scalar belongs. */
const wrongType = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constant([]),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }),
);

const hexOf = (length: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${length}}$`));
/** Near misses of an AWS id: wrong length, uppercase, wrong prefix, whitespace. */
const nearMissId = (prefix: string) =>
  fc.oneof(
    hexOf(16).map((h) => `${prefix}-${h}`),
    hexOf(18).map((h) => `${prefix}-${h}`),
    hexOf(17).map((h) => `${prefix}-${h.toUpperCase()}G`),
    hexOf(17).map((h) => `${prefix.toUpperCase()}-${h}`),
    hexOf(17).map((h) => ` ${prefix}-${h}`),
    hexOf(17).map((h) => `x${prefix}-${h}`),
  );

/** A hostile value for each field, always invalid there. */
const HOSTILE: Readonly<Record<string, fc.Arbitrary<unknown>>> = {
  kind: fc.oneof(wrongType, trickyString, fc.constantFrom('Serverless', 'DEDICATED', 'cluster')),
  groupId: fc.oneof(
    wrongType,
    trickyString,
    hexOf(23),
    hexOf(25),
    hexOf(24).map((s) => `${s.toUpperCase()}Z`),
  ),
  instanceName: fc.oneof(
    wrongType,
    trickyString.filter((s) => !/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(s)),
    fc.constantFrom('-orders', 'my_db', 'a'.repeat(65)),
  ),
  // Wrong whatever the kind (another spoil may make the kind itself unknown).
  comment: fc.oneof(
    wrongType,
    fc.constantFrom(
      'x'.repeat(64),
      '😀'.repeat(32),
      'a\tb',
      'a\u0000b',
      'half \uD83D pair',
      'y'.repeat(100_000),
    ),
  ),
  vpcId: fc.oneof(wrongType, trickyString, nearMissId('vpc')),
  subnetIds: fc.oneof(
    wrongType.filter((v) => !Array.isArray(v) || v.length === 0),
    fc.array(nearMissId('subnet'), { minLength: 1, maxLength: 3 }),
    fc.constant(Array.from({ length: 10_000 }, (_, i) => `subnet-${i.toString(16).padStart(17, '0')}`)),
    fc.constant(['subnet-0a1b2c3d4e5f60718', 'subnet-0a1b2c3d4e5f60718']),
  ),
  securityGroupIds: fc.oneof(
    wrongType.filter((v) => !Array.isArray(v) || v.length === 0),
    fc.array(fc.oneof(nearMissId('sg'), wrongType), { minLength: 1, maxLength: 3 }),
    fc.constant(Array.from({ length: 6 }, (_, i) => `sg-${i.toString(16).padStart(17, '0')}`)),
  ),
  region: fc.oneof(wrongType, trickyString, fc.constantFrom('US_EAST_1', 'us-east-9', 'mars-north-1')),
  privateDnsEnabled: fc.oneof(
    fc.constant(true),
    wrongType.filter((v) => typeof v !== 'boolean'),
    trickyString,
  ),
  tags: fc.oneof(
    wrongType.filter(
      (v) => typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(v).length > 0,
    ),
    fc.constant({ 'aws:owner': 'x' }),
    fc.constant({ 'atlas-private-endpoint-workflow:request-id': 'x' }),
    fc.constant(Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`k${i}`, 'v']))),
    fc.constant({ long: 'v'.repeat(257) }),
  ),
  requestId: fc.oneof(wrongType, fc.constantFrom('', 'x'.repeat(129), 'tab\there', 'nul\u0000')),
  rollbackOnFailure: fc.oneof(
    wrongType.filter((v) => typeof v !== 'boolean'),
    trickyString,
  ),
  phaseBudgetSeconds: fc.oneof(
    wrongType.filter(
      (v) => typeof v !== 'object' || v === null || Array.isArray(v) || Object.keys(v).length > 0,
    ),
    fc.constant({ link: 59 }),
    fc.constant({ link: 86_401 }),
    fc.constant({ link: 1.5 }),
    fc.constant({ forever: 600 }),
  ),
};

/** Keys no request has, prototype-looking ones among them. */
const unknownKey = fc
  .oneof(
    fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      'subnetId',
      'Kind',
      '',
    ),
    fc.string({ minLength: 1, maxLength: 12 }),
  )
  .filter((k) => !KNOWN.has(k));

type Spoil =
  | { readonly kind: 'field'; readonly field: string; readonly value: unknown }
  | { readonly kind: 'unknown'; readonly key: string; readonly value: unknown };

const spoil: fc.Arbitrary<Spoil> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .constantFrom(...Object.keys(HOSTILE))
      .chain((field) => HOSTILE[field]!.map((value) => ({ kind: 'field', field, value }) as Spoil)),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(unknownKey, fc.jsonValue())
      .map(([key, value]) => ({ kind: 'unknown', key, value }) as Spoil),
  },
);

/** A whole input that is no request object at all. */
const notAnObject = fc.oneof(
  wrongType.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)),
  trickyString,
  fc.constant({ 'detail-type': 'Atlas Private Endpoint Requested', source: 'x', detail: {} }),
);

describe('hostile requests', () => {
  it(`${FUZZED} of them: each ends in InvalidRequest naming what is wrong, with no Atlas or EC2 call`, async () => {
    const base = () => ({
      kind: 'dedicated',
      groupId: h.demo.groupId,
      instanceName: h.demo.clusterName,
      region: h.demo.awsRegion,
      vpcId: h.demo.vpcId,
      subnetIds: [...h.demo.subnetIds],
      securityGroupIds: [...h.demo.securityGroupIds],
    });
    let fuzzed = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          {
            weight: 12,
            arbitrary: fc.array(spoil, { minLength: 1, maxLength: 3 }).map((s) => ({ spoils: s })),
          },
          { weight: 1, arbitrary: notAnObject.map((input) => ({ input })) },
        ),
        async (generated) => {
          fuzzed += 1;
          let input: unknown;
          const expected: string[] = [];
          if ('input' in generated) {
            input = generated.input;
            expected.push('(input)');
          } else {
            const request: Record<string, unknown> = base();
            for (const s of generated.spoils) {
              const key = s.kind === 'field' ? s.field : s.key;
              // As JSON would carry it: an own data property, even "__proto__".
              Object.defineProperty(request, key, {
                value: s.value,
                enumerable: true,
                configurable: true,
                writable: true,
              });
              expected.push(s.kind === 'field' ? s.field : formatPath([s.key]));
            }
            input = request;
          }
          let caught: unknown;
          try {
            await h.call('validate-request', { input, executionName: `fuzz-${fuzzed}` });
          } catch (error) {
            caught = error;
          }
          expect((caught as Error | undefined)?.name, JSON.stringify(generated).slice(0, 300)).toBe(
            ErrorNames.InvalidRequest,
          );
          const fields = (caught as InvalidRequestError).issues.map((i) => i.field);
          for (const field of expected) {
            const named = fields.some(
              (f) =>
                f === field || f.startsWith(`${field}[`) || f.startsWith(`${field}.`) || field === '(input)',
            );
            expect(named, `${field} not among ${JSON.stringify(fields).slice(0, 300)}`).toBe(true);
          }
          expect(h.world.log.entries, 'no Atlas or EC2 call').toEqual([]);
        },
      ),
      { numRuns: FUZZED, seed: reliabilitySeed(), endOnFailure: true },
    );
    console.log(
      `request fuzzing: ${fuzzed} hostile requests, all InvalidRequest, ${h.world.log.entries.length} calls`,
    );
    expect(fuzzed).toBe(FUZZED);
  }, 300_000);
});
