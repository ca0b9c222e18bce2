/**
 * Deployment targets (lambdas/workflow/targets.ts): the regions and accounts a deployment reaches, read from the
 * functions' environment, and validation's verdict on a request, for every combination.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ATLAS_AWS_COMMERCIAL_REGIONS } from '../../lambdas/core/regions.ts';
import { checkRequest } from '../../lambdas/workflow/operations/validate.ts';
import { HandlerEnv } from '../../lambdas/workflow/steps.ts';
import { loadDeploymentTargets, roleFor } from '../../lambdas/workflow/targets.ts';

const OWN = '123456789012';
const LISTED = ['210987654321', '333333333333'];
const ROLE = (account: string) => `arn:aws:iam::${account}:role/AtlasPrivateEndpointVpcAccess`;
const SEED = Number(process.env.FC_SEED ?? 20261203);

function env(allowed: readonly string[]): Record<string, string> {
  return {
    [HandlerEnv.AllowedRegions]: allowed.join(','),
    [HandlerEnv.WorkflowAccountId]: OWN,
    [HandlerEnv.VpcAccountRoleArns]: LISTED.map(ROLE).join(','),
    [HandlerEnv.VpcAccountExternalId]: 'orders-platform-external-id',
  };
}

function request(region: string, vpcAccountId: string | undefined) {
  return {
    kind: 'dedicated',
    groupId: '5f7cac1adf5d6c6306f4b283',
    instanceName: 'orders-dedicated',
    region,
    ...(vpcAccountId === undefined ? {} : { vpcAccountId }),
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    subnetIds: ['subnet-0a1b2c3d4e5f60718'],
    securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
  };
}

describe('validation against the deployment targets', () => {
  it('refuses exactly the regions and accounts the deployment does not reach, naming the field', () => {
    const regions = fc.constantFrom(...ATLAS_AWS_COMMERCIAL_REGIONS);
    const account = fc.oneof(
      fc.constant(undefined),
      fc.constant(OWN),
      fc.constantFrom(...LISTED),
      fc.stringMatching(/^\d{12}$/),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(regions, { minLength: 1, maxLength: 5 }),
        regions,
        account,
        (allowed, region, acct) => {
          const checked = checkRequest(
            { input: request(region, acct), executionName: 'x' },
            { defaults: {}, env: env(allowed) },
          );
          const fields = checked.issues.map((i) => i.field);
          const regionRefused = !allowed.includes(region);
          const accountRefused = acct !== undefined && acct !== OWN && !LISTED.includes(acct);
          expect(fields.includes('region')).toBe(regionRefused);
          expect(fields.includes('vpcAccountId')).toBe(accountRefused);
          expect(checked.outsideTargets).toBe(regionRefused || accountRefused);
          if (regionRefused) {
            expect(checked.issues.find((i) => i.field === 'region')?.problem).toContain(
              `allowed: ${allowed.join(', ')}`,
            );
          }
        },
      ),
      { seed: SEED },
    );
  });

  it('a deployment region default outside the allowed ones is refused too (region from defaults)', () => {
    const checked = checkRequest(
      { input: { ...request('us-east-1', undefined), region: undefined }, executionName: 'x' },
      { defaults: { region: 'eu-west-1' }, env: env(['us-east-1']) },
    );
    expect(checked.issues.map((i) => i.field)).toEqual(['region']);
  });

  it('without ALLOWED_REGIONS (a handler run outside a deployment) regions are not restricted', () => {
    const checked = checkRequest(
      { input: request('ap-south-2', undefined), executionName: 'x' },
      { defaults: {}, env: {} },
    );
    expect(checked.issues).toEqual([]);
    expect(checked.outsideTargets).toBe(false);
  });
});

describe('loadDeploymentTargets', () => {
  it('reads regions, the own account and the role per other account; the own account needs no role', () => {
    const { targets, problems } = loadDeploymentTargets(env(['us-east-1', 'eu-west-1']));
    expect(problems).toEqual([]);
    expect(targets.allowedRegions).toEqual(['us-east-1', 'eu-west-1']);
    expect(roleFor({ region: 'us-east-1', vpcAccountId: '210987654321' }, targets)).toBe(
      ROLE('210987654321'),
    );
    expect(roleFor({ region: 'us-east-1', vpcAccountId: OWN }, targets)).toBeUndefined();
    expect(roleFor({ region: 'us-east-1' }, targets)).toBeUndefined();
  });

  it('reports every malformed variable with its name', () => {
    const { problems } = loadDeploymentTargets({
      [HandlerEnv.AllowedRegions]: 'us-east-1,Europe',
      [HandlerEnv.WorkflowAccountId]: '12',
      [HandlerEnv.VpcAccountRoleArns]: `${ROLE('210987654321')},${ROLE('210987654321')},arn:aws:iam::1:user/x`,
    });
    expect(problems.map((p) => p.variable)).toEqual([
      HandlerEnv.AllowedRegions,
      HandlerEnv.WorkflowAccountId,
      HandlerEnv.VpcAccountRoleArns,
      HandlerEnv.VpcAccountRoleArns,
      HandlerEnv.VpcAccountExternalId,
    ]);
  });
});
