import { ConsecutiveBreaker, FailureRateBreaker, type BreakerAlgorithm } from './breaker/algorithm.js';
import { BreakerStateMachine } from './breaker/state-machine.js';
import type { EndpointStats, HealthHooks } from './endpoint-stats.js';
import { resolveWeightScheme, type HealthOptions, type WeightScheme } from './options.js';

/** The pool facts outlier detection needs to respect its ejection cap. */
export interface PoolView {
  /** Endpoints that count toward the ejection cap (listed, not DOWN). */
  readonly size: number;
  /** Endpoints currently ejected. */
  ejected: number;
}

/**
 * Passive health for one pool, fed by call outcomes: Envoy's consecutive-failure outlier ejection
 * (capped share, ejection time growing with repeat ejections), health weights that drop on failure
 * and recover step by step, and a per-endpoint circuit breaker.
 *
 * Nothing here sets timers: time-driven changes (ejection ends, breaker half-opens, a weight climbs
 * back into the pool) happen in {@link HealthPolicy.refresh}, which the owner calls at the time
 * {@link HealthPolicy.nextChange} names. `changed` fires whenever an endpoint's availability flips,
 * so the router can rebuild its picker.
 *
 * Active health sits beside it: an endpoint the prober cannot connect to is `unreachable` (set by the
 * router from its RTT source) and takes no new calls until a probe connects again. Unlike ejection
 * that is not capped by `maxEjectionPercent`: a refused connection is a fact, not a statistical
 * guess, and a whole dead zone must leave the pool at once.
 */
export class HealthPolicy implements HealthHooks {
  readonly weights: WeightScheme;

  constructor(
    readonly options: HealthOptions,
    private readonly pool: PoolView,
    private readonly changed: () => void,
  ) {
    this.weights = resolveWeightScheme(options.weights);
  }

  /** A breaker for a new endpoint, or undefined when breakers are off. */
  createBreaker(): BreakerStateMachine | undefined {
    const b = this.options.breaker;
    if (!b.enabled) return undefined;
    const a = b.algorithm;
    const algorithm: BreakerAlgorithm =
      a.kind === 'consecutive'
        ? new ConsecutiveBreaker(a.threshold)
        : new FailureRateBreaker(a.threshold, a.minCalls, a.windowMs);
    return new BreakerStateMachine(algorithm, {
      openMs: b.openMs,
      maxOpenMs: b.maxOpenMs,
      halfOpenProbes: b.halfOpenProbes,
    });
  }

  onSuccess(s: EndpointStats, now: number, probe: boolean): void {
    s.consecutiveFailures = 0;
    this.recoverWeight(s, now, this.weights.recoverPerSuccess);
    s.breaker?.onSuccess(now, probe);
    this.settle(s);
  }

  onFailure(s: EndpointStats, now: number, probe: boolean): void {
    this.recoverWeight(s, now, 0);
    const w = this.weights;
    if (w.penalty > 0) {
      s.weightFactor = Math.max(w.floor, s.weightFactor - w.penalty);
      s.updateLoadDivisor();
    }
    s.breaker?.onFailure(now, probe);
    const o = this.options.outlier;
    if (o.enabled && s.ejectedUntil === 0 && s.consecutiveFailures >= o.consecutiveFailures) {
      const cap = Math.max(1, Math.floor((this.pool.size * o.maxEjectionPercent) / 100));
      if (this.pool.ejected < cap) {
        s.timesEjected++;
        // Envoy: each healthy interval took one off the multiplier; it grows by one per ejection
        // until base × it reaches max + base, so it never needs more than that many intervals to fall.
        const healthyIntervals = o.intervalMs > 0 ? Math.floor((now - s.inPoolSince) / o.intervalMs) : 0;
        s.ejectionMultiplier = Math.max(0, s.ejectionMultiplier - healthyIntervals);
        if (s.ejectionMultiplier * o.baseEjectionMs < o.maxEjectionMs + o.baseEjectionMs)
          s.ejectionMultiplier++;
        const ms = Math.min(
          Math.max(o.baseEjectionMs, o.maxEjectionMs),
          o.baseEjectionMs * s.ejectionMultiplier,
        );
        s.ejectedUntil = now + ms;
        s.ejectionReason = `${s.consecutiveFailures} consecutive failures (ejection #${s.timesEjected})`;
        this.pool.ejected++;
      }
    }
    this.settle(s);
  }

  onStart(s: EndpointStats): void {
    s.breaker?.onStart();
    this.settle(s);
  }

  onAbandon(s: EndpointStats): void {
    s.breaker?.onAbandon();
    this.settle(s);
  }

  /** Applies the passage of time to one endpoint (ejection end, half-open, weight recovery). */
  refresh(s: EndpointStats, now: number): void {
    if (s.ejectedUntil !== 0 && now >= s.ejectedUntil) this.unEject(s, s.ejectedUntil);
    s.breaker?.refresh(now);
    this.recoverWeight(s, now, 0);
    this.settle(s);
  }

  /** Clock time of the next time-driven change for `s`, or Infinity. */
  nextChange(s: EndpointStats): number {
    let next = s.ejectedUntil !== 0 ? s.ejectedUntil : Infinity;
    const b = s.breaker;
    if (b !== undefined && b.state === 'open' && b.openUntil < next) next = b.openUntil;
    const w = this.weights;
    if (s.weightFactor < w.outBelow && w.recoverPerSecond > 0) {
      const back = s.weightChangedAt + ((w.outBelow - s.weightFactor) / w.recoverPerSecond) * 1000;
      if (back < next) next = back;
    }
    return next;
  }

  /** The endpoint leaves the pool for good: release its ejection slot. */
  forget(s: EndpointStats): void {
    if (s.ejectedUntil !== 0) this.unEject(s, s.ejectedUntil);
  }

  /** Ends an ejection; `backAt` is when the endpoint is back in the pool (its ejection's end). */
  private unEject(s: EndpointStats, backAt: number): void {
    s.ejectedUntil = 0;
    s.inPoolSince = backAt;
    s.ejectionReason = '';
    s.consecutiveFailures = 0;
    if (this.pool.ejected > 0) this.pool.ejected--;
  }

  private recoverWeight(s: EndpointStats, now: number, step: number): void {
    const w = this.weights;
    if (s.weightFactor < 1) {
      const byTime = (w.recoverPerSecond * Math.max(0, now - s.weightChangedAt)) / 1000;
      s.weightFactor = Math.min(1, s.weightFactor + byTime + step);
      s.updateLoadDivisor();
    }
    s.weightChangedAt = now;
  }

  /** Recomputes the derived flags; reports a change of availability. */
  private settle(s: EndpointStats): void {
    const b = s.breaker;
    const available =
      s.ejectedUntil === 0 &&
      !s.unreachable &&
      (b === undefined || b.admits()) &&
      s.weightFactor >= this.weights.outBelow;
    s.gated = b !== undefined && b.state === 'half-open';
    s.debt = s.consecutiveFailures > 0 || s.weightFactor < 1 || (b !== undefined && b.state !== 'closed');
    if (available !== s.available) {
      s.available = available;
      this.changed();
    }
  }
}
