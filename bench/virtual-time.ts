/**
 * Virtual time for many executions in one process (the scale bench, bench/scale.ts): the world's clock runs
 * at real speed while any execution works and jumps over stretches in which every execution waits.
 */
import { VirtualClock } from '../local/cloud/clock.ts';

/**
 * Virtual time shared by concurrent executions: real speed while anyone works, a jump to the next wake-up
 * when everyone sleeps. Every execution counts as working from {@link enter} until {@link exit}, except while
 * it is inside {@link sleep}.
 */
export class CooperativeTime {
  private working = 0;
  private sleepers: { wakeAt: number; wake: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** Virtual ms skipped by jumps (the rest of the span ran at real speed). */
  jumpedMs = 0;

  constructor(readonly clock: VirtualClock) {
    if (clock.timeScale <= 0) throw new Error('CooperativeTime needs a clock that runs (timeScale > 0)');
  }

  enter(): void {
    this.working += 1;
  }

  exit(): void {
    this.working -= 1;
    this.pump();
  }

  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.sleepers.push({ wakeAt: this.clock.now() + ms, wake: resolve });
      this.working -= 1;
      this.pump();
    });
  }

  private pump(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.sleepers.length === 0) return;
    let now = this.clock.now();
    const next = () => Math.min(...this.sleepers.map((s) => s.wakeAt));
    if (this.working === 0 && next() > now) {
      const skip = next() - now;
      this.jumpedMs += skip;
      this.clock.advance(skip);
      now = this.clock.now();
    }
    const due = this.sleepers.filter((s) => s.wakeAt <= now);
    if (due.length > 0) {
      this.sleepers = this.sleepers.filter((s) => s.wakeAt > now);
      for (const s of due) {
        this.working += 1;
        s.wake();
      }
    }
    if (this.sleepers.length > 0) {
      const waitReal = Math.max(1, (next() - now) / this.clock.timeScale);
      this.timer = setTimeout(() => this.pump(), waitReal);
    }
  }
}

/**
 * One execution's view of the shared clock. A Wait state has already slept in `onWait` (see
 * {@link runScale}); the engine's `advance` for it then only settles. A retry pause (an `advance` nobody
 * prepaid) becomes a debt the execution sleeps before its next invocation.
 */
export class ExecutionClock extends VirtualClock {
  prepaidMs = 0;
  pauseDebtMs = 0;

  constructor(private readonly shared: VirtualClock) {
    // The shared clock's scale (it runs): the engine then lets a Wait or a retry pause pass through
    // `advance` below, not through its coordinator for frozen clocks (local/virtual-time.ts), whose wake-ups
    // wait for an `advance` this clock does not make.
    super({ timeScale: shared.timeScale });
  }

  override now(): number {
    return this.shared.now();
  }

  override advance(ms: number): void {
    const prepaid = Math.min(ms, this.prepaidMs);
    this.prepaidMs -= prepaid;
    this.pauseDebtMs += ms - prepaid;
    this.shared.settle();
  }

  override settle(): void {
    this.shared.settle();
  }
}
