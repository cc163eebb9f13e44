import type { Clock } from '../core/clock.js';
import type { CallTracker, Endpoint, OutcomeKind, PickResult } from '../balancer/picker.js';
import type { BreakerStateMachine } from './breaker/state-machine.js';

/**
 * Below this Δt/τ, {@link decayFactor} evaluates a polynomial instead of calling `Math.exp`. At
 * 2^-8 the degree-5 Taylor polynomial's truncation error (x⁶/720 < 5·10⁻¹⁸) is far under half an
 * ulp of the result (~1), so it agrees with `Math.exp` to within one ulp (a test holds it).
 */
const POLY_DECAY_LIMIT = 2 ** -8;

/**
 * The peak-EWMA decay weight `exp(-dtMs / tauMs)` for `dtMs > 0`. Picks read two costs and `done`
 * folds one sample, each decaying over the Δt since that endpoint's cost last moved; on a busy
 * endpoint Δt is a few ms against τ = 10 s, where a short polynomial costs a third of a call into
 * `Math.exp` (V8 calls out to C for it) and gives the same value within an ulp. Longer gaps take
 * `Math.exp` itself.
 */
export function decayFactor(dtMs: number, tauMs: number): number {
  return decayOf(dtMs / tauMs);
}

/** `exp(-x)` for `x = Δt/τ > 0`, as {@link decayFactor}; endpoints pass `Δt × (1/τ)` (no division). */
export function decayOf(x: number): number {
  if (x >= POLY_DECAY_LIMIT) return Math.exp(-x);
  return 1 - x * (1 - x * (1 / 2 - x * (1 / 6 - x * (1 / 24 - x / 120))));
}

/** The `ok` variant of {@link PickResult}; each endpoint pre-allocates its own. */
export type OkPick = Extract<PickResult, { kind: 'ok' }>;

/**
 * What endpoint statistics need from the pool that owns them: the clock, the last time read from
 * it and the health rules.
 */
export interface StatsHost {
  readonly clock: Clock;
  /** The most recent clock reading taken by any endpoint; picks use it instead of reading the clock. */
  now: number;
  /** Peak-EWMA decay constant τ in ms. */
  readonly tauMs: number;
  /** `1 / tauMs`: a decay multiplies by it instead of dividing. */
  readonly perTauMs: number;
  /** The least weight one latency sample gets in the peak-EWMA, however close it follows the last. */
  readonly minSampleWeight: number;
  readonly health: HealthHooks;
}

/** Health rules that react to outcomes (implemented by `HealthPolicy`). */
export interface HealthHooks {
  /**
   * A success on an endpoint carrying health debt (strikes, lowered weight, breaker not closed).
   * `probe`: the call was started while the endpoint was gated (a half-open probe).
   */
  onSuccess(stats: EndpointStats, now: number, probe: boolean): void;
  /** A failure or timeout; `probe` as for `onSuccess`. */
  onFailure(stats: EndpointStats, now: number, probe: boolean): void;
  /** A call started on a gated endpoint (half-open breaker). */
  onStart(stats: EndpointStats): void;
  /** A probe call (started on a gated endpoint) ended without a verdict. */
  onAbandon(stats: EndpointStats): void;
}

/**
 * One endpoint's live statistics, allocated once per instance id and kept across snapshot updates.
 * It is also the endpoint's {@link CallTracker}: an `ok` pick hands out this object and the
 * pre-allocated {@link EndpointStats.result}, so picking and reporting allocate nothing.
 *
 * Latency is tracked as Finagle's / tower's peak-EWMA: `cost` jumps to any slower sample and decays
 * toward faster ones with `w = exp(-Δt/τ)`, where Δt is the time since the cost was last updated.
 * Reading the cost for a pick updates it too (Finagle's `get()` observes a 0 sample; tower's `load()`
 * calls `decay`): the stored cost decays toward 0 and its timestamp moves to the pick, so the next
 * sample is compared with, and blended into, the decayed cost — an endpoint that stopped being
 * picked is tried again, and a peak fades with time even on an endpoint nobody samples.
 * One departure from the peers: `w` is capped at `1 − minSampleWeight`, so a peak is forgotten after
 * some twenty samples however busy the endpoint (docs/routing.md, "Deviations", has its measured
 * effect); `minSampleWeight: 0` is the peers' rule exactly.
 *
 * Besides the cost, calls add their latency to {@link EndpointStats.latencySum} /
 * {@link EndpointStats.latencyCount}: the router's load-aware spill reads and resets them to get
 * each tier's mean latency, weighted by the traffic it really served.
 */
