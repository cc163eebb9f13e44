import { describe, expect, it } from 'vitest';
import { balancerSpecSchema, createBalancer } from '../../src/balancer/factory.js';
import type { PickResult } from '../../src/balancer/picker.js';
import { testEndpoints, testPool } from '../../src/balancer/testing/endpoints.js';
import { seededRandom } from '../../src/core/random.js';
import { FakeClock } from '../../src/core/testing/fake-clock.js';

/**
 * nginx's smooth weighted round robin (`src/http/ngx_http_upstream_round_robin.c`,
 * `ngx_http_upstream_get_peer` and `ngx_http_upstream_free_round_robin_peer`).
 *
 * `{5, 1, 1} → a a b a c a a` is published in nginx's changeset "Upstream: smooth weighted
 * round-robin balancing" (r4622, merged in 21ad7d04, 2012). nginx has no unit tests for the
 * balancer, so the other sequences were worked by hand through the C loop above, in its integer
 * arithmetic: for each peer `current += effective; total += effective; if (effective < weight)
 * effective++`; pick the greatest `current`; `best.current -= total`; a failure does
 * `effective -= weight / max_fails` (not below 0). Letters are peers in configuration order.
 */

const LETTERS = 'abcdefgh';

function picker(weights: readonly number[], maxFails = 1) {
  const clock = new FakeClock();
  const pool = testPool(clock, { breaker: { enabled: false }, outlier: { enabled: false }, weights: 'none' });
  const stats = pool.sync(testEndpoints(weights.length, (i) => ({ weight: weights[i]! })));
  const spec = balancerSpecSchema().parse({ name: 'weighted-round-robin', maxFails });
  return createBalancer(spec, { clock, random: seededRandom(1) }).build(stats);
}

function letter(result: PickResult): string {
  if (result.kind !== 'ok') throw new Error(`expected a pick, got ${result.kind}`);
  return LETTERS[Number(result.endpoint.id.slice(1))]!;
}

describe('nginx smooth weighted round robin', () => {
  it.each([
    [[5, 1, 1], 'aabacaa'],
    [[1, 1, 1], 'abc'],
    [[2, 1], 'aba'],
    [[3, 1], 'aaba'],
    [[3, 2], 'ababa'],
    [[4, 2, 1], 'abacaba'],
    [[1, 2, 3], 'cbacbc'],
    [[2, 2, 1], 'abcab'],
  ] as const)('weights %j → %s, and the cycle repeats', (weights, sequence) => {
    const p = picker(weights);
    const twice = Array.from({ length: 2 * sequence.length }, () => letter(p.pick())).join('');
    expect(twice).toBe(sequence + sequence);
  });

  it('{5,1,1}, a fails on the first pick (max_fails 1): a b c b a a c a a b a a a c', () => {
    const p = picker([5, 1, 1], 1);
    const out: string[] = [];
    for (let k = 0; k < 14; k++) {
      const result = p.pick();
      out.push(letter(result));
      if (result.kind === 'ok') result.tracker.done(k === 0 ? 'failure' : 'success', 1);
    }
    expect(out.join('')).toBe('abcbaacaabaaac');
  });

  it('recovery stops at the weight: after a failure the shares return to exactly 5:1:1', () => {
    // max_fails 2: the failure takes 2.5 off a (nginx, in integers: 2); recovery adds 1 per pick
    // up to 5 and no further (`if (effective_weight < weight)`), so every later cycle of 7 picks
    // holds exactly five a's.
    const p = picker([5, 1, 1], 2);
    const first = p.pick();
    if (first.kind === 'ok') first.tracker.done('failure', 1);
    for (let k = 0; k < 50; k++) p.pick();
    let a = 0;
    for (let k = 0; k < 700; k++) if (letter(p.pick()) === 'a') a++;
    expect(a).toBe(500);
  });
});
