/**
 * The thin stack: configuration in, one `PrivateEndpointWorkflow` out, plus outputs.
 *
 * The Atlas secret: with `atlasSecretArn` the stack references that secret; without it the stack declares
 * the CloudFormation parameter `AtlasSecretArn`, so `cdk synth` works offline with no secret at all while
 * `cdk deploy` refuses to proceed until one is given (`--parameters AtlasSecretArn=arn:…`).
 */
import { Annotations, CfnOutput, CfnParameter, Fn, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { AppConfig, AtlasFunctionsNetwork } from './config.ts';
import { PrivateEndpointWorkflow, type PrivateEndpointWorkflowProps } from './private-endpoint-workflow.ts';
import { PrivateEndpointVpcAccessRole, type PrivateEndpointVpcAccessRoleProps } from './vpc-access-role.ts';

export interface PrivateEndpointStackProps extends StackProps {
  /**
   * Complete ARN of the secret holding the Atlas credentials.
   * @default - taken from the CloudFormation parameter `AtlasSecretArn` at deploy time
   */
  readonly atlasSecretArn?: string;
  /** Customer managed KMS key of the secret. @default - the secret uses the AWS managed key */
  readonly atlasSecretKmsKeyArn?: string;
  /** Runs the Atlas-calling functions in these subnets of this VPC. @default - outside any VPC */
  readonly atlasFunctionsNetwork?: AtlasFunctionsNetwork;
  /** ARN of an SNS topic every alarm notifies. @default - none */
  readonly alarmTopicArn?: string;
  /** Everything else the construct takes. @default {} */
  readonly workflow?: Omit<PrivateEndpointWorkflowProps, 'atlasSecret'>;
}

export class PrivateEndpointStack extends Stack {
  readonly workflow: PrivateEndpointWorkflow;
  /** Present when no `atlasSecretArn` was configured. */
  readonly atlasSecretArnParameter?: CfnParameter;

  constructor(scope: Construct, id: string, props: PrivateEndpointStackProps = {}) {
    super(scope, id, props);
    let secretArn = props.atlasSecretArn;
    if (secretArn === undefined) {
      this.atlasSecretArnParameter = new CfnParameter(this, 'AtlasSecretArn', {
        type: 'String',
        description: 'Complete ARN of the Secrets Manager secret holding the MongoDB Atlas credentials',
        allowedPattern: '^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+-[A-Za-z0-9]{6}$',
        constraintDescription: 'the complete secret ARN, including the 6-character suffix',
      });
      secretArn = this.atlasSecretArnParameter.valueAsString;
      Validations.of(this).acknowledge({
        id: 'CloudFormation-Validate::W2509',
        reason:
          'The parameter holds the ARN of the secret, not the secret itself; hiding it (NoEcho) would only obscure which secret is used.',
      });
    }
    const atlasSecret = secretsmanager.Secret.fromSecretAttributes(this, 'AtlasSecret', {
      secretCompleteArn: secretArn,
      encryptionKey: props.atlasSecretKmsKeyArn
        ? kms.Key.fromKeyArn(this, 'AtlasSecretKey', props.atlasSecretKmsKeyArn)
        : undefined,
    });
    this.workflow = new PrivateEndpointWorkflow(this, 'Workflow', {
      ...props.workflow,
      atlasSecret,
      ...(props.atlasFunctionsNetwork === undefined
        ? {}
        : this.atlasFunctionsNetwork(props.atlasFunctionsNetwork)),
      ...(props.alarmTopicArn === undefined
        ? {}
        : { alarmTopic: sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn) }),
    });

    new CfnOutput(this, 'StateMachineArn', {
      value: this.workflow.stateMachine.stateMachineArn,
      description: 'ARN of the state machine: start executions of it (aws stepfunctions start-execution)',
    });
    new CfnOutput(this, 'TriggerRuleArn', { value: this.workflow.rule.ruleArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.workflow.deadLetterQueue.queueUrl });
  }

  /** The existing VPC, subnets and security groups the configuration names, imported by id. */
  private atlasFunctionsNetwork(network: AtlasFunctionsNetwork) {
    const reason =
      'Lambda needs only the subnet and security group ids (VpcConfig); the route tables and availability zones of the imported VPC are not read.';
    const vpc = ec2.Vpc.fromVpcAttributes(this, 'AtlasFunctionsVpc', {
      vpcId: network.vpcId,
      availabilityZones: Fn.getAzs(),
    });
    Annotations.of(vpc).acknowledgeWarning(
      '@aws-cdk/aws-ec2:vpcAttributeIsListTokenavailabilityZones',
      reason,
    );
    const subnets = network.subnetIds.map((id) => {
      const subnet = ec2.Subnet.fromSubnetId(this, `AtlasFunctionsSubnet-${id}`, id);
      Annotations.of(subnet).acknowledgeWarning('@aws-cdk/aws-ec2:noSubnetRouteTableId', reason);
      return subnet;
    });
    return {
      atlasFunctionsVpc: vpc,
      atlasFunctionsVpcSubnets: { subnets },
      ...(network.securityGroupIds === undefined
        ? {}
        : {
            atlasFunctionsSecurityGroups: network.securityGroupIds.map((id) =>
              ec2.SecurityGroup.fromSecurityGroupId(this, `AtlasFunctionsSecurityGroup-${id}`, id),
            ),
          }),
    };
  }
}

