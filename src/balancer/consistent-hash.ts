import type { EndpointStats } from '../health/endpoint-stats.js';
import type { Balancer, BalancerDeps } from './balancer.js';
import { hash32 } from './hash.js';
import { noEndpoints, scanFrom, usable } from './pick-support.js';
import type { PickContext, Picker, PickResult } from './picker.js';

/** Options of the bounded-load hash ring. */
export interface ConsistentHashOptions {
  /** Virtual nodes per endpoint: more → more even shares, bigger ring. */
  readonly vnodes: number;
  /**
   * Bounded load factor c (Mirrokni, Thorup, Zadimoghaddam): no endpoint takes more than
   * ⌈c · (in-flight + 1) / n⌉ calls at once; the excess walks the ring to the next endpoint.
   */
  readonly loadFactor: number;
}

/**
 * Consistent hashing on a ring of virtual nodes, keyed by `PickContext.hashKey` (calls without a
 * key pick at random). When one of n endpoints leaves, only the keys it owned move. With bounded
 * load, a hot key spills clockwise instead of overloading its owner.
 */
export function consistentHashBalancer(options: ConsistentHashOptions, deps: BalancerDeps): Balancer {
  return {
    name: 'consistent-hash',
    build: (endpoints, build) => new RingPicker(endpoints, options, deps, build?.panic ?? false),
  };
}

class RingPicker implements Picker {
  private readonly endpoints: readonly EndpointStats[];
  private readonly points: Uint32Array;
  private readonly owners: Int32Array;
  private readonly fail = noEndpoints();

  constructor(
    endpoints: readonly EndpointStats[],
    private readonly options: ConsistentHashOptions,
    private readonly deps: BalancerDeps,
    private readonly panic: boolean,
  ) {
    this.endpoints = endpoints.slice();
    const ring: Array<[number, number]> = [];
    this.endpoints.forEach((s, index) => {
      for (let v = 0; v < options.vnodes; v++) ring.push([hash32(`${s.id}#${v}`), index]);
    });
    // Ties broken by id order so the ring does not depend on snapshot order.
    ring.sort((x, y) => x[0] - y[0] || this.endpoints[x[1]]!.id.localeCompare(this.endpoints[y[1]]!.id));
    this.points = Uint32Array.from(ring, (p) => p[0]);
    this.owners = Int32Array.from(ring, (p) => p[1]);
  }

  pick(context?: PickContext): PickResult {
    const n = this.endpoints.length;
    if (n === 0) return this.fail;
    const key = context?.hashKey;
    if (key === undefined) {
      const i = (this.deps.random() * n) | 0;
      return scanFrom(this.endpoints, i, context, this.panic) ?? this.fail;
    }
    const points = this.points;
    const size = points.length;
    let at = lowerBound(points, hash32(key));
    // Walk clockwise until an endpoint is usable and under capacity; n distinct owners at most.
    // Capacity is ≥ 1, so an idle endpoint always qualifies: the in-flight total (read from the
    // endpoints themselves, so every picker over them agrees) is summed only when one is busy.
    let capacity = 0;
    let fallback: EndpointStats | undefined;
    for (let step = 0; step < size; step++, at++) {
      if (at === size) at = 0;
      const s = this.endpoints[this.owners[at]!]!;
      if (!usable(s, context, this.panic)) continue;
      if (s.pending === 0) return s.start();
      if (capacity === 0) capacity = this.capacity();
      if (s.pending < capacity) return s.start();
      fallback ??= s;
    }
    return fallback !== undefined ? fallback.start() : this.fail;
  }

  private capacity(): number {
    return boundedCapacity(this.endpoints, this.options.loadFactor);
  }
}

/** The bound ⌈c · (in-flight + 1) / n⌉ over this ring's endpoints. */
function boundedCapacity(endpoints: readonly EndpointStats[], loadFactor: number): number {
  let inFlight = 0;
  for (let i = 0; i < endpoints.length; i++) inFlight += endpoints[i]!.pending;
  return Math.ceil((loadFactor * (inFlight + 1)) / endpoints.length);
}

function lowerBound(points: Uint32Array, value: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
