import type { Clock, TimerHandle } from '../clock.js';

interface FakeTimer extends TimerHandle {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * A deterministic clock for tests. Time moves only through {@link FakeClock.advance}, which fires
 * due timers in order and lets promise callbacks run between them.
 *
 * @example
 * ```ts
 * const clock = new FakeClock();
 * const done = sleep(clock, 1000);
 * await clock.advance(1000); // `done` has resolved
 * ```
 */
export class FakeClock implements Clock {
  private current: number;
  private readonly wallOffset: number;
  private nextId = 1;
  private timers: FakeTimer[] = [];

  constructor(start = 0, wallStart = Date.UTC(2026, 0, 1)) {
    this.current = start;
    this.wallOffset = wallStart - start;
  }

  now(): number {
    return this.current;
  }

  wallNow(): number {
    return this.current + this.wallOffset;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = {
      id: this.nextId++,
      at: this.current + Math.max(0, ms),
      callback,
      unref: () => timer,
    };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }

  /** Number of timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, earliest first. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await flushMicrotasks();
      const next = this.earliestDue(target);
      if (next === undefined) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = Math.max(this.current, next.at);
      next.callback();
    }
    this.current = target;
    await flushMicrotasks();
  }

  private earliestDue(limit: number): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers) {
      if (t.at <= limit && (best === undefined || t.at < best.at || (t.at === best.at && t.id < best.id)))
        best = t;
    }
    return best;
  }
}

/** Lets queued promise callbacks run (several rounds, for chained awaits). */
export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
