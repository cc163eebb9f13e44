import { describe, expect, it } from 'vitest';
import { priorityLoad } from './priority-load.js';
import { zonePercentages, zoneRouting } from './zone-residual.js';

describe("Envoy's worked examples", () => {
  it('caller 40/40/20 with upstream 25/50/25 gives residual buckets 0/10000/5000', () => {
    const caller = zonePercentages([4, 4, 2]);
    const upstream = zonePercentages([2, 4, 2]);
    expect(caller).toEqual([40000, 40000, 20000]);
    expect(upstream).toEqual([25000, 50000, 25000]);
    expect(zoneRouting(caller, upstream)).toEqual({
      mode: 'residual',
      localPercentToRoute: 6250,
      residual: [0, 10000, 5000],
    });
  });

  it('routes directly when the local zone has at least the caller share', () => {
    expect(zoneRouting([30000, 70000], [50000, 50000])).toEqual({ mode: 'direct' });
  });

  it('a tier 71% healthy keeps ~99% of traffic; at 50% it keeps 70%', () => {
    const at = (healthy: number) =>
      priorityLoad(
        [
          { healthy, total: 100 },
          { healthy: 100, total: 100 },
        ],
        1.4,
        0.5,
      );
    expect(at(71).loads[0]).toBeCloseTo(0.994, 3);
    expect(at(71).loads[1]).toBeCloseTo(0.006, 3);
    expect(at(50).loads[0]).toBeCloseTo(0.7, 10);
    expect(at(50).loads[1]).toBeCloseTo(0.3, 10);
    expect(at(100).loads).toEqual([1, 0]);
    expect(at(50).panic).toEqual([false, false]);
  });

  it('scales loads up when total availability is under 100% and panics levels under the threshold', () => {
    const load = priorityLoad(
      [
        { healthy: 2, total: 10 },
        { healthy: 3, total: 10 },
      ],
      1.4,
      0.5,
    );
    // availability 0.28 + 0.42 = 0.70 → 0.4 / 0.6, both under 50% healthy: total panic by counts.
    expect(load.totalPanic).toBe(true);
    expect(load.loads).toEqual([0.5, 0.5]);
    const enough = priorityLoad(
      [
        { healthy: 2, total: 10 },
        { healthy: 6, total: 10 },
      ],
      1.4,
      0.5,
    );
    // 0.28 + 0.84 ≥ 1: enough capacity overall, so no level panics (Envoy).
    expect(enough.panic).toEqual([false, false]);
    expect(enough.loads[0]).toBeCloseTo(0.28, 10);
    expect(enough.loads[1]).toBeCloseTo(0.72, 10);
    const partial = priorityLoad(
      [
        { healthy: 2, total: 10 },
        { healthy: 5, total: 10 },
      ],
      1.4,
      0.5,
    );
    // 0.28 + 0.70 = 0.98 < 1: loads scale up by 1/0.98; only the level under 50% healthy panics.
    expect(partial.totalPanic).toBe(false);
    expect(partial.panic).toEqual([true, false]);
    expect(partial.loads[0]).toBeCloseTo(0.28 / 0.98, 10);
    expect(partial.loads[1]).toBeCloseTo(0.7 / 0.98, 10);
  });
});
