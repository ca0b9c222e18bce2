/**
 * The thin stack: configuration in, one `PrivateEndpointWorkflow` out, plus outputs.
 *
 * The Atlas secret: with `atlasSecretArn` the stack references that secret; without it the stack declares
 * the CloudFormation parameter `AtlasSecretArn`, so `cdk synth` works offline with no secret at all while
 * `cdk deploy` refuses to proceed until one is given (`--parameters AtlasSecretArn=arn:…`).
 */
import { CfnOutput, CfnParameter, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { PrivateEndpointWorkflow, type PrivateEndpointWorkflowProps } from './private-endpoint-workflow.ts';

export interface PrivateEndpointStackProps extends StackProps {
  /**
   * Complete ARN of the secret holding the Atlas credentials.
   * @default - taken from the CloudFormation parameter `AtlasSecretArn` at deploy time
   */
  readonly atlasSecretArn?: string;
  /** Customer managed KMS key of the secret. @default - the secret uses the AWS managed key */
  readonly atlasSecretKmsKeyArn?: string;
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
    this.workflow = new PrivateEndpointWorkflow(this, 'Workflow', { ...props.workflow, atlasSecret });

    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'TriggerRuleArn', { value: this.workflow.rule.ruleArn });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.workflow.deadLetterQueue.queueUrl });
  }
}
