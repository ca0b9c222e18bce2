import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { EVENT_SOURCE } from '../../lambdas/workflow/events.ts';
import {
  type PrivateEndpointWorkflowProps,
  validateWorkflowProps,
} from '../../lib/private-endpoint-workflow.ts';
import { buildWorkflow } from './support.ts';

describe('props validation', () => {
  it('accepts the defaults and a fully specified valid set', () => {
    expect(() => buildWorkflow()).not.toThrow();
    const built = buildWorkflow({
      atlasBaseUrl: 'https://cloud.mongodbgov.com',
      defaultKind: 'serverless',
      defaultVpcId: 'vpc-0a1b2c3d',
      defaultSubnetIds: ['subnet-0a1b2c3d4e5f60718'],
      defaultSecurityGroupIds: ['sg-0a1b2c3d4e5f60718', 'sg-0f1e2d3c'],
      defaultRegion: 'us-gov-west-1',
      phaseBudgets: { link: Duration.hours(2), cleanup: Duration.minutes(30) },
      executionTimeout: Duration.hours(6),
      atlasReservedConcurrency: 2,
      managedByTagValue: 'team-a/orders',
      logLevel: 'DEBUG',
    });
    expect(built.workflow.executionTimeout.toHours()).toBe(6);
    expect(built.workflow.phaseBudgetSeconds).toMatchObject({ link: 7200, cleanup: 1800, vpcEndpoint: 900 });
  });

  it('reports every bad prop at once, in one error', () => {
    const bad = {
      atlasBaseUrl: 'http://cloud.mongodb.com/api/atlas/v2',
      defaultKind: 'shared',
      defaultVpcId: 'vpc-xyz',
      defaultSubnetIds: ['subnet-0a1b2c3d', 'subnet-0a1b2c3d', 'sub-1'],
      defaultSecurityGroupIds: [],
      defaultRegion: 'US East',
      phaseBudgets: { link: Duration.seconds(30), lunch: Duration.minutes(5) },
      triggerEventPattern: { source: [EVENT_SOURCE] },
      atlasReservedConcurrency: 0,
      managedByTagValue: 'bad{value}',
      logLevel: 'TRACE',
    } as unknown as Partial<PrivateEndpointWorkflowProps>;
    let message = '';
    try {
      buildWorkflow(bad);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message.split('\n')[0]).toBe('Invalid PrivateEndpointWorkflow props:');
    const problems = message.split('\n').slice(1);
    expect(problems.map((p) => p.trim().slice(2).split(':')[0])).toEqual([
      'atlasBaseUrl',
      'atlasBaseUrl',
      'defaultKind',
      'defaultVpcId',
      'defaultSubnetIds[2]',
      'defaultSubnetIds',
      'defaultSecurityGroupIds',
      'defaultRegion',
      'phaseBudgets.link',
      'phaseBudgets.lunch',
      'triggerEventPattern',
      'atlasReservedConcurrency',
      'managedByTagValue',
      'logLevel',
    ]);
    expect(message).toContain('must use https');
    expect(message).toContain('scheme and host only');
    expect(message).toContain('contains duplicates');
  });

  it('requires the secret', () => {
    expect(validateWorkflowProps({} as PrivateEndpointWorkflowProps)).toEqual(['atlasSecret: required']);
    expect(validateWorkflowProps(undefined)).toEqual(['props: required (at least atlasSecret)']);
  });

  it('requires the execution timeout to leave the margin after the phase budgets', () => {
    const secret = {} as PrivateEndpointWorkflowProps['atlasSecret'];
    expect(validateWorkflowProps({ atlasSecret: secret, executionTimeout: Duration.hours(3) })).toEqual([
      'executionTimeout: 10800 s must be at least the phase budgets (12600 s) plus 600 s',
    ]);
    expect(validateWorkflowProps({ atlasSecret: secret, executionTimeout: Duration.seconds(13200) })).toEqual(
      [],
    );
    expect(
      validateWorkflowProps({
        atlasSecret: secret,
        phaseBudgets: { atlasEndpoint: Duration.minutes(5) },
        executionTimeout: Duration.seconds(12600 - 3300 + 600),
      }),
    ).toEqual([]);
    expect(
      validateWorkflowProps({ atlasSecret: secret, executionTimeout: Duration.millis(14_400_500) }),
    ).toEqual(['executionTimeout: must be whole seconds, at most one year']);
  });

  it('rejects a trigger pattern that matches everything', () => {
    const secret = {} as PrivateEndpointWorkflowProps['atlasSecret'];
    expect(
      validateWorkflowProps({ atlasSecret: secret, triggerEventPattern: { account: ['123456789012'] } }),
    ).toEqual(['triggerEventPattern: must match on source or detailType']);
  });
});
