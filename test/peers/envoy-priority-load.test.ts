import { afterEach, describe, expect, it } from 'vitest';
import { testInstance } from '../../src/balancer/testing/endpoints.js';
import { seededRandom } from '../../src/core/random.js';
import { FakeClock } from '../../src/core/testing/fake-clock.js';
import { priorityLoad, type LevelHealth } from '../../src/routing/priority-load.js';
import { createRouter, type Router } from '../../src/routing/router.js';

/**
 * Envoy's priority load with over-provisioning 1.4, from
 * envoyproxy/envoy `test/common/upstream/load_balancer_impl_test.cc`: `LoadBalancerBaseTest`
 * `OverProvisioningFactor`, `GentleFailover`, `GentleFailoverWithExtraLevels` (the vectors without
 * degraded or excluded hosts, which Proxima does not have), and `DisablePanicMode`
 * (`healthy_panic_threshold` 0 → `chooseHost` returns no host). Expected values are Envoy's.
 *
 * Envoy reports integer percentages: each level's share rounded down, the rounding remainder added
 * to the first level with load (`recalculatePerPriorityState`, `recalculateLoadInTotalPanic`).
 * {@link envoyPercent} presents Proxima's exact shares the same way.
 */

function envoyPercent(loads: readonly number[]): number[] {
  const floors = loads.map((l) => Math.floor(100 * l + 1e-6));
  const rest = 100 - floors.reduce((a, b) => a + b, 0);
  const first = loads.findIndex((l) => l > 0);
  if (first >= 0) floors[first]! += rest;
  return floors;
}

const levels = (...pairs: Array<[total: number, healthy: number]>): LevelHealth[] =>
  pairs.map(([total, healthy]) => ({ total, healthy }));

describe('Envoy LoadBalancerBaseTest', () => {
  it.each([
    // OverProvisioningFactor
    ['OverProvisioningFactor 1.4', levels([4, 2], [4, 2]), 1.4, [70, 30], undefined],
    ['OverProvisioningFactor 1.0', levels([4, 2], [4, 2]), 1.0, [50, 50], undefined],
    // GentleFailover
    ['GentleFailover all healthy', levels([1, 1], [1, 1]), 1.4, [100, 0], [false, false]],
    ['GentleFailover 50%/50%', levels([2, 1], [2, 1]), 1.4, [70, 30], [false, false]],
    ['GentleFailover 25%/100%', levels([4, 1], [2, 2]), 1.4, [35, 65], [false, false]],
    ['GentleFailover 25%/25%', levels([4, 1], [4, 1]), 1.4, [50, 50], [true, true]],
    // GentleFailoverWithExtraLevels
    ['ExtraLevels all healthy', levels([1, 1], [1, 1], [1, 1]), 1.4, [100, 0, 0], [false, false, false]],
    ['ExtraLevels 50% each', levels([2, 1], [2, 1], [2, 1]), 1.4, [70, 30, 0], undefined],
    ['ExtraLevels 25%/100%/50%', levels([4, 1], [2, 2], [2, 1]), 1.4, [35, 65, 0], undefined],
    ['ExtraLevels 25% each', levels([4, 1], [4, 1], [4, 1]), 1.4, [35, 35, 30], undefined],
    ['ExtraLevels 20% each', levels([5, 1], [5, 1], [5, 1]), 1.4, [34, 33, 33], [true, true, true]],
    ['ExtraLevels 0/0/100%', levels([5, 0], [5, 0], [5, 5]), 1.4, [0, 0, 100], [false, false, false]],
    ['ExtraLevels 0/0/80%', levels([5, 0], [5, 0], [5, 4]), 1.4, [0, 0, 100], [false, false, false]],
    [
      'ExtraLevels 0/0/40% (total panic)',
      levels([5, 0], [5, 0], [5, 2]),
      1.4,
      [34, 33, 33],
      [true, true, true],
    ],
    ['ExtraLevels all down 5/3/2', levels([5, 0], [3, 0], [2, 0]), 1.4, [50, 30, 20], [true, true, true]],
    ['ExtraLevels 5/6/3 hosts', levels([5, 0], [6, 2], [3, 1]), 1.4, [37, 42, 21], [true, true, true]],
    ['ExtraLevels all down 3/3/3', levels([3, 0], [3, 0], [3, 0]), 1.4, [34, 33, 33], [true, true, true]],
    ['ExtraLevels empty P0, 6/3 down', levels([0, 0], [6, 0], [3, 0]), 1.4, [0, 67, 33], [true, true, true]],
  ] as const)('%s', (_name, health, factor, percent, panic) => {
    const load = priorityLoad(health, factor, 0.5);
    expect(envoyPercent(load.loads)).toEqual(percent);
    // Envoy marks an empty level as panicking in total panic; Proxima lists no route for it at all.
    if (panic !== undefined) {
      expect(load.panic.map((p, i) => p || (load.totalPanic && health[i]!.total === 0))).toEqual(panic);
    }
  });
});

describe('Envoy DisablePanicMode: healthy_panic_threshold 0 turns panic off', () => {
  const routers: Router[] = [];
  afterEach(() => {
    for (const r of routers.splice(0)) r.close();
  });

  it('priority load: nothing healthy → no level takes traffic, none panics', () => {
    const load = priorityLoad(levels([1, 0]), 1.4, 0);
    expect(load.totalPanic).toBe(false);
    expect(load.panic).toEqual([false]);
    expect(load.loads).toEqual([0]);
  });

  it.each([
    ['ejected', { breaker: { enabled: false }, outlier: { maxEjectionPercent: 100 } }],
    [
      'open breaker',
      { outlier: { enabled: false }, breaker: { algorithm: { kind: 'consecutive', threshold: 5 } } },
    ],
  ] as const)('the router picks no host when its only endpoint is %s', (_what, health) => {
    const r = createRouter({
      service: 'svc',
      locality: { region: 'r1', zone: 'a' },
      clock: new FakeClock(),
      random: seededRandom(1),
      panicThreshold: 0,
      health: { ...health, weights: 'none' },
    });
    routers.push(r);
    r.update([testInstance('only', { locality: { region: 'r1', zone: 'a' } })]);
    for (let k = 0; k < 5; k++) r.stats('only')!.start().tracker.done('failure', 1);
    expect(r.stats('only')!.available).toBe(false);
    const result = r.pick();
    expect(result.kind).toBe('fail');
  });
});
