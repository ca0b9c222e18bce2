import { Duration } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { EVENT_SOURCE } from '../../lambdas/workflow/events.ts';
import { defaultPollSchedule, MIN_EXECUTION_MARGIN_SECONDS, PHASES } from '../../lambdas/workflow/steps.ts';
import {
  type PrivateEndpointWorkflowProps,
  pollSchedules,
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
      pollingSchedule: {
        link: { initialDelay: Duration.seconds(30), intervals: [Duration.seconds(20), Duration.minutes(10)] },
        connection: { intervals: [Duration.seconds(5)] },
        cleanup: { initialDelay: Duration.seconds(0) },
      },
      executionTimeout: Duration.hours(8),
      atlasReservedConcurrency: 2,
      managedByTagValue: 'team-a/orders',
      logLevel: 'DEBUG',
    });
    expect(built.workflow.executionTimeout.toHours()).toBe(8);
    expect(built.workflow.phaseBudgetSeconds).toMatchObject({ link: 7200, cleanup: 1800, vpcEndpoint: 900 });
    expect(built.workflow.pollSchedules).toEqual({
      atlasEndpoint: defaultPollSchedule('atlasEndpoint'),
      vpcEndpoint: defaultPollSchedule('vpcEndpoint'),
      link: { initialDelaySeconds: 30, intervalsSeconds: [20, 600] },
      connection: { initialDelaySeconds: PHASES.connection.initialDelaySeconds, intervalsSeconds: [5] },
      cleanup: { initialDelaySeconds: 0, intervalsSeconds: PHASES.cleanup.intervalsSeconds },
    });
    // The built-in schedules are the likely-window ones: the first check at a minute for the endpoint service.
    expect(built.workflow.pollSchedules.atlasEndpoint.initialDelaySeconds).toBe(60);
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
      pollingSchedule: { link: { intervals: [Duration.seconds(1)] } },
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
      'pollingSchedule.link.intervals',
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
    // 12600 s of default budgets + the 11606 s margin (steps.ts MIN_EXECUTION_MARGIN_SECONDS) = 24206 s.
    expect(MIN_EXECUTION_MARGIN_SECONDS).toBe(11606);
    expect(validateWorkflowProps({ atlasSecret: secret, executionTimeout: Duration.hours(4) })).toEqual([
      'executionTimeout: 14400 s must be at least the phase budgets (12600 s) plus 11606 s',
    ]);
    expect(validateWorkflowProps({ atlasSecret: secret, executionTimeout: Duration.seconds(24205) })).toEqual(
      ['executionTimeout: 24205 s must be at least the phase budgets (12600 s) plus 11606 s'],
    );
    expect(validateWorkflowProps({ atlasSecret: secret, executionTimeout: Duration.seconds(24206) })).toEqual(
      [],
    );
    expect(
      validateWorkflowProps({
        atlasSecret: secret,
        phaseBudgets: { atlasEndpoint: Duration.minutes(5) },
        executionTimeout: Duration.seconds(12600 - 3300 + 11606),
      }),
    ).toEqual([]);
    expect(
      validateWorkflowProps({ atlasSecret: secret, executionTimeout: Duration.millis(14_400_500) }),
    ).toEqual(['executionTimeout: must be whole seconds, at most one year']);
  });

  it('takes the audit interval in whole hours from 1 to 168', () => {
    const secret = {} as PrivateEndpointWorkflowProps['atlasSecret'];
    for (const every of [Duration.hours(1), Duration.hours(6), Duration.days(7)]) {
      expect(validateWorkflowProps({ atlasSecret: secret, auditEvery: every })).toEqual([]);
    }
    for (const every of [
      Duration.minutes(30),
      Duration.minutes(90),
      Duration.hours(169),
      Duration.hours(0),
    ]) {
      expect(validateWorkflowProps({ atlasSecret: secret, auditEvery: every })).toEqual([
        'auditEvery: must be whole hours from 1 to 168',
      ]);
    }
  });

  it('checks the polling schedule: known phases and fields, whole seconds within bounds, all reported', () => {
    const secret = {} as PrivateEndpointWorkflowProps['atlasSecret'];
    const problems = validateWorkflowProps({
      atlasSecret: secret,
      pollingSchedule: {
        atlasEndpoint: { initialDelay: Duration.seconds(1801), intervals: [] },
        vpcEndpoint: { initialDelay: Duration.millis(1500), intervals: [Duration.seconds(4)] },
        link: { intervals: [Duration.seconds(5), Duration.seconds(601)] },
        connection: { intervals: Array.from({ length: 61 }, () => Duration.seconds(10)) },
        cleanup: {
          initialDelay: Duration.seconds(0),
          intervals: [Duration.seconds(5), Duration.seconds(600)],
        },
        lunch: { intervals: [Duration.seconds(10)] },
      } as unknown as PrivateEndpointWorkflowProps['pollingSchedule'],
    });
    expect(problems).toEqual([
      'pollingSchedule.atlasEndpoint.initialDelay: must be whole seconds from 0 to 1800, got 1801',
      'pollingSchedule.atlasEndpoint.intervals: must be 1 to 60 intervals, each whole seconds from 5 to 600, got []',
      'pollingSchedule.vpcEndpoint.initialDelay: must be whole seconds from 0 to 1800, got 1.5',
      'pollingSchedule.vpcEndpoint.intervals: must be 1 to 60 intervals, each whole seconds from 5 to 600, got [4]',
      'pollingSchedule.link.intervals: must be 1 to 60 intervals, each whole seconds from 5 to 600, got [5, 601]',
      expect.stringMatching(/^pollingSchedule\.connection\.intervals: must be 1 to 60 intervals/),
      'pollingSchedule.lunch: unknown phase (known: atlasEndpoint, vpcEndpoint, link, connection, cleanup)',
    ]);
    expect(
      validateWorkflowProps({
        atlasSecret: secret,
        pollingSchedule: {
          link: { interval: Duration.seconds(10) },
        } as unknown as PrivateEndpointWorkflowProps['pollingSchedule'],
      }),
    ).toEqual(['pollingSchedule.link.interval: unknown field (known: initialDelay, intervals)']);
  });

  it('fills phases and fields left out of the polling schedule with the built-in schedule', () => {
    const schedules = pollSchedules({
      pollingSchedule: { vpcEndpoint: { initialDelay: Duration.seconds(2) } },
    });
    expect(schedules.vpcEndpoint).toEqual({
      initialDelaySeconds: 2,
      intervalsSeconds: PHASES.vpcEndpoint.intervalsSeconds,
    });
    expect(schedules.link).toEqual(defaultPollSchedule('link'));
    expect(schedules.link.initialDelaySeconds).toBe(120);
    expect(pollSchedules({})).toEqual(
      pollSchedules({ pollingSchedule: { atlasEndpoint: {}, cleanup: undefined } }),
    );
  });

  it('rejects a trigger pattern that matches everything', () => {
    const secret = {} as PrivateEndpointWorkflowProps['atlasSecret'];
    expect(
      validateWorkflowProps({ atlasSecret: secret, triggerEventPattern: { account: ['123456789012'] } }),
    ).toEqual(['triggerEventPattern: must match on source or detailType']);
  });
});