export class EndpointStats implements CallTracker {
  // Declaration order is V8's in-object layout: the fields every pick and `done` touch come first,
  // next to each other, so a P2C pick over a large pool reads fewer cache lines per candidate.
  // Fields that hold fractions start as NaN (the constructor sets them): a field whose first value
  // is a small integer can end up a generic field, where every store of a fraction allocates.
  /** The `ok` pick result for this endpoint, reused by every pick. */
  result: OkPick;
  /** Calls picked and not yet done. */
  pending = 0;
  /** May take new calls (not ejected, breaker admits, weight in the pool). Maintained by health. */
  available = true;
  /** Calls must be counted by the breaker (half-open probes). */
  gated = false;
  /** Has something to recover (strikes, weight, breaker): successes must reach the health rules. */
  debt = false;
  /** `registered weight / 100 × weightFactor`: the divisor of load in weighted least-load picks. */
  loadDivisor = 1;
  /** Peak-EWMA latency in ms (at time {@link EndpointStats.stamp}). */
  cost = Number.NaN;
  /** Clock time of the last cost update. */
  stamp = Number.NaN;
  /** Latency samples seen. */
  samples = 0;
  successes = 0;
  /** Sum of call latencies (ms) since the router's load-aware spill last took and reset it. */
  latencySum = Number.NaN;
  /** Calls in {@link EndpointStats.latencySum}. */
  latencyCount = 0;

  readonly id: string;
  endpoint: Endpoint;
  /**
   * The pick result of calls started while the endpoint is gated (half-open probes): its tracker
   * tells the breaker that the outcome is a probe's, so a call that started before the breaker
   * opened cannot close it. Made on the first probe, kept after.
   */
  private probeResult: OkPick | undefined;
  failures = 0;
  consecutiveFailures = 0;
  /** Probed round-trip time (EWMA) in ms, when a prober has measured it. */
  rttMs: number | undefined = undefined;
  /** Active health: the prober could not connect (it keeps probing); no new calls while true. */
  unreachable = false;

  /** Clock time until which the endpoint is ejected; 0 when not ejected. */
  ejectedUntil = 0;
  /** Ejections so far (only grows: metrics count them). */
  timesEjected = 0;
  /**
   * Envoy's ejection time backoff: an ejection lasts base × this. Grows by one per ejection (while
   * base × it is under max + base) and drops by one per whole outlier interval spent in the pool.
   */
  ejectionMultiplier = 0;
  /** Clock time since which the endpoint has been in the pool (not ejected). */
  inPoolSince = 0;
  ejectionReason = '';
  /** Health share of the registered weight, in [floor, 1]. */
  weightFactor = 1;
  weightChangedAt = 0;
  readonly breaker: BreakerStateMachine | undefined;
  /** Listed only because the discoverer refused a mass disappearance (self-preservation). */
  unconfirmed = false;

  constructor(
    endpoint: Endpoint,
    private readonly host: StatsHost,
    initialCostMs: number,
    breaker: BreakerStateMachine | undefined,
  ) {
    this.id = endpoint.id;
    this.endpoint = endpoint;
    this.result = { kind: 'ok', endpoint, tracker: this };
    this.cost = initialCostMs;
    this.latencySum = 0;
    this.stamp = host.now;
    this.weightChangedAt = host.now;
    this.inPoolSince = host.now;
    this.loadDivisor = endpoint.instance.weight / 100;
    this.breaker = breaker;
  }

  /** Replaces the instance data (a registry update), keeping every statistic. */
  setEndpoint(endpoint: Endpoint): void {
    if (endpoint.instance === this.endpoint.instance) return;
    this.endpoint = endpoint;
    this.result = { kind: 'ok', endpoint, tracker: this };
    this.probeResult = undefined;
    this.updateLoadDivisor();
  }

  /** Recomputes the weighted-load divisor after a weight change. */
  updateLoadDivisor(): void {
    this.loadDivisor = (this.endpoint.instance.weight / 100) * this.weightFactor;
  }

