import type { Clock, TimerHandle } from '../core/clock.js';
import { ErrorCode, ProximaError, toProximaError } from '../core/errors.js';

/**
 * A point in time by which a call must be done, on an injected {@link Clock}. Deadlines are
 * absolute so that they survive being handed down (retries, hedges, nested calls) without each
 * layer restarting the countdown; they cross process boundaries as the time remaining.
 *
 * @example
 * ```ts
 * const deadline = Deadline.after(systemClock, 500);
 * using scope = new CallSignal(deadline, callerSignal);
 * await transport.send(req, { signal: scope.signal }); // aborted with DEADLINE_EXCEEDED at 500 ms
 * ```
 */
export class Deadline {
  private constructor(
    readonly clock: Clock,
    /** The instant on `clock` (`clock.now()` units, ms). */
    readonly at: number,
  ) {}

  /** The deadline `ms` from now. */
  static after(clock: Clock, ms: number): Deadline {
    return new Deadline(clock, clock.now() + Math.max(0, ms));
  }

  /** The deadline at instant `at` of `clock`. */
  static at(clock: Clock, at: number): Deadline {
    return new Deadline(clock, at);
  }

  /** Milliseconds left, never negative: what goes into a frame header for the callee. */
  remaining(): number {
    const left = this.at - this.clock.now();
    return left > 0 ? left : 0;
  }

  /** True once the deadline has passed. */
  get expired(): boolean {
    return this.clock.now() >= this.at;
  }

  /**
   * The earlier of two deadlines. Compared by time remaining, so deadlines on different clocks
   * (a propagated one on the system clock, a test's on a fake one) still compose.
   */
  earliest(other: Deadline | undefined): Deadline {
    if (other === undefined || other === this) return this;
    return other.remaining() < this.remaining() ? other : this;
  }

  /** The error a call gets when this deadline passes. */
  exceeded(detail?: string): ProximaError {
    return new ProximaError(ErrorCode.DEADLINE_EXCEEDED, detail ?? 'deadline exceeded');
  }
}

/**
 * One AbortSignal for a call that aborts when its caller aborts or its deadline passes, whichever
 * is first. The abort `reason` is always a ProximaError — DEADLINE_EXCEEDED or CANCELLED — so
 * whoever catches it can tell a timeout from a cancellation by `code`.
 *
 * Owns a timer and a listener on the parent signal: dispose it (`using`) when the call ends.
 * With no deadline it hands out the parent signal itself and allocates nothing.
 */
export class CallSignal implements Disposable {
  readonly signal: AbortSignal;
  private readonly controller: AbortController | undefined;
  private readonly parent: AbortSignal | undefined;
  private timer: TimerHandle | undefined;
  private readonly clock: Clock | undefined;

  constructor(deadline: Deadline | undefined, parent?: AbortSignal) {
    if (deadline === undefined && parent !== undefined) {
      this.signal = parent;
      return;
    }
    const controller = new AbortController();
    this.controller = controller;
    this.signal = controller.signal;
    if (parent !== undefined) {
      if (parent.aborted) {
        controller.abort(cancelled(parent.reason));
        return;
      }
      this.parent = parent;
      parent.addEventListener('abort', this, { once: true });
    }
    if (deadline !== undefined) {
      const left = deadline.remaining();
      if (left <= 0) {
        this.abort(deadline.exceeded());
        return;
      }
      this.clock = deadline.clock;
      this.timer = deadline.clock.setTimeout(() => {
        this.timer = undefined;
        this.abort(deadline.exceeded());
      }, left);
    }
  }

  /** Parent aborted (EventListenerObject form: no closure per call). */
  handleEvent(): void {
    this.abort(cancelled(this.parent?.reason));
  }

  /** Stops the timer and forgets the parent; the signal stays as it is. */
  [Symbol.dispose](): void {
    if (this.timer !== undefined) {
      this.clock?.clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.parent?.removeEventListener('abort', this);
  }

  private abort(reason: ProximaError): void {
    this[Symbol.dispose]();
    this.controller?.abort(reason);
  }
}

/**
 * The ProximaError an aborted signal stands for: its reason when that already is one (so a
 * DEADLINE_EXCEEDED from an outer call stays a timeout), else CANCELLED.
 */
export function abortError(signal: AbortSignal): ProximaError {
  return cancelled(signal.reason);
}

function cancelled(reason: unknown): ProximaError {
  if (reason === undefined) return new ProximaError(ErrorCode.CANCELLED, 'call cancelled');
  return toProximaError(reason, ErrorCode.CANCELLED);
}
