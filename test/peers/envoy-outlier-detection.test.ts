import { describe, expect, it } from 'vitest';
import { testEndpoints, testPool } from '../../src/balancer/testing/endpoints.js';
import { FakeClock } from '../../src/core/testing/fake-clock.js';
import type { EndpointStats } from '../../src/health/endpoint-stats.js';

/**
 * Envoy's ejection time backoff, from envoyproxy/envoy
 * `test/common/upstream/outlier_detection_impl_test.cc`, `OutlierDetectorImplTest.EjectTimeBackoff`:
 * base ejection time 10 s, interval 10 s, max ejection 100%. The ejection multiplier grows by one per
 * ejection and drops by one per interval the host spends healthy (`checkHostForUneject` decrements
 * `ejectTimeBackoff()` for a host that is not ejected). The times below are Envoy's.
 */
describe('Envoy OutlierDetectorImplTest.EjectTimeBackoff', () => {
  it('ejections last 10, 20, 30 s; two healthy intervals bring it to 20 s; fifty bring it back to 10 s', async () => {
    const clock = new FakeClock();
    const pool = testPool(clock, {
      breaker: { enabled: false },
      weights: 'none',
      outlier: { baseEjectionMs: 10_000, maxEjectionPercent: 100 }, // interval: the default 10 s
    });
    const [host] = pool.sync(testEndpoints(1)) as [EndpointStats];
    /** Envoy's `interval_timer_->invokeCallback()` at time `s` seconds. */
    const tickAt = async (s: number): Promise<void> => {
      await clock.advance(s * 1000 - clock.now());
      pool.refresh();
    };
    const eject = (): void => {
      for (let k = 0; k < 5; k++) host.start().tracker.done('failure', 1);
      expect(host.available).toBe(false);
    };
    const ejected = (): boolean => !host.available;

    eject(); // t = 0
    await tickAt(10);
    expect(ejected()).toBe(false); // back after 10 s

    eject(); // t = 10, second in a row
    await tickAt(20);
    expect(ejected()).toBe(true);
    await tickAt(30);
    expect(ejected()).toBe(false); // back after 20 s

    eject(); // t = 30, third in a row
    await tickAt(40);
    expect(ejected()).toBe(true);
    await tickAt(50);
    expect(ejected()).toBe(true);
    await tickAt(60);
    expect(ejected()).toBe(false); // back after 30 s

    await tickAt(70); // two healthy intervals
    await tickAt(80);
    eject(); // t = 80: 20 s
    await tickAt(90);
    expect(ejected()).toBe(true);
    await tickAt(100);
    expect(ejected()).toBe(false);

    for (let i = 1; i <= 50; i++) await tickAt(100 + i * 10); // a long healthy stretch
    eject(); // t = 600 … 610 in Envoy: back to 10 s
    await tickAt(610);
    expect(ejected()).toBe(false);
  });
});
