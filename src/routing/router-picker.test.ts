import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/testing/fake-clock.js';
import { seededRandom } from '../core/random.js';
import { testInstance } from '../balancer/testing/endpoints.js';
import { createRouter } from './router.js';

const zones = [
  ['r1', 'a'],
  ['r1', 'b'],
  ['r1', 'c'],
  ['r2', 'x'],
] as const;
/** The route each zone falls in, from r1/a (without zone-aware routing b and c share one). */
const routeOf = [0, 1, 1, 2];

describe('router retries', () => {
  it('never pick a tried endpoint while an untried usable one exists, and leave the routes that failed them when they can', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            zone: fc.integer({ min: 0, max: zones.length - 1 }),
            tried: fc.boolean(),
            failed: fc.boolean(),
          }),
          { minLength: 1, maxLength: 24 },
        ),
        fc.integer(),
        (shapes, seed) => {
          const r = createRouter({
            service: 'svc',
            locality: { region: 'r1', zone: 'a' },
            clock: new FakeClock(),
            random: seededRandom(seed),
            health: { outlier: { enabled: false }, breaker: { enabled: false }, weights: 'none' },
          });
          const ids = shapes.map((_, i) => `e${i}`);
          r.update(
            shapes.map((s, i) => {
              const [region, zone] = zones[s.zone]!;
              return testInstance(ids[i]!, { locality: { region, zone } });
            }),
          );
          // A tried endpoint that failed carries a strike (health rules off: it stays usable).
          shapes.forEach((s, i) => {
            if (s.tried && s.failed) r.stats(ids[i]!)!.start().tracker.done('failure', 1);
          });
          const exclude = new Set(ids.filter((_, i) => shapes[i]!.tried));
          // Routes the call should leave: one of its tries there failed, or it tried two there.
          const left = new Set<number>();
          for (const route of [0, 1, 2]) {
            const tries = shapes.filter((s) => s.tried && routeOf[s.zone] === route);
            if (tries.some((s) => s.failed) || tries.length >= 2) left.add(route);
          }
          const untried = shapes.filter((s) => !s.tried);
          for (let k = 0; k < 20; k++) {
            const result = r.pick({ exclude });
            if (untried.length === 0) {
              expect(result.kind).toBe('fail');
              continue;
            }
            expect(result.kind).toBe('ok');
            if (result.kind !== 'ok') return;
            const shape = shapes[Number(result.endpoint.id.slice(1))]!;
            expect(shape.tried).toBe(false);
            // Somewhere untried outside the routes to leave: the retry goes there.
            if (untried.some((s) => !left.has(routeOf[s.zone]!)))
              expect(left.has(routeOf[shape.zone]!)).toBe(false);
            result.tracker.done('success', 1);
          }
          r.close();
        },
      ),
      { numRuns: 300 },
    );
  });
});
