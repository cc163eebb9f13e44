import type { Clock } from '../core/clock.js';
import type { Endpoint } from '../balancer/picker.js';
import { EndpointStats, type StatsHost } from './endpoint-stats.js';
import { HealthPolicy, type PoolView } from './health-policy.js';
import type { HealthOptions } from './options.js';

/**
 * The statistics of one service's endpoints, keyed by instance id and kept across snapshot
 * updates: a registry update that changes an instance's weight or status must not forget its
 * latency, pending calls or ejection. Owns the {@link HealthPolicy} those statistics feed.
 */
export class StatsPool implements StatsHost, PoolView {
  // NaN until the constructor reads the clock: a fraction from the start spares a heap number per store.
  now = Number.NaN;
  ejected = 0;
  readonly tauMs: number;
  readonly perTauMs: number;
  readonly minSampleWeight: number;
  readonly health: HealthPolicy;
  private readonly byId = new Map<string, EndpointStats>();
  private current: readonly EndpointStats[] = [];

  /** `onChange` runs whenever an endpoint's availability flips (rebuild the picker). */
  constructor(
    readonly clock: Clock,
    readonly options: HealthOptions,
    onChange: () => void,
  ) {
    this.now = clock.now();
    this.tauMs = options.ewmaTauMs;
    this.perTauMs = 1 / options.ewmaTauMs;
    this.minSampleWeight = options.ewmaMinSampleWeight;
    this.health = new HealthPolicy(options, this, onChange);
  }

  /** Endpoints listed in the current snapshot. */
  get size(): number {
    return this.current.length;
  }

  /** The current snapshot's statistics, in snapshot order. */
  get all(): readonly EndpointStats[] {
    return this.current;
  }

  get(id: string): EndpointStats | undefined {
    return this.byId.get(id);
  }

  /** Adopts a new snapshot: keeps statistics of known ids, creates new ones, drops the departed. */
  sync(endpoints: readonly Endpoint[]): readonly EndpointStats[] {
    const next: EndpointStats[] = [];
    const seen = new Set<string>();
    for (const endpoint of endpoints) {
      if (seen.has(endpoint.id)) continue;
      seen.add(endpoint.id);
      let stats = this.byId.get(endpoint.id);
      if (stats === undefined) {
        stats = new EndpointStats(endpoint, this, this.options.initialCostMs, this.health.createBreaker());
        this.byId.set(endpoint.id, stats);
      } else {
        stats.setEndpoint(endpoint);
      }
      next.push(stats);
    }
    for (const [id, stats] of this.byId) {
      if (!seen.has(id)) {
        this.health.forget(stats);
        this.byId.delete(id);
      }
    }
    this.current = next;
    return next;
  }

  /** Applies time-driven health changes to every endpoint; returns when the next one is due. */
  refresh(now = this.clock.now()): number {
    this.now = Math.max(this.now, now);
    let next = Infinity;
    for (const stats of this.current) {
      this.health.refresh(stats, now);
      const at = this.health.nextChange(stats);
      if (at < next) next = at;
    }
    return next;
  }
}
