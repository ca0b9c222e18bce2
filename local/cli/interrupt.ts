/**
 * Ctrl-C during `npm start`: what was running, what exists (the built-in world's inventory; against an
 * external API what the run saw, and the simulator's inventory when it is one), and how to resume or delete.
 */
import { relative } from 'node:path';
import type { RunningWorld } from '../cloud/index.ts';
import type { CliIo } from './io.ts';
import { onSigint } from './io.ts';
import { describeResource, inventoryLines, type ResourceLine } from './resources.ts';
import { probeSimulator, type RunPlan } from './run-plan.ts';
import type { RunView } from './run-view.ts';

/** A shell-safe rendering of one argument (for the commands the CLI suggests). */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/** The interruption report: what was running, what exists, how to resume or delete. */
export async function interruptionReport(
  view: RunView,
  plan: RunPlan,
  running: RunningWorld | undefined,
): Promise<{ lines: string[]; document: Record<string, unknown> }> {
  const lines: string[] = [];
  const where = view.currentState
    ? `during "${view.currentState}" at ${view.at(view.lastSeen)} of virtual time`
    : 'before the first state started';
  lines.push(`Interrupted (Ctrl-C) ${where}.`);
  const inFlight = view.taskRunning && view.currentState !== undefined;
  const seen = view.resources.list();
  const document: Record<string, unknown> = {
    status: 'INTERRUPTED',
    state: view.currentState ?? null,
    virtualSeconds: Math.round((view.lastSeen - (view.t0 ?? view.lastSeen)) / 1000),
    stepInFlight: inFlight,
    seenByThisRun: seen,
  };
  if (running) {
    const held = inventoryLines(running.world.inventory());
    lines.push(
      held.length === 0
        ? 'The simulated world held nothing yet. It lived in this process and ends with it: nothing is left anywhere.'
        : 'The simulated world held, when interrupted (it lived in this process and ends with it: nothing is left anywhere):',
    );
    for (const r of held) lines.push(`  ${describeResource(r)}`);
    lines.push('Run the command again to start over.');
    document.worldHeld = held;
    return { lines, document };
  }

  const ext = plan.external as NonNullable<RunPlan['external']>;
  lines.push(
    seen.length === 0
      ? 'This run had not seen any resource yet.'
      : `What this run created or adopted (each may still be changing on ${ext.atlasUrl} and in EC2):`,
  );
  for (const r of seen) lines.push(`  ${describeResource(r)}`);
  if (inFlight) {
    lines.push(
      `"${view.currentState}" was waiting for an answer: what it asked for may exist without being listed here (the next run finds it).`,
    );
  }
  if (ext.simulator) {
    const now = await probeSimulator(ext.atlasUrl).catch(() => undefined);
    if (now) {
      const held: ResourceLine[] = inventoryLines(now.inventory);
      lines.push(`The simulator at ${ext.atlasUrl} holds ${held.length === 0 ? 'nothing' : 'now:'}`);
      for (const r of held) lines.push(`  ${describeResource(r)}`);
      document.simulatorHolds = held;
    }
  }
  const args = plan.argv.map(shellWord).join(' ');
  const shownFile = relative(process.cwd(), plan.source.file);
  const sourceArg = `--${plan.source.from} ${shellWord(shownFile.startsWith('..') || shownFile === '' ? plan.source.file : shownFile)}`;
  const resume = `npm start -- ${args}`;
  const del = `npm start -- --action delete --atlas-url ${ext.atlasUrl} ${sourceArg}`;
  lines.push(
    `To resume: ${resume}`,
    `  The request id ${plan.requestId ?? '(from the input)'} ${plan.executionName ? 'is derived from the input, so the next run with the same input' : 'is the same on the next run, which'} adopts what exists instead of creating it twice.`,
    `To delete it instead: ${del}`,
  );
  document.requestId = plan.requestId ?? null;
  document.resume = resume;
  document.delete = del;
  return { lines, document };
}

/** Resolves on Ctrl-C (as `io` defines it); `dispose` stops listening. */
export function onInterrupt(io: CliIo): { promise: Promise<'interrupted'>; dispose: () => void } {
  let dispose: () => void = () => undefined;
  const promise = new Promise<'interrupted'>((resolve) => {
    dispose = (io.onInterrupt ?? onSigint)(() => resolve('interrupted'));
  });
  return { promise, dispose };
}
