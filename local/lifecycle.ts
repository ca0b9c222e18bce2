/**
 * The whole life of one connection, for `npm start -- --lifecycle` (local/cli/lifecycle.ts prints it), in one
 * simulated world (both clouds and the lease table's DynamoDB): create → check → a VPC endpoint
 * deleted outside the workflow → check (drift) → check with repair → delete, and ends with the world's
 * inventory, which must be empty. Every step is a real execution of the synthesized state machine.
 */
import type { EndpointKind, WorkflowOutput } from '../lambdas/core/state.ts';
import type { CheckOutput, DeleteOutput } from '../lambdas/workflow/lifecycle.ts';
import { DEMO_AWS } from './cloud/aws-model.ts';
import { makeDrift } from './cloud/drift.ts';
import { liveResources, type StartWorldOptions, startWorld } from './cloud/index.ts';
import type { PresetName } from './cloud/timeline.ts';
import { type LocalRunResult, runLocalWorkflow } from './engine.ts';

/** One step of the lifecycle, as printed and as `--json` returns it. */
export interface LifecycleStep {
  readonly step: string;
  /** `SUCCEEDED` / `FAILED` for an execution; `DONE` for the drift made by hand. */
  readonly status: string;
  readonly summary: string;
  readonly events: readonly string[];
  readonly virtualSeconds: number;
  readonly output?: unknown;
  readonly error?: { readonly error: string; readonly cause: string };
}

export interface LifecycleResult {
  readonly steps: readonly LifecycleStep[];
  /** Resources left in the world at the end (both sides). */
  readonly left: number;
  readonly inventory: {
    readonly serverlessEndpoints: number;
    readonly endpointServices: number;
    readonly interfaceEndpoints: number;
    readonly vpcEndpoints: number;
  };
  /** Every step went as the lifecycle expects and nothing is left. */
  readonly ok: boolean;
}

export interface LifecycleOptions {
  readonly kind: EndpointKind;
  /** The create request (the example of the kind). */
  readonly request: Record<string, unknown>;
  readonly preset: PresetName;
  /** Virtual seconds per real second during waits; 0 does not wait. */
  readonly timeScale: number;
  readonly auth?: 'service-account' | 'api-key';
  /** Called with each step as it ends (the CLI prints it). */
  readonly onStep?: (step: LifecycleStep, index: number) => void;
  readonly world?: Omit<StartWorldOptions, 'preset' | 'timeScale'>;
}

function ids(refs: readonly { type: string; id: string }[]): string {
  return refs.map((r) => `${r.type} ${r.id}`).join(', ') || 'nothing';
}

function summaryOf(step: string, result: LocalRunResult): string {
  if (result.status !== 'SUCCEEDED') return `${result.error?.error ?? 'failed'}`;
  const output = result.output as Record<string, unknown>;
  if (output.action === 'delete') {
    const out = output as unknown as DeleteOutput;
    return `${out.outcome}: ${ids(out.deleted)}${out.refused.length > 0 ? `; refused ${ids(out.refused)}` : ''}`;
  }
  if (output.action === 'check') {
    const out = output as unknown as CheckOutput;
    const drift = out.drift.length === 0 ? '' : ` (${out.drift.map((d) => d.kind).join(', ')})`;
    const repaired =
      out.repaired && out.connection !== null
        ? `; repaired: ${out.connection.status}, ${out.connection.vpcEndpointId}, ${out.connection.privateSrvConnectionString}`
        : '';
    return `${out.status}${drift}${repaired}`;
  }
  const out = output as unknown as WorkflowOutput;
  return step === 'create'
    ? `${out.status}, ${out.vpcEndpointId}, ${out.privateSrvConnectionString}`
    : JSON.stringify(output);
}

