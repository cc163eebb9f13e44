import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/testing/fake-clock.js';
import { DeadlineQueue, type Expiring } from './deadline-queue.js';

interface Item extends Expiring {
  readonly name: string;
}
const item = (name: string, deadlineAt: number): Item => ({ name, deadlineAt, heapIndex: -1 });

describe('DeadlineQueue', () => {
  it('expires items in deadline order behind a single timer', async () => {
    const clock = new FakeClock();
    const expired: string[] = [];
    const q = new DeadlineQueue<Item>(clock, (i) => expired.push(i.name));
    q.add(item('c', 300));
    q.add(item('a', 100));
    q.add(item('b', 200));
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(150);
    expect(expired).toEqual(['a']);
    await clock.advance(200);
    expect(expired).toEqual(['a', 'b', 'c']);
    expect(q.size).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('never expires removed items and re-arms after an early fire', async () => {
    const clock = new FakeClock();
    const expired: string[] = [];
    const q = new DeadlineQueue<Item>(clock, (i) => expired.push(i.name));
    const a = item('a', 100);
    q.add(a);
    q.add(item('b', 500));
    q.remove(a);
    await clock.advance(100);
    expect(expired).toEqual([]);
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(400);
    expect(expired).toEqual(['b']);
  });

  it('expires exactly the items not removed, in deadline order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(1000), fc.boolean()), { maxLength: 60 }), async (ops) => {
        const clock = new FakeClock();
        const expired: Item[] = [];
        const q = new DeadlineQueue<Item>(clock, (i) => expired.push(i));
        const items = ops.map(([at], n) => item(String(n), at));
        for (const i of items) q.add(i);
        const kept = items.filter((_, n) => !ops[n]![1]);
        for (const [n, i] of items.entries()) if (ops[n]![1]) q.remove(i);
        expect(q.size).toBe(kept.length);
        await clock.advance(1001);
        expect(expired.map((i) => i.deadlineAt)).toEqual(kept.map((i) => i.deadlineAt).sort((x, y) => x - y));
        expect(new Set(expired)).toEqual(new Set(kept));
      }),
      { numRuns: 100 },
    );
  });
});
