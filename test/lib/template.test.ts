import { Duration } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { DetailTypes, EVENT_SOURCE, REQUEST_EVENT_SOURCE } from '../../lambdas/workflow/events.ts';
import {
  DEFAULT_EXECUTION_MARGIN_SECONDS,
  HandlerEnv,
  PHASES,
  POLL_PHASES,
  phaseOfCheckStep,
  STEP_IDS,
  STEPS,
} from '../../lambdas/workflow/steps.ts';
import { extractDefinition } from '../../lib/asl.ts';
import { HANDLER_TARGET, handlerBuildOptions } from '../../lib/handler-bundle.ts';
import { HANDLER_RUNTIME } from '../../lib/handler-function.ts';
import { logicalIdOf, SECRET_ARN, type Synthesized, synthWorkflow } from './support.ts';

let synth: Synthesized;
let template: Template;
beforeAll(() => {
  synth = synthWorkflow();
  template = synth.template;
});

const functionProps = (id: (typeof STEP_IDS)[number]) => {
  const logicalId = logicalIdOf(synth.stack, synth.workflow.functions[id]);
  return template.toJSON().Resources[logicalId].Properties as Record<string, unknown> & {
    Environment: { Variables: Record<string, unknown> };
  };
};

describe('functions', () => {
  it('one per step, Node 24 on arm64 (the bundles target node24), traced, 60 s, with an explicit log group', () => {
    template.resourceCountIs('AWS::Lambda::Function', STEP_IDS.length);
    expect(HANDLER_RUNTIME.name).toBe('nodejs24.x');
    expect(HANDLER_TARGET).toBe('node24');
    expect(handlerBuildOptions('x.ts', 'out', '.').target).toBe(HANDLER_TARGET);
    for (const id of STEP_IDS) {
      const props = functionProps(id);
      expect(props).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: 60,
        MemorySize: 512,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.stringContaining('LogGroup') } },
      });
      expect(props.Description).toContain(STEPS[id].stateName);
    }
    template.resourceCountIs('AWS::Logs::LogGroup', STEP_IDS.length + 1);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('sets exactly the env each step needs (Atlas env only on Atlas callers, defaults only on validation)', () => {
    const managedBy = synth.workflow.managedByTagValue;
    for (const id of STEP_IDS) {
      const spec = STEPS[id];
      const expected: Record<string, unknown> = {
        POWERTOOLS_SERVICE_NAME: 'atlas-private-endpoint-workflow',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        [HandlerEnv.WorkflowStep]: id,
      };
      if (spec.atlas) {
        expected[HandlerEnv.AtlasSecretArn] = SECRET_ARN;
        expected[HandlerEnv.AtlasBaseUrl] = 'https://cloud.mongodb.com';
      }
      if (spec.ec2Actions.length > 0) {
        expected[HandlerEnv.ManagedByTagValue] = managedBy;
        expected[HandlerEnv.WorkflowAccountId] = '123456789012';
      }
      // Atlas functions too: the deployment's shared Atlas token lives in the lease table (sealed).
      if (spec.leaseActions.length > 0 || spec.atlas) {
        expected[HandlerEnv.LeaseTableName] = { Ref: logicalIdOf(synth.stack, synth.workflow.leaseTable) };
      }
      if (spec.requestDefaults) {
        expected[HandlerEnv.DefaultRegion] = 'us-east-1';
        expected[HandlerEnv.AllowedRegions] = 'us-east-1';
        expected[HandlerEnv.DefaultRollbackOnFailure] = 'true';
        expected[HandlerEnv.ExecutionTimeoutSeconds] = '26100';
        for (const phase of POLL_PHASES) {
          expected[PHASES[phase].budgetEnv] = String(PHASES[phase].defaultBudgetSeconds);
          expected[PHASES[phase].firstWaitEnv] = String(PHASES[phase].initialDelaySeconds);
        }
      }
      const phase = phaseOfCheckStep(id);
      if (phase !== undefined)
        expected[PHASES[phase].intervalsEnv] = PHASES[phase].intervalsSeconds.join(',');
      expect(functionProps(id).Environment.Variables, id).toEqual(expected);
    }
  });

  it('carries a configured polling schedule to the check functions and validate-request (env)', () => {
    const s = synthWorkflow({
      pollingSchedule: {
        link: { initialDelay: Duration.seconds(30), intervals: [Duration.seconds(20), Duration.seconds(40)] },
        cleanup: { intervals: [Duration.minutes(1)] },
        connection: { initialDelay: Duration.seconds(7) },
      },
    });
    const env = (id: (typeof STEP_IDS)[number]) =>
      s.template.toJSON().Resources[logicalIdOf(s.stack, s.workflow.functions[id])].Properties.Environment
        .Variables as Record<string, string>;
    expect(env('describe-link').POLL_INTERVALS_LINK_SECONDS).toBe('20,40');
    expect(env('check-cleanup').POLL_INTERVALS_CLEANUP_SECONDS).toBe('60');
    expect(env('read-connection-string').POLL_INTERVALS_CONNECTION_SECONDS).toBe(
      PHASES.connection.intervalsSeconds.join(','),
    );
    expect(env('describe-vpc-endpoint').POLL_INTERVALS_VPC_ENDPOINT_SECONDS).toBe(
      PHASES.vpcEndpoint.intervalsSeconds.join(','),
    );
    // Only the check function of a phase gets its intervals.
    expect(Object.keys(env('link-endpoint')).filter((k) => k.startsWith('POLL_INTERVALS_'))).toEqual([]);
    expect(Object.keys(env('describe-link')).filter((k) => k.startsWith('POLL_INTERVALS_'))).toEqual([
      'POLL_INTERVALS_LINK_SECONDS',
    ]);

    // The first waits go to validate-request, which clips them to half of each phase's budget into the record;
    // the "Start … polling" Pass reads them from there.
    const firstWait = (phase: (typeof POLL_PHASES)[number]) =>
      env('validate-request')[PHASES[phase].firstWaitEnv];
    expect(firstWait('link')).toBe('30');
    expect(firstWait('connection')).toBe('7');
    expect(firstWait('cleanup')).toBe(String(PHASES.cleanup.initialDelaySeconds));
    expect(firstWait('atlasEndpoint')).toBe(String(PHASES.atlasEndpoint.initialDelaySeconds));
    const states = extractDefinition(s.template).States;
    expect((states[PHASES.link.startState]!.Parameters as Record<string, unknown>)['waitSeconds.$']).toBe(
      '$.settings.firstWaitSeconds.link',
    );
  });

  it('reserves no concurrency by default, and the given concurrency on the Atlas functions only', () => {
    for (const id of STEP_IDS) expect(functionProps(id).ReservedConcurrentExecutions, id).toBeUndefined();
    const s = synthWorkflow({ atlasReservedConcurrency: 5 });
    for (const id of STEP_IDS) {
      const props = s.template.toJSON().Resources[logicalIdOf(s.stack, s.workflow.functions[id])].Properties;
      expect(props.ReservedConcurrentExecutions, id).toBe(STEPS[id].atlas ? 5 : undefined);
    }
  });

  it('passes the deployment defaults to the validate function', () => {
    const s = synthWorkflow({
      defaultKind: 'dedicated',
      defaultVpcId: 'vpc-0a1b2c3d4e5f60718',
      defaultSubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
      defaultSecurityGroupIds: ['sg-0a1b2c3d4e5f60718'],
      defaultRegion: 'eu-west-1',
      rollbackOnFailure: false,
      atlasBaseUrl: 'https://cloud.mongodbgov.com/',
      atlasReservedConcurrency: false,
    });
    const validate =
      s.template.toJSON().Resources[logicalIdOf(s.stack, s.workflow.functions['validate-request'])]
        .Properties;
    expect(validate.Environment.Variables).toMatchObject({
      [HandlerEnv.DefaultKind]: 'dedicated',
      [HandlerEnv.DefaultVpcId]: 'vpc-0a1b2c3d4e5f60718',
      [HandlerEnv.DefaultSubnetIds]: 'subnet-0a1b2c3d4e5f60718,subnet-0f1e2d3c4b5a69788',
      [HandlerEnv.DefaultSecurityGroupIds]: 'sg-0a1b2c3d4e5f60718',
      [HandlerEnv.DefaultRegion]: 'eu-west-1',
      [HandlerEnv.DefaultRollbackOnFailure]: 'false',
      [HandlerEnv.AtlasBaseUrl]: 'https://cloud.mongodbgov.com',
    });
    expect(validate.ReservedConcurrentExecutions).toBeUndefined();
  });
});

