import type { TimerHandle } from '../../core/clock.js';
import { ProximaError } from '../../core/errors.js';

/**
 * One call awaiting its answer: the only per-call allocation of the client besides the promise
 * (plus a timer when the call has a deadline and a listener when it has a signal).
 */
export class PendingCall {
  timer: TimerHandle | null = null;
  signal: AbortSignal | null = null;
  onAbort: (() => void) | null = null;

  constructor(
    readonly streamId: number,
    readonly resolve: (value: unknown) => void,
    readonly reject: (error: ProximaError) => void,
  ) {}
}

export function deadlineExceeded(deadlineMs: number, unprocessed = false): ProximaError {
  return new ProximaError('DEADLINE_EXCEEDED', `deadline of ${deadlineMs} ms exceeded`, { unprocessed });
}

export function cancelled(reason: unknown, unprocessed = false): ProximaError {
  return new ProximaError('CANCELLED', 'call cancelled by the caller', { cause: reason, unprocessed });
}
