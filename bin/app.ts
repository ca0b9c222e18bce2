/**
 * CDK entry: read the configuration (cdk.json context / `-c key=value`, see lib/config.ts), define the stacks,
 * and run cdk-nag's AwsSolutions checks so `cdk synth` fails on any finding the construct does not
 * acknowledge. Works offline with no AWS credentials: without `atlasSecretArn` the secret becomes the
 * CloudFormation parameter `AtlasSecretArn` (required at deploy time).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { checkConfig } from '../lib/config.ts';
import { defineStacks } from '../lib/private-endpoint-stack.ts';

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

defineStacks(app, config);

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
