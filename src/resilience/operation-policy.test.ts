import { describe, expect, it } from 'vitest';
import { ProximaError } from '../core/errors.js';
import { FakeClock } from '../core/testing/fake-clock.js';
import { retryPolicy, timeoutPolicy, wrap, type OperationContext } from './operation-policy.js';
import { RetryBudget } from './retry-budget.js';
import { settle } from './testing/harness.js';

const unavailable = () => new ProximaError('UNAVAILABLE', 'registry down');

describe('retryPolicy', () => {
  it('retries retryable errors with full-jitter backoff, then succeeds', async () => {
    const clock = new FakeClock();
    const seen: Array<[number, number]> = [];
    const policy = retryPolicy({ clock, random: () => 0.5, initialBackoffMs: 100, maxAttempts: 5 });
    const result = policy.execute(async ({ attempt }) => {
      seen.push([attempt, clock.now()]);
      if (attempt < 3) throw unavailable();
      return 'registered';
    });
    expect((await settle(clock, result)).value).toBe('registered');
    expect(seen).toEqual([
      [1, 0],
      [2, 50],
      [3, 150],
    ]);
  });

  it('gives up on non-retryable errors, after maxAttempts, or when the budget is out', async () => {
    const clock = new FakeClock();
    let tries = 0;
    const fatal = retryPolicy({ clock }).execute(async () => {
      tries++;
      throw new ProximaError('PERMISSION_DENIED', 'bad token');
    });
    expect((await settle(clock, fatal)).error?.code).toBe('PERMISSION_DENIED');
    expect(tries).toBe(1);

    tries = 0;
    const capped = retryPolicy({ clock, maxAttempts: 2 }).execute(async () => {
      tries++;
      throw unavailable();
    });
    expect((await settle(clock, capped)).error?.code).toBe('UNAVAILABLE');
    expect(tries).toBe(2);

    tries = 0;
    const budget = new RetryBudget({ maxTokens: 2, threshold: 1 });
    const budgeted = retryPolicy({ clock, maxAttempts: 10, budget }).execute(async () => {
      tries++;
      throw unavailable();
    });
    await settle(clock, budgeted);
    expect(tries).toBe(1);
  });

  it('stops when cancelled during the backoff', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const result = retryPolicy({ clock, initialBackoffMs: 1000 }).execute(async () => {
      throw unavailable();
    }, controller.signal);
    await clock.advance(1);
    controller.abort();
    expect((await settle(clock, result)).error?.code).toBe('CANCELLED');
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('timeoutPolicy', () => {
  it('fails with DEADLINE_EXCEEDED at the deadline even if the operation ignores its signal', async () => {
    const clock = new FakeClock();
    let signal: AbortSignal | undefined;
    const result = timeoutPolicy({ ms: 100, clock }).execute((context) => {
      signal = context.signal;
      return new Promise<never>(() => undefined);
    });
    await clock.advance(99);
    expect(signal?.aborted).toBe(false);
    const { error } = await settle(clock, result, 1);
    expect(error?.code).toBe('DEADLINE_EXCEEDED');
    expect(signal?.aborted).toBe(true);
  });

  it('passes the answer through and clears its timer', async () => {
    const clock = new FakeClock();
    expect(await timeoutPolicy({ ms: 100, clock }).execute(async () => 42)).toBe(42);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('wrap', () => {
  it('nests policies outermost first: one timeout around all retries, or one per try', async () => {
    const clock = new FakeClock();
    const tries: OperationContext[] = [];
    const op = async (context: OperationContext): Promise<string> => {
      tries.push(context);
      throw unavailable();
    };
    const overall = wrap(
      timeoutPolicy({ ms: 250, clock }),
      retryPolicy({ clock, maxAttempts: 100, random: () => 1, initialBackoffMs: 100, maxBackoffMs: 100 }),
    );
    const { error } = await settle(clock, overall.execute(op));
    expect(error?.code).toBe('DEADLINE_EXCEEDED');
    expect(tries.map((t) => t.attempt)).toEqual([1, 2, 3]);

    tries.length = 0;
    const perTry = wrap(
      retryPolicy({ clock, maxAttempts: 2, random: () => 0 }),
      timeoutPolicy({ ms: 10, clock }),
    );
    const hang = async (context: OperationContext): Promise<string> => {
      tries.push(context);
      return new Promise<string>(() => undefined);
    };
    const r = await settle(clock, perTry.execute(hang));
    expect(r.error?.code).toBe('DEADLINE_EXCEEDED');
    expect(tries).toHaveLength(1);
    await expect(wrap().execute(async ({ attempt }) => attempt)).resolves.toBe(1);
  });
});