  /** The registered weight scaled by health: what weighted balancers use. */
  get effectiveWeight(): number {
    return this.endpoint.instance.weight * this.weightFactor;
  }

  /** Marks a call as sent to this endpoint and returns the pick result. */
  start(): OkPick {
    this.pending++;
    if (!this.gated) return this.result;
    this.host.health.onStart(this);
    return (this.probeResult ??= {
      kind: 'ok',
      endpoint: this.endpoint,
      tracker: { done: (kind, latencyMs, nowMs) => this.finish(kind, latencyMs, nowMs, true) },
    });
  }

  /** Peak-EWMA cost decayed to `now` (no mutation: what `explain` shows). */
  costAt(now: number): number {
    const dt = now - this.stamp;
    return dt > 0 ? this.cost * decayFactor(dt, this.host.tauMs) : this.cost;
  }

  /**
   * Decays the stored cost to `now` and moves its timestamp there, as the peers do whenever they
   * read the cost (Finagle `observe(0.0)`, tower `RttEstimate::decay`). Returns the decayed cost.
   */
  decayTo(now: number): number {
    const dt = now - this.stamp;
    if (dt > 0) {
      this.cost *= decayOf(dt * this.host.perTauMs);
      this.stamp = now;
    }
    return this.cost;
  }

  /**
   * Finagle's load at the pool's last clock reading: what a pick uses (no clock read). Like the
   * peers' `load()`, it decays the stored cost (see {@link EndpointStats.decayTo}).
   */
  currentLoad(): number {
    return this.unweightedLoad() / this.loadDivisor;
  }

  /**
   * {@link currentLoad} before the division by the weight share: decayed cost × (pending + 1). A
   * comparison of two loads cross-multiplies it with the other's divisor instead of dividing.
   */
  unweightedLoad(): number {
    return this.decayTo(this.host.now) * (this.pending + 1);
  }

  /** Peak-EWMA decay constant τ in ms. */
  get tauMs(): number {
    return this.host.tauMs;
  }

  /** The pool's last clock reading (latency-weighted pickers refresh on it without reading the clock). */
  get poolNow(): number {
    return this.host.now;
  }

  /** Finagle's load at `now` without updating the stored cost: decayed cost × (pending + 1), per weight share. */
  load(now: number): number {
    return (this.costAt(now) * (this.pending + 1)) / this.loadDivisor;
  }

  done(kind: OutcomeKind, latencyMs: number, nowMs?: number): void {
    this.finish(kind, latencyMs, nowMs, false);
  }

  /** Ends a call; `probe` when it was started while the endpoint was gated. */
  private finish(kind: OutcomeKind, latencyMs: number, nowMs: number | undefined, probe: boolean): void {
    const host = this.host;
    const now = nowMs ?? host.clock.now();
    if (now > host.now) host.now = now;
    if (this.pending > 0) this.pending--;
    switch (kind) {
      case 'success':
      case 'app-error':
        this.observe(latencyMs, now);
        this.latencySum += latencyMs;
        this.latencyCount++;
        this.successes++;
        if (this.debt) host.health.onSuccess(this, now, probe);
        return;
      case 'failure':
      case 'timeout':
        // A fast refusal must not make a failing endpoint look fast: failures only raise the cost.
        this.observe(latencyMs > this.cost ? latencyMs : this.cost, now);
        if (kind === 'timeout') {
          // Time spent waiting is latency the caller saw; a refused connection's few µs are not.
          this.latencySum += latencyMs;
          this.latencyCount++;
        }
        this.failures++;
        this.consecutiveFailures++;
        host.health.onFailure(this, now, probe);
        return;
      default:
        if (probe) host.health.onAbandon(this);
    }
  }

  /** Folds one latency sample into the peak-EWMA cost. */
  observe(rttMs: number, now: number): void {
    const rtt = rttMs > 0 ? rttMs : 0;
    if (rtt > this.cost) {
      this.cost = rtt;
    } else {
      const host = this.host;
      const dt = now - this.stamp;
      const keep = 1 - host.minSampleWeight;
      let w = dt > 0 ? decayOf(dt * host.perTauMs) : 1;
      if (w > keep) w = keep;
      this.cost = this.cost * w + rtt * (1 - w);
    }
    this.stamp = now;
    this.samples++;
  }
}
