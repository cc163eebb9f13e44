import { describe, expect, it } from 'vitest';
import { ProximaError } from '../core/errors.js';
import { once } from '../core/event.js';
import { FakeClock, flushMicrotasks } from '../core/testing/fake-clock.js';
import { recordingLogger } from '../core/testing/recording-logger.js';
import type { WatchEvent } from '../registry/registry.js';
import { createDiscoverer, type DiscovererOptions, type ServiceSubscription } from './discoverer.js';
import type { SnapshotUpdate } from './snapshot.js';
import { scriptedInstance as inst, ScriptedRegistry } from './testing/scripted-registry.js';

function setup(options: Partial<DiscovererOptions> = {}) {
  const registry = new ScriptedRegistry();
  const clock = new FakeClock();
  // random() = 0.5: every backoff delay is half its cap, so the schedule is known: 50, 100, 200 …
  const discoverer = createDiscoverer({
    registry,
    clock,
    random: () => 0.5,
    backoff: { initialMs: 100, maxMs: 1_000 },
    selfPreservation: { threshold: 0.5, graceMs: 10_000 },
    env: {},
    ...options,
  });
  return { registry, clock, discoverer };
}

function reset(revision: number, ...ids: string[]): WatchEvent {
  return { type: 'reset', service: 'users', revision, instances: ids.map((id) => inst(id)) };
}

/** Records every update of a subscription. */
function record(sub: ServiceSubscription): SnapshotUpdate[] {
  const seen: SnapshotUpdate[] = [];
  sub.updated((u) => seen.push(u));
  return seen;
}

const ids = (u: SnapshotUpdate | undefined): string[] =>
  (u?.snapshot.instances ?? []).map((i) => i.id).sort();

describe('discoverer: shared watches', () => {
  it('opens one registry watch per service however many subscribe, and stops it with the last', async () => {
    const { registry, discoverer } = setup();
    const a = discoverer.subscribe('users');
    const b = discoverer.subscribe('users');
    const watch = await registry.watchNumber(0);
    watch.push(reset(7, 'u1'));
    const [first, second] = await Promise.all([a.ready(), b.ready()]);
    expect(first).toBe(second);
    expect(first.revision).toBe(7);
    expect(discoverer.current('users')).toBe(first);
    expect(registry.watches).toHaveLength(1);
    expect(watch.options.fromRevision).toBeUndefined();

    a[Symbol.dispose]();
    await flushMicrotasks();
    expect(watch.closed).toBe(false);
    b[Symbol.dispose]();
    await discoverer.close();
    expect(watch.closed).toBe(true);
    expect(discoverer.current('users')).toBeUndefined();
  });

  it('delivers each change as a new immutable snapshot with its cause', async () => {
    const { registry, discoverer } = setup();
    using sub = discoverer.subscribe('users');
    const seen = record(sub);
    const watch = await registry.watchNumber(0);
    watch.push(reset(1, 'u1'));
    watch.push({
      type: 'upsert',
      service: 'users',
      revision: 2,
      instance: { ...inst('u1'), status: 'DRAINING' },
    });
    watch.push({ type: 'delete', service: 'users', revision: 3, id: 'u1' });
    await flushMicrotasks();
    expect(seen.map((u) => [u.cause.type, u.snapshot.revision, u.snapshot.instances.length])).toEqual([
      ['watch', 1, 1],
      ['watch', 2, 1],
      ['watch', 3, 0],
    ]);
    expect(seen[1]?.snapshot.instances[0]?.status).toBe('DRAINING');
    expect(seen[0]?.snapshot.instances[0]?.status).toBe('UP');
    await discoverer.close();
  });

  it('answers ready() for an unwatched service with a short-lived watch', async () => {
    const { registry, discoverer } = setup();
    const ready = discoverer.ready('users');
    const watch = await registry.watchNumber(0);
    watch.push(reset(1, 'u1'));
    expect((await ready).instances).toHaveLength(1);
    await flushMicrotasks();
    expect(watch.closed).toBe(true);
    await discoverer.close();
  });

  it('rejects ready() when its signal aborts first', async () => {
    const { discoverer } = setup();
    using sub = discoverer.subscribe('users');
    const ac = new AbortController();
    const ready = sub.ready(ac.signal);
    ac.abort(new ProximaError('DEADLINE_EXCEEDED', 'too slow'));
    await expect(ready).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    await discoverer.close();
  });

  it('rejects bad input naming the field', () => {
    const { discoverer } = setup();
    expect(() => discoverer.subscribe('no spaces')).toThrow(/^service: /);
    expect(() => createDiscoverer({ registry: new ScriptedRegistry(), backoff: { maxMs: -1 } })).toThrow(
      /^backoff\.maxMs: /,
    );
    expect(() =>
      createDiscoverer({ registry: new ScriptedRegistry(), selfPreservation: { threshold: 1.5 } }),
    ).toThrow(/^selfPreservation\.threshold: /);
  });
});

