/** cdk-nag AwsSolutions: no unacknowledged finding; every acknowledgement names its rule and a reason. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { STEP_IDS } from '../../lambdas/workflow/steps.ts';
import { flattenForNag } from '../../lib/nag.ts';
import { PrivateEndpointStack } from '../../lib/private-endpoint-stack.ts';
import { atlasVpcProps, buildWorkflow, CDK_JSON_CONTEXT } from './support.ts';

interface Violation {
  ruleName: string;
  violatingResources: { constructPath?: string }[];
}

/** Synthesizes with the AwsSolutions plugin; returns the unacknowledged violations. */
function nagViolations(build: () => { app: App; outdir: string }): Violation[] {
  const { app, outdir } = build();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: false }));
  try {
    try {
      app.synth();
    } catch (e) {
      if ((e as Error).name !== 'ValidationFailed') throw e;
    }
    const report = JSON.parse(readFileSync(join(outdir, 'policy-validation-report.json'), 'utf8')) as {
      pluginReports: { violations: Violation[] }[];
    };
    return report.pluginReports.flatMap((r) => r.violations);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function acknowledgementsIn(root: IConstruct): { path: string; id: string; reason: string }[] {
  const out: { path: string; id: string; reason: string }[] = [];
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      // aws-cdk-lib records each acknowledgement as { "Annotation::<rule id>": reason }.
      for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) {
        out.push({ path: c.node.path, id: key.replace(/^Annotation::/, ''), reason });
      }
    }
  }
  return out;
}

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged in the construct (account and region known, with the audit schedule)', () => {
    const violations = nagViolations(() =>
      buildWorkflow(
        { auditEvery: Duration.hours(6) },
        { extraContext: { '@aws-cdk/core:validationReportJson': true } },
      ),
    );
    expect(
      violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(',')}`),
    ).toEqual([]);
  });

  it('finds nothing unacknowledged with several regions, other accounts, Atlas functions in a VPC and an alarm topic', () => {
    const violations = nagViolations(() =>
      buildWorkflow(
        (stack) => ({
          ...atlasVpcProps(stack),
          allowedRegions: ['us-east-1', 'eu-west-1'],
          vpcAccountIds: ['210987654321'],
          vpcAccountExternalId: 'orders-platform-external-id',
          managedByTagValue: 'orders-platform',
          alarmTopic: new sns.Topic(stack, 'Ops', { enforceSSL: true }),
        }),
        { extraContext: { '@aws-cdk/core:validationReportJson': true } },
      ),
    );
    expect(
      violations.map((v) => `${v.ruleName} @ ${v.violatingResources.map((r) => r.constructPath).join(',')}`),
    ).toEqual([]);
  });

  it('finds nothing unacknowledged in the env-agnostic app stack with the secret as a parameter', () => {
    const violations = nagViolations(() => {
      const outdir = mkdtempSync(join(tmpdir(), 'ape-nag-'));
      const app = new App({
        outdir,
        builtinCloudFormationValidation: false,
        context: {
          ...CDK_JSON_CONTEXT,
          'aws:cdk:bundling-stacks': [],
          '@aws-cdk/core:validationReportJson': true,
        },
      });
      new PrivateEndpointStack(app, 'AppStack', {});
      return { app, outdir };
    });
    expect(violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('finds nothing unacknowledged in the app stack with the Atlas functions network and an alarm topic by id', () => {
    const violations = nagViolations(() => {
      const outdir = mkdtempSync(join(tmpdir(), 'ape-nag-'));
      const app = new App({
        outdir,
        builtinCloudFormationValidation: false,
        context: {
          ...CDK_JSON_CONTEXT,
          'aws:cdk:bundling-stacks': [],
          '@aws-cdk/core:validationReportJson': true,
        },
      });
      new PrivateEndpointStack(app, 'AppStack', {
        atlasFunctionsNetwork: {
          vpcId: 'vpc-0a1b2c3d4e5f60718',
          subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
          securityGroupIds: ['sg-0a1b2c3d4e5f60718'],
        },
        alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:ops-alarms',
      });
      return { app, outdir };
    });
    expect(violations.map((v) => v.ruleName)).toEqual([]);
  });

  it('would report a finding if one were added (the check is live)', () => {
    const violations = nagViolations(() => {
      const built = buildWorkflow({}, { extraContext: { '@aws-cdk/core:validationReportJson': true } });
      built.workflow.functions['summarize-failure'].addToRolePolicy(
        new iam.PolicyStatement({ actions: ['s3:*'], resources: ['*'] }),
      );
      return built;
    });
    expect(violations.map((v) => v.ruleName)).toContain('AwsSolutions-IAM5[Action::s3:*]');
  });

  it('every acknowledgement names a rule and gives a reason, and they are the documented ones', () => {
    const { workflow, stack } = buildWorkflow();
    const acks = acknowledgementsIn(workflow);
    expect(acks.length).toBe(workflow.nagAcknowledgements.length);
    for (const ack of acks) {
      expect(ack.id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(ack.reason.length).toBeGreaterThan(40);
    }
    const ids = new Set(acks.map((a) => a.id));
    expect([...ids].filter((id) => !id.startsWith('AwsSolutions-IAM5['))).toEqual(['AwsSolutions-SQS3']);
    // One IAM5 per function for :* on its ARN, granted to the state machine role.
    const qualified = acks.filter((a) => a.id.endsWith('.Arn>:*]'));
    expect(qualified).toHaveLength(STEP_IDS.length);
    for (const a of qualified) expect(a.path).toBe(workflow.stateMachine.role.node.path);
    // Resource::* on every function role (X-Ray; plus Describe* where EC2 is read) and the state machine role.
    expect(acks.filter((a) => a.id === 'AwsSolutions-IAM5[Resource::*]')).toHaveLength(STEP_IDS.length + 1);
    // The tag-conditioned EC2 wildcards are acknowledged only on the EC2 writers.
    const vpcEndpointAck = `AwsSolutions-IAM5[Resource::arn:aws:ec2:us-east-1:123456789012:vpc-endpoint/*]`;
    expect(acks.filter((a) => a.id === vpcEndpointAck).map((a) => a.path.split('/').at(-1))).toEqual([
      'CreateVpcEndpointFunctionRole',
      'DeleteVpcEndpointFunctionRole',
    ]);
    expect(Stack.of(workflow)).toBe(stack);
  });

  it('flattens references the way cdk-nag names findings', () => {
    expect(
      flattenForNag({
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':x:', { 'Fn::GetAtt': ['Fn', 'Arn'] }, ':*']],
      }),
    ).toBe('arn:<AWS::Partition>:x:<Fn.Arn>:*');
    expect(flattenForNag({ 'Fn::Sub': 'a$' + '{b}c' })).toBe('a<b>c');
  });
});
