/**
 * Test helpers: synthesize the workflow construct the way the CLI does (cdk.json's feature flags), fast by
 * default (no bundling, no CloudFormation validation), in a temporary outdir that is removed afterwards.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { afterAll } from 'vitest';
import {
  PROJECT_ROOT,
  PrivateEndpointWorkflow,
  type PrivateEndpointWorkflowProps,
} from '../../lib/private-endpoint-workflow.ts';

export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:atlas/credentials-AbCdEf`;

/** cdk.json's context (feature flags), as the CLI passes it to the app. */
export const CDK_JSON_CONTEXT = (
  JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  }
).context;

/** Outdirs made by buildWorkflow; removed after the test file (also those of apps never synthesized). */
const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export interface SynthOptions {
  /** Bundle the functions with esbuild. @default false */
  readonly bundling?: boolean;
  /** Run aws-cdk-lib's built-in CloudFormation validation. @default false */
  readonly validation?: boolean;
  /** Keep the outdir (caller removes it). @default false */
  readonly keepOutdir?: boolean;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: Stack;
  readonly workflow: PrivateEndpointWorkflow;
  readonly template: Template;
  readonly outdir: string;
}

/** Props, or a function of the stack that makes them (for props that are constructs of the same stack). */
export type PropsOrFactory =
  | Partial<PrivateEndpointWorkflowProps>
  | ((stack: Stack) => Partial<PrivateEndpointWorkflowProps>);

/** Builds app + stack + construct without synthesizing (for tests that add plugins first). */
export function buildWorkflow(
  propsOrFactory: PropsOrFactory = {},
  options: SynthOptions & { readonly extraContext?: Record<string, unknown> } = {},
): Omit<Synthesized, 'template'> {
  const outdir = mkdtempSync(join(tmpdir(), 'ape-lib-test-'));
  outdirs.push(outdir);
  const app = new App({
    outdir,
    builtinCloudFormationValidation: options.validation ?? false,
    context: {
      ...CDK_JSON_CONTEXT,
      ...(options.bundling ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.extraContext,
    },
  });
  const stack = new Stack(app, 'TestStack', { env: { account: ACCOUNT, region: REGION } });
  const atlasSecret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'AtlasSecret', SECRET_ARN);
  const props = typeof propsOrFactory === 'function' ? propsOrFactory(stack) : propsOrFactory;
  const workflow = new PrivateEndpointWorkflow(stack, 'Workflow', { atlasSecret, ...props });
  return { app, stack, workflow, outdir };
}

export function synthWorkflow(props: PropsOrFactory = {}, options: SynthOptions = {}): Synthesized {
  const built = buildWorkflow(props, options);
  try {
    const template = Template.fromStack(built.stack);
    return { ...built, template };
  } finally {
    if (!options.keepOutdir) rmSync(built.outdir, { recursive: true, force: true });
  }
}

/** The logical id of a construct's default CloudFormation resource. */
export function logicalIdOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);
}

/** The Atlas functions in two private subnets of an existing VPC, with one security group. */
export const atlasVpcProps = (stack: Stack) => ({
  atlasFunctionsVpc: ec2.Vpc.fromVpcAttributes(stack, 'Egress', {
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
    privateSubnetRouteTableIds: ['rtb-0a1b2c3d4e5f60718', 'rtb-0f1e2d3c4b5a69788'],
  }),
  atlasFunctionsSecurityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-0a1b2c3d4e5f60718')],
});
