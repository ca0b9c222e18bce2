import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../lib/config.ts';
import { PrivateEndpointStack } from '../../lib/private-endpoint-stack.ts';
import { validateWorkflowSettings } from '../../lib/private-endpoint-workflow.ts';
import { CDK_JSON_CONTEXT, SECRET_ARN } from './support.ts';

const lookup = (context: Record<string, unknown>) => (key: string) => context[key];

describe('readConfig', () => {
  it('defaults: stack name, env from CDK_DEFAULT_*, no secret, no workflow props', () => {
    const { config, problems } = readConfig(lookup({}), { CDK_DEFAULT_REGION: 'eu-west-1' });
    expect(problems).toEqual([]);
    expect(config).toEqual({
      stackName: 'AtlasPrivateEndpointWorkflow',
      account: undefined,
      region: 'eu-west-1',
      atlasSecretArn: undefined,
      atlasSecretKmsKeyArn: undefined,
      workflow: {},
    });
  });

  it('reads -c strings and cdk.json JSON values alike', () => {
    const fromCli = readConfig(
      lookup({
        atlasSecretArn: SECRET_ARN,
        defaultSubnetIds: 'subnet-0a1b2c3d, subnet-0f1e2d3c',
        defaultSecurityGroupIds: '["sg-0a1b2c3d"]',
        rollbackOnFailure: 'false',
        atlasReservedConcurrency: 'false',
        phaseBudgetSeconds: '{"link":7200}',
        executionTimeoutMinutes: '300',
        logLevel: 'DEBUG',
      }),
      {},
    );
    expect(fromCli.problems).toEqual([]);
    expect(fromCli.config.atlasSecretArn).toBe(SECRET_ARN);
    const w = fromCli.config.workflow;
    expect(w.defaultSubnetIds).toEqual(['subnet-0a1b2c3d', 'subnet-0f1e2d3c']);
    expect(w.defaultSecurityGroupIds).toEqual(['sg-0a1b2c3d']);
    expect(w.rollbackOnFailure).toBe(false);
    expect(w.atlasReservedConcurrency).toBe(false);
    expect(w.phaseBudgets?.link?.toSeconds()).toBe(7200);
    expect(w.executionTimeout?.toMinutes()).toBe(300);
    const fromJson = readConfig(
      lookup({
        defaultSubnetIds: ['subnet-0a1b2c3d'],
        rollbackOnFailure: true,
        atlasReservedConcurrency: 3,
        phaseBudgetSeconds: { cleanup: 600 },
      }),
      {},
    );
    expect(fromJson.problems).toEqual([]);
    expect(fromJson.config.workflow).toMatchObject({
      defaultSubnetIds: ['subnet-0a1b2c3d'],
      rollbackOnFailure: true,
      atlasReservedConcurrency: 3,
    });
  });

  it('reports every malformed value', () => {
    const { problems } = readConfig(
      lookup({
        atlasSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:atlas',
        atlasSecretKmsKeyArn: 'key',
        rollbackOnFailure: 'maybe',
        atlasReservedConcurrency: 'lots',
        phaseBudgetSeconds: '{"link":',
        defaultSubnetIds: 42,
        executionTimeoutMinutes: 'soon',
        logLevel: 3,
      }),
      {},
    );
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(
      [
        'atlasReservedConcurrency',
        'atlasSecretArn',
        'atlasSecretKmsKeyArn',
        'defaultSubnetIds',
        'executionTimeoutMinutes',
        'logLevel',
        'phaseBudgetSeconds',
        'rollbackOnFailure',
      ].sort(),
    );
  });
});