/** Runs the lifecycle; never throws for a failed step (the result says which one). */
export async function runLifecycle(options: LifecycleOptions): Promise<LifecycleResult> {
  const running = await startWorld({ ...(options.world ?? {}), preset: options.preset, timeScale: 0 });
  const steps: LifecycleStep[] = [];
  try {
    const demo = running.world.demo;
    const target = {
      atlasUrl: running.atlasUrl,
      ec2Url: running.ec2Url,
      stsUrl: running.stsUrl,
      dynamodbUrl: running.dynamodbUrl,
      atlasCredentials: options.auth === 'api-key' ? demo.apiKey : demo.serviceAccount,
      awsCredentials: { accessKeyId: DEMO_AWS.accessKeyId, secretAccessKey: DEMO_AWS.secretAccessKey },
      awsRegion: demo.awsRegion,
    };
    const clock = running.world.clock;
    const record = (step: LifecycleStep) => {
      steps.push(step);
      options.onStep?.(step, steps.length);
    };
    const execute = async (step: string, input: unknown, expect: (r: LocalRunResult) => boolean) => {
      const result = await runLocalWorkflow({
        input,
        target,
        clock,
        requestLog: running.world.log,
        executionName: `lifecycle-${steps.length + 1}-${step.replaceAll(' ', '-')}`,
        onWait: async (_state, seconds) => {
          if (options.timeScale > 0 && seconds > 0) {
            await new Promise((resolve) => setTimeout(resolve, (seconds * 1000) / options.timeScale));
          }
        },
      });
      const entry: LifecycleStep = {
        step,
        status: result.status,
        summary: summaryOf(step, result),
        events: result.events.map((e) => e.detailType),
        virtualSeconds: Math.round(result.metrics.virtualDurationMs / 1000),
        ...(result.status === 'SUCCEEDED' ? { output: result.output } : {}),
        ...(result.error ? { error: result.error } : {}),
      };
      record(entry);
      return { result, ok: result.status === 'SUCCEEDED' && expect(result) };
    };
    const status = (r: LocalRunResult) => (r.output as { status?: string } | undefined)?.status;

    const created = await execute('create', options.request, (r) => status(r) === 'AVAILABLE');
    if (!created.ok) return finish(running, steps, false);
    const connection = created.result.output as WorkflowOutput;
    const first = await execute('check', { ...connection, action: 'check' }, (r) => status(r) === 'HEALTHY');

    const made = makeDrift(running.world, 'vpc-endpoint-deleted', connection);
    record({ step: 'drift', status: 'DONE', summary: made, events: [], virtualSeconds: 0 });

    const drifted = await execute(
      'check',
      { ...connection, action: 'check' },
      (r) => status(r) === 'DRIFTED',
    );
    const repair = await execute(
      'check with repair',
      { ...options.request, action: 'check', repair: true, requestId: connection.requestId },
      (r) => (r.output as CheckOutput | undefined)?.repaired === true,
    );
    const repaired = (repair.result.output as CheckOutput | undefined)?.connection ?? connection;
    const removed = await execute(
      'delete',
      { ...repaired, action: 'delete' },
      (r) => (r.output as DeleteOutput | undefined)?.outcome === 'deleted',
    );
    return finish(running, steps, first.ok && drifted.ok && repair.ok && removed.ok);
  } finally {
    await running.close();
  }
}

function finish(
  running: Awaited<ReturnType<typeof startWorld>>,
  steps: LifecycleStep[],
  stepsOk: boolean,
): LifecycleResult {
  const inv = running.world.inventory();
  const left = liveResources(inv);
  return {
    steps,
    left,
    inventory: {
      serverlessEndpoints: inv.atlas.serverlessEndpoints.length,
      endpointServices: inv.atlas.endpointServices.length,
      interfaceEndpoints: inv.atlas.interfaceEndpoints.length,
      vpcEndpoints: inv.aws.vpcEndpoints.length,
    },
    ok: stepsOk && left === 0,
  };
}

/** The text the CLI prints for one step. */
export function formatStep(step: LifecycleStep, index: number): string {
  const lines = [`${index}. ${step.step}`];
  const took = step.status === 'DONE' ? '' : ` in ${step.virtualSeconds} s of virtual time`;
  lines.push(`   ${step.status}${took}: ${step.summary}`);
  if (step.events.length > 0) lines.push(`   events: ${step.events.join(', ')}`);
  if (step.error) lines.push(`   cause: ${step.error.cause}`);
  return lines.join('\n');
}

/** The inventory line the CLI prints at the end. */
export function formatInventory(result: LifecycleResult): string {
  const i = result.inventory;
  return (
    `Left in the world: ${i.serverlessEndpoints} serverless endpoint(s), ${i.endpointServices} endpoint service(s), ` +
    `${i.interfaceEndpoints} interface endpoint(s), ${i.vpcEndpoints} VPC endpoint(s)` +
    (result.ok ? '' : '\nThe lifecycle did not end as expected.')
  );
}
