import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ATLAS_AWS_COMMERCIAL_REGIONS,
  ATLAS_AWS_GOV_REGIONS,
  ATLAS_AWS_REGION_NAMES,
  isSupportedAwsRegion,
  toAtlasRegion,
  toAwsRegion,
} from '../../lambdas/core/regions.ts';

const SPEC = resolve(import.meta.dirname, '../../../shared/reference/atlas-private-endpoints.openapi.yaml');
const specPresent = existsSync(SPEC);
if (!specPresent)
  console.warn(`[regions.test] ${SPEC} is absent: skipping the check against the Atlas spec enum`);

describe('region mapping', () => {
  it('maps the well-known ones', () => {
    expect(toAtlasRegion('us-east-1')).toBe('US_EAST_1');
    expect(toAtlasRegion('ap-southeast-2')).toBe('AP_SOUTHEAST_2');
    expect(toAtlasRegion('us-gov-west-1')).toBe('US_GOV_WEST_1');
    expect(toAwsRegion('EU_CENTRAL_1')).toBe('eu-central-1');
    expect(ATLAS_AWS_COMMERCIAL_REGIONS).toHaveLength(34);
  });

  it('round-trips every supported region both ways', () => {
    const aws = fc.constantFrom(...ATLAS_AWS_COMMERCIAL_REGIONS, ...ATLAS_AWS_GOV_REGIONS);
    fc.assert(fc.property(aws, (r) => toAwsRegion(toAtlasRegion(r)) === r));
    fc.assert(
      fc.property(fc.constantFrom(...ATLAS_AWS_REGION_NAMES), (r) => toAtlasRegion(toAwsRegion(r)) === r),
    );
  });

  it('fails clearly on anything else', () => {
    expect(() => toAtlasRegion('US_EAST_1')).toThrow(/not an AWS region MongoDB Atlas supports/);
    expect(() => toAtlasRegion('mars-north-1')).toThrow(
      expect.objectContaining({ name: 'ConfigurationError' }),
    );
    expect(() => toAtlasRegion('cn-north-1')).toThrow(/cn-north-1/);
    expect(() => toAwsRegion('us-east-1')).toThrow(/not an Atlas AWS region name/);
    expect(() => toAwsRegion('GLOBAL')).toThrow();
    fc.assert(
      fc.property(
        fc.string(),
        (s) =>
          isSupportedAwsRegion(s) ||
          (() => {
            try {
              toAtlasRegion(s);
              return false;
            } catch (e) {
              return (e as Error).name === 'ConfigurationError';
            }
          })(),
      ),
    );
  });

  it.skipIf(!specPresent)('covers every AWS region in the Atlas spec enum except China and GLOBAL', () => {
    const spec = parse(readFileSync(SPEC, 'utf8')) as unknown;
    const enums = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        if (o.title === 'AWS Regions' && Array.isArray(o.enum)) for (const v of o.enum) enums.add(String(v));
        Object.values(o).forEach(walk);
      }
    };
    walk(spec);
    expect(enums.size).toBeGreaterThan(30);
    const expected = [...enums].filter((r) => !r.startsWith('CN_') && r !== 'GLOBAL').sort();
    expect([...ATLAS_AWS_REGION_NAMES].sort()).toEqual(expected);
  });
});
