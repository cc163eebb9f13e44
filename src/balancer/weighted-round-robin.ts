import type { EndpointStats } from '../health/endpoint-stats.js';
import type { Balancer } from './balancer.js';
import { noEndpoints, usable } from './pick-support.js';
import type { PickContext, Picker, PickResult } from './picker.js';

/** Options of nginx's smooth weighted round robin. */
export interface WeightedRoundRobinOptions {
  /** A failure lowers the effective weight by `weight / maxFails` (nginx's `max_fails`). */
  readonly maxFails: number;
}

/**
 * nginx's smooth weighted round robin: every pick adds each endpoint's effective weight to its
 * current weight, picks the largest current and subtracts the total from it. Over a cycle of
 * Σweights picks each endpoint is chosen exactly `weight` times, interleaved rather than in runs.
 * A failure drops the effective weight by `weight / maxFails`; it climbs back by 1 per pick, never
 * past the weight (nginx: `if (effective_weight < weight) effective_weight++`, in integers, so it
 * lands on the weight; ours are fractional and are capped there). Weights are the health-adjusted
 * weights at build time.
 */
export function weightedRoundRobinBalancer(options: WeightedRoundRobinOptions): Balancer {
  return {
    name: 'weighted-round-robin',
    build: (endpoints, build) => new SmoothWeightedPicker(endpoints, options.maxFails, build?.panic ?? false),
  };
}

class SmoothWeightedPicker implements Picker {
  private readonly endpoints: readonly EndpointStats[];
  private readonly weight: Float64Array;
  private readonly effective: Float64Array;
  private readonly current: Float64Array;
  /** Failures already charged to the effective weight, per endpoint. */
  private readonly seenFailures: Float64Array;
  private readonly fail = noEndpoints();

  constructor(
    endpoints: readonly EndpointStats[],
    private readonly maxFails: number,
    private readonly panic: boolean,
  ) {
    this.endpoints = endpoints.slice();
    this.weight = Float64Array.from(this.endpoints, (s) => s.effectiveWeight);
    this.effective = Float64Array.from(this.weight);
    this.current = new Float64Array(this.endpoints.length);
    this.seenFailures = Float64Array.from(this.endpoints, (s) => s.failures);
  }

  pick(context?: PickContext): PickResult {
    const { endpoints, weight, effective, current, seenFailures } = this;
    let best = -1;
    let total = 0;
    for (let i = 0; i < endpoints.length; i++) {
      const s = endpoints[i]!;
      const failures = s.failures;
      if (failures !== seenFailures[i]) {
        const fresh = failures - seenFailures[i]!;
        seenFailures[i] = failures;
        effective[i] = Math.max(0, effective[i]! - (fresh * weight[i]!) / this.maxFails);
      }
      if (!usable(s, context, this.panic)) continue;
      const e = effective[i]!;
      current[i]! += e;
      total += e;
      if (e < weight[i]!) effective[i] = Math.min(weight[i]!, e + 1);
      if (best < 0 || current[i]! > current[best]!) best = i;
    }
    if (best < 0) return this.fail;
    current[best]! -= total;
    return endpoints[best]!.start();
  }
}
