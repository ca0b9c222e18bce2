/**
 * CDK entry: read the configuration (cdk.json context / `-c key=value`, see lib/config.ts), build the stack,
 * and run cdk-nag's AwsSolutions checks so `cdk synth` fails on any finding the construct does not
 * acknowledge. Works offline with no AWS credentials: without `atlasSecretArn` the secret becomes the
 * CloudFormation parameter `AtlasSecretArn` (required at deploy time).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { checkConfig } from '../lib/config.ts';
import { PrivateEndpointStack, PrivateEndpointVpcAccessStack } from '../lib/private-endpoint-stack.ts';

const app = new App();
// Unknown keys (with a "did you mean"), shapes and values, each named by the cdk.json / -c key.
const { config, problems } = checkConfig(app.node.getAllContext());
if (problems.length > 0) {
  console.error(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  process.exit(1);
}
if (config.atlasSecretArn === undefined) {
  console.warn(
    'atlasSecretArn is not set: the stack takes the secret as the CloudFormation parameter AtlasSecretArn. ' +
      'Deploy with `cdk deploy --parameters AtlasSecretArn=<complete secret ARN>` or `-c atlasSecretArn=<ARN>`.',
  );
}

const env = config.account || config.region ? { account: config.account, region: config.region } : undefined;
new PrivateEndpointStack(app, config.stackName, {
  env,
  description: 'Connects VPCs to MongoDB Atlas over AWS PrivateLink (Step Functions workflow)',
  atlasSecretArn: config.atlasSecretArn,
  atlasSecretKmsKeyArn: config.atlasSecretKmsKeyArn,
  atlasFunctionsNetwork: config.atlasFunctionsNetwork,
  alarmTopicArn: config.alarmTopicArn,
  workflow: config.workflow,
});

// The stack for a VPC account (hub and spoke), deployed there: `cdk deploy <vpcAccessStackName> -c workflowAccountId=…`.
if (config.vpcAccess !== undefined) {
  new PrivateEndpointVpcAccessStack(app, config.vpcAccess.stackName, {
    env,
    description:
      'Role the Atlas private endpoint workflow assumes to manage interface VPC endpoints in this account',
    access: {
      workflowAccountId: config.vpcAccess.workflowAccountId,
      externalId: config.workflow.vpcAccountExternalId ?? '',
      managedByTagValue: config.workflow.managedByTagValue ?? '',
      ...(config.workflow.allowedRegions === undefined
        ? {}
        : { allowedRegions: config.workflow.allowedRegions }),
      ...(config.workflow.vpcAccountRoleName === undefined
        ? {}
        : { roleName: config.workflow.vpcAccountRoleName }),
    },
  });
}

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
