import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/testing/fake-clock.js';
import { ProximaError } from '../core/errors.js';
import { abortError, CallSignal, Deadline } from './deadline.js';
import { currentDeadline, currentSignal, withCallContext, withDeadline } from './deadline-context.js';

describe('Deadline', () => {
  it('counts down on its clock and picks the earliest', async () => {
    const clock = new FakeClock();
    const d = Deadline.after(clock, 100);
    expect(d.remaining()).toBe(100);
    await clock.advance(40);
    expect(d.remaining()).toBe(60);
    expect(d.expired).toBe(false);
    const sooner = Deadline.after(clock, 10);
    expect(d.earliest(sooner)).toBe(sooner);
    expect(sooner.earliest(d)).toBe(sooner);
    expect(d.earliest(undefined)).toBe(d);
    await clock.advance(100);
    expect(d.remaining()).toBe(0);
    expect(d.expired).toBe(true);
    expect(d.exceeded().code).toBe('DEADLINE_EXCEEDED');
  });
});

describe('CallSignal', () => {
  it('aborts with DEADLINE_EXCEEDED when the deadline passes, and clears its timer', async () => {
    const clock = new FakeClock();
    const scope = new CallSignal(Deadline.after(clock, 50));
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(49);
    expect(scope.signal.aborted).toBe(false);
    await clock.advance(1);
    expect(scope.signal.aborted).toBe(true);
    expect(abortError(scope.signal).code).toBe('DEADLINE_EXCEEDED');
    expect(clock.pendingTimers).toBe(0);
  });

  it('aborts with CANCELLED when the parent aborts, then stops listening', () => {
    const clock = new FakeClock();
    const parent = new AbortController();
    const scope = new CallSignal(Deadline.after(clock, 50), parent.signal);
    parent.abort();
    expect(scope.signal.aborted).toBe(true);
    expect(abortError(scope.signal).code).toBe('CANCELLED');
    expect(clock.pendingTimers).toBe(0);
  });

  it('keeps a DEADLINE_EXCEEDED reason from an outer call', () => {
    const clock = new FakeClock();
    const parent = new AbortController();
    const scope = new CallSignal(Deadline.after(clock, 50), parent.signal);
    parent.abort(new ProximaError('DEADLINE_EXCEEDED', 'outer'));
    expect(abortError(scope.signal).code).toBe('DEADLINE_EXCEEDED');
  });

  it('is aborted at once for an expired deadline or an aborted parent', () => {
    const clock = new FakeClock(1000);
    expect(new CallSignal(Deadline.at(clock, 999)).signal.aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    const parent = new AbortController();
    parent.abort();
    expect(new CallSignal(Deadline.after(clock, 10), parent.signal).signal.aborted).toBe(true);
  });

  it('hands out the parent itself when there is no deadline, and dispose releases everything', async () => {
    const clock = new FakeClock();
    const parent = new AbortController();
    expect(new CallSignal(undefined, parent.signal).signal).toBe(parent.signal);
    {
      using scope = new CallSignal(Deadline.after(clock, 50), parent.signal);
      expect(scope.signal.aborted).toBe(false);
    }
    expect(clock.pendingTimers).toBe(0);
    parent.abort();
    await clock.advance(100);
  });
});

describe('deadline propagation', () => {
  it('inherits the remaining time in nested async code, and only ever shrinks it', async () => {
    const clock = new FakeClock();
    const outer = Deadline.after(clock, 100);
    expect(currentDeadline()).toBeUndefined();
    await withDeadline(outer, async () => {
      await Promise.resolve();
      expect(currentDeadline()).toBe(outer);
      const longer = Deadline.after(clock, 1000);
      await withDeadline(longer, async () => {
        await new Promise((r) => setImmediate(r));
        expect(currentDeadline()).toBe(outer);
      });
      const shorter = Deadline.after(clock, 10);
      withDeadline(shorter, () => expect(currentDeadline()).toBe(shorter));
      withDeadline(undefined, () => expect(currentDeadline()).toBe(outer));
    });
    expect(currentDeadline()).toBeUndefined();
  });

  it('carries the served call signal and combines it with an enclosing one', () => {
    const clock = new FakeClock();
    const a = new AbortController();
    const b = new AbortController();
    withCallContext({ deadline: Deadline.after(clock, 5), signal: a.signal }, () => {
      expect(currentSignal()).toBe(a.signal);
      expect(currentDeadline()?.remaining()).toBe(5);
      withCallContext({ signal: b.signal }, () => {
        const combined = currentSignal();
        expect(combined?.aborted).toBe(false);
        a.abort();
        expect(combined?.aborted).toBe(true);
        expect(currentDeadline()?.remaining()).toBe(5);
      });
    });
  });
});
