import { describe, expect, it } from 'vitest';
import type { WatchEvent } from '../registry/registry.js';
import {
  applyEvent,
  dropUnconfirmed,
  emptyPool,
  expireUnconfirmed,
  nextDeadline,
  type Pool,
  toSnapshot,
} from './pool.js';
import { resolveSelfPreservation } from './self-preservation.js';
import { scriptedInstance as inst } from './testing/scripted-registry.js';

const policy = resolveSelfPreservation({ threshold: 0.5, graceMs: 1_000 });

function reset(revision: number, ...ids: string[]): WatchEvent {
  return { type: 'reset', service: 'users', revision, instances: ids.map((id) => inst(id)) };
}

function run(events: WatchEvent[], now = 0, pool: Pool = emptyPool('users')): Pool {
  return events.reduce((p, e) => applyEvent(p, e, now, policy), pool);
}

const ids = (pool: Pool): string[] => [...pool.instances.keys()].sort();

describe('pool', () => {
  it('applies reset, upsert and delete with their revisions', () => {
    const pool = run([
      reset(3, 'a', 'b'),
      { type: 'upsert', service: 'users', revision: 4, instance: { ...inst('c'), status: 'DRAINING' } },
      { type: 'delete', service: 'users', revision: 5, id: 'a' },
    ]);
    expect(ids(pool)).toEqual(['b', 'c']);
    expect(pool.revision).toBe(5);
    expect(pool.instances.get('c')?.status).toBe('DRAINING');
    const snapshot = toSnapshot(pool, false);
    expect(snapshot).toMatchObject({ service: 'users', revision: 5, stale: false });
    expect(Object.isFrozen(snapshot.instances)).toBe(true);
    expect(snapshot.unconfirmed.size).toBe(0);
  });

  it('drops the missing instances of a reset that removes at most the threshold share', () => {
    const pool = run([reset(1, 'a', 'b', 'c', 'd'), reset(2, 'a', 'b')]);
    expect(ids(pool)).toEqual(['a', 'b']);
    expect(pool.unconfirmed.size).toBe(0);
  });

  it('holds the missing instances of a reset that removes more than the threshold share', () => {
    const pool = run([reset(1, 'a', 'b', 'c', 'd')]);
    const held = applyEvent(pool, reset(2, 'a'), 100, policy);
    expect(ids(held)).toEqual(['a', 'b', 'c', 'd']);
    expect([...held.unconfirmed]).toEqual([
      ['b', 1_100],
      ['c', 1_100],
      ['d', 1_100],
    ]);
    expect(nextDeadline(held)).toBe(1_100);
    expect(toSnapshot(held, false).unconfirmed).toEqual(new Set(['b', 'c', 'd']));
  });

  it('holds everything when a reset comes back empty (a registry that restarted)', () => {
    const held = applyEvent(run([reset(1, 'a', 'b')]), reset(1), 0, policy);
    expect(ids(held)).toEqual(['a', 'b']);
    expect(held.unconfirmed.size).toBe(2);
  });

  it('confirms a held instance that is upserted again and forgets one that is deleted', () => {
    let pool = applyEvent(run([reset(1, 'a', 'b', 'c')]), reset(2), 0, policy);
    pool = applyEvent(
      pool,
      { type: 'upsert', service: 'users', revision: 3, instance: inst('a') },
      10,
      policy,
    );
    pool = applyEvent(pool, { type: 'delete', service: 'users', revision: 4, id: 'b' }, 10, policy);
    expect(ids(pool)).toEqual(['a', 'c']);
    expect([...pool.unconfirmed.keys()]).toEqual(['c']);
  });

  it('keeps the original deadline when a later reset still misses a held instance', () => {
    let pool = applyEvent(run([reset(1, 'a', 'b')]), reset(2), 0, policy);
    pool = applyEvent(pool, reset(3, 'a'), 500, policy);
    expect([...pool.unconfirmed]).toEqual([['b', 1_000]]);
    expect(ids(pool)).toEqual(['a', 'b']);
  });

  it('expires held instances at the end of the grace and drops reported failures early', () => {
    const pool = applyEvent(run([reset(1, 'a', 'b', 'c')]), reset(2, 'a'), 0, policy);
    expect(expireUnconfirmed(pool, 999).expired).toEqual([]);
    const failed = dropUnconfirmed(pool, 'b');
    expect(failed && ids(failed)).toEqual(['a', 'c']);
    expect(dropUnconfirmed(pool, 'a')).toBeUndefined();
    const { pool: after, expired } = expireUnconfirmed(pool, 1_000);
    expect(expired).toEqual(['b', 'c']);
    expect(ids(after)).toEqual(['a']);
    expect(nextDeadline(after)).toBeUndefined();
  });

  it('never holds when self-preservation is disabled', () => {
    const off = resolveSelfPreservation(false);
    const pool = applyEvent(run([reset(1, 'a', 'b')]), reset(2), 0, off);
    expect(ids(pool)).toEqual([]);
  });

  describe('a burst of unannounced deletes (a frozen etcd leader revoking every lease on resume)', () => {
    const del = (revision: number, id: string): WatchEvent => ({
      type: 'delete',
      service: 'users',
      revision,
      id,
    });
    const burstPolicy = resolveSelfPreservation({ threshold: 0.5, graceMs: 1_000, burstWindowMs: 200 });
    const start = (...instances: string[]): Pool =>
      applyEvent(emptyPool('users'), reset(1, ...instances), 0, burstPolicy);

    it('holds every instance of a burst that removes most of them, each until the grace ends', () => {
      let pool = start('a', 'b', 'c');
      pool = applyEvent(pool, del(2, 'a'), 10, burstPolicy);
      expect(ids(pool)).toEqual(['b', 'c']);
      pool = applyEvent(pool, del(3, 'b'), 20, burstPolicy);
      expect(ids(pool)).toEqual(['a', 'b', 'c']);
      expect([...pool.unconfirmed]).toEqual([
        ['a', 1_020],
        ['b', 1_020],
      ]);
      expect(pool.revision).toBe(3);
      pool = applyEvent(pool, del(4, 'c'), 30, burstPolicy);
      expect(ids(pool)).toEqual(['a', 'b', 'c']);
      expect(pool.unconfirmed.get('c')).toBe(1_030);
    });

    it('lets deletes further apart than the window go, and never holds a single instance', () => {
      let pool = start('a', 'b', 'c');
      pool = applyEvent(pool, del(2, 'a'), 0, burstPolicy);
      pool = applyEvent(pool, del(3, 'b'), 201, burstPolicy);
      expect(ids(pool)).toEqual(['c']);
      expect(applyEvent(start('a'), del(2, 'a'), 0, burstPolicy).instances.size).toBe(0);
    });

    it('lets a burst that removes at most the threshold share go', () => {
      let pool = start('a', 'b', 'c', 'd');
      pool = applyEvent(pool, del(2, 'a'), 0, burstPolicy);
      pool = applyEvent(pool, del(3, 'b'), 1, burstPolicy);
      expect(ids(pool)).toEqual(['c', 'd']);
      expect(pool.unconfirmed.size).toBe(0);
    });

    it('does not count announced departures: DRAINING first, then the delete', () => {
      let pool = start('a', 'b', 'c');
      for (const [revision, id] of [
        [2, 'a'],
        [3, 'b'],
      ] as const) {
        pool = applyEvent(
          pool,
          { type: 'upsert', service: 'users', revision, instance: { ...inst(id), status: 'DRAINING' } },
          0,
          burstPolicy,
        );
      }
      pool = applyEvent(pool, del(4, 'a'), 1, burstPolicy);
      pool = applyEvent(pool, del(5, 'b'), 2, burstPolicy);
      expect(ids(pool)).toEqual(['c']);
    });

    it('confirms a held instance when its registrar registers it again', () => {
      let pool = start('a', 'b', 'c');
      pool = applyEvent(pool, del(2, 'a'), 0, burstPolicy);
      pool = applyEvent(pool, del(3, 'b'), 0, burstPolicy);
      pool = applyEvent(
        pool,
        { type: 'upsert', service: 'users', revision: 4, instance: inst('a') },
        5,
        burstPolicy,
      );
      expect([...pool.unconfirmed.keys()]).toEqual(['b']);
      expect(ids(pool)).toEqual(['a', 'b', 'c']);
    });

    it('never holds a burst when self-preservation is disabled', () => {
      const off = resolveSelfPreservation(false);
      let pool = applyEvent(emptyPool('users'), reset(1, 'a', 'b', 'c'), 0, off);
      for (const [revision, id] of [
        [2, 'a'],
        [3, 'b'],
        [4, 'c'],
      ] as const) {
        pool = applyEvent(pool, del(revision, id), 0, off);
      }
      expect(ids(pool)).toEqual([]);
    });
  });

  it('rejects bad self-preservation options naming the field', () => {
    expect(() => resolveSelfPreservation({ burstWindowMs: -5 })).toThrow(
      /^selfPreservation\.burstWindowMs: /,
    );
    expect(() => resolveSelfPreservation({ threshold: 2 })).toThrow(/^selfPreservation\.threshold: /);
    expect(() => resolveSelfPreservation({ graceMs: -1 })).toThrow(/^selfPreservation\.graceMs: /);
  });
});