describe('discoverer: an unreachable registry', () => {
  it('serves the last snapshot marked stale, reconnects with backoff and resumes at revision + 1', async () => {
    const { registry, clock, discoverer } = setup();
    using sub = discoverer.subscribe('users');
    const seen = record(sub);
    const first = await registry.watchNumber(0);
    first.push(reset(4, 'u1', 'u2'));
    await sub.ready();

    registry.listError = new ProximaError('UNAVAILABLE', 'connection refused');
    first.fail();
    await flushMicrotasks();
    expect(seen.at(-1)?.cause).toMatchObject({ type: 'stale', error: { code: 'UNAVAILABLE' } });
    expect(sub.current()?.stale).toBe(true);
    expect(ids(seen.at(-1))).toEqual(['u1', 'u2']);

    // Backoff caps 100, 200, 400 …; random 0.5 → waits of 50, 100, 200. Each wait ends in a probe.
    await clock.advance(49);
    expect(registry.listCalls).toBe(0);
    await clock.advance(1);
    expect(registry.listCalls).toBe(1);
    await clock.advance(100);
    expect(registry.listCalls).toBe(2);
    await clock.advance(200);
    expect(registry.listCalls).toBe(3);
    expect(seen.filter((u) => u.cause.type === 'stale')).toHaveLength(1);
    expect(registry.watches).toHaveLength(1);

    registry.listError = undefined;
    await clock.advance(400);
    const second = await registry.watchNumber(1);
    expect(second.options.fromRevision).toBe(5);
    expect(seen.at(-1)?.cause.type).toBe('fresh');
    expect(sub.current()?.stale).toBe(false);

    second.push({ type: 'delete', service: 'users', revision: 6, id: 'u2' });
    await flushMicrotasks();
    expect(ids(seen.at(-1))).toEqual(['u1']);
    await discoverer.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('starts the backoff over once events flow again', async () => {
    const { registry, clock, discoverer } = setup();
    using sub = discoverer.subscribe('users');
    (await registry.watchNumber(0)).fail();
    await flushMicrotasks();
    await clock.advance(50);
    (await registry.watchNumber(1)).fail();
    await flushMicrotasks();
    await clock.advance(100);
    const third = await registry.watchNumber(2);
    third.push(reset(1, 'u1'));
    await sub.ready();
    third.fail();
    await flushMicrotasks();
    // Had the backoff gone on (50, 100, then 200 ms), the fourth watch would wait 200 ms; it
    // started over, so it opens after the first delay, 50 ms.
    await clock.advance(49);
    expect(registry.watches).toHaveLength(3);
    await clock.advance(1);
    await flushMicrotasks();
    expect(registry.watches).toHaveLength(4);
    await discoverer.close();
  });

  it('warns once per outage and keeps the retries at debug level', async () => {
    const logger = recordingLogger();
    const { registry, clock, discoverer } = setup({ logger });
    using sub = discoverer.subscribe('users');
    const first = await registry.watchNumber(0);
    first.push(reset(1, 'u1'));
    await sub.ready();
    registry.listError = new ProximaError('UNAVAILABLE', 'down');
    first.fail();
    await flushMicrotasks();
    await clock.advance(50 + 100 + 200);
    expect(registry.listCalls).toBe(3);
    expect(logger.messages('warn')).toEqual(['watch broken; serving the last snapshot']);
    expect(
      logger.messages('debug').filter((m) => m === 'watch broken; serving the last snapshot'),
    ).toHaveLength(3);
    await discoverer.close();
  });

  it('treats a watch that ends by itself as broken', async () => {
    const { registry, clock, discoverer } = setup();
    using sub = discoverer.subscribe('users');
    const first = await registry.watchNumber(0);
    first.push(reset(2, 'u1'));
    await sub.ready();
    first.end();
    await flushMicrotasks();
    expect(sub.current()?.stale).toBe(true);
    await clock.advance(50);
    expect((await registry.watchNumber(1)).options.fromRevision).toBe(3);
    await discoverer.close();
  });

  it('emits nothing before the first snapshot, and ready() waits through failures', async () => {
    const { registry, clock, discoverer } = setup();
    using sub = discoverer.subscribe('users');
    const seen = record(sub);
    const ready = sub.ready();
    (await registry.watchNumber(0)).fail();
    await flushMicrotasks();
    expect(seen).toEqual([]);
    expect(sub.current()).toBeUndefined();
    await clock.advance(50);
    const second = await registry.watchNumber(1);
    expect(second.options.fromRevision).toBeUndefined();
    second.push(reset(1, 'u1'));
    expect((await ready).stale).toBe(false);
    await discoverer.close();
  });
});

describe('discoverer: self-preservation', () => {
  async function heldPool() {
    const s = setup();
    const sub = s.discoverer.subscribe('users');
    const seen = record(sub);
    const watch = await s.registry.watchNumber(0);
    watch.push(reset(1, 'u1', 'u2', 'u3', 'u4'));
    await sub.ready();
    watch.push(reset(9, 'u1'));
    await flushMicrotasks();
    return { ...s, sub, seen, watch };
  }

  it('keeps the instances a mass-dropping reset removes, marked unconfirmed', async () => {
    const { sub, discoverer } = await heldPool();
    const snapshot = sub.current();
    expect(snapshot?.instances.map((i) => i.id).sort()).toEqual(['u1', 'u2', 'u3', 'u4']);
    expect(snapshot?.unconfirmed).toEqual(new Set(['u2', 'u3', 'u4']));
    expect(snapshot?.revision).toBe(9);
    await discoverer.close();
  });

  it('drops them when confirmed gone, when reported failed, or when the grace ends', async () => {
    const { sub, seen, watch, clock, discoverer } = await heldPool();
    watch.push({ type: 'delete', service: 'users', revision: 10, id: 'u2' });
    watch.push({ type: 'upsert', service: 'users', revision: 11, instance: inst('u3') });
    await flushMicrotasks();
    expect(sub.current()?.unconfirmed).toEqual(new Set(['u4']));
    expect(ids(seen.at(-1))).toEqual(['u1', 'u3', 'u4']);

    discoverer.reportFailed('users', 'u1'); // confirmed: not the discoverer's business
    expect(sub.current()?.instances).toHaveLength(3);

    await clock.advance(9_999);
    expect(sub.current()?.unconfirmed.size).toBe(1);
    await clock.advance(1);
    expect(seen.at(-1)?.cause).toEqual({ type: 'expired', ids: ['u4'] });
    expect(ids(seen.at(-1))).toEqual(['u1', 'u3']);
    expect(clock.pendingTimers).toBe(0);
    await discoverer.close();
  });

  it('drops an unconfirmed instance early when the routing layer reports it failed', async () => {
    const { sub, seen, clock, discoverer } = await heldPool();
    discoverer.reportFailed('users', 'u2');
    expect(seen.at(-1)?.cause).toEqual({ type: 'failed', id: 'u2' });
    expect(sub.current()?.unconfirmed).toEqual(new Set(['u3', 'u4']));
    await discoverer.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('can be disabled', async () => {
    const { registry, discoverer } = setup({ selfPreservation: false });
    using sub = discoverer.subscribe('users');
    const watch = await registry.watchNumber(0);
    watch.push(reset(1, 'u1', 'u2'));
    watch.push(reset(2));
    await flushMicrotasks();
    expect(sub.current()?.instances).toEqual([]);
    await discoverer.close();
  });
});

describe('caller locality', () => {
  it('reads PROXIMA_* first, then CLIENT_*', async () => {
    const registry = new ScriptedRegistry();
    const client = createDiscoverer({
      registry,
      env: { CLIENT_REGION: 'eu', CLIENT_ZONE: 'eu-1a', SERVICE_ZONE: 'x' },
    });
    expect(client.locality).toEqual({ region: 'eu', zone: 'eu-1a', subzone: '' });
    const proxima = createDiscoverer({
      registry,
      env: { PROXIMA_REGION: 'us', CLIENT_REGION: 'eu', CLIENT_ZONE: 'z', PROXIMA_SUBZONE: 'r7' },
    });
    expect(proxima.locality).toEqual({ region: 'us', zone: 'z', subzone: 'r7' });
    expect(createDiscoverer({ registry, env: {} }).locality).toEqual({ region: '', zone: '', subzone: '' });
    expect(() => createDiscoverer({ registry, env: { CLIENT_ZONE: 'bad zone' } })).toThrow(/^CLIENT_ZONE: /);
    await Promise.all([client.close(), proxima.close()]);
  });

  it('takes the fields given in code over the environment', async () => {
    const registry = new ScriptedRegistry();
    const env = { PROXIMA_REGION: 'eu', PROXIMA_ZONE: 'b' };
    const explicit = createDiscoverer({ registry, locality: { region: 'us' }, env });
    expect(explicit.locality).toEqual({ region: 'us', zone: 'b', subzone: '' });
    expect(() => createDiscoverer({ registry, locality: { zone: 'no spaces' }, env })).toThrow(
      /^locality\.zone: /,
    );
    await explicit.close();
  });
});

describe('discoverer: updates across services', () => {
  it('forwards every service to the discoverer-wide event', async () => {
    const { registry, discoverer } = setup();
    const services: string[] = [];
    discoverer.updated((u) => services.push(u.snapshot.service));
    using _users = discoverer.subscribe('users');
    using _orders = discoverer.subscribe('orders');
    const next = once(discoverer.updated);
    (await registry.watchNumber(0)).push(reset(1, 'u1'));
    await next;
    (await registry.watchNumber(1)).push({ type: 'reset', service: 'orders', revision: 2, instances: [] });
    await flushMicrotasks();
    expect(services).toEqual(['users', 'orders']);
    await discoverer.close();
  });
});
