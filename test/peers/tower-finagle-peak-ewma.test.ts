import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/core/testing/fake-clock.js';
import { testEndpoints, testPool } from '../../src/balancer/testing/endpoints.js';
import type { EndpointStats } from '../../src/health/endpoint-stats.js';
import type { StatsPool } from '../../src/health/stats-pool.js';

/**
 * Peak-EWMA against its peers: tower `tower/src/load/peak_ewma.rs` (tests `default_decay`,
 * `compound_decay`) and Finagle `finagle-core/.../loadbalancer/PeakEwma.scala` (`Metric.get()`
 * calls `observe(0.0)`: reading the load decays the stored cost and moves its timestamp).
 * The expected values are the peers': tower's assertions and the issue's reference case computed
 * with the peers' formula. `ewmaMinSampleWeight: 0` is the peers' rule exactly (our cap is a
 * documented deviation, docs/routing.md).
 */

const exact = { breaker: { enabled: false }, weights: 'none' as const, ewmaMinSampleWeight: 0 };

/** One endpoint whose pool reads `clock`; `load()` is what a pick reads at the clock's time. */
function endpoint(clock: FakeClock, tauMs: number, initialCostMs: number) {
  const pool: StatsPool = testPool(clock, { ...exact, ewmaTauMs: tauMs, initialCostMs });
  const [s] = pool.sync(testEndpoints(1)) as [EndpointStats];
  const load = (): number => {
    pool.now = clock.now();
    return s.currentLoad();
  };
  return { s, load };
}

describe('tower peak_ewma.rs', () => {
  it('default_decay: a 10 ms default decays with a 1 s period: (9, 10) ms at 100 ms, (8, 9) ms at 200 ms', async () => {
    const clock = new FakeClock();
    const { load } = endpoint(clock, 1000, 10);
    expect(load()).toBe(10);
    await clock.advance(100);
    const at100 = load();
    expect(at100).toBeGreaterThan(9);
    expect(at100).toBeLessThan(10);
    await clock.advance(100);
    const at200 = load();
    expect(at200).toBeGreaterThan(8);
    expect(at200).toBeLessThan(9);
  });

  it('compound_decay: 20 ms default, two calls of 200 ms → load 400 ms then 200 ms, then decays under 100 ms and 0.1 ms', async () => {
    const clock = new FakeClock();
    const { s, load } = endpoint(clock, 1000, 20);
    expect(load()).toBe(20);
    await clock.advance(100);
    const rsp0 = s.start();
    expect(load()).toBeGreaterThan(20);
    await clock.advance(100);
    const rsp1 = s.start();
    expect(load()).toBeGreaterThan(40);
    await clock.advance(100);
    rsp0.tracker.done('success', 200, clock.now());
    expect(load()).toBeCloseTo(400, 9);
    await clock.advance(100);
    rsp1.tracker.done('success', 200, clock.now());
    expect(load()).toBeCloseTo(200, 9);
    await clock.advance(1000);
    expect(load()).toBeLessThan(100);
    await clock.advance(10_000);
    expect(load()).toBeLessThan(0.1);
  });
});

describe('Finagle PeakEwma.scala: reading the load decays the stored cost (observe(0.0))', () => {
  // Peak 100 ms at t = 0, τ = 10 s; a pick reads the load, then a 50 ms sample arrives at once.
  // Reference: cost(t) = 100·e^(−t/τ) at the pick; the sample is blended with weight 1 − e^0 = 0,
  // unless it is above the decayed cost, when it replaces it.
  const after = async (pickAtMs: number): Promise<number> => {
    const clock = new FakeClock();
    const { s, load } = endpoint(clock, 10_000, 30);
    s.start().tracker.done('success', 100, clock.now());
    await clock.advance(pickAtMs);
    load();
    s.start().tracker.done('success', 50, clock.now());
    return s.cost;
  };

  it('pick at 5 s, then a 50 ms sample: 60.65 ms (100·e^−0.5)', async () => {
    expect(await after(5000)).toBeCloseTo(60.65, 2);
  });

  it('pick at 20 s, then a 50 ms sample: 50.00 ms (the decayed 13.53 ms is under the sample)', async () => {
    expect(await after(20_000)).toBeCloseTo(50, 9);
  });
});
