/**
 * What `npm start` prints while a run goes (unless --json): a line per Task state, the status note under it,
 * the transient answers the world gave (each retried), the progress bar during waits, and the summary.
 * It also follows what exists (RunResources) and where the run is, for the Ctrl-C report.
 */
import type { RunningWorld } from '../cloud/index.ts';
import type { HistoryEntry, LocalRunResult } from '../engine.ts';
import { type Display, fmtDuration, paintStatusWords, statusNote } from './display.ts';
import { isTransientAnswer } from './requests.ts';
import { RunResources } from './resources.ts';
import type { RunPlan } from './run-plan.ts';

/** Follows a run: prints the lines (unless --json), tracks resources, draws the progress bar during waits. */
export class RunView {
  readonly resources = new RunResources();
  /** Set once the run was interrupted: from then on nothing more is printed. */
  stopped = false;
  currentState: string | undefined;
  currentType: string | undefined;
  /** Whether the current state is a Task still running (entered, not yet ended). */
  taskRunning = false;
  t0: number | undefined;
  lastSeen = 0;
  private printedLog = 0;

  constructor(
    private readonly display: Display,
    private readonly plan: RunPlan,
    private readonly running: RunningWorld | undefined,
  ) {}

  private get quiet(): boolean {
    return this.plan.json || this.stopped;
  }

  at(virtualTime: number): string {
    return `[${fmtDuration(virtualTime - (this.t0 ?? virtualTime))}]`;
  }

  /** Prints the transient failures the world answered since the last call (the retries they caused follow). */
  private transientAnswers(indent: string): void {
    const entries = this.running?.world.log.entries;
    if (!entries) return;
    const fresh = entries.slice(this.printedLog);
    this.printedLog = entries.length;
    for (const e of fresh) {
      if (!isTransientAnswer(e)) continue;
      const what =
        e.status === 0
          ? 'no answer (connection dropped)'
          : `${e.status}${e.errorCode ? ` ${e.errorCode}` : ''}`;
      this.display.line(
        `${indent}${this.display.paint(`${e.service === 'atlas' ? 'Atlas' : 'EC2'} ${e.operation}: ${what}; retried`, 'warn')}`,
      );
    }
  }

  onHistory(entry: HistoryEntry, info: { readonly result?: unknown }): void {
    if (this.stopped) return;
    if (info.result !== undefined) this.resources.observe(info.result);
    this.t0 ??= entry.virtualTime;
    this.lastSeen = entry.virtualTime;
    if (entry.kind === 'entered') {
      this.currentState = entry.state;
      this.currentType = entry.type;
      this.taskRunning = entry.type === 'Task';
    } else if (entry.state === this.currentState && entry.kind !== 'retried') {
      this.taskRunning = false;
    }
    if (this.quiet || entry.type !== 'Task') return;
    const at = this.at(entry.virtualTime);
    const indent = `${' '.repeat(at.length)}   `;
    if (entry.kind !== 'entered') this.transientAnswers(indent);
    if (entry.kind === 'entered') this.display.line(`${at} ${entry.state}`);
    else if (entry.kind === 'succeeded') {
      const note = statusNote(info.result);
      if (note) this.display.line(`${indent}${paintStatusWords(this.display, note)}`);
    } else if (entry.kind === 'retried')
      this.display.line(`${indent}${this.display.paint('retrying (transient error)', 'warn')}`);
    else if (entry.kind === 'failed')
      this.display.line(`${indent}${this.display.paint(`failed: ${entry.error}`, 'bad')}`);
  }

  async onWait(state: string, seconds: number): Promise<void> {
    if (this.stopped) return;
    if (!this.quiet && seconds > 0) this.display.line(`${this.at(this.lastSeen)} ${state}: ${seconds} s`);
    const { timeScale } = this.plan;
    if (timeScale <= 0 || seconds <= 0) return;
    const totalMs = (seconds * 1000) / timeScale;
    const start = performance.now();
    if (this.quiet || !this.display.tty) {
      await new Promise((r) => setTimeout(r, totalMs));
      return;
    }
    for (;;) {
      if (this.stopped) return;
      const elapsed = performance.now() - start;
      const frac = Math.min(1, elapsed / totalMs);
      this.display.progress(state, frac * seconds, seconds);
      if (frac >= 1) break;
      await new Promise((r) => setTimeout(r, Math.min(100, totalMs - elapsed)));
    }
    this.display.clearProgress();
  }
}

/** The summary after the output: status, times, counts, calls, what is left. */
export function summaryLines(
  display: Display,
  result: LocalRunResult,
  running: RunningWorld | undefined,
): string[] {
  const m = result.metrics;
  const calls = (c: Readonly<Record<string, number>>) =>
    Object.entries(c)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const status = display.paint(result.status, result.status === 'SUCCEEDED' ? 'good' : 'bad');
  const lines = [
    `Summary: ${status} in ${fmtDuration(m.virtualDurationMs)} of virtual time`,
    `  (${(m.realDurationMs / 1000).toFixed(1)} s real; clouds took ${fmtDuration(m.providerTimeMs)})`,
    `  state transitions ${m.stateTransitions}, Lambda invocations ${m.lambdaInvocations}`,
  ];
  if (running) {
    lines.push(`  Atlas calls: ${calls(m.atlasCalls)}`, `  EC2 calls: ${calls(m.ec2Calls)}`);
    const retried = running.world.log.entries.filter(isTransientAnswer).length;
    if (retried > 0)
      lines.push(`  transient failures answered: ${retried}, each retried (--json lists every request)`);
    const inv = running.world.inventory();
    lines.push(
      `  left in the world: ${inv.atlas.serverlessEndpoints.length} serverless endpoint(s), ${inv.atlas.endpointServices.length} endpoint service(s), ${inv.atlas.interfaceEndpoints.length} interface endpoint(s), ${inv.aws.vpcEndpoints.length} VPC endpoint(s)`,
    );
  }
  lines.push(`  events: ${result.events.map((e) => e.detailType).join(', ') || 'none'}`);
  return lines;
}
