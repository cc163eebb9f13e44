import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SpillController, type LevelSample } from './load-spill.js';

const options = { margin: 0.2, maxSpill: 0.8, smoothing: 0.3 };

/** A level that served many calls of `meanMs` since the last step (none when undefined). */
function level(name: string, meanMs: number | undefined, extra: Partial<LevelSample> = {}): LevelSample {
  const count = meanMs === undefined ? 0 : 100_000;
  return {
    name,
    sumMs: (meanMs ?? 0) * count,
    count,
    priorMs: 30,
    rttMs: undefined,
    usable: true,
    ...extra,
  };
}

/** Spill from level 0 after `steps` steps with the local level at `localMs`, the next at `nextMs`. */
function settle(localMs: number, nextMs: number, steps = 40): number {
  const spill = new SpillController(options);
  for (let k = 0; k < steps; k++) spill.step([level('local', localMs), level('next', nextMs)]);
  return spill.get(0);
}

describe('load-aware spill', () => {
  it('never spills from a level faster than the next one plus the margin', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 1, max: 15.5, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (locals) => {
          const spill = new SpillController(options);
          for (const ms of locals) spill.step([level('local', ms), level('next', 13)]);
          expect(spill.get(0)).toBe(0);
        },
      ),
    );
  });

  it('spills in proportion to how much slower staying is: continuous, monotone, capped', () => {
    let previous = 0;
    for (let ms = 10; ms <= 200; ms += 0.5) {
      const target = Math.min(0.8, Math.max(0, (ms - 13 * 1.2) / ms));
      const spilled = settle(ms, 13);
      expect(spilled).toBeCloseTo(target, 4);
      expect(spilled).toBeGreaterThanOrEqual(previous);
      // Half a millisecond more latency never moves more than a few percent of the traffic.
      expect(spilled - previous).toBeLessThan(0.03);
      previous = spilled;
    }
    expect(previous).toBeCloseTo(0.8, 4);
  });

  it('moves toward its target by the smoothing factor per step, both ways', () => {
    const spill = new SpillController(options);
    spill.step([level('local', 52), level('next', 10)]);
    // Target (52 − 12) / 52 ≈ 0.77, first step 30% of the way.
    expect(spill.get(0)).toBeCloseTo(0.3 * (40 / 52), 6);
    spill.step([level('local', 52), level('next', 10)]);
    expect(spill.get(0)).toBeCloseTo((0.3 + 0.7 * 0.3) * (40 / 52), 6);
    const high = spill.get(0);
    expect(spill.step([level('local', 10), level('next', 10)])).toBe(true);
    expect(spill.get(0)).toBeCloseTo(0.7 * high, 3);
  });

  it('keeps the last estimate of a level that served nothing this step', () => {
    const spill = new SpillController(options);
    spill.step([level('local', 40), level('next', 13)]);
    for (let k = 0; k < 30; k++) spill.step([level('local', 40), level('next', undefined)]);
    expect(spill.latencyOf('next')).toBe(13);
    expect(spill.get(0)).toBeCloseTo((40 - 13 * 1.2) / 40, 3);
  });

  it('weighs a few calls on a level against its previous estimate, many calls fully', () => {
    const spill = new SpillController(options);
    spill.step([level('local', 10), { ...level('next', 20), sumMs: 200, count: 10 }]);
    spill.step([level('local', 10), { ...level('next', 40), sumMs: 120, count: 3 }]);
    expect(spill.latencyOf('next')).toBeCloseTo((20 * 20 + 120) / 23, 6);
    spill.step([level('local', 10), { ...level('next', 40), sumMs: 40 * 2000, count: 2000 }]);
    expect(spill.latencyOf('next')!).toBeGreaterThan(39.5);
  });

  it('assumes a level that never served a call is unloaded: the local level at its fastest plus the extra RTT', () => {
    const spill = new SpillController(options);
    const local = (ms: number) => level('local', ms, { rttMs: 0.5 });
    const next = level('next', undefined, { rttMs: 3, priorMs: 33 });
    spill.step([local(11), next]);
    // Assumed 11 + 2.5 = 13.5 ms there: 15 ms here is within the margin, 30 ms is not.
    spill.step([local(15), next]);
    expect(spill.get(0)).toBe(0);
    spill.step([local(30), next]);
    expect(spill.get(0)).toBeCloseTo(0.3 * ((30 - 13.5 * 1.2) / 30), 3);
    // Without RTTs the prior stands (initial cost + RTT): 30 ms is not enough to leave for it.
    const blind = new SpillController(options);
    blind.step([level('local', 11), level('next', undefined)]);
    blind.step([level('local', 30), level('next', undefined)]);
    expect(blind.get(0)).toBe(0);
  });

  it('spills past a level without a route, never into nothing, and follows tiers by name', () => {
    const spill = new SpillController(options);
    const gap = level('gap', undefined, { usable: false, priorMs: undefined });
    spill.step([level('local', 50), gap, level('far', 10)]);
    expect(spill.fractions[0]).toBeGreaterThan(0);
    expect(spill.fractions[1]).toBe(0);
    spill.step([level('local', 50), level('nothing', undefined, { priorMs: undefined })]);
    const moved = spill.get(0);
    // The local tier disappears: what it spilled does not carry over to the tier now first.
    spill.step([level('far', 10), level('farther', 100)]);
    expect(moved).toBeGreaterThan(0);
    expect(spill.get(0)).toBe(0);
  });
});
