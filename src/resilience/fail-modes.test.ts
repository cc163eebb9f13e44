import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/testing/fake-clock.js';
import { callPolicy } from './call-policy.js';
import { executeCall } from './execute-call.js';
import { FailbackQueue, type FailbackDrop } from './failback-queue.js';
import { type RecordingLogger, recordingLogger } from '../core/testing/recording-logger.js';
import { errors, FakePicker, ScriptedAttempts } from './testing/fakes.js';
import { ENDPOINTS, settle, setup } from './testing/harness.js';

/** The policy only warns: each line as `message code`. */
const warned = (logger: RecordingLogger): string[] =>
  logger.lines.filter((l) => l.level === 'warn').map((l) => `${l.message} ${String(l.fields.code)}`);

describe('failsafe', () => {
  it('turns an error into the fallback (or undefined) and logs it', async () => {
    const logger = recordingLogger();
    const { clock, picker, attempts, policy } = setup(() => ({ error: errors.internal() }), {
      failMode: 'failsafe',
      logger,
    });
    const plain = await settle(clock, executeCall(policy, attempts.attempt));
    expect(plain).toEqual({ value: undefined, error: undefined });
    const withFallback = await settle(
      clock,
      executeCall(policy, attempts.attempt, { fallback: (e) => `fallback for ${e.code}` }),
    );
    expect(withFallback.value).toBe('fallback for INTERNAL');
    expect(attempts.calls).toHaveLength(2);
    expect(picker.kinds()).toEqual(['failure', 'failure']);
    expect(warned(logger)).toEqual([
      'failsafe: call failed, returning the fallback INTERNAL',
      'failsafe: call failed, returning the fallback INTERNAL',
    ]);
  });

  it('swallows a deadline, but not the caller cancelling', async () => {
    const { clock, attempts, policy } = setup(() => ({ hang: true }), {
      failMode: 'failsafe',
      timeoutMs: 10,
    });
    expect(await settle(clock, executeCall(policy, attempts.attempt))).toEqual({
      value: undefined,
      error: undefined,
    });
    const controller = new AbortController();
    const call = executeCall(policy, attempts.attempt, { signal: controller.signal });
    controller.abort();
    expect((await settle(clock, call)).error?.code).toBe('CANCELLED');
  });

  it('returns the answer when there is no error', async () => {
    const { clock, attempts, policy } = setup(() => ({ ok: 'fine' }), { failMode: 'failsafe' });
    expect((await settle(clock, executeCall(policy, attempts.attempt))).value).toBe('fine');
  });
});

