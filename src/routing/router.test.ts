import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/testing/fake-clock.js';
import { seededRandom } from '../core/random.js';
import type { Instance, InstanceInput } from '../core/instance.js';
import { testInstance } from '../balancer/testing/endpoints.js';
import { RttTable } from '../probe/rtt-source.js';
import { createRouter, type Router } from './router.js';
import type { RouterOptionsInput } from './options.js';

const routers: Router[] = [];
afterEach(() => {
  for (const r of routers.splice(0)) r.close();
});

function router(
  clock: FakeClock,
  options: Partial<RouterOptionsInput> = {},
  seed = 1,
  rtt?: RttTable,
): Router {
  const r = createRouter({
    service: 'svc',
    locality: { region: 'r1', zone: 'a' },
    clock,
    random: seededRandom(seed),
    ...(rtt ? { rtt } : {}),
    ...options,
  });
  routers.push(r);
  return r;
}

function at(id: string, region: string, zone: string, extra: Partial<InstanceInput> = {}): Instance {
  return testInstance(id, { locality: { region, zone }, ...extra });
}

/** Picks `n` times, reporting success with `latency(id)`; returns counts per endpoint id. */
function drive(r: Router, n: number, latency: (id: string) => number = () => 1): Map<string, number> {
  const counts = new Map<string, number>();
  for (let k = 0; k < n; k++) {
    const result = r.pick();
    if (result.kind !== 'ok') throw new Error(`pick ${k}: ${result.kind}`);
    const id = result.endpoint.id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
    result.tracker.done('success', latency(id));
  }
  return counts;
}

function share(counts: Map<string, number>, prefix: string): number {
  let hit = 0;
  let total = 0;
  for (const [id, c] of counts) {
    total += c;
    if (id.startsWith(prefix)) hit += c;
  }
  return hit / total;
}

const topology = (): Instance[] => [
  ...[0, 1, 2].map((i) => at(`a${i}`, 'r1', 'a')),
  ...[0, 1, 2].map((i) => at(`b${i}`, 'r1', 'b')),
  ...[0, 1, 2].map((i) => at(`x${i}`, 'r2', 'x')),
];

