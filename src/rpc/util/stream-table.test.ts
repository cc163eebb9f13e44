import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamTable } from './stream-table.js';

describe('StreamTable', () => {
  it('behaves like a map of live stream ids, growing on collisions', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(50)), { maxLength: 300 }), (ops) => {
        const table = new StreamTable<{ streamId: number }>(2);
        const model = new Map<number, { streamId: number }>();
        let next = 1;
        for (const [add, pick] of ops) {
          if (add || model.size === 0) {
            const item = { streamId: next++ };
            table.set(item);
            model.set(item.streamId, item);
          } else {
            const id = [...model.keys()][pick % model.size]!;
            expect(table.delete(model.get(id)!)).toBe(true);
            model.delete(id);
          }
          expect(table.size).toBe(model.size);
        }
        for (const [id, item] of model) expect(table.get(id)).toBe(item);
        expect(table.get(next)).toBeUndefined();
        expect(table.values().map((i) => i.streamId)).toEqual([...model.keys()].sort((a, b) => a - b));
      }),
    );
  });
});
