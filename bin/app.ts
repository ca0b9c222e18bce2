/**
 * CDK entry: read the configuration (cdk.json context / `-c key=value`, see lib/config.ts), build the stack,
 * and run cdk-nag's AwsSolutions checks so `cdk synth` fails on any finding the construct does not
 * acknowledge. Works offline with no AWS credentials: without `atlasSecretArn` the secret becomes the
 * CloudFormation parameter `AtlasSecretArn` (required at deploy time).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig } from '../lib/config.ts';
import { PrivateEndpointStack } from '../lib/private-endpoint-stack.ts';
import { validateWorkflowSettings } from '../lib/private-endpoint-workflow.ts';

const app = new App();
const { config, problems: shapeProblems } = readConfig((key) => app.node.tryGetContext(key));
const problems = [...shapeProblems, ...validateWorkflowSettings(config.workflow)];
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

new PrivateEndpointStack(app, config.stackName, {
  env: config.account || config.region ? { account: config.account, region: config.region } : undefined,
  description: 'Connects VPCs to MongoDB Atlas over AWS PrivateLink (Step Functions workflow)',
  atlasSecretArn: config.atlasSecretArn,
  atlasSecretKmsKeyArn: config.atlasSecretKmsKeyArn,
  workflow: config.workflow,
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
