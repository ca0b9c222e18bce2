/** Exact IAM per role: every statement, action, resource and condition, and nothing else. */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TAG_MANAGED_BY } from '../../lambdas/core/tags.ts';
import { STEP_IDS, STEPS, type StepId } from '../../lambdas/workflow/steps.ts';
import { logicalIdOf, SECRET_ARN, type Synthesized, synthWorkflow } from './support.ts';

let synth: Synthesized;
let template: Template;
beforeAll(() => {
  synth = synthWorkflow({ managedByTagValue: 'orders-platform' });
  template = synth.template;
});

const EC2 = 'arn:aws:ec2:us-east-1:123456789012';
const MANAGED_BY = 'orders-platform';

type Statement = Record<string, unknown>;

const logs = (id: StepId): Statement => ({
  Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
  Effect: 'Allow',
  Resource: { 'Fn::GetAtt': [logicalIdOf(synth.stack, synth.workflow.functions[id].handlerLogGroup), 'Arn'] },
});
const XRAY: Statement = {
  Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
  Effect: 'Allow',
  Resource: '*',
};
const SECRET: Statement = {
  Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
  Effect: 'Allow',
  Resource: SECRET_ARN,
};
const describeVpcEndpoints: Statement = {
  Action: 'ec2:DescribeVpcEndpoints',
  Effect: 'Allow',
  Resource: '*',
  Sid: 'Ec2Describe',
};

/** The expected statements of each function role, written out by hand. */
const EXPECTED: Record<StepId, (id: StepId) => Statement[]> = {
  'validate-request': (id) => [
    logs(id),
    XRAY,
    SECRET,
    {
      Action: [
        'ec2:DescribeSecurityGroups',
        'ec2:DescribeSubnets',
        'ec2:DescribeVpcEndpoints',
        'ec2:DescribeVpcs',
      ],
      Effect: 'Allow',
      Resource: '*',
      Sid: 'Ec2Describe',
    },
    lease(['dynamodb:DeleteItem', 'dynamodb:PutItem']),
  ],
  'create-atlas-endpoint': (id) => [logs(id), XRAY, SECRET],
  'describe-atlas-endpoint': (id) => [logs(id), XRAY, SECRET],
  'create-vpc-endpoint': (id) => [
    logs(id),
    XRAY,
    describeVpcEndpoints,
    {
      Action: 'ec2:CreateVpcEndpoint',
      Effect: 'Allow',
      Resource: `${EC2}:vpc-endpoint/*`,
      Condition: {
        StringEquals: { [`aws:RequestTag/${TAG_MANAGED_BY}`]: MANAGED_BY },
        'ForAnyValue:StringEquals': { 'aws:TagKeys': [TAG_MANAGED_BY] },
      },
      Sid: 'CreateTaggedVpcEndpoint',
    },
    {
      Action: 'ec2:CreateVpcEndpoint',
      Effect: 'Allow',
      Resource: [`${EC2}:security-group/*`, `${EC2}:subnet/*`, `${EC2}:vpc/*`],
      Sid: 'CreateVpcEndpointInNetwork',
    },
    {
      Action: 'ec2:CreateTags',
      Effect: 'Allow',
      Resource: `${EC2}:vpc-endpoint/*`,
      Condition: { StringEquals: { 'ec2:CreateAction': 'CreateVpcEndpoint' } },
      Sid: 'TagOnCreateOnly',
    },
  ],
  'describe-vpc-endpoint': (id) => [logs(id), XRAY, describeVpcEndpoints],
  'link-endpoint': (id) => [logs(id), XRAY, SECRET],
  'describe-link': (id) => [logs(id), XRAY, SECRET],
  'read-connection-string': (id) => [logs(id), XRAY, SECRET],
  'delete-vpc-endpoint': (id) => [
    logs(id),
    XRAY,
    describeVpcEndpoints,
    {
      Action: 'ec2:DeleteVpcEndpoints',
      Effect: 'Allow',
      Resource: `${EC2}:vpc-endpoint/*`,
      Condition: { StringEquals: { [`aws:ResourceTag/${TAG_MANAGED_BY}`]: MANAGED_BY } },
      Sid: 'DeleteManagedVpcEndpoints',
    },
  ],
  'delete-atlas-side': (id) => [logs(id), XRAY, SECRET],
  'check-cleanup': (id) => [logs(id), XRAY, SECRET, describeVpcEndpoints],
  'summarize-failure': (id) => [logs(id), XRAY],
  'release-lease': (id) => [logs(id), XRAY, lease(['dynamodb:DeleteItem'])],
};