export interface PrivateEndpointVpcAccessStackProps extends StackProps {
  /** The role's props: the workflow account, external id and managed-by tag value it must match. */
  readonly access: PrivateEndpointVpcAccessRoleProps;
}

/** The thin stack for a VPC account (hub and spoke): one `PrivateEndpointVpcAccessRole`, and its ARN as output. */
export class PrivateEndpointVpcAccessStack extends Stack {
  readonly access: PrivateEndpointVpcAccessRole;

  constructor(scope: Construct, id: string, props: PrivateEndpointVpcAccessStackProps) {
    super(scope, id, props);
    this.access = new PrivateEndpointVpcAccessRole(this, 'VpcAccess', props.access);
    new CfnOutput(this, 'VpcAccessRoleArn', {
      value: this.access.role.roleArn,
      description: 'The role the Atlas private endpoint workflow assumes in this account',
    });
  }
}

/**
 * The app's stacks from its configuration (bin/app.ts): the workflow stack, and with `workflowAccountId` the
 * stack for a VPC account, deployed there (`cdk deploy <vpcAccessStackName> -c workflowAccountId=…`).
 */
export function defineStacks(
  scope: Construct,
  config: AppConfig,
): { workflow: PrivateEndpointStack; vpcAccess?: PrivateEndpointVpcAccessStack } {
  const env =
    config.account || config.region ? { account: config.account, region: config.region } : undefined;
  const workflow = new PrivateEndpointStack(scope, config.stackName, {
    env,
    description: 'Connects VPCs to MongoDB Atlas over AWS PrivateLink (Step Functions workflow)',
    atlasSecretArn: config.atlasSecretArn,
    atlasSecretKmsKeyArn: config.atlasSecretKmsKeyArn,
    atlasFunctionsNetwork: config.atlasFunctionsNetwork,
    alarmTopicArn: config.alarmTopicArn,
    workflow: config.workflow,
  });
  if (config.vpcAccess === undefined) return { workflow };
  const w = config.workflow;
  const vpcAccess = new PrivateEndpointVpcAccessStack(scope, config.vpcAccess.stackName, {
    env,
    description:
      'Role the Atlas private endpoint workflow assumes to manage interface VPC endpoints in this account',
    access: {
      workflowAccountId: config.vpcAccess.workflowAccountId,
      externalId: w.vpcAccountExternalId ?? '',
      managedByTagValue: w.managedByTagValue ?? '',
      ...(w.allowedRegions === undefined ? {} : { allowedRegions: w.allowedRegions }),
      ...(w.vpcAccountRoleName === undefined ? {} : { roleName: w.vpcAccountRoleName }),
    },
  });
  return { workflow, vpcAccess };
}