describe('readConfig: pollingSchedule', () => {
  it('reads an object or its JSON, intervals as a list or comma-separated, into Durations', () => {
    const fromCli = readConfig(
      lookup({
        pollingSchedule:
          '{"link":{"initialDelaySeconds":20,"intervalsSeconds":"30, 60"},"cleanup":{"intervalsSeconds":[10]}}',
      }),
      {},
    );
    expect(fromCli.problems).toEqual([]);
    const schedule = fromCli.config.workflow.pollingSchedule;
    expect(schedule?.link?.initialDelay?.toSeconds()).toBe(20);
    expect(schedule?.link?.intervals?.map((d) => d.toSeconds())).toEqual([30, 60]);
    expect(schedule?.cleanup?.initialDelay).toBeUndefined();
    expect(schedule?.cleanup?.intervals?.map((d) => d.toSeconds())).toEqual([10]);
    const fromJson = readConfig(lookup({ pollingSchedule: { vpcEndpoint: { initialDelaySeconds: 0 } } }), {});
    expect(fromJson.problems).toEqual([]);
    expect(fromJson.config.workflow.pollingSchedule?.vpcEndpoint?.initialDelay?.toSeconds()).toBe(0);
    expect(readConfig(lookup({}), {}).config.workflow).not.toHaveProperty('pollingSchedule');
  });

  it('reports every malformed shape; the ranges are left to the construct', () => {
    const shapes = (value: unknown) => readConfig(lookup({ pollingSchedule: value }), {}).problems;
    expect(shapes('{"link":')).toEqual([expect.stringMatching(/^pollingSchedule: must be a JSON object/)]);
    expect(shapes([1])).toEqual([expect.stringMatching(/^pollingSchedule: must be an object/)]);
    expect(
      shapes({
        lunch: {},
        link: 5,
        cleanup: { initialDelaySeconds: -1, intervalsSeconds: 'x,10', every: 5 },
        connection: { intervalsSeconds: 10 },
        vpcEndpoint: { initialDelaySeconds: '5' },
      }),
    ).toEqual([
      'pollingSchedule.lunch: unknown phase (known: atlasEndpoint, vpcEndpoint, link, connection, cleanup)',
      'pollingSchedule.link: must be an object { initialDelaySeconds?, intervalsSeconds? }',
      'pollingSchedule.cleanup.initialDelaySeconds: must be a number of seconds',
      'pollingSchedule.cleanup.intervalsSeconds[0]: must be a number of seconds',
      'pollingSchedule.cleanup.every: unknown field (known: initialDelaySeconds, intervalsSeconds)',
      'pollingSchedule.connection.intervalsSeconds: must be a list of seconds or comma-separated seconds',
      'pollingSchedule.vpcEndpoint.initialDelaySeconds: must be a number of seconds',
    ]);
    // Well-formed but out of range: read, then refused by the construct's validation with the other props.
    const { config, problems } = readConfig(
      lookup({ pollingSchedule: { link: { intervalsSeconds: [1] } } }),
      {},
    );
    expect(problems).toEqual([]);
    expect(validateWorkflowSettings(config.workflow)).toEqual([
      'pollingSchedule.link.intervals: must be 1 to 20 intervals, each whole seconds from 5 to 600, got [1]',
    ]);
  });
});

describe('PrivateEndpointStack', () => {
  function synthStack(props: ConstructorParameters<typeof PrivateEndpointStack>[2]) {
    const outdir = mkdtempSync(join(tmpdir(), 'ape-stack-test-'));
    try {
      const app = new App({
        outdir,
        builtinCloudFormationValidation: false,
        context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] },
      });
      return Template.fromStack(new PrivateEndpointStack(app, 'S', props));
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }

  it('without a secret ARN, takes it as a required CloudFormation parameter and grants on that', () => {
    const template = synthStack({});
    template.hasParameter('AtlasSecretArn', {
      Type: 'String',
      AllowedPattern: '^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+-[A-Za-z0-9]{6}$',
    });
    expect(template.toJSON().Parameters.AtlasSecretArn.Default).toBeUndefined();
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {},
          {},
          {
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: { Ref: 'AtlasSecretArn' },
          },
        ],
      },
    });
    for (const output of ['StateMachineArn', 'TriggerRuleArn', 'DeadLetterQueueUrl'])
      template.hasOutput(output, {});
  });

  it('with a secret ARN and a KMS key, grants read on the secret and decrypt on the key', () => {
    const template = synthStack({
      env: { account: '123456789012', region: 'us-east-1' },
      atlasSecretArn: SECRET_ARN,
      atlasSecretKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    });
    expect(template.toJSON().Parameters?.AtlasSecretArn).toBeUndefined();
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {},
          {},
          {
            Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
            Resource: SECRET_ARN,
          },
          {
            Action: 'kms:Decrypt',
            Resource: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
            Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } },
          },
        ],
      },
    });
  });
});
