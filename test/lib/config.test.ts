import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, checkConfig, readConfig } from '../../lib/config.ts';
import { defineStacks, PrivateEndpointStack } from '../../lib/private-endpoint-stack.ts';
import { PROJECT_ROOT, validateWorkflowSettings } from '../../lib/private-endpoint-workflow.ts';
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
      'pollingSchedule.link.intervals: must be 1 to 60 intervals, each whole seconds from 5 to 600, got [1]',
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
          { Sid: 'SharedAtlasToken' },
        ],
      },
    });
    for (const output of ['StateMachineArn', 'TriggerRuleArn', 'DeadLetterQueueUrl'])
      template.hasOutput(output, {});
  });

  it('imports the Atlas functions network and the alarm topic by id', () => {
    const template = synthStack({
      env: { account: '123456789012', region: 'us-east-1' },
      atlasSecretArn: SECRET_ARN,
      atlasFunctionsNetwork: {
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
        securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
      },
      alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops-alarms',
    });
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    const inVpc = functions.filter((f) => f.Properties.VpcConfig !== undefined);
    // The ten functions that call Atlas (the eight of the create path, the lifecycle's inspection and repair).
    expect(inVpc).toHaveLength(10);
    for (const f of inVpc) {
      expect(f.Properties.VpcConfig).toEqual({
        SubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
        SecurityGroupIds: ['sg-0a1b2c3d4e5f60718'],
      });
    }
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toEqual(['arn:aws:sns:us-east-1:123456789012:ops-alarms']);
    }
    template.hasOutput('StateMachineArn', { Description: Match.stringLikeRegexp('start-execution') });
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
          { Sid: 'SharedAtlasToken' },
        ],
      },
    });
  });
});

