import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/testing/fake-clock.js';
import { Deadline } from './deadline.js';
import {
  currentDeadline,
  currentSignal,
  type ServedCall,
  withDeadline,
  withServedCall,
} from './deadline-context.js';

/** A served call on `clock` with `deadlineAt` (0: none) that counts what is read from it. */
function servedCall(clock: FakeClock, deadlineAt: number) {
  const controller = new AbortController();
  const reads = { remaining: 0, signal: 0 };
  const served: ServedCall = {
    remainingMs: () => {
      reads.remaining++;
      return deadlineAt === 0 ? undefined : Math.max(0, deadlineAt - clock.now());
    },
    get signal() {
      reads.signal++;
      return controller.signal;
    },
  };
  return { served, reads, controller };
}

describe('withServedCall', () => {
  it('reads nothing from the served call unless something asks for its deadline or signal', async () => {
    const clock = new FakeClock();
    const { served, reads } = servedCall(clock, 500);
    const value = await withServedCall(served, clock, async () => {
      await Promise.resolve();
      return 42;
    });
    expect(value).toBe(42);
    expect(reads).toEqual({ remaining: 0, signal: 0 });
  });

  it('hands nested code the served deadline (the same instant whenever read) and signal', async () => {
    const clock = new FakeClock(1_000);
    const { served, reads, controller } = servedCall(clock, 1_300);
    await withServedCall(served, clock, async () => {
      await clock.advance(100);
      const deadline = currentDeadline();
      expect(deadline?.at).toBe(1_300);
      expect(deadline?.remaining()).toBe(200);
      expect(currentDeadline()).toBe(deadline);
      expect(currentSignal()).toBe(controller.signal);
    });
    expect(reads.remaining).toBe(1);
  });

  it('has no deadline when the served call has none', () => {
    const clock = new FakeClock();
    const { served } = servedCall(clock, 0);
    expect(withServedCall(served, clock, () => currentDeadline())).toBeUndefined();
  });

  it('keeps an enclosing deadline that is earlier', () => {
    const clock = new FakeClock();
    const { served } = servedCall(clock, 500);
    const outer = Deadline.after(clock, 100);
    const inner = withDeadline(outer, () => withServedCall(served, clock, () => currentDeadline()));
    expect(inner).toBe(outer);
  });
});
