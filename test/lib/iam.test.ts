/** Exact IAM per role: every statement, action, resource and condition, and nothing else. */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_INTENT_KEY_PREFIX, SHARED_TOKEN_KEY_PREFIX } from '../../lambdas/core/leases.ts';
import { TAG_MANAGED_BY } from '../../lambdas/core/tags.ts';
import { describesLeaseHolders, STEP_IDS, STEPS, type StepId } from '../../lambdas/workflow/steps.ts';
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
/**
 * The deployment's shared Atlas token (sealed) in the lease table: only items whose key starts with the token
 * prefix, so an Atlas function can neither read nor touch a target lease.
 */
const SHARED_TOKEN = (): Statement => ({
  Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
  Effect: 'Allow',
  Resource: { 'Fn::GetAtt': [logicalIdOf(synth.stack, synth.workflow.leaseTable), 'Arn'] },
  Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${SHARED_TOKEN_KEY_PREFIX}*`] } },
  Sid: 'SharedAtlasToken',
});
/**
 * The dedicated endpoint service create intents in the lease table: only items whose key starts with the intent
 * prefix (no target lease, no token), to take one and give one back.
 */
const SERVICE_INTENT = (): Statement => ({
  Action: ['dynamodb:DeleteItem', 'dynamodb:PutItem'],
  Effect: 'Allow',
  Resource: { 'Fn::GetAtt': [logicalIdOf(synth.stack, synth.workflow.leaseTable), 'Arn'] },
  Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${SERVICE_INTENT_KEY_PREFIX}*`] } },
  Sid: 'ServiceIntent',
});
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
    SHARED_TOKEN(),
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
  'create-atlas-endpoint': (id) => [logs(id), XRAY, SECRET, SHARED_TOKEN(), SERVICE_INTENT()],
  'describe-atlas-endpoint': (id) => [logs(id), XRAY, SECRET, SHARED_TOKEN()],
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
    {
      Action: 'ec2:CreateTags',
      Effect: 'Allow',
      Resource: `${EC2}:vpc-endpoint/*`,
      Condition: {
        StringEquals: { [`aws:ResourceTag/${TAG_MANAGED_BY}`]: MANAGED_BY },
        StringEqualsIfExists: { [`aws:RequestTag/${TAG_MANAGED_BY}`]: MANAGED_BY },
      },
      Sid: 'RetagManagedVpcEndpoints',
    },
  ],
  'describe-vpc-endpoint': (id) => [logs(id), XRAY, describeVpcEndpoints],
  'link-endpoint': (id) => [logs(id), XRAY, SECRET, SHARED_TOKEN()],
  'describe-link': (id) => [logs(id), XRAY, SECRET, SHARED_TOKEN()],
  'read-connection-string': (id) => [logs(id), XRAY, SECRET, SHARED_TOKEN()],
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
  'delete-atlas-side': (id) => [logs(id), XRAY, SECRET, SHARED_TOKEN()],
  'check-cleanup': (id) => [logs(id), XRAY, SECRET, SHARED_TOKEN(), describeVpcEndpoints],
  'summarize-failure': (id) => [logs(id), XRAY],
  'inspect-connection': (id) => [
    logs(id),
    XRAY,
    SECRET,
    SHARED_TOKEN(),
    describeVpcEndpoints,
    lease(['dynamodb:GetItem']),
  ],
  'prepare-repair': (id) => [logs(id), XRAY, SECRET, SHARED_TOKEN(), describeVpcEndpoints],
  'summarize-delete': (id) => [logs(id), XRAY],
  'list-connections': (id) => [logs(id), XRAY, describeVpcEndpoints],
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

  it('each role is assumable by Lambda only, has no managed policy and one policy (the lease steps: two)', () => {
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
      expect(policies, id).toHaveLength(describesLeaseHolders(STEPS[id]) ? 2 : 1);
    }
  });

  it("the steps that take or read the lease may describe this state machine's executions, and nothing else may", () => {
    const describers: string[] = [];
    const stateMachine = logicalIdOf(synth.stack, synth.workflow.stateMachine);
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      const statements = policy.Properties.PolicyDocument.Statement as {
        Action: unknown;
        Resource: unknown;
      }[];
      const describe = statements.filter((st) =>
        JSON.stringify(st.Action).includes('states:DescribeExecution'),
      );
      if (describe.length === 0) continue;
      // Its own policy: one statement, one action, the state machine's executions only.
      expect(statements).toHaveLength(1);
      expect(describe[0]?.Action).toBe('states:DescribeExecution');
      const resource = JSON.stringify(describe[0]?.Resource);
      expect(resource).toContain(':execution:');
      expect(resource).toContain(`"${stateMachine}","Name"`);
      for (const role of policy.Properties.Roles as { Ref: string }[]) describers.push(role.Ref);
    }
    expect(describers.sort()).toEqual(
      ['validate-request', 'inspect-connection', 'create-atlas-endpoint']
        .map((id) => roleRef(id as never).Ref)
        .sort(),
    );
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

describe('regions and other accounts', () => {
  const EC2_EU = 'arn:aws:ec2:eu-west-1:123456789012';
  const SPOKE_ROLE = 'arn:aws:iam::210987654321:role/AtlasPrivateEndpointVpcAccess';
  const OTHER_ROLE = 'arn:aws:iam::333333333333:role/AtlasPrivateEndpointVpcAccess';
  let multi: Synthesized;
  beforeAll(() => {
    multi = synthWorkflow({
      managedByTagValue: MANAGED_BY,
      allowedRegions: ['us-east-1', 'eu-west-1'],
      vpcAccountIds: ['210987654321', '333333333333'],
      vpcAccountExternalId: 'orders-platform-external-id',
    });
  });
  const policyOf = (s: Synthesized, id: StepId) => {
    const role = logicalIdOf(s.stack, s.workflow.functions[id].role!);
    const policies = Object.values(s.template.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(`"${role}"`),
    );
    return policies[0]!.Properties.PolicyDocument.Statement as Statement[];
  };
  const bySid = (s: Synthesized, id: StepId, sid: string) => policyOf(s, id).find((x) => x.Sid === sid);

  // IAM policy minimization sorts resource lists: eu-west-1 comes before us-east-1.
  it('writes every resource-scoped EC2 statement for exactly the allowed regions', () => {
    expect(bySid(multi, 'create-vpc-endpoint', 'CreateTaggedVpcEndpoint')).toEqual({
      Action: 'ec2:CreateVpcEndpoint',
      Effect: 'Allow',
      Resource: [`${EC2_EU}:vpc-endpoint/*`, `${EC2}:vpc-endpoint/*`],
      Condition: {
        StringEquals: { [`aws:RequestTag/${TAG_MANAGED_BY}`]: MANAGED_BY },
        'ForAnyValue:StringEquals': { 'aws:TagKeys': [TAG_MANAGED_BY] },
      },
      Sid: 'CreateTaggedVpcEndpoint',
    });
    expect(bySid(multi, 'create-vpc-endpoint', 'CreateVpcEndpointInNetwork')?.Resource).toEqual(
      [
        `${EC2}:vpc/*`,
        `${EC2_EU}:vpc/*`,
        `${EC2}:subnet/*`,
        `${EC2_EU}:subnet/*`,
        `${EC2}:security-group/*`,
        `${EC2_EU}:security-group/*`,
      ].sort(),
    );
    expect(bySid(multi, 'create-vpc-endpoint', 'TagOnCreateOnly')?.Resource).toEqual([
      `${EC2_EU}:vpc-endpoint/*`,
      `${EC2}:vpc-endpoint/*`,
    ]);
    expect(bySid(multi, 'delete-vpc-endpoint', 'DeleteManagedVpcEndpoints')?.Resource).toEqual([
      `${EC2_EU}:vpc-endpoint/*`,
      `${EC2}:vpc-endpoint/*`,
    ]);
    // The single-region default names no other region anywhere.
    for (const id of STEP_IDS) expect(JSON.stringify(policyOf(synth, id))).not.toContain('eu-west-1');
    const validate =
      template.toJSON().Resources[logicalIdOf(synth.stack, synth.workflow.functions['validate-request'])];
    expect(validate.Properties.Environment.Variables.ALLOWED_REGIONS).toBe('us-east-1');
    const multiValidate =
      multi.template.toJSON().Resources[
        logicalIdOf(multi.stack, multi.workflow.functions['validate-request'])
      ];
    expect(multiValidate.Properties.Environment.Variables.ALLOWED_REGIONS).toBe('us-east-1,eu-west-1');
  });

  it('allows the default region too when it is not the stack region', () => {
    const s = synthWorkflow({ managedByTagValue: MANAGED_BY, defaultRegion: 'eu-west-1' });
    expect(s.workflow.allowedRegions).toEqual(['us-east-1', 'eu-west-1']);
    expect(bySid(s, 'delete-vpc-endpoint', 'DeleteManagedVpcEndpoints')?.Resource).toEqual([
      `${EC2_EU}:vpc-endpoint/*`,
      `${EC2}:vpc-endpoint/*`,
    ]);
  });

  it('lets exactly the EC2 functions assume exactly the configured roles, and puts their roles under the path those roles trust', () => {
    for (const id of STEP_IDS) {
      const statements = policyOf(multi, id).filter((x) => JSON.stringify(x.Action).includes('sts:'));
      const roleLogicalId = logicalIdOf(multi.stack, multi.workflow.functions[id].role!);
      const role = multi.template.toJSON().Resources[roleLogicalId];
      if (STEPS[id].ec2Actions.length > 0) {
        expect(statements, id).toEqual([
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Resource: [SPOKE_ROLE, OTHER_ROLE],
            Sid: 'AssumeVpcAccountRoles',
          },
        ]);
        expect(role.Properties.Path, id).toBe('/atlas-private-endpoint-workflow/');
        const env =
          multi.template.toJSON().Resources[logicalIdOf(multi.stack, multi.workflow.functions[id])].Properties
            .Environment.Variables;
        expect(env.VPC_ACCOUNT_ROLE_ARNS).toBe(`${SPOKE_ROLE},${OTHER_ROLE}`);
        expect(env.VPC_ACCOUNT_EXTERNAL_ID).toBe('orders-platform-external-id');
      } else {
        expect(statements, id).toEqual([]);
        expect(role.Properties.Path, id).toBeUndefined();
      }
    }
    // Without other accounts nobody may assume anything.
    for (const id of STEP_IDS) expect(JSON.stringify(policyOf(synth, id))).not.toContain('sts:');
    expect(multi.workflow.vpcAccountRoleArns).toEqual({
      '210987654321': SPOKE_ROLE,
      '333333333333': OTHER_ROLE,
    });
  });
});
