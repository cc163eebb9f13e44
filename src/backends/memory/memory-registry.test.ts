import { describe, expect, it } from 'vitest';
import { isProximaError } from '../../core/errors.js';
import { FakeClock } from '../../core/testing/fake-clock.js';
import { WatchRecorder } from '../../registry/testing/watch-recorder.js';
import { MemoryRegistry } from './memory-registry.js';

const users = (id: string, port = 9000) => ({ service: 'users', id, address: `127.0.0.1:${port}` });

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isProximaError(error) ? error.code : `not a ProximaError: ${String(error)}`;
  }
}

describe('MemoryRegistry', () => {
  it('is a new, empty registry on every construction (no global state)', async () => {
    const one = new MemoryRegistry({ clock: new FakeClock() });
    const two = new MemoryRegistry({ clock: new FakeClock() });
    await one.register(users('a'), { ttlMs: 1000 });
    expect((await two.list('users')).instances).toEqual([]);
    expect((await one.connect().list('users')).instances.map((i) => i.id)).toEqual(['a']);
    await one.close();
    await two.close();
  });

  it('expires a lease exactly at its TTL on the injected clock, and aborts `lost` at once', async () => {
    const clock = new FakeClock();
    const registry = new MemoryRegistry({ clock });
    const reg = await registry.register(users('a'), { ttlMs: 1000 });
    await clock.advance(999);
    expect(reg.lost.aborted).toBe(false);
    await reg.keepAlive();
    await clock.advance(999);
    expect((await registry.list('users')).instances).toHaveLength(1);
    await clock.advance(1);
    expect((await registry.list('users')).instances).toEqual([]);
    expect(reg.lost.aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
    await registry.close();
  });

  it('resets a resuming watch once its revisions fall out of the bounded history', async () => {
    const registry = new MemoryRegistry({ clock: new FakeClock(), historyLimit: 2 });
    const a = await registry.register(users('a'), { ttlMs: 1000 });
    const from = (await registry.list('users')).revision + 1;
    await a.update({ weight: 1 });
    await a.update({ weight: 2 });
    await a.update({ weight: 3 });
    const w = WatchRecorder.start(registry, 'users', { fromRevision: from });
    await w.waitForCount(1);
    expect(w.describe()).toMatch(/^reset@4\[a\]$/);
    await w.stop();
    const recent = WatchRecorder.start(registry, 'users', { fromRevision: 3 });
    await recent.waitForCount(2);
    expect(recent.events.map((e) => e.type === 'upsert' && e.instance.weight)).toEqual([2, 3]);
    await recent.stop();
    await registry.close();
  });

  it('simulateRestart() forgets leases silently; the holder learns it on its next keep-alive', async () => {
    const registry = new MemoryRegistry({ clock: new FakeClock() });
    const lease = await registry.grant({ ttlMs: 1000 });
    await registry.register(users('a'), { lease });
    const w = WatchRecorder.start(registry, 'users');
    await w.waitForCount(1);
    registry.simulateRestart();
    await w.waitForCount(2);
    expect(w.describe()).toMatch(/^reset@\d+\[a\] delete@\d+\(a\)$/);
    expect(lease.lost.aborted).toBe(false);
    expect(await codeOf(lease.keepAlive())).toBe('LEASE_LOST');
    expect(lease.lost.aborted).toBe(true);
    await w.stop();
    await registry.close();
  });

  it('cleans up: ended watches unsubscribe, closing stops every timer and ends every view', async () => {
    const clock = new FakeClock();
    const registry = new MemoryRegistry({ clock });
    const view = registry.connect();
    await registry.register(users('a'), { ttlMs: 1000 });
    const w1 = WatchRecorder.start(registry, 'users');
    const w2 = WatchRecorder.start(view, 'users');
    await w1.waitForCount(1);
    await w2.waitForCount(1);
    expect(registry.stats().watchers).toBe(2);
    await w1.stop();
    expect(registry.stats().watchers).toBe(1);
    expect(clock.pendingTimers).toBe(1);
    await registry.close();
    await w2.waitForEnd();
    expect(clock.pendingTimers).toBe(0);
    expect(await codeOf(view.list('users'))).toBe('FAILED_PRECONDITION');
  });

  it('closing a view leaves the registry and its leases alone', async () => {
    const registry = new MemoryRegistry({ clock: new FakeClock() });
    const view = registry.connect();
    const reg = await view.register(users('a'), { ttlMs: 1000 });
    await view.close();
    expect((await registry.list('users')).instances).toHaveLength(1);
    expect(await codeOf(reg.keepAlive())).toBe('FAILED_PRECONDITION');
    await registry.close();
  });

  it('rejects leases of another registry, and calls whose signal has aborted', async () => {
    const one = new MemoryRegistry({ clock: new FakeClock() });
    const two = new MemoryRegistry({ clock: new FakeClock() });
    const foreign = await two.grant({ ttlMs: 1000 });
    const error = await one.register(users('a'), { lease: foreign }).catch((e: unknown) => e);
    expect(isProximaError(error) && [error.code, error.field]).toEqual(['INVALID_ARGUMENT', 'lease']);
    expect(await codeOf(one.list('users', { signal: AbortSignal.abort() }))).toBe('CANCELLED');
    await one.close();
    await two.close();
  });

  it('a stale registration cannot delete or patch the instance that replaced it', async () => {
    const registry = new MemoryRegistry({ clock: new FakeClock() });
    const old = await registry.register(users('a'), { ttlMs: 1000 });
    await registry.register({ ...users('a'), weight: 7 }, { ttlMs: 1000 });
    expect(await codeOf(old.update({ weight: 1 }))).toBe('NOT_FOUND');
    await old.deregister();
    expect((await registry.list('users')).instances.map((i) => i.weight)).toEqual([7]);
    await registry.close();
  });

  it('validates its own options naming the field', () => {
    expect(() => new MemoryRegistry({ historyLimit: -1 })).toThrow(/options\.historyLimit/);
  });
});
