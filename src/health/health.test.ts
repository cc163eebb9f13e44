import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/testing/fake-clock.js';
import { testEndpoints, testPool } from '../balancer/testing/endpoints.js';
import { ConsecutiveBreaker, FailureRateBreaker } from './breaker/algorithm.js';
import { BreakerStateMachine } from './breaker/state-machine.js';
import { decayFactor } from './endpoint-stats.js';

const noBreaker = { breaker: { enabled: false }, weights: 'none' as const };

describe('outlier ejection', () => {
  it('ejects after 5 consecutive failures for 30 s × times ejected, capped at 300 s', async () => {
    const clock = new FakeClock();
    let changes = 0;
    const pool = testPool(clock, noBreaker, () => changes++);
    const [s] = pool.sync(testEndpoints(1));
    const ejectFor = async (): Promise<number> => {
      for (let k = 0; k < 5; k++) s!.start().tracker.done('failure', 1);
      expect(s!.available).toBe(false);
      const from = clock.now();
      let waited = 0;
      while (!s!.available) {
        await clock.advance(1000);
        waited = clock.now() - from;
        pool.refresh();
      }
      return waited;
    };
    expect(await ejectFor()).toBe(30_000);
    expect(await ejectFor()).toBe(60_000);
    for (let k = 3; k <= 10; k++) await ejectFor();
    expect(await ejectFor()).toBe(300_000);
    expect(changes).toBeGreaterThan(0);
  });

  it('forgets old ejections: one off the multiplier per healthy 10 s interval (Envoy), not 300 s for ever', async () => {
    const clock = new FakeClock();
    const pool = testPool(clock, noBreaker);
    const [s] = pool.sync(testEndpoints(1));
    const ejectFor = async (): Promise<number> => {
      for (let k = 0; k < 5; k++) s!.start().tracker.done('failure', 1);
      const from = clock.now();
      while (!s!.available) {
        await clock.advance(1000);
        pool.refresh();
      }
      return clock.now() - from;
    };
    for (let k = 1; k <= 10; k++) await ejectFor();
    expect(await ejectFor()).toBe(300_000);
    // An hour in the pool: far more healthy intervals than ejections.
    await clock.advance(3_600_000);
    pool.refresh();
    expect(await ejectFor()).toBe(30_000);
    // Two healthy intervals after a 30 s ejection: back to one, so the next is 30 s again.
    await clock.advance(20_000);
    expect(await ejectFor()).toBe(30_000);
    // Straight after an ejection the multiplier grows: 60 s.
    expect(await ejectFor()).toBe(60_000);
  });

  it('4 failures and a success do not eject', () => {
    const pool = testPool(new FakeClock(), noBreaker);
    const [s] = pool.sync(testEndpoints(1));
    for (let k = 0; k < 4; k++) s!.start().tracker.done('failure', 1);
    s!.start().tracker.done('success', 1);
    for (let k = 0; k < 4; k++) s!.start().tracker.done('timeout', 1);
    expect(s!.available).toBe(true);
  });

  it('ejects at most 10% of the pool, but always at least one', () => {
    const pool = testPool(new FakeClock(), noBreaker);
    const stats = pool.sync(testEndpoints(25));
    for (const s of stats) for (let k = 0; k < 5; k++) s.start().tracker.done('failure', 1);
    expect(stats.filter((s) => !s.available)).toHaveLength(2);
    const small = testPool(new FakeClock(), noBreaker).sync(testEndpoints(3));
    for (const s of small) for (let k = 0; k < 5; k++) s.start().tracker.done('failure', 1);
    expect(small.filter((s) => !s.available)).toHaveLength(1);
  });

  it('an unreachable endpoint (active health) leaves the pool at once, not capped, and comes back', () => {
    const pool = testPool(new FakeClock(), noBreaker);
    const stats = pool.sync(testEndpoints(10));
    for (const s of stats.slice(0, 5)) s.unreachable = true;
    pool.refresh();
    expect(stats.filter((s) => !s.available)).toHaveLength(5);
    for (const s of stats) s.unreachable = false;
    pool.refresh();
    expect(stats.every((s) => s.available)).toBe(true);
  });

  it('cancelled and unprocessed outcomes are not strikes', () => {
    const pool = testPool(new FakeClock(), noBreaker);
    const [s] = pool.sync(testEndpoints(1));
    for (let k = 0; k < 10; k++) s!.start().tracker.done(k % 2 ? 'cancelled' : 'unprocessed', 1);
    expect(s!.available).toBe(true);
    expect(s!.consecutiveFailures).toBe(0);
    expect(s!.pending).toBe(0);
  });
});

