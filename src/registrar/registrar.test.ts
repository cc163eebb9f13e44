import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../backends/memory/index.js';
import { isProximaError } from '../core/errors.js';
import { FakeClock } from '../core/testing/fake-clock.js';
import { WatchRecorder } from '../registry/testing/watch-recorder.js';
import type { RegistrarErrorEvent } from './events.js';
import type { RegistrarOptions } from './options.js';
import { type Registrar, startRegistrar } from './registrar.js';
import { OutageRegistry } from './testing/outage-registry.js';

const TTL = 3000;

/** A memory registry on a fake clock, behind an outage switch, and the registrars made on it. */
class Rig {
  readonly clock = new FakeClock();
  readonly memory = new MemoryRegistry({ clock: this.clock });
  readonly registry = new OutageRegistry(this.memory, this.clock);
  readonly registrars: Registrar[] = [];

  async start(options: Partial<RegistrarOptions> = {}): Promise<Registrar> {
    const registrar = await startRegistrar({
      registry: this.registry,
      ...(options.instances === undefined
        ? { instance: { service: 'users', address: '127.0.0.1:9001' } }
        : {}),
      ttlMs: TTL,
      clock: this.clock,
      env: {},
      ...options,
    });
    this.registrars.push(registrar);
    return registrar;
  }

  async ids(service = 'users'): Promise<string[]> {
    return (await this.memory.list(service)).instances.map((i) => i.id);
  }

  async close(): Promise<void> {
    this.registry.down = false;
    await Promise.all(this.registrars.map((r) => r.drain()));
    await this.memory.close();
  }
}

let rig: Rig;
afterEach(async () => {
  await rig.close();
});

