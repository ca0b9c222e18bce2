/**
 * Time for several executions that share one world on a frozen clock (timeScale 0): a wait advances the
 * world's clock only once every execution taking part is waiting, and then only to the earliest wake-up, so
 * the waits of concurrent executions overlap as they would in real time instead of adding up. One execution on
 * its own sees no difference (its wait advances the clock at once).
 *
 * An execution takes part from `enter()` to `leave()` (the engine brackets each run); while it is not waiting
 * it is busy (in a handler, on the network), and time stands still for everyone. Waits are Wait states, Step
 * Functions retry pauses and the Lambdas' own pauses between attempts.
 */
import type { VirtualClock } from './cloud/clock.ts';

interface Sleeper {
  readonly until: number;
  readonly wake: () => void;
}

export class VirtualTime {
  private active = 0;
  private sleepers: Sleeper[] = [];
  private pending = false;

  constructor(private readonly clock: VirtualClock) {}

  /** An execution starts taking part. */
  enter(): void {
    this.active += 1;
  }

  /** An execution is done; the others may be waiting for it. */
  leave(): void {
    this.active = Math.max(0, this.active - 1);
    this.schedule();
  }

  /** Resolves once the world's clock has advanced by `ms`. */
  sleep(ms: number): Promise<void> {
    if (!(ms > 0)) return Promise.resolve();
    return new Promise<void>((wake) => {
      this.sleepers.push({ until: this.clock.now() + ms, wake });
      this.schedule();
    });
  }

  /** After the current turn (so every execution that is about to wait gets to), advance if all wait. */
  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      if (this.sleepers.length === 0 || this.sleepers.length < this.active) return;
      const next = Math.min(...this.sleepers.map((s) => s.until));
      const now = this.clock.now();
      if (next > now) this.clock.advance(next - now);
      const due = this.sleepers.filter((s) => s.until <= this.clock.now());
      this.sleepers = this.sleepers.filter((s) => s.until > this.clock.now());
      for (const s of due) s.wake();
    });
  }
}

const times = new WeakMap<VirtualClock, VirtualTime>();

/** The one coordinator of a clock. */
export function virtualTimeOf(clock: VirtualClock): VirtualTime {
  let time = times.get(clock);
  if (time === undefined) {
    time = new VirtualTime(clock);
    times.set(clock, time);
  }
  return time;
}
