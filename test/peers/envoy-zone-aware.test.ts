import { afterEach, describe, expect, it } from 'vitest';
import { testInstance } from '../../src/balancer/testing/endpoints.js';
import type { Instance } from '../../src/core/instance.js';
import { seededRandom } from '../../src/core/random.js';
import { FakeClock } from '../../src/core/testing/fake-clock.js';
import { createRouter, type Router } from '../../src/routing/router.js';
import { zonePercentages, zoneRouting } from '../../src/routing/zone-residual.js';

/**
 * Envoy's zone-aware routing, from envoyproxy/envoy `test/common/upstream/load_balancer_impl_test.cc`
 * (`RoundRobinLoadBalancerTest.ZoneAwareRoutingLargeZoneSwitchOnOff`, `ZoneAwareRoutingSmallZone`),
 * the worked example of the architecture docs (`intro/arch_overview/upstream/load_balancing/
 * zone_aware.rst`: callers 40/40/20 %, upstream 25/50/25 %), and
 * `ZoneAwareLoadBalancerBase::calculateLocalityPercentagesNew` in `source/common/upstream/
 * load_balancer_impl.cc`, which divides each local (caller) locality by *all* local hosts, also
 * those in localities with no upstream host. Envoy's percentages are out of 10 000; Proxima's are
 * out of 100 000 with the same `localPercentToRoute` out of 10 000.
 */

const routers: Router[] = [];
afterEach(() => {
  for (const r of routers.splice(0)) r.close();
});

const at = (id: string, zone: string, service = 'svc'): Instance =>
  testInstance(id, { service, locality: { region: 'r1', zone } });
const many = (prefix: string, zone: string, n: number, service = 'svc'): Instance[] =>
  Array.from({ length: n }, (_, i) => at(`${prefix}${i}`, zone, service));

function zoneRouter(minClusterSize: number, upstream: Instance[], callers: Instance[]): Router {
  const r = createRouter({
    service: 'svc',
    locality: { region: 'r1', zone: 'a' },
    clock: new FakeClock(),
    random: seededRandom(1),
    zoneAware: { enabled: true, minClusterSize },
  });
  routers.push(r);
  r.update(upstream, { callers });
  return r;
}

const shares = (r: Router): Record<string, number> =>
  Object.fromEntries(r.explain().routes.map((x) => [x.name, Math.round(x.share * 1e6) / 1e6]));

describe('Envoy zone-aware routing', () => {
  it('zone_aware.rst: callers 40/40/20, upstream 25/50/25 → 62.5% local, residual 0/10%/5%', () => {
    const routing = zoneRouting(zonePercentages([4, 4, 2]), zonePercentages([2, 4, 2]));
    expect(routing).toEqual({ mode: 'residual', localPercentToRoute: 6250, residual: [0, 10000, 5000] });
  });

  it('ZoneAwareRoutingLargeZoneSwitchOnOff: upstream 1/1/1, callers 1/1/1, min cluster 3 → all directly local', () => {
    const r = zoneRouter(
      3,
      [at('a0', 'a'), at('b0', 'b'), at('c0', 'c')],
      [at('ca', 'a', 'caller'), at('cb', 'b', 'caller'), at('cc', 'c', 'caller')],
    );
    expect(r.explain().zoneAware?.routing).toEqual({ mode: 'direct' });
    expect(shares(r)['r1/a']).toBe(1);
  });

  it('ZoneAwareRoutingSmallZone: upstream 1/2/2, callers 1/1/1, min cluster 5 → 60% local, rest split 667:667', () => {
    const r = zoneRouter(
      5,
      [...many('a', 'a', 1), ...many('b', 'b', 2), ...many('c', 'c', 2)],
      [at('ca', 'a', 'caller'), at('cb', 'b', 'caller'), at('cc', 'c', 'caller')],
    );
    const routing = r.explain().zoneAware?.routing;
    // Envoy: 2000 · 10000 / 3333 = 6000; residual capacity 4000 − 3333 = 667 in zones b and c.
    expect(routing).toMatchObject({ mode: 'residual', localPercentToRoute: 6000 });
    expect(shares(r)).toEqual({ 'r1/a': 0.6, 'r1/b': 0.2, 'r1/c': 0.2 });
  });

  it('calculateLocalityPercentagesNew: upstream 2/4/0, callers 1/1/1 → the local zone takes everything', () => {
    // Callers in zone c (no upstream) still count: local share 1/3 = upstream share 2/6 → direct.
    const r = zoneRouter(
      3,
      [...many('a', 'a', 2), ...many('b', 'b', 4)],
      [at('ca', 'a', 'caller'), at('cb', 'b', 'caller'), at('cc', 'c', 'caller')],
    );
    expect(r.explain().zoneAware?.routing).toEqual({ mode: 'direct' });
    expect(shares(r)['r1/a']).toBe(1);
  });
});
