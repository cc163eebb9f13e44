import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/testing/fake-clock.js';
import { callPolicy } from './call-policy.js';
import { Deadline } from './deadline.js';
import { withCallContext, withDeadline } from './deadline-context.js';
import { executeCall } from './execute-call.js';
import { RetryBudget } from './retry-budget.js';
import {
  endpoint,
  errors,
  FakePicker,
  PickerSource,
  ScriptedAttempts,
  waitingPicker,
} from './testing/fakes.js';
import { ENDPOINTS, settle, setup } from './testing/harness.js';

describe('failover', () => {
  it('first-attempt success: one pick, one attempt, reported success', async () => {
    const { clock, picker, attempts, policy } = setup(() => ({ ok: 'hi', afterMs: 3 }));
    const { value } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(value).toBe('hi');
    expect(picker.kinds()).toEqual(['success']);
    expect(picker.trackers[0]?.reports[0]?.latencyMs).toBe(3);
    expect(picker.contexts).toEqual([undefined]);
    // Nothing can cancel this call, so no AbortSignal was made for it.
    expect(attempts.calls[0]?.signal).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
  });

  it('moves to a new instance each attempt, excluding those tried', async () => {
    const { clock, picker, attempts, policy } = setup((id) =>
      id === 'c' ? { ok: `from ${id}` } : { error: errors.unavailable() },
    );
    const { value } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(value).toBe('from c');
    expect(attempts.endpoints()).toEqual(['a', 'b', 'c']);
    expect(attempts.calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(picker.kinds()).toEqual(['failure', 'failure', 'success']);
    expect([...(picker.contexts[2]?.exclude ?? [])]).toEqual(['a', 'b']);
  });

  it('gives up after maxAttempts with the last error', async () => {
    const { clock, attempts, policy } = setup(() => ({ error: errors.unavailable() }), {
      retry: { maxAttempts: 2 },
    });
    const { error } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(error?.code).toBe('UNAVAILABLE');
    expect(attempts.calls).toHaveLength(2);
  });

  it('stops with the last real error when every instance was tried', async () => {
    const clock = new FakeClock();
    const picker = new FakePicker([endpoint('only')]);
    const attempts = new ScriptedAttempts<string>(clock, () => ({ error: errors.unavailable() }));
    const policy = callPolicy({ getPicker: () => picker, clock, idempotent: true });
    const { error } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(error?.code).toBe('UNAVAILABLE');
    expect(attempts.calls).toHaveLength(1);
    expect(picker.misreported()).toEqual([]);
  });

  it('waits a full-jitter backoff between retries, but none after an unprocessed error', async () => {
    const { clock, attempts, policy } = setup(
      (id) =>
        id === 'a'
          ? { error: errors.unavailable() }
          : id === 'b'
            ? { error: errors.unprocessed() }
            : { ok: 'ok' },
      { retry: { maxAttempts: 3, initialBackoffMs: 100, maxBackoffMs: 1000 }, random: () => 0.5 },
    );
    const { value } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(value).toBe('ok');
    expect(attempts.calls.map((c) => c.at)).toEqual([0, 50, 50]);
  });

  it('does not retry errors that are not retryable', async () => {
    const { clock, picker, attempts, policy } = setup(() => ({ error: errors.notFound() }));
    const { error } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(error?.code).toBe('NOT_FOUND');
    expect(picker.kinds()).toEqual(['app-error']);
  });

  it('retries a non-idempotent method only when the server never processed the call', async () => {
    const retryable = setup(() => ({ error: errors.unavailable() }), { idempotent: false });
    const r1 = await settle(retryable.clock, executeCall(retryable.policy, retryable.attempts.attempt));
    expect(r1.error?.code).toBe('UNAVAILABLE');
    expect(retryable.attempts.calls).toHaveLength(1);

    const refused = setup((id) => (id === 'a' ? { error: errors.unprocessed() } : { ok: 'done' }), {
      idempotent: false,
    });
    const r2 = await settle(refused.clock, executeCall(refused.policy, refused.attempts.attempt));
    expect(r2.value).toBe('done');
    expect(refused.picker.kinds()).toEqual(['unprocessed', 'success']);
  });

  it('stops retrying once the retry budget is exhausted, but still retries unprocessed calls', async () => {
    const budget = new RetryBudget();
    const { clock, attempts, policy } = setup(() => ({ error: errors.unavailable() }), { budget });
    // Each call: 3 failed attempts (−3 tokens) while tokens > 5; then single attempts.
    const r1 = await settle(clock, executeCall(policy, attempts.attempt));
    expect(r1.error?.code).toBe('UNAVAILABLE');
    expect(attempts.calls).toHaveLength(3);
    expect(budget.tokens).toBe(7);
    await settle(clock, executeCall(policy, attempts.attempt));
    expect(attempts.calls).toHaveLength(5); // 7 → 6 → 5: the retry after 5 is refused
    expect(budget.canRetry()).toBe(false);
    await settle(clock, executeCall(policy, attempts.attempt));
    expect(attempts.calls).toHaveLength(6);

    const refused = setup((id) => (id === 'a' ? { error: errors.unprocessed() } : { ok: 'x' }), { budget });
    expect((await settle(refused.clock, executeCall(refused.policy, refused.attempts.attempt))).value).toBe(
      'x',
    );
  });

  it('fails with DEADLINE_EXCEEDED mid-retry and reports the attempt in flight as a timeout', async () => {
    const { clock, picker, attempts, policy } = setup(
      (id) => (id === 'a' ? { error: errors.unavailable(), afterMs: 10 } : { hang: true }),
      { timeoutMs: 100, random: () => 0 },
    );
    const { error } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(error?.code).toBe('DEADLINE_EXCEEDED');
    expect(picker.kinds()).toEqual(['failure', 'timeout']);
    expect(picker.trackers[1]?.reports[0]?.latencyMs).toBe(90);
    expect(clock.pendingTimers).toBe(0);
  });

  it('does not sleep a backoff past the deadline: the real error comes back at once', async () => {
    const { clock, attempts, policy } = setup(() => ({ error: errors.unavailable() }), {
      timeoutMs: 50,
      retry: { initialBackoffMs: 1000, maxBackoffMs: 1000 },
      random: () => 0.9,
    });
    const { error } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(error?.code).toBe('UNAVAILABLE');
    expect(attempts.calls).toHaveLength(1);
  });

  it('inherits the deadline of the call being served', async () => {
    const { clock, picker, attempts, policy } = setup(() => ({ hang: true }), { timeoutMs: 10_000 });
    const started = withDeadline(Deadline.after(clock, 30), () => executeCall(policy, attempts.attempt));
    const { error } = await settle(clock, started, 31);
    expect(error?.code).toBe('DEADLINE_EXCEEDED');
    expect(picker.kinds()).toEqual(['timeout']);
  });

  it('is cancelled with the call being served', async () => {
    const { clock, picker, attempts, policy } = setup(() => ({ hang: true }));
    const served = new AbortController();
    const started = withCallContext({ signal: served.signal }, () => executeCall(policy, attempts.attempt));
    await clock.advance(5);
    served.abort();
    expect((await settle(clock, started)).error?.code).toBe('CANCELLED');
    expect(picker.kinds()).toEqual(['cancelled']);
  });

  it('makes no attempt when the deadline already passed (no strike against an endpoint)', async () => {
    const { clock, picker, attempts, policy } = setup(() => ({ ok: 'x' }));
    const deadline = Deadline.after(clock, 5);
    await clock.advance(10);
    const { error } = await settle(clock, executeCall(policy, attempts.attempt, { deadline }));
    expect(error?.code).toBe('DEADLINE_EXCEEDED');
    expect(picker.trackers).toHaveLength(0);
  });

  it('passes the hash key to every pick, retries included', async () => {
    const { clock, picker, attempts, policy } = setup((id) =>
      id === 'a' ? { error: errors.unavailable() } : { ok: id },
    );
    await settle(clock, executeCall(policy, attempts.attempt, { hashKey: 'user-42' }));
    expect(picker.contexts.map((c) => c?.hashKey)).toEqual(['user-42', 'user-42']);
  });

  it('passes the call deadline to each attempt', async () => {
    const { clock, policy } = setup(() => ({ ok: 'x' }));
    const deadline = Deadline.after(clock, 500);
    const seen: Array<number | undefined> = [];
    await executeCall(
      policy,
      async (_e, ctx) => {
        seen.push(ctx.deadline?.remaining());
        return 'x';
      },
      { deadline },
    );
    expect(seen).toEqual([500]);
  });

  it('fails with CANCELLED when the caller aborts, reporting the attempt cancelled', async () => {
    const { clock, picker, attempts, policy } = setup(() => ({ hang: true }));
    const controller = new AbortController();
    const call = executeCall(policy, attempts.attempt, { signal: controller.signal });
    await clock.advance(5);
    controller.abort();
    const { error } = await settle(clock, call);
    expect(error?.code).toBe('CANCELLED');
    expect(picker.kinds()).toEqual(['cancelled']);
  });

  it('waits for the first picker, then picks', async () => {
    const clock = new FakeClock();
    const source = new PickerSource(waitingPicker);
    const picker = new FakePicker(ENDPOINTS);
    const attempts = new ScriptedAttempts<string>(clock, () => ({ ok: 'late' }));
    const policy = callPolicy({ getPicker: source.getPicker, onPickerChange: source.onPickerChange, clock });
    const call = executeCall(policy, attempts.attempt);
    await clock.advance(10);
    expect(attempts.calls).toHaveLength(0);
    source.set(picker);
    expect((await settle(clock, call)).value).toBe('late');
  });

  it('waiting for a picker ends at the deadline', async () => {
    const clock = new FakeClock();
    const source = new PickerSource(waitingPicker);
    const policy = callPolicy({ getPicker: source.getPicker, onPickerChange: source.onPickerChange, clock });
    const { error } = await settle(
      clock,
      executeCall(policy, async () => 'never', { timeoutMs: 20 }),
    );
    expect(error?.code).toBe('DEADLINE_EXCEEDED');
  });
});

describe('failfast and failretry', () => {
  it('failfast makes exactly one attempt', async () => {
    const { clock, attempts, policy } = setup(() => ({ error: errors.unavailable() }), {
      failMode: 'failfast',
    });
    const { error } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(error?.code).toBe('UNAVAILABLE');
    expect(attempts.calls).toHaveLength(1);
  });

  it('failretry retries the same instance with backoff between', async () => {
    const { clock, picker, attempts, policy } = setup(
      (_id, n) => (n < 3 ? { error: errors.unavailable() } : { ok: 'third time' }),
      { failMode: 'failretry', retry: { initialBackoffMs: 100 }, random: () => 0.5 },
    );
    const { value } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(value).toBe('third time');
    expect(attempts.endpoints()).toEqual(['a', 'a', 'a']);
    expect(attempts.calls.map((c) => c.at)).toEqual([0, 50, 150]);
    expect(picker.contexts[1]?.prefer).toBe('a');
    expect(picker.kinds()).toEqual(['failure', 'failure', 'success']);
  });
});