describe('router', () => {
  it('waits before the first snapshot and fails with no endpoints', () => {
    const r = router(new FakeClock());
    expect(r.pick().kind).toBe('wait');
    r.update([]);
    const result = r.pick();
    expect(result.kind === 'fail' && result.error.code).toBe('NO_ENDPOINTS');
  });

  it('keeps all traffic in the caller’s zone while it is healthy', () => {
    const r = router(new FakeClock());
    r.update(topology());
    expect(share(drive(r, 1000), 'a')).toBe(1);
  });

  it('spills by priority when the local zone loses health (1.4 over-provisioning)', () => {
    const clock = new FakeClock();
    const r = router(clock, {
      health: { outlier: { maxEjectionPercent: 100 }, breaker: { enabled: false } },
    });
    const instances = [...Array.from({ length: 10 }, (_, i) => at(`a${i}`, 'r1', 'a')), at('b0', 'r1', 'b')];
    r.update(instances);
    for (const id of ['a0', 'a1', 'a2', 'a3', 'a4']) {
      const s = r.stats(id)!;
      for (let k = 0; k < 5; k++) s.start().tracker.done('failure', 1);
    }
    // 5/10 healthy → the zone keeps 70%.
    const table = r.explain();
    expect(table.routes.find((x) => x.name === 'r1/a')?.share).toBeCloseTo(0.7, 5);
    const counts = drive(r, 4000);
    expect(share(counts, 'a')).toBeGreaterThan(0.66);
    expect(share(counts, 'a')).toBeLessThan(0.74);
    for (const id of ['a0', 'a1', 'a2', 'a3', 'a4']) expect(counts.get(id)).toBeUndefined();
  });

  it('brings an ejected endpoint back after the ejection time', async () => {
    const clock = new FakeClock();
    const r = router(clock, { health: { breaker: { enabled: false } } });
    r.update(Array.from({ length: 10 }, (_, i) => at(`a${i}`, 'r1', 'a')));
    const s = r.stats('a3')!;
    for (let k = 0; k < 5; k++) s.start().tracker.done('failure', 1);
    expect(drive(r, 500).get('a3')).toBeUndefined();
    expect(r.explain().routes[0]?.endpoints.some((e) => e.id === 'a3')).toBe(false);
    await clock.advance(29_999);
    expect(drive(r, 500).get('a3')).toBeUndefined();
    await clock.advance(1);
    expect(r.explain().routes[0]?.endpoints.some((e) => e.id === 'a3')).toBe(true);
    // Back in the picker: a3 keeps the peak cost its failures left (~1.5 ms after 30 s of decay),
    // so it is picked once the others answer slower than that. (With every endpoint at 1 ms and the
    // clock standing still, whether it is picked hangs on an ulp of its cost against a0's.)
    expect(drive(r, 2000, () => 5).get('a3')).toBeGreaterThan(0);
  });

  it('panics below 50% healthy: spreads over all endpoints, ejected ones included', () => {
    // Round robin: which endpoints the route offers is the router's decision (peak-EWMA would
    // rightly prefer the endpoints that answered fastest).
    const r = router(new FakeClock(), {
      balancer: { name: 'round-robin' },
      health: { breaker: { enabled: false }, outlier: { maxEjectionPercent: 100 }, weights: 'none' },
    });
    r.update(Array.from({ length: 4 }, (_, i) => at(`a${i}`, 'r1', 'a')));
    for (const id of ['a0', 'a1', 'a2']) {
      for (let k = 0; k < 5; k++) r.stats(id)!.start().tracker.done('failure', 1);
    }
    expect(r.explain().totalPanic).toBe(true);
    expect(drive(r, 400).size).toBe(4);
  });

  it('excludes DOWN and DRAINING instances from new picks and says why', () => {
    const r = router(new FakeClock());
    r.update([
      at('a0', 'r1', 'a', { status: 'DOWN' }),
      at('a1', 'r1', 'a', { status: 'DRAINING' }),
      at('a2', 'r1', 'a'),
    ]);
    expect([...drive(r, 200).keys()]).toEqual(['a2']);
    expect(
      r
        .explain()
        .excluded.map((x) => x.id)
        .sort(),
    ).toEqual(['a0', 'a1']);
  });

  it('honours exclude: failover goes to another endpoint, then another tier', () => {
    const r = router(new FakeClock());
    r.update([at('a0', 'r1', 'a'), at('a1', 'r1', 'a'), at('b0', 'r1', 'b')]);
    const first = r.pick({ exclude: new Set(['a0']) });
    expect(first.kind === 'ok' && first.endpoint.id).toBe('a1');
    const second = r.pick({ exclude: new Set(['a0', 'a1']) });
    expect(second.kind === 'ok' && second.endpoint.id).toBe('b0');
    expect(r.pick({ exclude: new Set(['a0', 'a1', 'b0']) }).kind).toBe('fail');
  });

  it('a retry leaves the route that failed it, and stays near after a graceful refusal', () => {
    const r = router(new FakeClock());
    r.update(topology());
    const retry = (exclude: string[]) => {
      const result = r.pick({ exclude: new Set(exclude) });
      return result.kind === 'ok' ? result.endpoint.id : result.kind;
    };
    // a0 refused gracefully (unprocessed: no strike): the retry takes another endpoint of the zone.
    r.stats('a0')!.start().tracker.done('unprocessed', 0.1);
    for (let k = 0; k < 50; k++) expect(retry(['a0'])).toMatch(/^a[12]$/);
    // Two endpoints of the zone could not take the call: the third try goes to the next zone.
    for (let k = 0; k < 50; k++) expect(retry(['a0', 'a1'])).toMatch(/^b/);
    // a1 failed (a strike: refused connection, timeout): the very next try leaves the zone.
    r.stats('a1')!.start().tracker.done('failure', 0.1);
    for (let k = 0; k < 50; k++) expect(retry(['a1'])).toMatch(/^b/);
    // Nothing left elsewhere: back to what the failing route still has.
    r.update(topology().filter((i) => i.id.startsWith('a')));
    expect(retry(['a1'])).toMatch(/^a[02]$/);
  });

  it('a probe that cannot connect takes the endpoint out at once, past the ejection cap', async () => {
    const rtt = new RttTable(0.3, 2);
    const r = router(new FakeClock(), {}, 1, rtt);
    r.update(topology());
    for (const id of ['a0', 'a1', 'a2']) rtt.report(id, 0.5);
    for (const id of ['a0', 'a1', 'a2']) rtt.reportFailure(id);
    await Promise.resolve();
    expect(share(drive(r, 300), 'a')).toBe(1);
    // The second failed probe in a row: the whole zone is unreachable, far over 10% of the pool.
    for (const id of ['a0', 'a1', 'a2']) rtt.reportFailure(id);
    await Promise.resolve();
    expect(share(drive(r, 300), 'b')).toBe(1);
    expect(r.explain().tiers[0]).toMatchObject({ healthy: 0, total: 3 });
    expect(r.explainText()).toContain('unreachable (probe or transport connection)');
    rtt.report('a0', 0.5);
    await Promise.resolve();
    expect(drive(r, 300).get('a0')).toBeGreaterThan(0);
  });

  it('orders other regions by probed RTT', () => {
    const rtt = new RttTable();
    const r = router(new FakeClock(), {}, 1, rtt);
    rtt.report('far0', 80);
    rtt.report('near0', 20);
    r.update([at('far0', 'r3', 'f'), at('near0', 'r2', 'n')]);
    expect(r.explain().tiers.map((t) => t.name)).toEqual(['r2', 'r3']);
    expect(share(drive(r, 100), 'near')).toBe(1);
  });

  it('applies zone-aware residual routing from the caller spread (62.5% local, rest 2:1)', () => {
    const r = router(new FakeClock());
    const upstream = [
      ...[0, 1].map((i) => at(`a${i}`, 'r1', 'a')),
      ...[0, 1, 2, 3].map((i) => at(`b${i}`, 'r1', 'b')),
      ...[0, 1].map((i) => at(`c${i}`, 'r1', 'c')),
    ];
    const callers = [
      ...[0, 1, 2, 3].map((i) => at(`ca${i}`, 'r1', 'a', { service: 'caller' })),
      ...[0, 1, 2, 3].map((i) => at(`cb${i}`, 'r1', 'b', { service: 'caller' })),
      ...[0, 1].map((i) => at(`cc${i}`, 'r1', 'c', { service: 'caller' })),
    ];
    r.update(upstream, { callers });
    const table = r.explain();
    expect(table.zoneAware?.routing).toEqual({
      mode: 'residual',
      localPercentToRoute: 6250,
      residual: [0, 10000, 5000],
    });
    const shares = Object.fromEntries(table.routes.map((x) => [x.name, x.share]));
    expect(shares).toEqual({ 'r1/a': 0.625, 'r1/b': 0.25, 'r1/c': 0.125 });
    const counts = drive(r, 8000);
    expect(share(counts, 'a')).toBeCloseTo(0.625, 1);
    expect(share(counts, 'c')).toBeCloseTo(0.125, 1);
  });

  it('spills load smoothly to the next tier as the local tier slows down', async () => {
    const spillAt = async (localMs: number): Promise<number> => {
      const clock = new FakeClock();
      const r = router(clock, { loadSpill: { intervalMs: 100 } });
      r.update(topology());
      for (let round = 0; round < 40; round++) {
        drive(r, 50, (id) => (id.startsWith('a') ? localMs : 10));
        await clock.advance(100);
      }
      return r.explain().spill[0] ?? 0;
    };
    const spills: number[] = [];
    for (const ms of [10, 15, 20, 40, 80]) spills.push(await spillAt(ms));
    expect(spills[0]).toBe(0);
    for (let k = 1; k < spills.length; k++) expect(spills[k]!).toBeGreaterThanOrEqual(spills[k - 1]!);
    expect(spills[4]!).toBeGreaterThan(0.3);
    expect(spills[4]!).toBeLessThanOrEqual(0.8);
  });

  it('a slow endpoint the balancer avoids does not make its tier spill', async () => {
    const clock = new FakeClock();
    const r = router(clock, { loadSpill: { intervalMs: 100 } });
    r.update(topology());
    for (let round = 0; round < 40; round++) {
      drive(r, 50, (id) => (id === 'a0' ? 60 : id.startsWith('a') ? 10 : 13));
      await clock.advance(100);
    }
    const table = r.explain();
    expect(table.spill[0]).toBe(0);
    // The tier's latency is that of the calls it served (a0 took few of them).
    expect(table.tiers[0]?.latencyMs).toBeLessThan(15);
  });

  it('explains itself as data and text', () => {
    const r = router(new FakeClock());
    r.update(topology());
    drive(r, 10, () => 5);
    const text = r.explainText();
    expect(text).toContain('service svc from r1/a · balancer peak-ewma');
    expect(text).toContain('route r1/a [level 0] 100.0%');
    expect(text).toMatch(/a0 +127\.0\.0\.1:\d+ +r1\/a/);
    expect(r.explain().tiers.map((t) => t.kind)).toEqual(['zone', 'region', 'remote']);
  });

  it('never picks an ejected or DOWN endpoint while a healthy one exists outside panic', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            zone: fc.constantFrom('a', 'b', 'x'),
            down: fc.boolean(),
            fail: fc.boolean(),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        fc.integer(),
        (shapes, seed) => {
          const clock = new FakeClock();
          const r = router(
            clock,
            { health: { breaker: { enabled: false }, outlier: { maxEjectionPercent: 100 } } },
            seed,
          );
          const instances = shapes.map((s, i) =>
            at(`e${i}`, s.zone === 'x' ? 'r2' : 'r1', s.zone, { status: s.down ? 'DOWN' : 'UP' }),
          );
          r.update(instances);
          shapes.forEach((s, i) => {
            const stats = r.stats(`e${i}`);
            if (s.fail && stats) for (let k = 0; k < 5; k++) stats.start().tracker.done('failure', 1);
          });
          const table = r.explain();
          const healthyExists = shapes.some((s) => !s.down && !s.fail);
          for (let k = 0; k < 50; k++) {
            const result = r.pick();
            if (!healthyExists) continue;
            expect(result.kind).toBe('ok');
            if (result.kind !== 'ok') return;
            const shape = shapes[Number(result.endpoint.id.slice(1))]!;
            expect(shape.down).toBe(false);
            const inPanic =
              table.totalPanic ||
              table.routes.some((x) => x.panic && x.endpoints.some((e) => e.id === result.endpoint.id));
            if (!inPanic) expect(shape.fail).toBe(false);
            result.tracker.done('success', 1);
          }
          r.close();
        },
      ),
      { numRuns: 200 },
    );
  });
});