describe('state machine', () => {
  it('is STANDARD, logs ALL without execution data, traces, times out after the budgets plus margin', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: { 'Fn::GetAtt': [logicalIdOf(synth.stack, synth.workflow.logGroup), 'Arn'] },
            },
          },
        ],
      },
    });
    // 12600 s of budgets + 13500 s of default margin (steps.ts DEFAULT_EXECUTION_MARGIN_SECONDS).
    expect(synth.workflow.executionTimeout.toSeconds()).toBe(12600 + DEFAULT_EXECUTION_MARGIN_SECONDS);
    expect(extractDefinition(template).TimeoutSeconds).toBe(26100);
  });

  it('has the four state machine alarms, the drift alarm (and two on the trigger, see operations.test.ts)', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 7);
    const smRef = { Ref: logicalIdOf(synth.stack, synth.workflow.stateMachine) };
    for (const metric of [
      'ExecutionsFailed',
      'ExecutionsTimedOut',
      'ExecutionsAborted',
      'ExecutionThrottled',
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: smRef }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
    // Drift events are matched by a rule of their own, counted on the default bus by rule name.
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      EventPattern: { source: [EVENT_SOURCE], 'detail-type': [DetailTypes.DriftDetected] },
      Targets: Match.absent(),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Events',
      MetricName: 'MatchedEvents',
      Dimensions: [{ Name: 'RuleName', Value: { Ref: logicalIdOf(synth.stack, synth.workflow.driftRule) } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    expect(Object.keys(synth.workflow.alarms).sort()).toEqual([
      'deadLetterQueueNotEmpty',
      'driftDetected',
      'executionThrottled',
      'executionsAborted',
      'executionsFailed',
      'executionsTimedOut',
      'triggerFailedInvocations',
    ]);
  });
});

