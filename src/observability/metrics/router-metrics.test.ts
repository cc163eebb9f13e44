import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseInstance } from '../../core/instance.js';
import { FakeClock } from '../../core/testing/fake-clock.js';
import { createRouter, type Router } from '../../routing/router.js';
import { scopeOf } from './client-metrics.js';
import { codeLabel, splitWireName } from './common.js';
import { collectRouterMetrics, RouterMetrics } from './router-metrics.js';
import { serverMetrics } from './rpc-metrics.js';

function instance(id: string, zone: string, status: 'UP' | 'DRAINING' = 'UP') {
  return parseInstance({
    service: 'svc',
    id,
    address: `127.0.0.1:${9000 + id.charCodeAt(0)}`,
    locality: { region: 'eu', zone },
    status,
  });
}

/** Sends calls until `id` has failed `times` in a row (every other endpoint succeeds). */
function failOn(router: Router, id: string, times: number): void {
  let failures = 0;
  for (let i = 0; i < 1000 && failures < times; i++) {
    const pick = router.pick();
    if (pick.kind !== 'ok') throw new Error(`no pick: ${pick.kind}`);
    if (pick.endpoint.id === id) {
      pick.tracker.done('failure', 5);
      failures++;
    } else {
      pick.tracker.done('success', 5);
    }
  }
  expect(failures).toBe(times);
}

async function values(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric(name)?.get();
  const out: Record<string, number> = {};
  for (const v of metric?.values ?? []) out[JSON.stringify(v.labels)] = v.value;
  return out;
}

describe('RouterMetrics', () => {
  it('counts endpoints by state, current ejections and ejections once each', async () => {
    const clock = new FakeClock();
    const router = createRouter({
      service: 'svc',
      locality: { region: 'eu', zone: 'a' },
      balancer: { name: 'round-robin' },
      clock,
    });
    router.update([
      instance('a1', 'a'),
      instance('a2', 'a'),
      instance('b1', 'b'),
      instance('d1', 'a', 'DRAINING'),
    ]);
    const registry = new Registry();
    const tracking = collectRouterMetrics(router, registry, { clock });

    expect(await values(registry, 'proxima_client_endpoints')).toMatchObject({
      '{"service":"svc","state":"available"}': 3,
      '{"service":"svc","state":"excluded"}': 1,
      '{"service":"svc","state":"ejected"}': 0,
    });
    expect(await values(registry, 'proxima_client_ejections_total')).toEqual({ '{"service":"svc"}': 0 });

    failOn(router, 'a1', 5);
    expect(await values(registry, 'proxima_client_endpoints_ejected')).toEqual({ '{"service":"svc"}': 1 });
    expect(await values(registry, 'proxima_client_ejections_total')).toEqual({ '{"service":"svc"}': 1 });
    // A second scrape does not count the same ejection again.
    expect(await values(registry, 'proxima_client_ejections_total')).toEqual({ '{"service":"svc"}': 1 });

    await clock.advance(31_000);
    router.refresh();
    expect(await values(registry, 'proxima_client_endpoints_ejected')).toEqual({ '{"service":"svc"}': 0 });
    failOn(router, 'a1', 5);
    expect(await values(registry, 'proxima_client_ejections_total')).toEqual({ '{"service":"svc"}': 2 });

    tracking[Symbol.dispose]();
    expect(await values(registry, 'proxima_client_endpoints')).toEqual({});
    router.close();
  });

  it('tracks several routers in one registry, per-endpoint series only when asked', async () => {
    const registry = new Registry();
    const metrics = new RouterMetrics(registry, { perEndpoint: true });
    const routers = ['x', 'y'].map((service) => {
      const r = createRouter({ service, locality: { region: 'eu', zone: 'a' } });
      r.update([
        parseInstance({
          service,
          id: `${service}1`,
          address: '127.0.0.1:9',
          locality: { region: 'eu', zone: 'a' },
        }),
      ]);
      return r;
    });
    const subs = routers.map((r) => metrics.track(r));
    expect(Object.keys(await values(registry, 'proxima_client_endpoint_pending')).sort()).toEqual([
      '{"service":"x","endpoint":"x1","zone":"eu/a"}',
      '{"service":"y","endpoint":"y1","zone":"eu/a"}',
    ]);
    expect(await values(registry, 'proxima_client_route_share')).toEqual({
      '{"service":"x","route":"eu/a"}': 1,
      '{"service":"y","route":"eu/a"}': 1,
    });
    for (const s of subs) s[Symbol.dispose]();
    for (const r of routers) r.close();
  });
});

describe('options', () => {
  it('refuses a bad prefix or unordered buckets, naming the field', () => {
    expect(() => new RouterMetrics(new Registry(), { prefix: 'bad-prefix' })).toThrow(
      /routerMetrics\.prefix/,
    );
    expect(() => serverMetrics(new Registry(), { buckets: [1, 0.5] })).toThrow(/serverMetrics\.buckets/);
  });
});

describe('labels', () => {
  it('bounds codes, splits wire names and names pick scopes', () => {
    expect(codeLabel(undefined)).toBe('OK');
    expect(codeLabel({ code: 'UNAVAILABLE' })).toBe('UNAVAILABLE');
    expect(codeLabel({ code: 'SOMETHING_NEW_FROM_A_PEER' })).toBe('UNKNOWN');
    expect(splitWireName('users.v1.get')).toEqual({ service: 'users.v1', method: 'get' });
    expect(splitWireName('ping')).toEqual({ service: '', method: 'ping' });
    const eu = (zone: string) => ({ region: 'eu', zone, subzone: '' });
    expect(scopeOf(eu('a'), eu('a'))).toBe('same-zone');
    expect(scopeOf(eu('a'), eu('b'))).toBe('same-region');
    expect(scopeOf(eu('a'), { region: 'us', zone: 'a', subzone: '' })).toBe('cross-region');
    expect(scopeOf(eu('a'), { region: '', zone: '', subzone: '' })).toBe('unknown');
  });
});
