import { describe, expect, it } from 'vitest';
import { callPolicy } from './call-policy.js';
import { executeCall } from './execute-call.js';
import { LatencyEstimator } from './latency-estimator.js';
import { RetryBudget } from './retry-budget.js';
import { errors } from './testing/fakes.js';
import { settle, setup } from './testing/harness.js';

describe('hedged requests', () => {
  it('sends no backup when the first attempt answers before the delay', async () => {
    const { clock, picker, attempts, policy } = setup(() => ({ ok: 'fast', afterMs: 5 }), {
      hedging: { delayMs: 20 },
    });
    const { value } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(value).toBe('fast');
    expect(attempts.calls).toHaveLength(1);
    expect(picker.kinds()).toEqual(['success']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('sends a backup to another instance only after the delay; first success wins, the loser is cancelled', async () => {
    const { clock, picker, attempts, policy } = setup(
      (id) => (id === 'a' ? { ok: 'slow a', afterMs: 100 } : { ok: `fast ${id}`, afterMs: 10 }),
      { hedging: { delayMs: 20 } },
    );
    const call = executeCall(policy, attempts.attempt);
    await clock.advance(19);
    expect(attempts.endpoints()).toEqual(['a']);
    await clock.advance(1);
    expect(attempts.endpoints()).toEqual(['a', 'b']);
    expect(attempts.calls[1]?.at).toBe(20);
    const { value } = await settle(clock, call);
    expect(value).toBe('fast b');
    expect(attempts.calls[0]?.signal?.aborted).toBe(true);
    expect(picker.kinds()).toEqual(['cancelled', 'success']);
    expect(picker.trackers[0]?.reports[0]?.latencyMs).toBe(30);
    expect(clock.pendingTimers).toBe(0);
  });

  it('the original can still win; then the backup is cancelled', async () => {
    const { clock, picker, attempts, policy } = setup(
      (id) => (id === 'a' ? { ok: 'a', afterMs: 25 } : { ok: id, afterMs: 100 }),
      { hedging: { delayMs: 20 } },
    );
    const { value } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(value).toBe('a');
    expect(picker.kinds()).toEqual(['success', 'cancelled']);
  });

  it('respects maxAttempts: one backup per delay, no more', async () => {
    const { clock, attempts, policy } = setup(() => ({ hang: true }), {
      hedging: { delayMs: 10, maxAttempts: 3 },
      timeoutMs: 100,
    });
    const { error } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(error?.code).toBe('DEADLINE_EXCEEDED');
    expect(attempts.calls.map((c) => [c.endpointId, c.at])).toEqual([
      ['a', 0],
      ['b', 10],
      ['c', 20],
    ]);
  });

  it('sends no backup while the retry budget is exhausted', async () => {
    const budget = new RetryBudget();
    for (let i = 0; i < 5; i++) budget.recordFailure();
    const { clock, attempts, policy } = setup(() => ({ ok: 'slow', afterMs: 50 }), {
      hedging: { delayMs: 10 },
      budget,
    });
    expect((await settle(clock, executeCall(policy, attempts.attempt))).value).toBe('slow');
    expect(attempts.calls).toHaveLength(1);
  });

  it('a retryable failure launches the next attempt at once; a fatal one ends the call', async () => {
    const retry = setup((id) => (id === 'a' ? { error: errors.unavailable(), afterMs: 2 } : { ok: id }), {
      hedging: { delayMs: 50 },
    });
    expect((await settle(retry.clock, executeCall(retry.policy, retry.attempts.attempt))).value).toBe('b');
    expect(retry.attempts.calls.map((c) => c.at)).toEqual([0, 2]);

    const fatal = setup(
      (id) => (id === 'b' ? { error: errors.notFound(), afterMs: 5 } : { ok: id, afterMs: 100 }),
      { hedging: { delayMs: 10 } },
    );
    const { error } = await settle(fatal.clock, executeCall(fatal.policy, fatal.attempts.attempt));
    expect(error?.code).toBe('NOT_FOUND');
    expect(fatal.picker.kinds()).toEqual(['cancelled', 'app-error']);
  });

  it('hedges after the observed percentile once the estimator has data', async () => {
    const estimator = new LatencyEstimator({ minSamples: 10, growth: 1.05 });
    for (let i = 0; i < 100; i++) estimator.record(i < 95 ? 10 : 40);
    const { clock, attempts, policy } = setup(() => ({ hang: true }), {
      hedging: { percentile: 0.9, delayMs: 500, estimator },
      timeoutMs: 1000,
    });
    await settle(clock, executeCall(policy, attempts.attempt));
    const backupAt = attempts.calls[1]?.at ?? 0;
    expect(backupAt).toBeGreaterThanOrEqual(10);
    expect(backupAt).toBeLessThan(11);
  });

  it('records successful latencies into the estimator', async () => {
    const estimator = new LatencyEstimator({ minSamples: 1 });
    const { clock, attempts, policy } = setup(() => ({ ok: 'x', afterMs: 7 }), {
      hedging: { percentile: 0.5, estimator },
    });
    await settle(clock, executeCall(policy, attempts.attempt));
    expect(estimator.count).toBe(1);
  });

  it('is refused for non-idempotent methods and other fail modes', () => {
    const picker = { pick: () => ({ kind: 'wait' as const }) };
    expect(() => callPolicy({ getPicker: () => picker, hedging: { delayMs: 5 } })).toThrow(
      /policy\.hedging.*idempotent/,
    );
    expect(() =>
      callPolicy({
        getPicker: () => picker,
        idempotent: true,
        failMode: 'failretry',
        hedging: { delayMs: 5 },
      }),
    ).toThrow(/policy\.hedging/);
  });
});

describe('forking', () => {
  it('calls N distinct instances at once; the first success wins and the rest are cancelled', async () => {
    const { clock, picker, attempts, policy } = setup(
      (id) => ({ ok: id, afterMs: id === 'b' ? 5 : id === 'c' ? 8 : 50 }),
      { failMode: 'forking', forks: 3 },
    );
    const { value } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(value).toBe('b');
    expect(attempts.calls.map((c) => [c.endpointId, c.at])).toEqual([
      ['a', 0],
      ['b', 0],
      ['c', 0],
    ]);
    expect(picker.kinds()).toEqual(['cancelled', 'success', 'cancelled']);
  });

  it('fails only when every fork failed, with the last error', async () => {
    const { clock, picker, attempts, policy } = setup(
      (id) => ({ error: id === 'a' ? errors.notFound() : errors.unavailable(), afterMs: id === 'a' ? 1 : 3 }),
      { failMode: 'forking', forks: 2 },
    );
    const { error } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(error?.code).toBe('UNAVAILABLE');
    expect(picker.kinds()).toEqual(['app-error', 'failure']);
  });

  it('uses as many instances as exist when fewer than N', async () => {
    const { clock, attempts, policy } = setup(() => ({ ok: 'x' }), { failMode: 'forking', forks: 10 });
    await settle(clock, executeCall(policy, attempts.attempt));
    expect(attempts.endpoints()).toEqual(['a', 'b', 'c', 'd']);
  });
});
