import { describe, expect, it } from 'vitest';
import { seededRandom } from './random.js';

describe('seededRandom', () => {
  // Reference values of mulberry32 (Tommy Ettinger's constants) as first written here, with the
  // state a plain closure number: the typed-array state must give the very same sequence, or every
  // seeded test and simulation would silently change.
  it('draws the mulberry32 sequence for a seed', () => {
    const r = seededRandom(42);
    expect(Array.from({ length: 5 }, () => r())).toEqual([
      0.6011037519201636, 0.44829055899754167, 0.8524657934904099, 0.6697340414393693, 0.17481389874592423,
    ]);
    const high = seededRandom(0xffffffff);
    expect(Array.from({ length: 3 }, () => high())).toEqual([
      0.8964226141106337, 0.189478256739676, 0.7156526781618595,
    ]);
  });

  it('keeps the sequence over a million draws, in [0, 1)', () => {
    const r = seededRandom(7);
    let sum = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const x = r();
      sum += x;
      if (x < min) min = x;
      if (x > max) max = x;
    }
    expect(sum).toBe(499718.2811510917);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
  });
});