describe('circuit breaker', () => {
  it('opens, half-opens after the open time, and self-heals on a good probe', () => {
    const b = new BreakerStateMachine(new ConsecutiveBreaker(3), {
      openMs: 1000,
      maxOpenMs: 8000,
      halfOpenProbes: 1,
    });
    for (let k = 0; k < 3; k++) b.onFailure(0, false);
    expect(b.state).toBe('open');
    expect(b.admits()).toBe(false);
    expect(b.refresh(999)).toBe(false);
    expect(b.refresh(1000)).toBe(true);
    expect(b.state).toBe('half-open');
    expect(b.admits()).toBe(true);
    b.onStart();
    expect(b.admits()).toBe(false);
    b.onFailure(1000, true);
    expect(b.state).toBe('open');
    expect(b.openUntil).toBe(3000);
    b.refresh(3000);
    b.onStart();
    b.onSuccess(3000, true);
    expect(b.state).toBe('closed');
    expect(b.reopens).toBe(0);
  });

  it('half-open: a call that started before the breaker opened neither closes it nor frees a probe slot', async () => {
    const clock = new FakeClock();
    const pool = testPool(clock, {
      outlier: { enabled: false },
      weights: 'none',
      breaker: { algorithm: { kind: 'consecutive', threshold: 3 }, openMs: 1000 },
    });
    const [s] = pool.sync(testEndpoints(1));
    const straggler = s!.start(); // sent while closed, answers late
    const cancelled = s!.start();
    for (let k = 0; k < 3; k++) s!.start().tracker.done('failure', 1);
    expect(s!.breaker!.state).toBe('open');
    await clock.advance(1000);
    pool.refresh();
    expect(s!.breaker!.state).toBe('half-open');
    const probe = s!.start();
    expect(s!.available).toBe(false); // the one probe slot is taken
    straggler.tracker.done('success', 1);
    expect(s!.breaker!.state).toBe('half-open');
    cancelled.tracker.done('cancelled', 1);
    expect(s!.available).toBe(false); // still the probe's slot
    probe.tracker.done('success', 1);
    expect(s!.breaker!.state).toBe('closed');
    expect(s!.available).toBe(true);
  });

  it('failure-rate algorithm needs enough calls and forgets old buckets', () => {
    const a = new FailureRateBreaker(0.5, 10, 10_000);
    for (let k = 0; k < 4; k++) a.onSuccess(k);
    for (let k = 0; k < 4; k++) expect(a.onFailure(10 + k)).toBe(false);
    expect(a.onFailure(20)).toBe(false); // 5/9, below minCalls
    expect(a.onFailure(21)).toBe(true); // 6/10
    a.reset();
    expect(a.onFailure(50_000)).toBe(false);
  });

  it('an endpoint with an open breaker leaves the pool and comes back through a probe', async () => {
    const clock = new FakeClock();
    const pool = testPool(clock, {
      outlier: { enabled: false },
      weights: 'none',
      breaker: { algorithm: { kind: 'consecutive', threshold: 2 }, openMs: 5000 },
    });
    const [s] = pool.sync(testEndpoints(1));
    s!.start().tracker.done('failure', 1);
    s!.start().tracker.done('failure', 1);
    expect(s!.breaker?.state).toBe('open');
    expect(s!.available).toBe(false);
    expect(pool.refresh()).toBe(5000);
    await clock.advance(5000);
    pool.refresh();
    expect(s!.breaker?.state).toBe('half-open');
    expect(s!.available).toBe(true);
    const probe = s!.start();
    expect(s!.available).toBe(false); // one probe at a time
    probe.tracker.done('success', 3);
    expect(s!.breaker?.state).toBe('closed');
    expect(s!.available).toBe(true);
  });
});

