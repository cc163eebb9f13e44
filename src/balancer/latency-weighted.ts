import type { EndpointStats } from '../health/endpoint-stats.js';
import type { Balancer, BalancerDeps } from './balancer.js';
import { noEndpoints, scanFrom, searchCumulative, usable } from './pick-support.js';
import type { PickContext, Picker, PickResult } from './picker.js';

/** Options of the latency-weighted balancer. */
export interface LatencyWeightedOptions {
  /** `latency`: the peak-EWMA of call latency; `rtt`: the prober's RTT (latency until probed). */
  readonly source: 'latency' | 'rtt';
  /** Weight ∝ registered weight / latency^exponent. */
  readonly exponent: number;
  /** Latencies below this count as this (a 0.01 ms endpoint must not take everything). */
  readonly floorMs: number;
  /** How often the weights are recomputed from live measurements. */
  readonly refreshMs: number;
}

/**
 * Random picks weighted by measured speed: each endpoint's (health-adjusted) weight divided by its
 * latency^exponent, recomputed every `refreshMs` of pool time. Unlike "always the fastest" it
 * spreads load in proportion, so a fast endpoint is favoured without being herded.
 */
export function latencyWeightedBalancer(options: LatencyWeightedOptions, deps: BalancerDeps): Balancer {
  return {
    name: 'latency-weighted',
    build: (endpoints, build) => new LatencyWeightedPicker(endpoints, options, deps, build?.panic ?? false),
  };
}

class LatencyWeightedPicker implements Picker {
  private readonly endpoints: readonly EndpointStats[];
  private readonly cumulative: Float64Array;
  private total = 0;
  private refreshedAt = Number.NEGATIVE_INFINITY;
  private readonly fail = noEndpoints();

  constructor(
    endpoints: readonly EndpointStats[],
    private readonly options: LatencyWeightedOptions,
    private readonly deps: BalancerDeps,
    private readonly panic: boolean,
  ) {
    this.endpoints = endpoints.slice();
    this.cumulative = new Float64Array(this.endpoints.length);
  }

  pick(context?: PickContext): PickResult {
    const endpoints = this.endpoints;
    const n = endpoints.length;
    if (n === 0) return this.fail;
    const now = endpoints[0]!.poolNow;
    if (now - this.refreshedAt >= this.options.refreshMs) this.refresh(now);
    const i = this.total > 0 ? searchCumulative(this.cumulative, this.deps.random() * this.total) : 0;
    const s = endpoints[i]!;
    if (usable(s, context, this.panic)) return s.start();
    return scanFrom(endpoints, i + 1, context, this.panic) ?? this.fail;
  }

  private refresh(now: number): void {
    const { source, exponent, floorMs } = this.options;
    let total = 0;
    for (let i = 0; i < this.endpoints.length; i++) {
      const s = this.endpoints[i]!;
      const measured = source === 'rtt' && s.rttMs !== undefined ? s.rttMs : s.costAt(now);
      total += s.effectiveWeight / Math.max(floorMs, measured) ** exponent;
      this.cumulative[i] = total;
    }
    this.total = total;
    this.refreshedAt = now;
  }
}
