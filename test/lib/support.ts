/**
 * Test helpers: synthesize the workflow construct the way the CLI does (cdk.json's feature flags), fast by
 * default (no bundling, no CloudFormation validation), in a temporary outdir that is removed afterwards.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
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

/** Builds app + stack + construct without synthesizing (for tests that add plugins first). */
export function buildWorkflow(
  props: Partial<PrivateEndpointWorkflowProps> = {},
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
  const workflow = new PrivateEndpointWorkflow(stack, 'Workflow', { atlasSecret, ...props });
  return { app, stack, workflow, outdir };
}

export function synthWorkflow(
  props: Partial<PrivateEndpointWorkflowProps> = {},
  options: SynthOptions = {},
): Synthesized {
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