describe('dynamic weights', () => {
  it('seed scheme: 100, −20 per failure, out of the pool below 30, back step by step', async () => {
    const clock = new FakeClock();
    const pool = testPool(clock, {
      outlier: { enabled: false },
      breaker: { enabled: false },
      weights: 'seed',
    });
    const [s] = pool.sync(testEndpoints(1));
    const weights: number[] = [];
    for (let k = 0; k < 4; k++) {
      s!.start().tracker.done('failure', 1);
      weights.push(Math.round(s!.effectiveWeight));
    }
    expect(weights).toEqual([80, 60, 40, 20]);
    expect(s!.available).toBe(false);
    expect(pool.refresh()).toBeCloseTo(1000);
    await clock.advance(1000);
    pool.refresh();
    expect(Math.round(s!.effectiveWeight)).toBe(30);
    expect(s!.available).toBe(true);
    s!.start().tracker.done('success', 1);
    expect(Math.round(s!.effectiveWeight)).toBe(40);
  });

  it('gradual scheme lowers the weighted load divisor but keeps the endpoint', () => {
    const pool = testPool(new FakeClock(), { outlier: { enabled: false }, breaker: { enabled: false } });
    const [s] = pool.sync(testEndpoints(1));
    for (let k = 0; k < 10; k++) s!.start().tracker.done('failure', 1);
    expect(s!.weightFactor).toBeCloseTo(0.05);
    expect(s!.loadDivisor).toBeCloseTo(0.05);
    expect(s!.available).toBe(true);
  });
});

describe('endpoint statistics', () => {
  it('decay with a weight within one ulp of Math.exp(-Δt/τ), polynomial below Δt/τ = 2^-8 or not', () => {
    // One ulp of a value in [0.5, 1) is 2^-53; the polynomial's truncation error is under 5·10⁻¹⁸.
    const ulp = 2 ** -53;
    fc.assert(
      fc.property(
        fc.double({ min: 1e-12, max: 2 ** -8 * 1.01, noNaN: true }),
        fc.constantFrom(1, 1000, 10_000, 60_000),
        (x, tauMs) => {
          const dtMs = x * tauMs;
          expect(Math.abs(decayFactor(dtMs, tauMs) - Math.exp(-dtMs / tauMs))).toBeLessThanOrEqual(ulp);
        },
      ),
      { numRuns: 20_000 },
    );
    // Beyond the polynomial's range it is Math.exp itself.
    expect(decayFactor(10_000, 10_000)).toBe(Math.exp(-1));
    expect(decayFactor(39.0625, 10_000)).toBe(Math.exp(-(2 ** -8)));
  });

  it('follow the peak-EWMA rule: peaks stick, faster samples blend with w = exp(-Δt/τ)', async () => {
    const clock = new FakeClock();
    const pool = testPool(clock, noBreaker);
    const [s] = pool.sync(testEndpoints(1));
    expect(s!.cost).toBe(30);
    s!.start().tracker.done('success', 100);
    expect(s!.cost).toBe(100);
    await clock.advance(10_000);
    s!.start().tracker.done('success', 0);
    expect(s!.cost).toBeCloseTo(100 * Math.exp(-1));
    expect(s!.costAt(clock.now() + 10_000)).toBeCloseTo(100 * Math.exp(-2));
  });

  it('forget a peak within ~1/minSampleWeight samples however busy the endpoint (Finagle: never)', async () => {
    const costAfterPeak = async (minSampleWeight: number): Promise<number> => {
      const clock = new FakeClock();
      const [s] = testPool(clock, { ...noBreaker, ewmaMinSampleWeight: minSampleWeight }).sync(
        testEndpoints(1),
      );
      s!.start().tracker.done('success', 40);
      for (let k = 0; k < 60; k++) {
        await clock.advance(1);
        s!.start().tracker.done('success', 10);
      }
      return s!.cost;
    };
    // Default 0.05: 10 + 30 × 0.95^60 ≈ 11.4 ms. Finagle's rule alone keeps the peak for seconds.
    expect(await costAfterPeak(0.05)).toBeLessThan(12);
    expect(await costAfterPeak(0)).toBeGreaterThan(39);
  });

  it('add up the latency calls saw, timeouts included, refusals not (for load-aware spill)', () => {
    const [s] = testPool(new FakeClock(), noBreaker).sync(testEndpoints(1));
    s!.start().tracker.done('success', 10);
    s!.start().tracker.done('app-error', 20);
    s!.start().tracker.done('timeout', 90);
    s!.start().tracker.done('failure', 0.1);
    s!.start().tracker.done('unprocessed', 0.1);
    expect([s!.latencySum, s!.latencyCount]).toEqual([120, 3]);
  });

  it('survive snapshot updates keyed by instance id', () => {
    const pool = testPool(new FakeClock(), noBreaker);
    const [a] = pool.sync(testEndpoints(2));
    a!.start();
    const again = pool.sync(testEndpoints(3, () => ({ weight: 50 })));
    expect(again[0]).toBe(a);
    expect(a!.pending).toBe(1);
    expect(a!.effectiveWeight).toBe(50);
    expect(pool.sync(testEndpoints(1)).map((s) => s.id)).toEqual(['e0']);
    expect(pool.get('e1')).toBeUndefined();
  });
});
