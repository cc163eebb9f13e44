import type { EndpointStats } from '../health/endpoint-stats.js';
import type { Balancer, BalancerDeps } from './balancer.js';
import { noEndpoints, scanFrom, usable } from './pick-support.js';
import type { PickContext, Picker, PickResult } from './picker.js';

/** How a power-of-two-choices picker scores an endpoint: lower is better. */
export type LoadOf = (s: EndpointStats) => number;

/** Least outstanding requests per unit of (health-adjusted) weight. */
export const requestLoad: LoadOf = (s) => (s.pending + 1) / s.loadDivisor;

/** Finagle's peak-EWMA load: decayed latency cost × (pending + 1), per unit of weight. */
export const peakEwmaLoad: LoadOf = (s) => s.currentLoad();

/** True when `b` has strictly lower load than `a`. */
export type Lower = (a: EndpointStats, b: EndpointStats) => boolean;

/** Compares by a load function. */
export const byLoad =
  (loadOf: LoadOf): Lower =>
  (a, b) =>
    loadOf(b) < loadOf(a);

/**
 * `peakEwmaLoad(b) < peakEwmaLoad(a)`: both candidates' costs are read the peers' way, decaying the
 * stored cost to the pool's last clock reading (no clock read) before the loads are compared. The
 * divisors (weight shares, always > 0) are cross-multiplied instead of divided: the same order.
 */
export const peakEwmaLower: Lower = (a, b) =>
  a.unweightedLoad() * b.loadDivisor > b.unweightedLoad() * a.loadDivisor;

/**
 * Power of two choices (Mitzenmacher): draw two distinct endpoints at random and take the one with
 * the lower load. Never picks the worse of the two; avoids the herd that "always the least loaded"
 * causes when many callers share stale load views.
 */
export function leastRequestBalancer(deps: BalancerDeps): Balancer {
  return {
    name: 'least-request',
    build: (endpoints, build) =>
      new TwoChoicesPicker(endpoints, deps, byLoad(requestLoad), build?.panic ?? false),
  };
}

/** Power of two choices over peak-EWMA load: the default balancer inside a tier. */
export function peakEwmaBalancer(deps: BalancerDeps): Balancer {
  return {
    name: 'peak-ewma',
    build: (endpoints, build) => new TwoChoicesPicker(endpoints, deps, peakEwmaLower, build?.panic ?? false),
  };
}

/** The shared P2C picker, parameterised by the load comparison. */
export class TwoChoicesPicker implements Picker {
  private readonly endpoints: readonly EndpointStats[];
  private readonly fail = noEndpoints();

  constructor(
    endpoints: readonly EndpointStats[],
    private readonly deps: BalancerDeps,
    private readonly lower: Lower,
    private readonly panic: boolean,
  ) {
    this.endpoints = endpoints.slice();
  }

  pick(context?: PickContext): PickResult {
    const endpoints = this.endpoints;
    const n = endpoints.length;
    if (n < 2) {
      const only = endpoints[0];
      return only !== undefined && usable(only, context, this.panic) ? only.start() : this.fail;
    }
    const random = this.deps.random;
    const i = (random() * n) | 0;
    let j = (random() * (n - 1)) | 0;
    // j skips i: `+1` when j >= i, without a branch (its outcome is a coin flip, a mispredict
    // every other pick).
    j += 1 - ((j - i) >>> 31);
    const a = endpoints[i]!;
    const b = endpoints[j]!;
    const okA = usable(a, context, this.panic);
    const okB = usable(b, context, this.panic);
    // One `start()` call site: the optimizer inlines it once instead of running out of budget.
    const chosen = okA ? (okB && this.lower(a, b) ? b : a) : okB ? b : undefined;
    if (chosen !== undefined) return chosen.start();
    return scanFrom(endpoints, j + 1, context, this.panic) ?? this.fail;
  }
}
