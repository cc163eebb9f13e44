import { ConsecutiveBreaker } from 'cockatiel';
import type { Clock } from '../core/clock.js';

/** closed: attempts flow · open: none until `openUntil` · half-open: one probe decides. */
export type RegistrationBreakerState = 'closed' | 'open' | 'half-open';

export interface RegistrationBreakerOptions {
  /** Failures in a row that open the breaker. */
  readonly failures: number;
  /** How long it stays open the first time. */
  readonly openMs: number;
  /** Each failed half-open probe doubles the open time, up to this. */
  readonly maxOpenMs: number;
}

/**
 * The circuit breaker in front of registration attempts. The trip rule is cockatiel's
 * `ConsecutiveBreaker` (the algorithm); this class is the state machine, timed by the injected
 * clock instead of cockatiel's wall clock so tests drive it with `FakeClock`.
 *
 * A registrar that cannot reach its registry stops hammering it: after `failures` failed attempts
 * it waits `openMs`, then sends one probe; a failed probe reopens it for twice as long.
 */
export class RegistrationBreaker {
  private readonly algorithm: ConsecutiveBreaker;
  private stateValue: RegistrationBreakerState = 'closed';
  private openUntilValue = 0;
  private reopens = 0;

  constructor(
    private readonly options: RegistrationBreakerOptions,
    private readonly clock: Clock,
  ) {
    this.algorithm = new ConsecutiveBreaker(options.failures);
  }

  /** The state now (an open breaker whose time is up reads as half-open). */
  get state(): RegistrationBreakerState {
    if (this.stateValue === 'open' && this.clock.now() >= this.openUntilValue) this.stateValue = 'half-open';
    return this.stateValue;
  }

  /** Milliseconds until an attempt may be made (0 when closed or half-open). */
  get waitMs(): number {
    return this.state === 'open' ? Math.max(0, this.openUntilValue - this.clock.now()) : 0;
  }

  /** An attempt succeeded: closed again, failures forgotten. */
  success(): void {
    this.algorithm.success();
    this.stateValue = 'closed';
    this.reopens = 0;
    this.openUntilValue = 0;
  }

  /** An attempt failed; returns true when this failure opened the breaker. */
  failure(): boolean {
    const state = this.state;
    if (state === 'open') return false;
    if (state === 'half-open' || this.algorithm.failure()) {
      const ms = Math.min(this.options.maxOpenMs, this.options.openMs * 2 ** this.reopens);
      this.reopens += 1;
      this.stateValue = 'open';
      this.openUntilValue = this.clock.now() + ms;
      this.algorithm.success(); // the count restarts after the next close
      return true;
    }
    return false;
  }
}