describe('trigger', () => {
  it('a rule on the default bus matching request events, starting the state machine with the detail', () => {
    // create, delete and check (one rule for both), and the drift rule
    template.resourceCountIs('AWS::Events::Rule', 3);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      EventPattern: { source: [REQUEST_EVENT_SOURCE], 'detail-type': [DetailTypes.Requested] },
      State: 'ENABLED',
      Targets: [
        {
          Arn: { Ref: logicalIdOf(synth.stack, synth.workflow.stateMachine) },
          Input: Match.absent(),
          InputPath: '$.detail',
          RoleArn: { 'Fn::GetAtt': [logicalIdOf(synth.stack, synth.workflow.triggerRole), 'Arn'] },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [logicalIdOf(synth.stack, synth.workflow.deadLetterQueue), 'Arn'] },
          },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
          Id: Match.anyValue(),
        },
      ],
    });
  });

  it('a rule for the delete and check detail-types, passing the whole event (its detail-type names the action)', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: 'default',
      EventPattern: {
        source: [REQUEST_EVENT_SOURCE],
        'detail-type': [DetailTypes.DeleteRequested, DetailTypes.CheckRequested],
      },
      Targets: [
        Match.objectLike({
          Arn: { Ref: logicalIdOf(synth.stack, synth.workflow.stateMachine) },
          Input: Match.absent(),
          InputPath: '$',
          RoleArn: { 'Fn::GetAtt': [logicalIdOf(synth.stack, synth.workflow.triggerRole), 'Arn'] },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [logicalIdOf(synth.stack, synth.workflow.deadLetterQueue), 'Arn'] },
          },
        }),
      ],
    });
  });

  it('no audit schedule by default; with auditEvery, a Scheduler schedule starting {"action":"audit"}', () => {
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    expect(synth.workflow.auditSchedule).toBeUndefined();
    const s = synthWorkflow({ auditEvery: Duration.hours(6) });
    s.template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    s.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(6 hours)',
      State: 'ENABLED',
      Target: Match.objectLike({
        Arn: { Ref: logicalIdOf(s.stack, s.workflow.stateMachine) },
        Input: JSON.stringify({ action: 'audit' }),
        RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 3 }),
      }),
    });
  });

  it('its own role, which may only start this state machine', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' } },
        ],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalIdOf(synth.stack, synth.workflow.triggerRole) }],
      PolicyDocument: {
        Statement: [
          {
            Action: 'states:StartExecution',
            Effect: 'Allow',
            Resource: { Ref: logicalIdOf(synth.stack, synth.workflow.stateMachine) },
          },
        ],
      },
    });
  });

  it('an encrypted dead-letter queue that refuses plain HTTP and accepts only this rule', () => {
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    const queueArn = { 'Fn::GetAtt': [logicalIdOf(synth.stack, synth.workflow.deadLetterQueue), 'Arn'] };
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            Resource: queueArn,
          }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: {
              ArnEquals: {
                'aws:SourceArn': { 'Fn::GetAtt': [logicalIdOf(synth.stack, synth.workflow.rule), 'Arn'] },
              },
            },
            Resource: queueArn,
          }),
        ]),
      },
    });
  });

  it('uses a given bus and pattern', () => {
    const s = synthWorkflow({
      triggerEventPattern: { source: ['orders.app'], detailType: ['Connect Atlas'] },
    });
    s.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['orders.app'], 'detail-type': ['Connect Atlas'] },
    });
  });
});
