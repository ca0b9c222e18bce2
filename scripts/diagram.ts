/**
 * `npm run diagram`: synthesizes the workflow construct offline (no bundling, no validation), renders its
 * state machine as Mermaid and writes it into README.md between the diagram markers.
 * `npm run diagram -- --check` only compares, and exits 1 when the README is stale.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { extractDefinition } from '../lib/asl.ts';
import { currentDiagramBlock, diagramBlock, replaceDiagramBlock, toMermaid } from '../lib/diagram.ts';
import { PROJECT_ROOT, PrivateEndpointWorkflow } from '../lib/private-endpoint-workflow.ts';

export const README_PATH = join(PROJECT_ROOT, 'README.md');

/** The diagram block for the construct with default props. */
export function renderDiagramBlock(): string {
  const outdir = mkdtempSync(join(tmpdir(), 'ape-diagram-'));
  try {
    const app = new App({
      outdir,
      builtinCloudFormationValidation: false,
      context: { 'aws:cdk:bundling-stacks': [] },
    });
    const stack = new Stack(app, 'Diagram', { env: { account: '123456789012', region: 'us-east-1' } });
    const atlasSecret = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      'AtlasSecret',
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:diagram-AbCdEf',
    );
    new PrivateEndpointWorkflow(stack, 'Workflow', { atlasSecret });
    return diagramBlock(toMermaid(extractDefinition(Template.fromStack(stack))));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function main(): void {
  const readme = readFileSync(README_PATH, 'utf8');
  const block = renderDiagramBlock();
  if (currentDiagramBlock(readme) === block) {
    console.log('README diagram is up to date');
    return;
  }
  if (process.argv.includes('--check')) {
    console.error('README diagram is stale: run `npm run diagram`');
    process.exit(1);
  }
  writeFileSync(README_PATH, replaceDiagramBlock(readme, block));
  console.log('README diagram updated');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
