import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../lambdas/core/errors.ts';
import { ATLAS_AWS_COMMERCIAL_REGIONS, ATLAS_AWS_GOV_REGIONS } from '../../lambdas/core/regions.ts';
import { isReservedTagKey } from '../../lambdas/core/tags.ts';
import { COMMENT_MAX_LENGTH, parseRequest } from '../../lambdas/workflow/request.ts';

const hasControlCharacter = (s: string) =>
  [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
const awsId = (prefix: string) => fc.oneof(hex(8), hex(17)).map((digits) => `${prefix}-${digits}`);

const validRequest = fc
  .record(
    {
      kind: fc.constantFrom('serverless', 'dedicated'),
      groupId: hex(24),
      instanceName: fc.stringMatching(/^[a-zA-Z0-9][a-zA-Z0-9-]{0,63}$/),
      comment: fc.string({ maxLength: COMMENT_MAX_LENGTH }),
      vpcId: awsId('vpc'),
      subnetIds: fc.uniqueArray(awsId('subnet'), { minLength: 1, maxLength: 16 }),
      securityGroupIds: fc.uniqueArray(awsId('sg'), { minLength: 1, maxLength: 5 }),
      region: fc.constantFrom(...ATLAS_AWS_COMMERCIAL_REGIONS, ...ATLAS_AWS_GOV_REGIONS),
      privateDnsEnabled: fc.constant(false),
      tags: fc.dictionary(
        fc.string({ minLength: 1, maxLength: 128 }).filter((k) => k.trim() !== '' && !isReservedTagKey(k)),
        fc.string({ maxLength: 256 }),
        { maxKeys: 40 },
      ),
      requestId: fc.string({ minLength: 1, maxLength: 128 }).filter((s) => !hasControlCharacter(s)),
      rollbackOnFailure: fc.boolean(),
    },
    {
      requiredKeys: ['groupId', 'instanceName', 'vpcId', 'subnetIds', 'securityGroupIds', 'region'],
    },
  )
  .map((request) => {
    // comment exists only for serverless (an absent kind means dedicated, the default).
    if (request.kind !== 'serverless') {
      const { comment: _comment, ...rest } = request;
      return rest;
    }
    return request;
  });

/** Values no field accepts as they are, or that break a field's rule. */
const invalidFor: Record<string, fc.Arbitrary<unknown>> = {
  groupId: fc.oneof(
    fc.string().filter((s) => !/^[a-f0-9]{24}$/.test(s)),
    fc.integer(),
    fc.constant(null),
  ),
  instanceName: fc.oneof(
    fc.string().filter((s) => !/^[a-zA-Z0-9][a-zA-Z0-9-]{0,63}$/.test(s)),
    fc.boolean(),
  ),
  vpcId: fc.oneof(
    fc.string().filter((s) => !/^vpc-[0-9a-f]{8}([0-9a-f]{9})?$/.test(s)),
    awsId('subnet'),
    fc.constant(null),
  ),
  subnetIds: fc.oneof(
    fc.constant([]),
    awsId('subnet'),
    fc.array(
      fc.string().filter((s) => !/^subnet-[0-9a-f]{8}([0-9a-f]{9})?$/.test(s)),
      { minLength: 1, maxLength: 3 },
    ),
    awsId('subnet').map((id) => [id, id]),
    fc.uniqueArray(awsId('subnet'), { minLength: 17, maxLength: 20 }),
  ),
  securityGroupIds: fc.oneof(
    fc.constant([]),
    fc.uniqueArray(awsId('sg'), { minLength: 6, maxLength: 8 }),
    fc.array(awsId('vpc'), { minLength: 1, maxLength: 2 }),
    awsId('sg').map((id) => [id, id]),
  ),
  region: fc.oneof(
    fc
      .string()
      .filter(
        (s) =>
          !(ATLAS_AWS_COMMERCIAL_REGIONS as readonly string[]).includes(s) &&
          !(ATLAS_AWS_GOV_REGIONS as readonly string[]).includes(s),
      ),
    fc.constantFrom('cn-north-1', 'US_EAST_1', 'us-east-9'),
    fc.integer(),
  ),
  kind: fc.oneof(
    fc.string().filter((s) => s !== 'serverless' && s !== 'dedicated'),
    fc.boolean(),
    fc.constant(null),
  ),
};

describe('request properties', () => {
  it('every generated valid request parses and keeps its values', () => {
    fc.assert(
      fc.property(validRequest, fc.string({ minLength: 1, maxLength: 80 }), (request, executionName) => {
        const parsed = parseRequest(request, { executionName });
        expect(parsed).toEqual({
          kind: 'dedicated',
          privateDnsEnabled: false,
          rollbackOnFailure: true,
          tags: {},
          requestId: executionName,
          ...request,
        });
        // Plain JSON, so it survives the state record round trip.
        expect(JSON.parse(JSON.stringify(parsed))).toEqual(parsed);
      }),
      { numRuns: 300 },
    );
  });

  it('making any one required field invalid yields an InvalidRequest naming exactly that field', () => {
    const field = fc.constantFrom(...Object.keys(invalidFor));
    fc.assert(
      fc.property(
        validRequest,
        field.chain((name) => fc.tuple(fc.constant(name), invalidFor[name]!)),
        (request, [name, bad]) => {
          // kind=dedicated with a comment is its own (valid) rule; keep this property about one field.
          const { comment: _comment, ...base } = request as Record<string, unknown>;
          const input = { ...base, [name]: bad };
          let caught: unknown;
          try {
            parseRequest(input, { executionName: 'exec' });
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(InvalidRequestError);
          const issues = (caught as InvalidRequestError).issues;
          expect(issues.length).toBeGreaterThan(0);
          for (const issue of issues) {
            expect(issue.field === name || issue.field.startsWith(`${name}[`)).toBe(true);
            expect(issue.problem).toMatch(/expected/);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('an unknown top-level field is always reported by name, whatever else is valid', () => {
    const known = new Set(
      Object.keys(invalidFor).concat([
        'comment',
        'privateDnsEnabled',
        'tags',
        'requestId',
        'rollbackOnFailure',
        'phaseBudgetSeconds',
      ]),
    );
    fc.assert(
      fc.property(
        validRequest,
        fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !known.has(k) && k !== '__proto__'),
        fc.jsonValue(),
        (request, key, value) => {
          let caught: unknown;
          try {
            parseRequest({ ...request, [key]: value }, { executionName: 'exec' });
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(InvalidRequestError);
          const issues = (caught as InvalidRequestError).issues;
          expect(issues.some((i) => i.problem.startsWith('is not a known field'))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