describe('registrar', () => {
  it('registers every instance under one lease and keeps it alive every TTL/3', async () => {
    rig = new Rig();
    const registered: string[] = [];
    const r = await rig.start({
      env: { PROXIMA_REGION: 'eu', SERVICE_ZONE: 'eu-1' },
      instances: [
        { service: 'users', port: 9001, host: '127.0.0.1', locality: { zone: 'eu-2' } },
        { service: 'orders', address: '127.0.0.1:9002', id: 'o-1' },
      ],
    });
    r.onRegistered((e) => registered.push(e.leaseId));
    expect(r.state).toBe('registered');
    const [users] = (await rig.memory.list('users')).instances;
    expect(users).toMatchObject({
      id: '127.0.0.1:9001',
      locality: { region: 'eu', zone: 'eu-2', subzone: '' },
    });
    expect(await rig.ids('orders')).toEqual(['o-1']);
    expect(rig.memory.stats().leases).toBe(1);

    await rig.clock.advance(10 * TTL);
    expect(rig.registry.times('keepAlive')).toHaveLength(30);
    expect(rig.registry.times('grant')).toHaveLength(1);
    expect(await rig.ids()).toEqual(['127.0.0.1:9001']);
    expect(registered).toEqual([]); // subscribed after the first registration: no repeat
  });

  it('re-registers within two keep-alive periods after the registry restarts empty', async () => {
    rig = new Rig();
    const r = await rig.start();
    const firstLease = r.leaseId;
    const lost: string[] = [];
    const again: string[] = [];
    r.onLost((e) => lost.push(e.code));
    r.onReregistered((e) => again.push(e.leaseId));
    await rig.clock.advance(TTL / 6);
    rig.memory.simulateRestart();
    expect(await rig.ids()).toEqual([]);
    await rig.clock.advance((2 * TTL) / 3);
    expect(lost).toEqual(['LEASE_LOST']);
    expect(again).toHaveLength(1);
    expect(again[0]).not.toBe(firstLease);
    expect(r.leaseId).toBe(again[0]);
    expect(await rig.ids()).toEqual(['127.0.0.1:9001']);
  });

  it('keeps the lease through a short outage and re-registers after a long one', async () => {
    rig = new Rig();
    const r = await rig.start({ random: () => 0.5, retry: { initialMs: 100, maxMs: 400 } });
    const errors: RegistrarErrorEvent[] = [];
    r.onError((e) => errors.push(e));
    const first = r.leaseId;

    rig.registry.down = true; // one keep-alive fails, the lease has time to spare
    await rig.clock.advance(TTL / 2);
    rig.registry.down = false;
    await rig.clock.advance(TTL);
    expect(errors.map((e) => [e.phase, e.error.code])).toEqual([['keep-alive', 'UNAVAILABLE']]);
    expect(r.leaseId).toBe(first);

    rig.registry.down = true; // the lease runs out underneath: `lost` wakes the registrar at once
    await rig.clock.advance(TTL + 1);
    expect(await rig.ids()).toEqual([]);
    expect(r.state).toBe('registering');
    rig.registry.down = false;
    await rig.clock.advance(400);
    expect(r.state).toBe('registered');
    expect(r.leaseId).not.toBe(first);
    expect(await rig.ids()).toEqual(['127.0.0.1:9001']);
  });

  it('retries an unreachable registry with full-jitter exponential backoff', async () => {
    rig = new Rig();
    rig.registry.down = true;
    const draws = [0.5, 0.25, 0.9, 0.1, 0.75, 0.6];
    let n = 0;
    const random = (): number => draws[n++ % draws.length] as number;
    const r = await rig.start({
      awaitRegistration: false,
      random,
      retry: { initialMs: 100, maxMs: 1000 },
      breaker: { failures: 100 },
    });
    const delays: number[] = [];
    r.onError((e) => delays.push(e.retryInMs ?? -1));
    await rig.clock.advance(5000);
    // random(0, min(100 · 2^(n-1), 1000)) for n = 1, 2, …
    const caps = [100, 200, 400, 800, 1000, 1000];
    const expected = caps.map((cap, i) => (draws[i] as number) * cap);
    expect(delays.slice(0, 6)).toEqual(expected);
    const grants = rig.registry.times('grant');
    const gaps = grants.slice(1, 7).map((t, i) => t - (grants[i] as number));
    expect(gaps).toEqual(expected);
    expect(r.state).toBe('registering');
    rig.registry.down = false;
    await rig.clock.advance(1000);
    expect(r.state).toBe('registered');
    expect(await rig.ids()).toEqual(['127.0.0.1:9001']);
  });

  it('opens its breaker after repeated failures, probes when half-open, and closes on success', async () => {
    rig = new Rig();
    rig.registry.down = true;
    const r = await rig.start({
      awaitRegistration: false,
      random: () => 0.5,
      retry: { initialMs: 100, maxMs: 100 },
      breaker: { failures: 3, openMs: 5000, maxOpenMs: 20_000 },
    });
    const states: string[] = [];
    const waits: number[] = [];
    r.onBreakerStateChanged((s) => states.push(s));
    r.onError((e) => waits.push(e.retryInMs ?? -1));
    await rig.clock.advance(200); // attempts at 0, 50, 100: the third opens it
    expect(states).toEqual(['open']);
    expect(waits).toEqual([50, 50, 5000]);
    expect(rig.registry.times('grant')).toEqual([0, 50, 100]);

    await rig.clock.advance(4800); // t = 5000: still open, no attempt
    expect(rig.registry.times('grant')).toHaveLength(3);
    await rig.clock.advance(100); // t = 5100: half-open, one probe, fails, open for twice as long
    expect(states).toEqual(['open', 'half-open', 'open']);
    expect(waits.at(-1)).toBe(10_000);
    expect(rig.registry.times('grant')).toEqual([0, 50, 100, 5100]);

    rig.registry.down = false;
    await rig.clock.advance(10_000); // the next probe succeeds
    expect(states).toEqual(['open', 'half-open', 'open', 'half-open', 'closed']);
    expect(r.breakerState).toBe('closed');
    expect(r.state).toBe('registered');
    expect(rig.registry.times('grant')).toHaveLength(5);
  });

  it('drains: DRAINING first, then the delete, then the lease is revoked', async () => {
    rig = new Rig();
    const r = await rig.start({ drainDelayMs: 500 });
    const watch = WatchRecorder.start(rig.memory.connect(), 'users');
    await watch.waitForCount(1);
    let drained = 0;
    r.onDrained(() => (drained += 1));
    const draining = r.drain();
    expect(r.state).toBe('draining');
    await rig.clock.advance(0);
    expect((await rig.memory.list('users')).instances.map((i) => i.status)).toEqual(['DRAINING']);
    await rig.clock.advance(500);
    await draining;
    await watch.waitForCount(3);
    expect(watch.describe()).toMatch(
      /^reset@\d+\[127\.0\.0\.1:9001\] upsert@\d+\(127\.0\.0\.1:9001:DRAINING\) delete@\d+/,
    );
    expect(rig.memory.stats().leases).toBe(0);
    expect(r.state).toBe('closed');
    await r.drain();
    await r[Symbol.asyncDispose]();
    expect(drained).toBe(1);
    await expect(r.update({ weight: 1 })).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await watch.stop();
    expect(rig.clock.pendingTimers).toBe(0);
  });

  it('drains when its signal aborts, and gives up on a registry that cannot be reached', async () => {
    rig = new Rig();
    const controller = new AbortController();
    const r = await rig.start({ signal: controller.signal, drainTimeoutMs: 1000 });
    const errors: string[] = [];
    r.onError((e) => errors.push(`${e.phase}:${e.error.code}`));
    rig.registry.down = true;
    controller.abort();
    await rig.clock.advance(0);
    expect(r.state).toBe('closed');
    expect(errors).toEqual(['drain:UNAVAILABLE', 'drain:UNAVAILABLE', 'drain:UNAVAILABLE']);
    // Left to expire.
    await rig.clock.advance(TTL);
    expect(await rig.ids()).toEqual([]);
  });

  it('applies update() now and to every later re-registration', async () => {
    rig = new Rig();
    const r = await rig.start();
    const updated = await r.update({ weight: 42, metadata: { version: '2' } });
    expect(updated.map((i) => i.weight)).toEqual([42]);
    expect((await rig.memory.list('users')).instances[0]).toMatchObject({
      weight: 42,
      metadata: { version: '2' },
    });
    rig.memory.simulateRestart();
    await rig.clock.advance(TTL);
    expect((await rig.memory.list('users')).instances[0]).toMatchObject({
      weight: 42,
      metadata: { version: '2' },
    });
    await expect(r.update({ weight: -1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'patch.weight',
    });
  });

  it('start is cancelled by its signal while the registry is unreachable, leaving nothing behind', async () => {
    rig = new Rig();
    rig.registry.down = true;
    const controller = new AbortController();
    const starting = rig.start({ signal: controller.signal, random: () => 0.5 });
    const outcome = starting.then(
      () => 'registered',
      (e: unknown) => (isProximaError(e) ? e.code : String(e)),
    );
    await rig.clock.advance(2000);
    controller.abort();
    await rig.clock.advance(0);
    expect(await outcome).toBe('CANCELLED');
    rig.registry.down = false;
    await rig.clock.advance(60_000);
    expect(rig.memory.stats()).toMatchObject({ instances: 0, leases: 0 });
    expect(rig.clock.pendingTimers).toBe(0);
  });

  it('rejects bad options naming the field', async () => {
    rig = new Rig();
    const invalid = async (options: Partial<RegistrarOptions>): Promise<string | undefined> =>
      rig.start(options).then(
        () => 'started',
        (e: unknown) => (isProximaError(e) && e.code === 'INVALID_ARGUMENT' ? e.field : String(e)),
      );
    expect(await invalid({ instance: { service: 'users' } })).toBe('options.instance.port');
    expect(await invalid({ instance: { service: 'bad name', port: 1 } })).toBe('options.instance.service');
    expect(await invalid({ ttlMs: 0 })).toBe('options.ttlMs');
    expect(await invalid({ instances: [] })).toBe('options.instances');
    expect(
      await invalid({
        instances: [
          { service: 'users', port: 1, host: '127.0.0.1' },
          { service: 'users', address: '127.0.0.1:1' },
        ],
      }),
    ).toBe('options.instances.1.id');
    expect(await invalid({ instance: { service: 'users', port: 1, locality: { zoen: 'x' } } as never })).toBe(
      'options.instance.locality',
    );
    expect(await invalid({ env: { PROXIMA_ZONE: 'not a zone!' } })).toBe('PROXIMA_ZONE');
    expect(rig.registry.calls).toEqual([]);
  });

  it('puts back, at the next keep-alive and under the same lease, an instance someone replaced or removed', async () => {
    rig = new Rig();
    const r = await rig.start({ instance: { service: 'users', id: 'u1', address: '127.0.0.1:9001' } });
    const lease = r.leaseId;
    const losses: string[] = [];
    r.onInstanceLost((e) => losses.push(`${e.instance.id} ${e.restored ? 'restored' : 'refused'}`));
    // Someone else takes the id over under a lease of their own (the memory backend has no owners).
    const intruder = await rig.memory.register({ service: 'users', id: 'u1', address: '10.6.6.6:1' });
    expect((await rig.memory.list('users')).instances.map((i) => i.address)).toEqual(['10.6.6.6:1']);
    await rig.clock.advance(TTL / 3);
    expect(losses).toEqual(['u1 restored']);
    expect((await rig.memory.list('users')).instances.map((i) => i.address)).toEqual(['127.0.0.1:9001']);
    expect(r.leaseId).toBe(lease);
    await intruder.lease.revoke();
    await rig.clock.advance(TTL / 3);
    expect(losses).toEqual(['u1 restored']);
  });
});
