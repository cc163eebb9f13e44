import { describe, expect, it } from 'vitest';
import type { WatchEvent } from '../../registry/registry.js';
import { EventQueue } from './event-queue.js';
import { EventHistory } from './history.js';

const del = (service: string, revision: number, id: string): WatchEvent => ({
  type: 'delete',
  service,
  revision,
  id,
});

describe('EventHistory', () => {
  it('replays the events of one service from a revision, inclusive', () => {
    const h = new EventHistory(100);
    h.append(1, [del('a', 1, 'x')]);
    h.append(2, [del('b', 2, 'y')]);
    h.append(3, [del('a', 3, 'z1'), del('a', 3, 'z2')]);
    expect(h.since('a', 1)?.map((e) => e.revision)).toEqual([1, 3, 3]);
    expect(h.since('a', 2)?.map((e) => (e.type === 'delete' ? e.id : ''))).toEqual(['z1', 'z2']);
    expect(h.since('a', 4)).toEqual([]);
  });

  it('drops whole revisions when over its limit, and answers undefined for dropped ones', () => {
    const h = new EventHistory(3);
    h.append(1, [del('a', 1, 'x')]);
    h.append(2, [del('a', 2, 'y1'), del('a', 2, 'y2')]);
    h.append(3, [del('a', 3, 'z1'), del('a', 3, 'z2')]);
    // 5 events > 3: revisions 1 and 2 go (never half of revision 2).
    expect(h.size).toBe(2);
    expect(h.compactedRevision).toBe(2);
    expect(h.since('a', 2)).toBeUndefined();
    expect(h.since('a', 3)?.length).toBe(2);
  });

  it('compacts through a revision', () => {
    const h = new EventHistory(100);
    for (let r = 1; r <= 5; r++) h.append(r, [del('a', r, `i${r}`)]);
    h.compact(3);
    expect(h.since('a', 3)).toBeUndefined();
    expect(h.since('a', 4)?.map((e) => e.revision)).toEqual([4, 5]);
  });

  it('stays bounded over many revisions', () => {
    const h = new EventHistory(10);
    for (let r = 1; r <= 5000; r++) h.append(r, [del('a', r, 'x')]);
    expect(h.size).toBe(10);
    expect(h.since('a', 4991)?.length).toBe(10);
    expect(h.since('a', 4990)).toBeUndefined();
  });
});

describe('EventQueue', () => {
  it('hands pushed items to a waiting reader and ends on close', async () => {
    const q = new EventQueue<number>();
    q.push(1);
    expect(await q.next()).toEqual({ done: false, value: 1 });
    const waiting = q.next();
    q.push(2);
    expect(await waiting).toEqual({ done: false, value: 2 });
    const ending = q.next();
    q.close();
    expect(await ending).toEqual({ done: true, value: undefined });
    q.push(3);
    expect(await q.next()).toEqual({ done: true, value: undefined });
  });
});
