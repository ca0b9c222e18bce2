import { describe, expect, it } from 'vitest';
import { ConfigurationError, ErrorNames } from '../../lambdas/core/errors.ts';
import { loadRequestDefaults } from '../../lambdas/workflow/config.ts';
import { parseRequest } from '../../lambdas/workflow/request.ts';
import { HandlerEnv, resolvePhaseBudgets } from '../../lambdas/workflow/steps.ts';

function configError(env: Record<string, string | undefined>): ConfigurationError {
  try {
    loadRequestDefaults(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).name).toBe(ErrorNames.ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected loadRequestDefaults to throw');
}

describe('loadRequestDefaults', () => {
  it('reads every DEFAULT_* variable, trimming spaces and ignoring blank list entries', () => {
    const defaults = loadRequestDefaults({
      DEFAULT_KIND: 'dedicated',
      DEFAULT_VPC_ID: ' vpc-0a1b2c3d4e5f60718 ',
      DEFAULT_SUBNET_IDS: 'subnet-0a1b2c3d4e5f60718, subnet-0f1e2d3c4b5a69788,',
      DEFAULT_SECURITY_GROUP_IDS: 'sg-0a1b2c3d4e5f60718',
      DEFAULT_REGION: 'eu-central-1',
      AWS_REGION: 'us-east-1',
    });
    expect(defaults).toEqual({
      kind: 'dedicated',
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
      securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
      region: 'eu-central-1',
    });
  });

  it('gives no defaults for unset or blank variables', () => {
    expect(loadRequestDefaults({})).toEqual({});
    expect(loadRequestDefaults({ DEFAULT_VPC_ID: '', DEFAULT_SUBNET_IDS: '   ', DEFAULT_KIND: '' })).toEqual(
      {},
    );
  });

  it('falls back to AWS_REGION for the region, but only when Atlas serves it', () => {
    expect(loadRequestDefaults({ AWS_REGION: 'ap-southeast-2' })).toEqual({ region: 'ap-southeast-2' });
    // The Lambda's own region is not an operator setting: an unsupported one is simply not a default.
    expect(loadRequestDefaults({ AWS_REGION: 'cn-north-1' })).toEqual({});
  });

  it('names each invalid variable, all at once', () => {
    const error = configError({
      DEFAULT_KIND: 'shared',
      DEFAULT_VPC_ID: 'vpc-xyz',
      DEFAULT_SUBNET_IDS: 'subnet-0a1b2c3d,subnet-nope,subnet-0a1b2c3d',
      DEFAULT_SECURITY_GROUP_IDS: ',',
      DEFAULT_REGION: 'US_EAST_1',
    });
    expect(error.details.variables).toEqual([
      'DEFAULT_KIND',
      'DEFAULT_VPC_ID',
      'DEFAULT_SUBNET_IDS',
      'DEFAULT_SECURITY_GROUP_IDS',
      'DEFAULT_REGION',
    ]);
    expect(error.message).toContain(
      'DEFAULT_KIND: got "shared"; expected "dedicated" (the default) or "serverless" (retired by MongoDB on 2026-01-22)',
    );
    expect(error.message).toContain('DEFAULT_VPC_ID: got "vpc-xyz"');
    expect(error.message).toContain('DEFAULT_SUBNET_IDS (entry [1]): got "subnet-nope"');
    expect(error.message).toContain(
      'DEFAULT_SUBNET_IDS (entry [2]): "subnet-0a1b2c3d" is listed more than once',
    );
    expect(error.message).toContain('DEFAULT_SECURITY_GROUP_IDS: got an empty list');
    expect(error.message).toContain('DEFAULT_REGION: got "US_EAST_1", the Atlas name of "us-east-1"');
    expect(error.retryable).toBe(false);
  });

  it('reads DEFAULT_ROLLBACK_ON_FAILURE as a boolean, and names it when it is not one', () => {
    expect(loadRequestDefaults({ DEFAULT_ROLLBACK_ON_FAILURE: 'false' })).toEqual({
      rollbackOnFailure: false,
    });
    expect(loadRequestDefaults({ DEFAULT_ROLLBACK_ON_FAILURE: ' TRUE ' })).toEqual({
      rollbackOnFailure: true,
    });
    const error = configError({ DEFAULT_ROLLBACK_ON_FAILURE: 'no', DEFAULT_VPC_ID: 'vpc-1' });
    expect(error.details.variables).toEqual(['DEFAULT_VPC_ID', 'DEFAULT_ROLLBACK_ON_FAILURE']);
    expect(error.message).toContain('DEFAULT_ROLLBACK_ON_FAILURE: got "no"; expected true or false');
  });

  it('uses the variable names lib/ sets (steps.ts HandlerEnv)', () => {
    const defaults = loadRequestDefaults({
      [HandlerEnv.DefaultKind]: 'dedicated',
      [HandlerEnv.DefaultVpcId]: 'vpc-0a1b2c3d',
      [HandlerEnv.DefaultSubnetIds]: 'subnet-0a1b2c3d',
      [HandlerEnv.DefaultSecurityGroupIds]: 'sg-0a1b2c3d',
      [HandlerEnv.DefaultRegion]: 'us-west-2',
      [HandlerEnv.DefaultRollbackOnFailure]: 'false',
    });
    expect(Object.keys(defaults).sort()).toEqual(
      ['kind', 'vpcId', 'subnetIds', 'securityGroupIds', 'region', 'rollbackOnFailure'].sort(),
    );
    const request = parseRequest(
      { groupId: '5f7cac1adf5d6c6306f4b283', instanceName: 'c1' },
      { defaults, executionName: 'e' },
    );
    expect(request.rollbackOnFailure).toBe(false);
    expect(
      parseRequest(
        { groupId: '5f7cac1adf5d6c6306f4b283', instanceName: 'c1', rollbackOnFailure: true },
        { defaults, executionName: 'e' },
      ).rollbackOnFailure,
    ).toBe(true);
  });

  it('passes phaseBudgetSeconds on in the shape resolvePhaseBudgets takes', () => {
    const request = parseRequest(
      {
        groupId: '5f7cac1adf5d6c6306f4b283',
        instanceName: 'orders',
        vpcId: 'vpc-0a1b2c3d',
        subnetIds: ['subnet-0a1b2c3d'],
        securityGroupIds: ['sg-0a1b2c3d'],
        region: 'us-east-1',
        phaseBudgetSeconds: { link: 7200 },
      },
      { executionName: 'e' },
    );
    expect(request.phaseBudgetSeconds).toEqual({ link: 7200 });
    const resolved = resolvePhaseBudgets({}, request.phaseBudgetSeconds);
    expect(resolved.issues).toEqual([]);
    expect(resolved.settings.phaseBudgetSeconds.link).toBe(7200);
  });

  it('rejects too many default security groups', () => {
    const error = configError({
      DEFAULT_SECURITY_GROUP_IDS: 'sg-00000001,sg-00000002,sg-00000003,sg-00000004,sg-00000005,sg-00000006',
    });
    expect(error.details.variables).toEqual(['DEFAULT_SECURITY_GROUP_IDS']);
    expect(error.message).toContain('got 6 items');
  });

  it('feeds parseRequest: an event with only the Atlas ids becomes a full request', () => {
    const defaults = loadRequestDefaults({
      DEFAULT_VPC_ID: 'vpc-0a1b2c3d4e5f60718',
      DEFAULT_SUBNET_IDS: 'subnet-0a1b2c3d4e5f60718',
      DEFAULT_SECURITY_GROUP_IDS: 'sg-0a1b2c3d4e5f60718',
      AWS_REGION: 'us-east-1',
    });
    const request = parseRequest(
      { groupId: '5f7cac1adf5d6c6306f4b283', instanceName: 'orders' },
      { defaults, executionName: 'exec-42' },
    );
    expect(request).toEqual({
      kind: 'dedicated',
      groupId: '5f7cac1adf5d6c6306f4b283',
      instanceName: 'orders',
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      subnetIds: ['subnet-0a1b2c3d4e5f60718'],
      securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
      region: 'us-east-1',
      privateDnsEnabled: false,
      tags: {},
      requestId: 'exec-42',
      rollbackOnFailure: true,
    });
  });
});
