import type { Clock, TimerHandle } from '../../core/clock.js';

/**
 * A clock moved synchronously by assignment (`clock.time += 5`), for loops that interleave picks
 * and outcomes without awaiting. It has no timers; code under test that needs timers gets
 * `FakeClock` instead.
 */
export class StepClock implements Clock {
  time = 0;
  now(): number {
    return this.time;
  }
  wallNow(): number {
    return this.time;
  }
  setTimeout(): TimerHandle {
    return {};
  }
  clearTimeout(): void {}
}
