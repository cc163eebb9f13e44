import type { Clock, TimerHandle } from '../core/clock.js';
import { EventQueue, type SimEvent } from './event-queue.js';

/** Wall-clock time shown for virtual time 0 (only for timestamps people read). */
const WALL_START = Date.UTC(2026, 0, 1);

/**
 * The simulation's time: a {@link Clock} whose timers are events in an {@link EventQueue}, so the
 * real router, balancers, prober and call policy run unchanged on virtual time. Nothing here
 * touches a real timer; time jumps from one event to the next.
 *
 * Timers set through the `Clock` interface belong to library code that may resolve promises
 * (a backoff sleep, a probe round); after such a timer fires, {@link VirtualClock.run} lets every
 * promise continuation run before the next event, so a retry is sent at the virtual instant its
 * backoff ended, not later.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * clock.schedule(10, () => console.log(clock.now())); // 10
 * await clock.run(() => false, 1000);
 * ```
 */
export class VirtualClock implements Clock {
  private readonly queue = new EventQueue();
  private current = 0;
  private fired = 0;

  now(): number {
    return this.current;
  }

  wallNow(): number {
    return WALL_START + this.current;
  }

  /** Events fired so far (a measure of simulation work). */
  get events(): number {
    return this.fired;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return new VirtualTimer(this.queue.push(this.current + Math.max(0, ms), callback, true));
  }

  clearTimeout(handle: TimerHandle): void {
    if (handle instanceof VirtualTimer) handle.event.cancelled = true;
  }

  /**
   * Schedules a simulation action `delayMs` from now. Pass `settles` when the action resolves or
   * rejects a promise someone awaits.
   */
  schedule(delayMs: number, fire: () => void, settles = false): SimEvent {
    return this.queue.push(this.current + Math.max(0, delayMs), fire, settles);
  }

  /** Schedules an action at absolute virtual time `at` (not before now). */
  scheduleAt(at: number, fire: () => void, settles = false): SimEvent {
    return this.queue.push(Math.max(this.current, at), fire, settles);
  }

  /**
   * Fires events in time order until `done()` holds after an event, the queue is empty, or the next
   * event lies beyond `limit` (time then stops at `limit`).
   */
  async run(done: () => boolean, limit: number): Promise<void> {
    for (;;) {
      const next = this.queue.peek();
      if (next === undefined || next.at > limit) {
        this.current = Math.max(this.current, limit);
        return;
      }
      this.queue.pop();
      this.current = next.at;
      this.fired++;
      next.fire();
      if (next.settles) await settle();
      if (done()) return;
    }
  }
}

/** A timer of the virtual clock (`unref` means nothing in virtual time). */
class VirtualTimer implements TimerHandle {
  constructor(readonly event: SimEvent) {}

  unref(): this {
    return this;
  }
}

/**
 * Lets every queued promise continuation run: Node drains the whole microtask queue before it runs
 * an immediate, however long the chain of awaits is.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