/** The lease statement: exactly the step's DynamoDB actions, on the lease table only. */
const lease = (actions: string[]): Statement => ({
  Action: actions.length === 1 ? actions[0] : actions,
  Effect: 'Allow',
  Resource: { 'Fn::GetAtt': [logicalIdOf(synth.stack, synth.workflow.leaseTable), 'Arn'] },
  Sid: 'TargetLease',
});

const roleRef = (id: StepId) => ({ Ref: logicalIdOf(synth.stack, synth.workflow.functions[id].role!) });

describe('function roles', () => {
  it.each(STEP_IDS)('%s has exactly its statements', (id) => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [roleRef(id)],
      PolicyDocument: Match.objectEquals({ Version: '2012-10-17', Statement: EXPECTED[id](id) }),
    });
  });

  it('each role is assumable by Lambda only, has no managed policy and exactly one policy', () => {
    for (const id of STEP_IDS) {
      const logicalId = roleRef(id).Ref;
      const role = template.toJSON().Resources[logicalId];
      expect(role.Properties.AssumeRolePolicyDocument).toEqual({
        Statement: [
          { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
        ],
        Version: '2012-10-17',
      });
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
        JSON.stringify(p.Properties.Roles).includes(`"${logicalId}"`),
      );
      expect(policies, id).toHaveLength(1);
    }
  });

  it('only the Atlas functions can read the secret; the others cannot and do not know its ARN', () => {
    const readers = new Set<string>();
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      const text = JSON.stringify(policy.Properties.PolicyDocument);
      if (text.includes('secretsmanager:') || text.includes(SECRET_ARN)) {
        for (const role of policy.Properties.Roles as { Ref: string }[]) readers.add(role.Ref);
      }
    }
    const atlasRoles = STEP_IDS.filter((id) => STEPS[id].atlas).map((id) => roleRef(id).Ref);
    expect([...readers].sort()).toEqual(atlasRoles.sort());
    for (const id of STEP_IDS.filter((i) => !STEPS[i].atlas)) {
      const fn = template.toJSON().Resources[logicalIdOf(synth.stack, synth.workflow.functions[id])];
      expect(JSON.stringify(fn.Properties.Environment), id).not.toContain('secretsmanager');
    }
  });

  it('only the delete step may delete VPC endpoints, only the create step may create them', () => {
    const withAction = (action: string) =>
      STEP_IDS.filter((id) => EXPECTED[id](id).some((s) => JSON.stringify(s.Action).includes(action)));
    expect(withAction('ec2:DeleteVpcEndpoints')).toEqual(['delete-vpc-endpoint']);
    expect(withAction('ec2:CreateVpcEndpoint')).toEqual(['create-vpc-endpoint']);
    expect(withAction('ec2:CreateTags')).toEqual(['create-vpc-endpoint']);
  });
});

describe('state machine role', () => {
  it('may invoke the workflow functions, put events on the bus, deliver logs and traces; nothing else', () => {
    const fnIds = STEP_IDS.map((id) => logicalIdOf(synth.stack, synth.workflow.functions[id])).sort();
    const smRole = logicalIdOf(synth.stack, synth.workflow.stateMachine.role);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: smRole }],
      PolicyDocument: Match.objectEquals({
        Version: '2012-10-17',
        Statement: [
          {
            Action: 'lambda:InvokeFunction',
            Effect: 'Allow',
            Resource: [
              ...fnIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })),
              ...fnIds.map((id) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [id, 'Arn'] }, ':*']] })),
            ],
          },
          {
            Action: 'events:PutEvents',
            Effect: 'Allow',
            Resource: 'arn:aws:events:us-east-1:123456789012:event-bus/default',
          },
          {
            Action: [
              'logs:CreateLogDelivery',
              'logs:DeleteLogDelivery',
              'logs:DescribeLogGroups',
              'logs:DescribeResourcePolicies',
              'logs:GetLogDelivery',
              'logs:ListLogDeliveries',
              'logs:PutResourcePolicy',
              'logs:UpdateLogDelivery',
              'xray:GetSamplingRules',
              'xray:GetSamplingTargets',
              'xray:PutTelemetryRecords',
              'xray:PutTraceSegments',
            ],
            Effect: 'Allow',
            Resource: '*',
          },
        ],
      }),
    });
  });
});
