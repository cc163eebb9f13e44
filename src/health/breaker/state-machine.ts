import type { BreakerAlgorithm } from './algorithm.js';

/** closed: calls flow · open: no calls · half-open: a few probe calls decide. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Timing of the state machine; the trip rule lives in the {@link BreakerAlgorithm}. */
export interface BreakerTiming {
  /** How long the breaker stays open the first time. */
  readonly openMs: number;
  /** Each failed half-open probe doubles the open time, up to this. */
  readonly maxOpenMs: number;
  /** Probe calls allowed at once while half-open. */
  readonly halfOpenProbes: number;
}

/**
 * One endpoint's breaker: closed → (algorithm trips) → open → (time) → half-open → a successful
 * probe closes it again (self-heal), a failed one reopens it for twice as long. While half-open only
 * probes decide: the outcome of a call that started before the breaker opened says nothing about
 * the endpoint now, and is ignored.
 *
 * It never sets timers itself: {@link BreakerStateMachine.refresh} moves open → half-open when the
 * owner's clock says so, which keeps it drivable by a discrete-event simulator.
 */
export class BreakerStateMachine {
  state: BreakerState = 'closed';
  /** When an open breaker may move to half-open; 0 when not open. */
  openUntil = 0;
  /** Consecutive opens without a successful probe in between (drives the open-time backoff). */
  reopens = 0;
  /** Probe calls in flight while half-open. */
  probes = 0;

  constructor(
    private readonly algorithm: BreakerAlgorithm,
    private readonly timing: BreakerTiming,
  ) {}

  /** True when a new call may be sent now. */
  admits(): boolean {
    if (this.state === 'closed') return true;
    return this.state === 'half-open' && this.probes < this.timing.halfOpenProbes;
  }

  /** A call was sent; while half-open it takes a probe slot. */
  onStart(): void {
    if (this.state === 'half-open') this.probes++;
  }

  /** A probe ended without a verdict (cancelled / unprocessed): frees its slot. */
  onAbandon(): void {
    if (this.state === 'half-open' && this.probes > 0) this.probes--;
  }

  /** A call succeeded; `probe` when it was started while half-open. */
  onSuccess(now: number, probe: boolean): void {
    if (this.state === 'closed') {
      this.algorithm.onSuccess(now);
    } else if (this.state === 'half-open' && probe) {
      this.state = 'closed';
      this.reopens = 0;
      this.probes = 0;
      this.openUntil = 0;
      this.algorithm.reset();
    }
  }

  /** A call failed; `probe` when it was started while half-open. */
  onFailure(now: number, probe: boolean): void {
    if (this.state === 'closed') {
      if (this.algorithm.onFailure(now)) this.open(now);
    } else if (this.state === 'half-open' && probe) {
      this.open(now);
    }
  }

  /** Applies the passage of time; returns true when the state changed. */
  refresh(now: number): boolean {
    if (this.state === 'open' && now >= this.openUntil) {
      this.state = 'half-open';
      this.probes = 0;
      return true;
    }
    return false;
  }

  private open(now: number): void {
    const ms = Math.min(this.timing.maxOpenMs, this.timing.openMs * 2 ** this.reopens);
    this.state = 'open';
    this.reopens++;
    this.probes = 0;
    this.openUntil = now + ms;
  }
}
