import type { EndpointStats } from '../health/endpoint-stats.js';
import type { Balancer, BalancerDeps } from './balancer.js';
import { noEndpoints, scanFrom, searchCumulative, usable } from './pick-support.js';
import type { PickContext, Picker, PickResult } from './picker.js';

/**
 * Uniform random picks, or weight-proportional ones when weights differ (health-adjusted weights
 * captured when the picker is built).
 */
export function randomBalancer(deps: BalancerDeps): Balancer {
  return {
    name: 'random',
    build: (endpoints, build) => new RandomPicker(endpoints, deps, build?.panic ?? false),
  };
}

class RandomPicker implements Picker {
  private readonly endpoints: readonly EndpointStats[];
  private readonly cumulative: Float64Array | undefined;
  private readonly total: number;
  private readonly fail = noEndpoints();

  constructor(
    endpoints: readonly EndpointStats[],
    private readonly deps: BalancerDeps,
    private readonly panic: boolean,
  ) {
    this.endpoints = endpoints.slice();
    const weights = this.endpoints.map((s) => s.effectiveWeight);
    const equal = weights.every((w) => w === weights[0]);
    let total = 0;
    this.cumulative = equal ? undefined : Float64Array.from(weights, (w) => (total += w));
    this.total = total;
  }

  pick(context?: PickContext): PickResult {
    const n = this.endpoints.length;
    if (n === 0) return this.fail;
    const r = this.deps.random();
    const i = this.cumulative === undefined ? (r * n) | 0 : searchCumulative(this.cumulative, r * this.total);
    const s = this.endpoints[i]!;
    if (usable(s, context, this.panic)) return s.start();
    return scanFrom(this.endpoints, i + 1, context, this.panic) ?? this.fail;
  }
}
