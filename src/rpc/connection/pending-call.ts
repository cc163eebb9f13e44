import { ProximaError } from '../../core/errors.js';
import type { Metadata } from '../../transport/transport.js';
import type { Expiring } from '../util/deadline-queue.js';

type Settle<T> = (value: T) => void;
/** A settle function before the real one is set. */
export const unset = (): void => undefined;

/**
 * One call awaiting its answer: with the promise, the only per-call allocation of the client (a
 * listener is added only when the call has a signal; deadlines share one timer per connection).
 */
export class PendingCall implements Expiring {
  resolve: Settle<unknown> = unset;
  reject: Settle<ProximaError> = unset;
  heapIndex = -1;
  deadlineAt = 0;
  signal: AbortSignal | null = null;
  onAbort: (() => void) | null = null;
  /** Written to the socket (false while it waits for a stream slot the server announced). */
  sent = true;
  /** The request of a call waiting for a slot: its own copy of the encoded payload. */
  queued: QueuedRequest | null = null;

  constructor(
    readonly streamId: number,
    /** The budget the caller gave, for the error message; 0 for none. */
    readonly deadlineMs: number,
  ) {}
}

/** What a queued call needs to be written later. */
export interface QueuedRequest {
  readonly method: string;
  readonly metadata: Metadata | undefined;
  readonly payload: Buffer;
  readonly codecId: number;
}

export function deadlineExceeded(deadlineMs: number, unprocessed = false): ProximaError {
  return new ProximaError('DEADLINE_EXCEEDED', `deadline of ${deadlineMs} ms exceeded`, { unprocessed });
}

export function cancelled(reason: unknown, unprocessed = false): ProximaError {
  return new ProximaError('CANCELLED', 'call cancelled by the caller', { cause: reason, unprocessed });
}
