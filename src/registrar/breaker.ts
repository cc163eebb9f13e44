import type { Clock } from '../core/clock.js';
import { ConsecutiveBreaker } from '../health/breaker/algorithm.js';
import { BreakerStateMachine, type BreakerState } from '../health/breaker/state-machine.js';

/** closed: attempts flow · open: none until the open time is up · half-open: one probe decides. */
export type RegistrationBreakerState = BreakerState;

export interface RegistrationBreakerOptions {
  /** Failures in a row that open the breaker. */
  readonly failures: number;
  /** How long it stays open the first time. */
  readonly openMs: number;
  /** Each failed half-open probe doubles the open time, up to this. */
  readonly maxOpenMs: number;
}

/**
 * The circuit breaker in front of registration attempts: the same breaker as the endpoints' (the
 * consecutive-failures algorithm and the closed / open / half-open state machine of
 * `health/breaker/`), with one probe at a time and timed by the injected clock so tests drive it
 * with `FakeClock`.
 *
 * A registrar that cannot reach its registry stops hammering it: after `failures` failed attempts
 * it waits `openMs`, then sends one probe; a failed probe reopens it for twice as long.
 */
export class RegistrationBreaker {
  private readonly machine: BreakerStateMachine;

  constructor(
    options: RegistrationBreakerOptions,
    private readonly clock: Clock,
  ) {
    this.machine = new BreakerStateMachine(new ConsecutiveBreaker(options.failures), {
      openMs: options.openMs,
      maxOpenMs: options.maxOpenMs,
      halfOpenProbes: 1,
    });
  }

  /** The state now (an open breaker whose time is up reads as half-open). */
  get state(): RegistrationBreakerState {
    this.machine.refresh(this.clock.now());
    return this.machine.state;
  }

  /** Milliseconds until an attempt may be made (0 when closed or half-open). */
  get waitMs(): number {
    return this.state === 'open' ? Math.max(0, this.machine.openUntil - this.clock.now()) : 0;
  }

  /** An attempt succeeded: closed again, failures forgotten. */
  success(): void {
    const state = this.state;
    if (state === 'open') return; // attempts wait while open; a late answer does not close it
    // One attempt at a time: an attempt that ends while half-open is the probe.
    this.machine.onSuccess(this.clock.now(), state === 'half-open');
  }

  /** An attempt failed; returns true when this failure opened the breaker. */
  failure(): boolean {
    const state = this.state;
    if (state === 'open') return false;
    this.machine.onFailure(this.clock.now(), state === 'half-open');
    return this.machine.state === 'open';
  }
}
