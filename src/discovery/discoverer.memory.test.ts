import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../backends/memory/index.js';
import { once } from '../core/event.js';
import type { InstanceInput } from '../core/instance.js';
import { FakeClock, flushMicrotasks } from '../core/testing/fake-clock.js';
import type { Registration } from '../registry/registry.js';
import { createDiscoverer, type Discoverer, type ServiceSubscription } from './discoverer.js';
import type { ServiceSnapshot, SnapshotUpdate } from './snapshot.js';
import { SeverableRegistry } from './testing/severable-registry.js';

const LONG_TTL = 600_000;
const GRACE = 5_000;

function instance(id: string, zone: string): InstanceInput {
  return { service: 'users', id, address: '127.0.0.1:9000', locality: { region: 'eu', zone } };
}

const ids = (s: ServiceSnapshot | undefined): string[] => (s?.instances ?? []).map((i) => i.id).sort();

/** Resolves with the first update (from now on) whose snapshot satisfies `test`. */
function until(sub: ServiceSubscription, test: (s: ServiceSnapshot) => boolean): Promise<SnapshotUpdate> {
  return new Promise((resolve) => {
    const listener = sub.updated((u) => {
      if (!test(u.snapshot)) return;
      listener[Symbol.dispose]();
      resolve(u);
    });
  });
}

describe('discoverer on the memory backend', () => {
  let clock: FakeClock;
  let memory: MemoryRegistry;
  let link: SeverableRegistry;
  let discoverer: Discoverer;

  beforeEach(() => {
    clock = new FakeClock();
    memory = new MemoryRegistry({ clock });
    link = new SeverableRegistry(memory.connect());
    discoverer = createDiscoverer({
      registry: link,
      clock,
      random: () => 0.5,
      backoff: { initialMs: 100, maxMs: 1_000 },
      selfPreservation: { threshold: 0.5, graceMs: GRACE },
    });
  });

  afterEach(async () => {
    await discoverer.close();
    await memory.close();
    expect(memory.stats().watchers).toBe(0);
  });

  async function registerAll(...ids: string[]): Promise<Registration[]> {
    return Promise.all(
      ids.map((id, n) => memory.register(instance(id, n % 2 ? 'b' : 'a'), { ttlMs: LONG_TTL })),
    );
  }

  it('shares one registry watch between subscribers and follows status changes and removals', async () => {
    const [r1, r2] = await registerAll('u1', 'u2');
    using a = discoverer.subscribe('users');
    using b = discoverer.subscribe('users');
    expect(ids(await a.ready())).toEqual(['u1', 'u2']);
    expect((await b.ready()).instances.map((i) => i.locality.zone).sort()).toEqual(['a', 'b']);
    expect(memory.stats().watchers).toBe(1);

    const draining = until(a, (s) => s.instances.some((i) => i.status === 'DRAINING'));
    await r1?.update({ status: 'DRAINING' });
    expect((await draining).cause.type).toBe('watch');
    const gone = until(b, (s) => s.instances.length === 1);
    await r1?.deregister();
    expect(ids((await gone).snapshot)).toEqual(['u2']);
    await r2?.deregister();
  });

  it('notices a lease that expires', async () => {
    await memory.register(instance('short', 'a'), { ttlMs: 1_000 });
    using sub = discoverer.subscribe('users');
    expect(ids(await sub.ready())).toEqual(['short']);
    const gone = until(sub, (s) => s.instances.length === 0);
    await clock.advance(1_000);
    await gone;
  });

  it('serves the last snapshot while severed and replays what it missed on resume', async () => {
    const [r1] = await registerAll('u1', 'u2', 'u3');
    using sub = discoverer.subscribe('users');
    const before = await sub.ready();

    const stale = until(sub, (s) => s.stale);
    link.sever();
    expect(ids((await stale).snapshot)).toEqual(['u1', 'u2', 'u3']);
    await r1?.deregister();
    await registerAll('u4');
    await clock.advance(1_000);
    expect(sub.current()?.stale).toBe(true);

    const caughtUp = until(
      sub,
      (s) => !s.stale && s.instances.length === 3 && s.instances.some((i) => i.id === 'u4'),
    );
    link.heal();
    await clock.advance(1_000);
    const update = await caughtUp;
    expect(ids(update.snapshot)).toEqual(['u2', 'u3', 'u4']);
    expect(update.snapshot.revision).toBeGreaterThan(before.revision);
    expect(update.snapshot.unconfirmed.size).toBe(0);
  });

  it('holds the pool through a registry that restarted empty until the instances re-register', async () => {
    await registerAll('u1', 'u2', 'u3');
    using sub = discoverer.subscribe('users');
    await sub.ready();

    link.sever();
    await flushMicrotasks();
    memory.simulateRestart(); // state and history gone: the resume gets a `reset` with nothing in it
    const held = until(sub, (s) => s.unconfirmed.size === 3);
    link.heal();
    await clock.advance(1_000);
    const snapshot = (await held).snapshot;
    expect(ids(snapshot)).toEqual(['u1', 'u2', 'u3']);
    expect(snapshot.stale).toBe(false);

    const confirmed = until(sub, (s) => s.unconfirmed.size === 2);
    await registerAll('u1');
    expect([...(await confirmed).snapshot.unconfirmed].sort()).toEqual(['u2', 'u3']);

    const expired = once(sub.updated);
    await clock.advance(GRACE);
    const last = await expired;
    expect(last.cause).toEqual({ type: 'expired', ids: ['u2', 'u3'] });
    expect(ids(last.snapshot)).toEqual(['u1']);
  });

  it('stops the registry watch when the last subscriber leaves', async () => {
    const sub = discoverer.subscribe('users');
    await sub.ready();
    expect(memory.stats().watchers).toBe(1);
    sub[Symbol.dispose]();
    await discoverer.close();
    expect(memory.stats().watchers).toBe(0);
  });
});
