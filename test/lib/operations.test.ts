/**
 * What an operator gets: alarms that can notify (state machine, trigger dead-letter queue, trigger rule), the
 * state machine log group under the vended-logs prefix, a settable state machine name, the Atlas functions in
 * a VPC when asked, and no reserved concurrency unless asked.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { STEP_IDS, STEPS } from '../../lambdas/workflow/steps.ts';
import { validateWorkflowProps } from '../../lib/private-endpoint-workflow.ts';
import { atlasVpcProps, logicalIdOf, synthWorkflow } from './support.ts';

type Resource = { Type: string; Properties: Record<string, unknown> };

describe('alarms', () => {
  it('alarm on request events in the dead-letter queue and on failed rule invocations', () => {
    const s = synthWorkflow();
    const queue = logicalIdOf(s.stack, s.workflow.deadLetterQueue);
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Events',
      MetricName: 'FailedInvocations',
      Dimensions: [{ Name: 'RuleName', Value: { Ref: logicalIdOf(s.stack, s.workflow.rule) } }],
      Statistic: 'Sum',
      Threshold: 1,
    });
    // No notification unless asked.
    for (const alarm of Object.values(s.template.findResources('AWS::CloudWatch::Alarm')) as Resource[]) {
      expect(alarm.Properties.AlarmActions).toBeUndefined();
    }
  });

  it('a rule on another bus is measured with the bus name too', () => {
    const s = synthWorkflow((stack) => ({
      eventBus: new events.EventBus(stack, 'Bus', { eventBusName: 'platform' }),
    }));
    const alarm = (Object.values(s.template.findResources('AWS::CloudWatch::Alarm')) as Resource[]).find(
      (a) => a.Properties.MetricName === 'FailedInvocations',
    )!;
    expect((alarm.Properties.Dimensions as { Name: string }[]).map((d) => d.Name)).toEqual([
      'EventBusName',
      'RuleName',
    ]);
  });

  it('every alarm notifies alarmTopic (ALARM and OK) and runs alarmActions', () => {
    const s = synthWorkflow((stack) => ({
      alarmTopic: new sns.Topic(stack, 'Ops'),
      alarmActions: [new cloudwatchActions.SnsAction(new sns.Topic(stack, 'Pager'))],
    }));
    const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
    expect(alarms).toHaveLength(7);
    for (const alarm of alarms) {
      const actions = JSON.stringify(alarm.Properties.AlarmActions);
      expect(actions).toContain('OpsA');
      expect(actions).toContain('Pager');
      expect(JSON.stringify(alarm.Properties.OKActions)).toContain('OpsA');
    }
  });
});

describe('state machine name and log group', () => {
  it('logs under /aws/vendedlogs/states/, named after the state machine when it has a name', () => {
    const s = synthWorkflow();
    const group = s.template.toJSON().Resources[logicalIdOf(s.stack, s.workflow.logGroup)];
    expect(group.Properties.LogGroupName).toMatch(/^\/aws\/vendedlogs\/states\/TestStack-?Workflow/);
    const named = synthWorkflow({ stateMachineName: 'orders-atlas-link' });
    const namedGroup = named.template.toJSON().Resources[logicalIdOf(named.stack, named.workflow.logGroup)];
    expect(namedGroup.Properties.LogGroupName).toBe('/aws/vendedlogs/states/orders-atlas-link');
    named.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: 'orders-atlas-link',
    });
  });

  it('refuses a state machine name Step Functions would refuse', () => {
    expect(validateWorkflowProps({ stateMachineName: 'orders link!' } as never)).toContain(
      'stateMachineName: must be 1 to 80 letters, digits, - or _',
    );
  });
});

describe('Atlas functions in a VPC', () => {
  it('puts exactly the Atlas-calling functions in the given subnets and security groups, with ENI permissions', () => {
    const s = synthWorkflow(atlasVpcProps);
    for (const id of STEP_IDS) {
      const fn = s.template.toJSON().Resources[logicalIdOf(s.stack, s.workflow.functions[id])];
      const policy = JSON.stringify(s.template.toJSON().Resources);
      if (STEPS[id].atlas) {
        expect(fn.Properties.VpcConfig, id).toEqual({
          SubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
          SecurityGroupIds: ['sg-0a1b2c3d4e5f60718'],
        });
      } else {
        expect(fn.Properties.VpcConfig, id).toBeUndefined();
      }
      expect(policy).toContain('LambdaVpcNetworkInterfaces');
    }
    const eniPolicies = Object.values(s.template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p).includes('ec2:CreateNetworkInterface'),
    );
    expect(eniPolicies).toHaveLength(STEP_IDS.filter((id) => STEPS[id].atlas).length);
    // No managed policy anywhere (the network interface permissions are inline).
    for (const role of Object.values(s.template.findResources('AWS::IAM::Role')) as Resource[]) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('refuses subnets or security groups without the VPC', () => {
    expect(
      validateWorkflowProps({
        atlasSecret: {} as never,
        atlasFunctionsSecurityGroups: [],
      }),
    ).toEqual(['atlasFunctionsVpcSubnets, atlasFunctionsSecurityGroups: need atlasFunctionsVpc']);
  });
});

describe('reserved concurrency', () => {
  it('is not reserved by default (deployable with any account quota), and reserved when asked', () => {
    const unreserved = synthWorkflow();
    const reserved = synthWorkflow({ atlasReservedConcurrency: 5, executionTimeout: Duration.hours(7) });
    for (const id of STEP_IDS.filter((i) => STEPS[i].atlas)) {
      const get = (s: typeof reserved) =>
        s.template.toJSON().Resources[logicalIdOf(s.stack, s.workflow.functions[id])].Properties
          .ReservedConcurrentExecutions;
      expect(get(unreserved), id).toBeUndefined();
      expect(get(reserved), id).toBe(5);
    }
  });
});