describe('failback', () => {
  function failbackSetup(script: Parameters<typeof setup>[0], queueOptions = {}) {
    const clock = new FakeClock();
    const logger = recordingLogger();
    const queue = new FailbackQueue({
      clock,
      random: () => 0.5,
      initialBackoffMs: 100,
      logger,
      ...queueOptions,
    });
    const drops: FailbackDrop[] = [];
    queue.onDrop((d) => drops.push(d));
    const picker = new FakePicker(ENDPOINTS);
    const attempts = new ScriptedAttempts(clock, script);
    const policy = callPolicy({
      getPicker: () => picker,
      clock,
      failMode: 'failback',
      failbackQueue: queue,
      idempotent: true,
    });
    return { clock, queue, drops, logger, picker, attempts, policy };
  }

  it('fails fast, answers undefined at once, and retries in the background with backoff', async () => {
    const t = failbackSetup((_id, n) => (n < 3 ? { error: errors.unavailable() } : { ok: 'sent' }));
    const call = executeCall(t.policy, t.attempts.attempt);
    await t.clock.advance(0);
    expect(await call).toBeUndefined();
    expect(t.attempts.calls).toHaveLength(1);
    expect(t.queue.size).toBe(1);
    await t.clock.advance(10_000);
    expect(t.attempts.calls.map((c) => [c.attempt, c.at])).toEqual([
      [1, 0],
      [2, 50],
      [3, 150],
    ]);
    expect(t.queue.size).toBe(0);
    expect(t.picker.kinds()).toEqual(['failure', 'failure', 'success']);
    expect(t.drops).toEqual([]);
    await t.queue[Symbol.asyncDispose]();
  });

  it('drops a call after maxRetries and tells the logger and onDrop', async () => {
    const t = failbackSetup(() => ({ error: errors.unavailable() }), { maxRetries: 2 });
    await settle(t.clock, executeCall(t.policy, t.attempts.attempt));
    expect(t.attempts.calls).toHaveLength(3);
    expect(t.drops.map((d) => [d.error.code, d.retries])).toEqual([['UNAVAILABLE', 2]]);
    expect(warned(t.logger)).toEqual(['failback: call dropped UNAVAILABLE']);
    expect(t.queue.size).toBe(0);
  });

  it('throws non-retryable errors instead of queuing them', async () => {
    const t = failbackSetup(() => ({ error: errors.notFound() }));
    expect((await settle(t.clock, executeCall(t.policy, t.attempts.attempt))).error?.code).toBe('NOT_FOUND');
    expect(t.queue.size).toBe(0);
  });

  it('is bounded: a full queue makes the call fail with its own error', async () => {
    const t = failbackSetup(() => ({ error: errors.unavailable() }), { maxSize: 1 });
    const first = executeCall(t.policy, t.attempts.attempt);
    const second = executeCall(t.policy, t.attempts.attempt);
    await t.clock.advance(0);
    expect(await first).toBeUndefined();
    await expect(second).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(t.queue.size).toBe(1);
    await t.queue[Symbol.asyncDispose]();
    expect(t.queue.size).toBe(0);
    expect(t.clock.pendingTimers).toBe(0);
    expect(t.drops).toHaveLength(1);
  });

  it('requires a queue', () => {
    expect(() => callPolicy({ getPicker: () => new FakePicker([]), failMode: 'failback' })).toThrow(
      /policy\.failbackQueue/,
    );
  });
});

describe('broadcast', () => {
  it('calls every instance once and returns every answer', async () => {
    const { clock, picker, attempts, policy } = setup((id) => ({ ok: `ack ${id}`, afterMs: 3 }), {
      failMode: 'broadcast',
    });
    const { value } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(value?.map((r) => [r.endpoint.id, r.value])).toEqual([
      ['a', 'ack a'],
      ['b', 'ack b'],
      ['c', 'ack c'],
      ['d', 'ack d'],
    ]);
    expect(picker.kinds()).toEqual(['success', 'success', 'success', 'success']);
  });

  it('lets every attempt finish, then fails if any failed', async () => {
    const { clock, picker, attempts, policy } = setup(
      (id) => (id === 'b' ? { error: errors.unavailable(), afterMs: 1 } : { ok: id, afterMs: 10 }),
      { failMode: 'broadcast' },
    );
    const { error } = await settle(clock, executeCall(policy, attempts.attempt));
    expect(error?.code).toBe('UNAVAILABLE');
    expect(error?.message).toMatch(/1 of 4 endpoints failed/);
    expect(picker.kinds()).toEqual(['success', 'failure', 'success', 'success']);
  });
});

describe('callPolicy', () => {
  it('fills defaults', () => {
    const policy = callPolicy({ getPicker: () => new FakePicker([]) });
    expect(policy).toMatchObject({
      failMode: 'failover',
      idempotent: false,
      maxAttempts: 3,
      initialBackoffMs: 25,
      maxBackoffMs: 1000,
      forks: 2,
      hedging: undefined,
    });
    expect(policy.budget.tokens).toBe(10);
  });

  it('names the offending field', () => {
    const getPicker = () => new FakePicker([]);
    expect(() => callPolicy({ getPicker, retry: { maxAttempts: 0 } })).toThrow(/policy\.retry\.maxAttempts/);
    expect(() => callPolicy({ getPicker, failMode: 'sometimes' as never })).toThrow(/policy\.failMode/);
    expect(() => callPolicy({ getPicker, retry: { initialBackoffMs: 50, maxBackoffMs: 10 } })).toThrow(
      /policy\.retry\.maxBackoffMs/,
    );
    expect(() => callPolicy({ getPicker: 'nope' as never })).toThrow(/policy\.getPicker/);
  });
});
