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

  it('rejects bad self-preservation options naming the field', () => {
    expect(() => resolveSelfPreservation({ threshold: 2 })).toThrow(/^selfPreservation\.threshold: /);
    expect(() => resolveSelfPreservation({ graceMs: -1 })).toThrow(/^selfPreservation\.graceMs: /);
  });
});
