import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInstance, type InstanceInput } from '../core/instance.js';
import type { Registry, WatchEvent } from './registry.js';
import {
  byId,
  ContractContext,
  expectCode,
  expectInvalid,
  expectNonDecreasing,
  expectStrictlyIncreasing,
  instance,
  lastRevision,
  type ContractOptions,
  type ContractTarget,
} from './testing/contract-context.js';
import { leaseContract } from './testing/lease-contract.js';
import { WatchRecorder } from './testing/watch-recorder.js';

export type { ContractOptions, ContractTarget } from './testing/contract-context.js';

/**
 * The one registry contract every backend passes.
 *
 * @example
 * ```ts
 * registryContract('memory', async () => {
 *   const clock = new FakeClock();
 *   const registry = new MemoryRegistry({ clock });
 *   return { registry, connect: async () => registry.connect(), advance: (ms) => clock.advance(ms),
 *            compact: async () => registry.compact(), close: () => registry.close() };
 * }, { ttlMs: 1000, expirySlackMs: 0 });
 * ```
 */
export function registryContract(
  name: string,
  setup: () => Promise<ContractTarget>,
  options: ContractOptions,
): void {
  describe(`registry contract: ${name}`, () => {
    const ctx = new ContractContext(options);
    beforeAll(async () => {
      ctx.target = await setup();
    });
    afterAll(async () => {
      await ctx.closeAll();
    });

    it('registers, lists, and replaces an instance registered again under the same service/id', async () => {
      const { registry } = ctx.target;
      const other = await ctx.connect();
      const s = ctx.service('reg');
      const input: InstanceInput = {
        service: s,
        id: 'a',
        address: '127.0.0.1:9001',
        locality: { region: 'eu', zone: 'eu-1' },
        metadata: { version: '1' },
      };
      const a = await registry.register(input, { ttlMs: options.ttlMs });
      expect(a.instance).toEqual(parseInstance(input));
      expect(a.lease.id).not.toBe('');
      expect(a.lease.ttlMs).toBeGreaterThanOrEqual(options.ttlMs);
      expect(a.lost.aborted).toBe(false);
      const listed = await other.list(s);
      expect(listed.service).toBe(s);
      expect(listed.revision).toBeGreaterThan(0);
      expect(listed.instances).toEqual([a.instance]);

      const b = await registry.register(instance(s, 'b', 9002), { ttlMs: options.ttlMs });
      expect(byId((await other.list(s)).instances).map((i) => i.id)).toEqual(['a', 'b']);

      // Registered again under another lease: replaced, and now owned by the new lease.
      const a2 = await other.register({ ...input, weight: 5 }, { ttlMs: options.ttlMs });
      const after = byId((await registry.list(s)).instances);
      expect(after.map((i) => [i.id, i.weight])).toEqual([
        ['a', 5],
        ['b', 100],
      ]);
      await a.lease.revoke();
      expect(byId((await registry.list(s)).instances).map((i) => [i.id, i.weight])).toEqual([
        ['a', 5],
        ['b', 100],
      ]);

      await a2.deregister();
      await b.deregister();
      expect((await other.list(s)).instances).toEqual([]);
      const unknown = await registry.list(ctx.service('never-registered'));
      expect(unknown.instances).toEqual([]);
    });

    it('watch starts with a reset of the current set, then delivers changes in order with rising revisions', async () => {
      const { registry } = ctx.target;
      const other = await ctx.connect();
      const s = ctx.service('order');
      const a = await registry.register(instance(s, 'a', 9001), { ttlMs: options.ttlMs });
      const registered = a.instance;
      const w = ctx.record(other, s);
      await w.waitForCount(1);
      const b = await registry.register(instance(s, 'b', 9002), { ttlMs: options.ttlMs });
      await a.update({ weight: 7 });
      await b.update({ status: 'DRAINING' });
      await a.deregister();
      const c = await registry.register(instance(s, 'c', 9003), { ttlMs: options.ttlMs });
      await w.waitFor(
        (events) => events.some((e) => e.type === 'upsert' && e.instance.id === 'c'),
        'upsert of c',
      );
      expect(w.describe()).toMatch(
        /^reset@\d+\[a\] upsert@\d+\(b:UP\) upsert@\d+\(a:UP\) upsert@\d+\(b:DRAINING\) delete@\d+\(a\) upsert@\d+\(c:UP\)$/,
      );
      const [reset, ...changes] = w.events;
      expect(reset).toMatchObject({ type: 'reset', service: s, instances: [registered] });
      expect(changes[1]).toMatchObject({ type: 'upsert', instance: { id: 'a', weight: 7 } });
      expect(changes.every((e) => e.service === s)).toBe(true);
      // Separate operations: strictly increasing revisions, starting after the reset's.
      expectStrictlyIncreasing(w.events.map((e) => e.revision));
      expect((await registry.list(s)).revision).toBeGreaterThanOrEqual(lastRevision(w.events));
      await b.deregister();
      await c.deregister();
    });

    it('deregister is immediate, and DRAINING is visible before the removal', async () => {
      const { registry } = ctx.target;
      const other = await ctx.connect();
      const s = ctx.service('drain');
      const a = await registry.register(instance(s, 'a', 9001), { ttlMs: options.ttlMs });
      const w = ctx.record(other, s);
      await w.waitForCount(1);

      const drained = await a.update({ status: 'DRAINING' });
      expect(drained.status).toBe('DRAINING');
      expect(a.instance.status).toBe('DRAINING');
      expect((await other.list(s)).instances.map((i) => i.status)).toEqual(['DRAINING']);

      await a.deregister();
      expect((await other.list(s)).instances).toEqual([]);
      await w.waitFor((events) => events.some((e) => e.type === 'delete'), 'the delete');
      expect(w.describe()).toMatch(/^reset@\d+\[a\] upsert@\d+\(a:DRAINING\) delete@\d+\(a\)$/);

      // Its own lease went with it.
      await expectCode(a.keepAlive(), 'LEASE_LOST');
      expect(a.lost.aborted).toBe(true);
      await a.deregister(); // idempotent
      await expectCode(a.update({ weight: 1 }), 'NOT_FOUND', 'LEASE_LOST');
      expect((await other.list(s)).instances).toEqual([]);

      // AsyncDisposable: disposing a registration deregisters it.
      const b = await registry.register(instance(s, 'b', 9002), { ttlMs: options.ttlMs });
      await b[Symbol.asyncDispose]();
      expect((await other.list(s)).instances).toEqual([]);
    });

    it('resumes a watch from a revision: missed events are replayed, list-then-watch misses nothing', async () => {
      const { registry } = ctx.target;
      const s = ctx.service('resume');
      const a = await registry.register(instance(s, 'a', 9001), { ttlMs: options.ttlMs });
      const listing = await registry.list(s);

      const w1 = ctx.record(registry, s, listing.revision + 1);
      const b = await registry.register(instance(s, 'b', 9002), { ttlMs: options.ttlMs });
      await w1.waitForCount(1);
      await w1.stop();
      expect(w1.describe()).toMatch(/^upsert@\d+\(b:UP\)$/);
      const seen = lastRevision(w1.events);
      expect(seen).toBeGreaterThan(listing.revision);

      // While nobody watches:
      await b.update({ weight: 3 });
      const c = await registry.register(instance(s, 'c', 9003), { ttlMs: options.ttlMs });
      await a.deregister();

      const w2 = ctx.record(registry, s, seen + 1);
      await w2.waitForCount(3);
      expect(w2.describe()).toMatch(/^upsert@\d+\(b:UP\) upsert@\d+\(c:UP\) delete@\d+\(a\)$/);
      expect(w2.events[0]).toMatchObject({ instance: { weight: 3 } });
      expectStrictlyIncreasing([seen, ...w2.events.map((e) => e.revision)]);

      // fromRevision is inclusive: the event at `seen` is replayed too.
      const w3 = ctx.record(registry, s, seen);
      await w3.waitForCount(4);
      expect(w3.events[0]).toMatchObject({
        type: 'upsert',
        revision: seen,
        instance: { id: 'b', weight: 100 },
      });
      await w2.stop();
      await w3.stop();
      await b.deregister();
      await c.deregister();
    });

    it('a watch from a compacted revision starts with a reset of the current set', async () => {
      const { registry } = ctx.target;
      const s = ctx.service('compact');
      const a = await registry.register(instance(s, 'a', 9001), { ttlMs: options.ttlMs });
      const old = (await registry.list(s)).revision;
      const b = await registry.register(instance(s, 'b', 9002), { ttlMs: options.ttlMs });
      await a.deregister();
      const current = (await registry.list(s)).revision;
      await ctx.target.compact();

      const w = ctx.record(registry, s, old + 1);
      await w.waitForCount(1);
      expect(w.events[0]).toMatchObject({ type: 'reset', service: s, instances: [b.instance] });
      expect(w.events[0]?.revision).toBeGreaterThanOrEqual(current);
      const c = await registry.register(instance(s, 'c', 9003), { ttlMs: options.ttlMs });
      await w.waitForCount(2);
      expect(w.describe()).toMatch(/^reset@\d+\[b\] upsert@\d+\(c:UP\)$/);
      expectStrictlyIncreasing(w.events.map((e) => e.revision));
      await w.stop();
      await b.deregister();
      await c.deregister();
    });

    it('services() names every service that has at least one instance', async () => {
      const { registry } = ctx.target;
      const other = await ctx.connect();
      const s1 = ctx.service('svc');
      const s2 = ctx.service('svc');
      const a = await registry.register(instance(s1, 'a', 9001), { ttlMs: options.ttlMs });
      const b = await registry.register(instance(s2, 'b', 9002), { ttlMs: options.ttlMs });
      const names = await other.services();
      expect(names).toContain(s1);
      expect(names).toContain(s2);
      await a.deregister();
      const after = await other.services();
      expect(after).not.toContain(s1);
      expect(after).toContain(s2);
      await b.deregister();
      expect(await registry.services()).not.toContain(s2);
    });

    it('many sessions register concurrently from two clients and nothing is lost', async () => {
      const { registry } = ctx.target;
      const other = await ctx.connect();
      const s = ctx.service('many');
      const w = ctx.record(registry, s);
      await w.waitForCount(1);
      const clients = [registry, other];
      const sessions = await Promise.all(
        Array.from({ length: 20 }, async (_, l) => {
          const client = clients[l % 2] as Registry;
          // Expiry is not what this test is about: a TTL the short contract TTL would let lapse
          // on a loaded machine (20 TLS sessions registering at once) would lose instances.
          const lease = await client.grant({ ttlMs: Math.max(options.ttlMs, 60_000) });
          await Promise.all(
            Array.from({ length: 5 }, (_, k) =>
              client.register(instance(s, `l${l}-i${k}`, 10_000 + l * 10 + k), { lease }),
            ),
          );
          return lease;
        }),
      );
      const expected = sessions.flatMap((_, l) => Array.from({ length: 5 }, (_, k) => `l${l}-i${k}`)).sort();
      expect(new Set(sessions.map((l) => l.id)).size).toBe(20);
      expect(byId((await other.list(s)).instances).map((i) => i.id)).toEqual(expected);
      await Promise.all(sessions.map((lease) => lease.keepAlive()));

      await w.waitForCount(101);
      expect(w.events[0]).toMatchObject({ type: 'reset', instances: [] });
      const upserted = w.events.slice(1).map((e) => (e.type === 'upsert' ? e.instance.id : `!${e.type}`));
      expect([...upserted].sort()).toEqual(expected);
      expectNonDecreasing(w.events.map((e) => e.revision));

      await Promise.all(sessions.map((lease) => lease.revoke()));
      expect((await registry.list(s)).instances).toEqual([]);
      await w.waitForCount(201);
      const deleted = w.events.slice(101).map((e) => (e.type === 'delete' ? e.id : `!${e.type}`));
      expect([...deleted].sort()).toEqual(expected);
      expectNonDecreasing(w.events.map((e) => e.revision));
    });

    it('rejects invalid input with INVALID_ARGUMENT naming the field', async () => {
      const { registry } = ctx.target;
      const s = ctx.service('invalid');
      const ttl = { ttlMs: options.ttlMs };
      const bad = (patch: Record<string, unknown>): InstanceInput =>
        ({ ...instance(s, 'x', 9001), ...patch }) as unknown as InstanceInput;
      await expectInvalid(registry.register(bad({ service: 'no spaces!' }), ttl), /^instance\.service$/);
      await expectInvalid(registry.register(bad({ service: '' }), ttl), /^instance\.service$/);
      await expectInvalid(registry.register(bad({ address: 'localhost' }), ttl), /^instance\.address$/);
      await expectInvalid(registry.register(bad({ address: '127.0.0.1:70000' }), ttl), /^instance\.address$/);
      await expectInvalid(registry.register(bad({ weight: 'heavy' }), ttl), /^instance\.weight$/);
      await expectInvalid(
        registry.register(bad({ locality: { zone: 5 } }), ttl),
        /^instance\.locality\.zone$/,
      );
      await expectInvalid(registry.register(bad({ status: 'SLEEPING' }), ttl), /^instance\.status$/);
      await expectInvalid(registry.register(bad({ id: undefined }), ttl), /^instance\.id$/);
      const unknownField = await expectInvalid(registry.register(bad({ colour: 'red' }), ttl), /^instance/);
      expect(unknownField.message).toContain('colour');
      for (const ttlMs of [0, -1, Number.NaN]) {
        await expectInvalid(registry.grant({ ttlMs }), /ttl/i);
        await expectInvalid(registry.register(instance(s, 'x', 9001), { ttlMs }), /ttl/i);
      }
      await expectInvalid(registry.list('no spaces!'), /service/);
      await expectInvalid(firstEvent(registry, 'no spaces!'), /service/);

      const good = await registry.register(instance(s, 'x', 9001), ttl);
      await expectInvalid(good.update({ status: 'SLEEPING' } as never), /status/);
      const unknownPatch = await expectInvalid(good.update({ colour: 'red' } as never), /.*/);
      expect(unknownPatch.message).toContain('colour');
      expect((await registry.list(s)).instances).toEqual([good.instance]);
      await good.deregister();
      expect(await registry.services()).not.toContain(s);
    });

    it('watches end when aborted, when the consumer breaks, and when their client closes', async () => {
      const { registry } = ctx.target;
      const s = ctx.service('end');
      const aborted = new AbortController();
      aborted.abort();
      const none: WatchEvent[] = [];
      for await (const e of registry.watch(s, { signal: aborted.signal })) none.push(e);
      expect(none).toEqual([]);

      for await (const e of registry.watch(s)) {
        expect(e).toMatchObject({ type: 'reset', instances: [] });
        break;
      }

      const w = ctx.record(registry, s);
      await w.waitForCount(1);
      await w.stop();
      expect(w.error).toBeUndefined();

      const closing = await ctx.target.connect();
      const w2 = WatchRecorder.start(closing, s);
      await w2.waitForCount(1);
      await closing.close();
      await w2.waitForEnd();
      expect(w2.ended).toBe(true);
    });

    leaseContract(ctx);
  });
}

async function firstEvent(registry: Registry, service: string): Promise<WatchEvent | undefined> {
  for await (const e of registry.watch(service)) return e;
  return undefined;
}
