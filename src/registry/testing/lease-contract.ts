import { expect, it } from 'vitest';
import { isProximaError } from '../../core/errors.js';
import type { Lease } from '../registry.js';
import { byId, type ContractContext, expectCode, instance } from './contract-context.js';

/**
 * The lease half of the registry contract: shared leases, revocation, expiry, keep-alive and loss.
 * Expiry runs on registry time (`target.advance`), which is real time for real backends, so every
 * expectation about time is checked in ONE pass over about TTL + slack.
 */
export function leaseContract(ctx: ContractContext): void {
  const { ttlMs, expirySlackMs } = ctx.options;

  it('a shared lease holds several instances that vanish together on revoke, in one revision', async () => {
    const { registry } = ctx.target;
    const other = await ctx.connect();
    const s = ctx.service('shared');
    const lease = await registry.grant({ ttlMs });
    expect(lease.ttlMs).toBeGreaterThanOrEqual(ttlMs);
    const regs = await Promise.all(
      ['a', 'b', 'c'].map((id, k) => registry.register(instance(s, id, 9001 + k), { lease })),
    );
    expect(regs.map((r) => r.lease.id)).toEqual([lease.id, lease.id, lease.id]);
    await regs[0]?.keepAlive();
    await lease.keepAlive();
    const w = ctx.record(other, s);
    await w.waitForCount(1);
    expect(w.events[0]).toMatchObject({ type: 'reset' });
    expect(w.events[0]?.type === 'reset' && byId(w.events[0].instances).map((i) => i.id)).toEqual([
      'a',
      'b',
      'c',
    ]);

    await lease.revoke();
    expect((await other.list(s)).instances).toEqual([]);
    await w.waitForCount(4);
    const deletes = w.events.slice(1);
    expect(deletes.map((e) => (e.type === 'delete' ? e.id : `!${e.type}`)).sort()).toEqual(['a', 'b', 'c']);
    expect(new Set(deletes.map((e) => e.revision)).size).toBe(1);
    expect(deletes[0]?.revision).toBeGreaterThan(w.events[0]?.revision ?? 0);

    expectLost(lease);
    expect(regs.every((r) => r.lost.aborted)).toBe(true);
    await expectCode(lease.keepAlive(), 'LEASE_LOST');
    await lease.revoke(); // idempotent
    await expectCode(registry.register(instance(s, 'd', 9004), { lease }), 'LEASE_LOST');
    expect((await registry.list(s)).instances).toEqual([]);

    // AsyncDisposable: disposing a lease revokes it.
    const disposable = await registry.grant({ ttlMs });
    await registry.register(instance(s, 'e', 9005), { lease: disposable });
    await disposable[Symbol.asyncDispose]();
    expect((await other.list(s)).instances).toEqual([]);
    await w.stop();
  });

  it(
    'leases expire after their TTL unless kept alive; a lost lease is noticed; shared instances expire together',
    async () => {
      const { registry } = ctx.target;
      const other = await ctx.connect();
      const sExpire = ctx.service('expire');
      const sKeep = ctx.service('keep');
      const sShared = ctx.service('expire-shared');

      const expiring = await registry.register(instance(sExpire, 'e', 9001), { ttlMs });
      const kept = await registry.register(instance(sKeep, 'k', 9002), { ttlMs });
      const shared = await registry.grant({ ttlMs });
      await Promise.all(
        ['a', 'b', 'c'].map((id, k) => registry.register(instance(sShared, id, 9010 + k), { lease: shared })),
      );
      const w = ctx.record(other, sShared);
      await w.waitForCount(1);

      // Keep `kept` alive every TTL/3 until well past TTL + slack; the others get no keep-alive.
      const step = ttlMs / 3;
      const steps = Math.ceil((ttlMs + expirySlackMs) / step) + 1;
      let keepAlives = 0;
      for (let i = 0; i < steps; i++) {
        await ctx.target.advance(step);
        await kept.keepAlive();
        keepAlives += 1;
        if (i === 0) {
          // Well inside the TTL, nothing has expired yet.
          expect((await other.list(sExpire)).instances.map((x) => x.id)).toEqual(['e']);
          expect(expiring.lost.aborted).toBe(false);
        }
      }
      expect(keepAlives).toBeGreaterThanOrEqual(4);

      expect((await other.list(sKeep)).instances).toEqual([kept.instance]);
      expect(kept.lost.aborted).toBe(false);
      expect((await other.list(sExpire)).instances).toEqual([]);
      expect((await other.list(sShared)).instances).toEqual([]);
      expect(await other.services()).not.toContain(sExpire);

      // The loss is noticed: keep-alive rejects LEASE_LOST and `lost` aborts with that reason.
      await expectCode(expiring.keepAlive(), 'LEASE_LOST');
      expectLost(expiring.lease);
      expect(expiring.lost.aborted).toBe(true);
      await expectCode(shared.keepAlive(), 'LEASE_LOST');
      expectLost(shared);

      // The shared lease's instances were deleted together, in one revision.
      await w.waitForCount(4);
      const deletes = w.events.slice(1);
      expect(deletes.map((e) => (e.type === 'delete' ? e.id : `!${e.type}`)).sort()).toEqual(['a', 'b', 'c']);
      expect(new Set(deletes.map((e) => e.revision)).size).toBe(1);
      await w.stop();
      await kept.deregister();
      await expiring.deregister(); // idempotent even when already expired
    },
    30_000 + 4 * (ttlMs + expirySlackMs),
  );
}

function expectLost(lease: Lease): void {
  expect(lease.lost.aborted).toBe(true);
  const reason: unknown = lease.lost.reason;
  expect(isProximaError(reason) && reason.code).toBe('LEASE_LOST');
}
