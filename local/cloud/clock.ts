/**
 * The world's virtual clock and its event scheduler.
 *
 * Virtual time = start + (real time elapsed x timeScale) + every explicit advance().
 * With timeScale 0 the clock only moves when someone calls advance(), which makes tests exact.
 * Resources schedule their future transitions with `at()`; `settle()` runs every event that is due,
 * in time order (ties in scheduling order). The HTTP fronts call `settle()` before serving a request,
 * so a reader always sees the state the timeline says it should have "now".
 */
export interface ClockOptions {
  /** Virtual epoch ms at creation. @default Date.parse('2026-11-28T09:00:00Z') */
  readonly start?: number;
  /** Virtual ms per real ms. 0 freezes the clock between advance() calls. @default 1 */
  readonly timeScale?: number;
}

interface ScheduledEvent {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
  cancelled: boolean;
}

export interface Scheduled {
  cancel(): void;
}

export class VirtualClock {
  readonly timeScale: number;
  private readonly realStart = performance.now();
  private readonly virtualStart: number;
  private offset = 0;
  private seq = 0;
  private queue: ScheduledEvent[] = [];
  private settling = false;
  private readonly eventListeners = new Set<(at: number) => void>();

  constructor(options: ClockOptions = {}) {
    const scale = options.timeScale ?? 1;
    if (!Number.isFinite(scale) || scale < 0)
      throw new RangeError(`timeScale must be a number >= 0, got ${scale}`);
    this.timeScale = scale;
    this.virtualStart = options.start ?? Date.parse('2026-11-28T09:00:00Z');
  }

  /** Current virtual time, epoch milliseconds. */
  now(): number {
    return this.virtualStart + (performance.now() - this.realStart) * this.timeScale + this.offset;
  }

  /** Current virtual time as an ISO string. */
  iso(): string {
    return new Date(this.now()).toISOString();
  }

  /** Moves virtual time forward by `ms` and runs every event that became due. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance() takes ms >= 0, got ${ms}`);
    this.offset += ms;
    this.settle();
  }

  /** Schedules `run` at virtual time `at` (epoch ms). Events in the past run on the next settle(). */
  at(at: number, run: () => void): Scheduled {
    const event: ScheduledEvent = { at, seq: this.seq++, run, cancelled: false };
    this.queue.push(event);
    return {
      cancel: () => {
        event.cancelled = true;
      },
    };
  }

  /** Schedules `run` `delayMs` virtual milliseconds from now. */
  after(delayMs: number, run: () => void): Scheduled {
    return this.at(this.now() + delayMs, run);
  }

  /** Virtual time of the next pending event, if any. */
  nextEventAt(): number | undefined {
    let next: number | undefined;
    for (const e of this.queue) if (!e.cancelled && (next === undefined || e.at < next)) next = e.at;
    return next;
  }

  /** Runs all due events in (time, seq) order; events scheduled while settling run too if already due. */
  settle(): void {
    if (this.settling) return;
    this.settling = true;
    try {
      for (;;) {
        const now = this.now();
        let best: ScheduledEvent | undefined;
        for (const e of this.queue) {
          if (e.cancelled || e.at > now) continue;
          if (!best || e.at < best.at || (e.at === best.at && e.seq < best.seq)) best = e;
        }
        if (!best) break;
        this.queue = this.queue.filter((e) => e !== best);
        best.run();
        for (const listener of this.eventListeners) listener(best.at);
      }
      this.queue = this.queue.filter((e) => !e.cancelled);
    } finally {
      this.settling = false;
    }
  }

  /**
   * Calls `listener` with the event's due time (virtual epoch ms) after each scheduled event has run, so an
   * observer (e.g. `local/cloud/transitions.ts`) sees every state change at the time it happened. Returns
   * the unsubscribe function.
   */
  onEvent(listener: (at: number) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /**
   * Resolves once virtual time has reached now + ms. With timeScale 0 it advances the clock itself,
   * so nothing waits forever; otherwise it sleeps the matching real time.
   */
  async sleep(ms: number): Promise<void> {
    if (ms <= 0) return;
    if (this.timeScale === 0) {
      this.advance(ms);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, ms / this.timeScale));
    this.settle();
  }
}