describe('checkConfig: keys as the user wrote them', () => {
  const ok = { atlasSecretArn: SECRET_ARN };

  it('refuses a misspelled key with the closest known one, and leaves CDK keys alone', () => {
    const { problems } = checkConfig(
      {
        ...CDK_JSON_CONTEXT,
        'aws:cdk:bundling-stacks': ['*'],
        'availability-zones:account=123456789012:region=us-east-1': ['us-east-1a'],
        atlasSecretArnn: SECRET_ARN,
        allowedRegion: 'us-east-1',
        DefaultVpcId: 'vpc-0a1b2c3d',
        rollbackOnFaliure: 'false',
        somethingElse: 1,
      },
      {},
    );
    expect(problems).toEqual([
      'atlasSecretArnn: not a setting of this app (did you mean "atlasSecretArn"?); the settings are listed in lib/config.ts and the README',
      'allowedRegion: not a setting of this app (did you mean "allowedRegions"?); the settings are listed in lib/config.ts and the README',
      'DefaultVpcId: not a setting of this app (did you mean "defaultVpcId"?); the settings are listed in lib/config.ts and the README',
      'rollbackOnFaliure: not a setting of this app (did you mean "rollbackOnFailure"?); the settings are listed in lib/config.ts and the README',
      'somethingElse: not a setting of this app; the settings are listed in lib/config.ts and the README',
    ]);
    expect(checkConfig({ ...CDK_JSON_CONTEXT, ...ok }, {}).problems).toEqual([]);
    // Every key the README and lib/config.ts document is known.
    expect(checkConfig(Object.fromEntries(CONTEXT_KEYS.map((k) => [k, undefined])), {}).problems).toEqual([]);
  });

  it("names the construct's problems by the cdk.json keys, not the props they become", () => {
    const { problems } = checkConfig(
      {
        ...ok,
        phaseBudgetSeconds: { link: 30 },
        pollingSchedule: { link: { initialDelaySeconds: 1801, intervalsSeconds: [1] } },
        allowedRegions: 'us-east-1,mars-north-1',
        vpcAccountIds: '210987654321',
        stateMachineName: 'orders link',
      },
      {},
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        'phaseBudgetSeconds.link: must be whole seconds from 60 to 86400, got 30',
        'pollingSchedule.link.initialDelaySeconds: must be whole seconds from 0 to 1800, got 1801',
        'pollingSchedule.link.intervalsSeconds: must be 1 to 60 intervals, each whole seconds from 5 to 600, got [1]',
        'allowedRegions[1]: "mars-north-1" is not an AWS region MongoDB Atlas supports (e.g. us-east-1)',
        'vpcAccountExternalId: required with vpcAccountIds (the roles in those accounts require it)',
        expect.stringMatching(/^managedByTagValue: required with vpcAccountIds/),
        'stateMachineName: must be 1 to 80 letters, digits, - or _',
      ]),
    );
    for (const p of problems)
      expect(p).not.toMatch(
        /^(phaseBudgets|executionTimeout:|pollingSchedule\.\w+\.(initialDelay|intervals):)/,
      );
  });

  it('reads the regions, accounts, Atlas network, alarm topic and state machine name', () => {
    const { config, problems } = checkConfig(
      {
        ...ok,
        allowedRegions: 'us-east-1, eu-west-1',
        vpcAccountIds: ['210987654321'],
        vpcAccountExternalId: 'orders-platform-external-id',
        vpcAccountRoleName: 'AtlasLinkAccess',
        managedByTagValue: 'orders-platform',
        atlasFunctionsVpcId: 'vpc-0a1b2c3d4e5f60718',
        atlasFunctionsSubnetIds: 'subnet-0a1b2c3d4e5f60718,subnet-0f1e2d3c4b5a69788',
        atlasFunctionsSecurityGroupIds: ['sg-0a1b2c3d4e5f60718'],
        alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops-alarms',
        stateMachineName: 'orders-atlas-link',
      },
      {},
    );
    expect(problems).toEqual([]);
    expect(config.workflow).toMatchObject({
      allowedRegions: ['us-east-1', 'eu-west-1'],
      vpcAccountIds: ['210987654321'],
      vpcAccountExternalId: 'orders-platform-external-id',
      vpcAccountRoleName: 'AtlasLinkAccess',
      stateMachineName: 'orders-atlas-link',
    });
    expect(config.atlasFunctionsNetwork).toEqual({
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
      securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
    });
    expect(config.alarmTopicArn).toBe('arn:aws:sns:us-east-1:123456789012:ops-alarms');
    expect(
      checkConfig({ ...ok, atlasFunctionsSubnetIds: 'subnet-0a1b2c3d', alarmTopicArn: 'ops' }, {}).problems,
    ).toEqual([
      'atlasFunctionsSubnetIds, atlasFunctionsSecurityGroupIds: need atlasFunctionsVpcId',
      'alarmTopicArn: must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>)',
    ]);
  });

  it('the app synthesizes the workflow stack and, with workflowAccountId, the VPC account stack, cdk-nag passing', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'ape-app-'));
    try {
      const settings = {
        atlasSecretArn: SECRET_ARN,
        account: '123456789012',
        region: 'us-east-1',
        allowedRegions: 'us-east-1,eu-west-1',
        vpcAccountIds: '210987654321',
        vpcAccountExternalId: 'orders-platform-external-id',
        managedByTagValue: 'orders-platform',
        workflowAccountId: '123456789012',
        atlasFunctionsVpcId: 'vpc-0a1b2c3d4e5f60718',
        atlasFunctionsSubnetIds: 'subnet-0a1b2c3d4e5f60718,subnet-0f1e2d3c4b5a69788',
        alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops-alarms',
        stateMachineName: 'orders-atlas-link',
      };
      // As bin/app.ts does it, in process: the configuration check, the stacks, cdk-nag.
      const app = new App({
        outdir,
        builtinCloudFormationValidation: false,
        context: {
          ...CDK_JSON_CONTEXT,
          'aws:cdk:bundling-stacks': [],
          '@aws-cdk/core:validationReportJson': true,
          ...settings,
        },
      });
      const { config, problems } = checkConfig(app.node.getAllContext(), {});
      expect(problems).toEqual([]);
      const stacks = defineStacks(app, config);
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: false }));
      app.synth();
      const report = JSON.parse(readFileSync(join(outdir, 'policy-validation-report.json'), 'utf8')) as {
        pluginReports: { violations: { ruleName: string }[] }[];
      };
      expect(report.pluginReports.flatMap((r) => r.violations.map((v) => v.ruleName))).toEqual([]);

      const hub = Template.fromStack(stacks.workflow);
      hub.hasOutput('StateMachineArn', { Value: { Ref: Match.stringLikeRegexp('StateMachine') } });
      hub.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        StateMachineName: 'orders-atlas-link',
      });
      const spoke = Template.fromStack(stacks.vpcAccess!);
      spoke.hasOutput('VpcAccessRoleArn', {});
      spoke.hasResourceProperties('AWS::IAM::Role', {
        RoleName: 'AtlasPrivateEndpointVpcAccess',
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [
            Match.objectLike({
              Condition: Match.objectLike({
                StringEquals: { 'sts:ExternalId': 'orders-platform-external-id' },
              }),
            }),
          ],
        }),
      });
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('the app refuses a misspelled -c key before synthesizing anything (bin/app.ts as the CLI runs it)', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'ape-app-'));
    try {
      const result = spawnSync(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'bin/app.ts')], {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          ...process.env,
          CDK_OUTDIR: outdir,
          CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON_CONTEXT, atlasSecretArm: SECRET_ARN }),
        },
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('Invalid configuration:');
      expect(result.stderr).toContain(
        'atlasSecretArm: not a setting of this app (did you mean "atlasSecretArn"?)',
      );
      expect(readdirSync(outdir)).toEqual([]);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
