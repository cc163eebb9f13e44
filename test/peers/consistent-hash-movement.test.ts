import { describe, expect, it } from 'vitest';
import { balancerSpecSchema, createBalancer } from '../../src/balancer/factory.js';
import { testEndpoints, testPool } from '../../src/balancer/testing/endpoints.js';
import { seededRandom } from '../../src/core/random.js';
import { FakeClock } from '../../src/core/testing/fake-clock.js';

/**
 * Consistent hashing's defining property (Karger et al., "Consistent Hashing and Random Trees",
 * STOC 1997: monotonicity and spread; the property Envoy's `RingHashLoadBalancer` and gRPC's
 * `ring_hash` (gRFC A42) rely on): when one of n endpoints leaves, exactly the keys it owned move —
 * in expectation 1/n of all keys — and no key moves between two endpoints that stayed. With n = 10
 * the expected share is 10%; the test allows ±2 points for the spread of a ring of 160 virtual
 * nodes per endpoint.
 */
describe('consistent hash: one of ten endpoints leaves', () => {
  const keys = Array.from({ length: 10_000 }, (_, k) => `session-${k}`);

  function owners(leaving?: string): Map<string, string> {
    const clock = new FakeClock();
    const stats = testPool(clock)
      .sync(testEndpoints(10))
      .filter((s) => s.id !== leaving);
    const picker = createBalancer(balancerSpecSchema().parse({ name: 'consistent-hash' }), {
      clock,
      random: seededRandom(1),
    }).build(stats);
    const map = new Map<string, string>();
    for (const key of keys) {
      const r = picker.pick({ hashKey: key });
      if (r.kind !== 'ok') throw new Error(`no pick for ${key}`);
      r.tracker.done('success', 1);
      map.set(key, r.endpoint.id);
    }
    return map;
  }

  it('moves only the leaving endpoint’s keys, about 1/10 of them', () => {
    const before = owners();
    const after = owners('e3');
    let moved = 0;
    let fromSurvivors = 0;
    for (const key of keys) {
      if (before.get(key) === after.get(key)) continue;
      moved++;
      if (before.get(key) !== 'e3') fromSurvivors++;
    }
    expect(fromSurvivors).toBe(0);
    expect(moved / keys.length).toBeGreaterThan(0.08);
    expect(moved / keys.length).toBeLessThan(0.12);
  });
});
