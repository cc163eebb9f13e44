import type { Event } from '../core/event.js';

/**
 * The transport contract: how the policy layer sends one call to one endpoint, whatever the wire
 * (Proxima RPC today; gRPC and HTTP adapters can implement the same shape). A transport owns its
 * sockets and reconnects on its own; callers only see calls succeed or fail with a ProximaError.
 *
 * Failure semantics every implementation keeps:
 * - `unprocessed: true` on the error when the peer never started the call (not connected, refused
 *   by GOAWAY or draining): safe to retry anywhere, even for non-idempotent methods.
 * - UNAVAILABLE when the endpoint is unreachable or the connection broke mid-call (retryable).
 * - DEADLINE_EXCEEDED when `deadlineMs` passed; CANCELLED when `signal` aborted.
 *
 * @example
 * ```ts
 * const user = await transport.call('users.get', { id: '42' }, { deadlineMs: 500 });
 * ```
 */
export interface Transport extends AsyncDisposable {
  /** Sends `payload` to `method` (`service.method`) and resolves with the decoded response. */
  call(method: string, payload: unknown, options?: CallOptions): Promise<unknown>;
  /** Where the transport stands; calls are accepted in every state but `closed`. */
  readonly state: TransportState;
  /** Fires on every state change (the router uses it to prefer ready endpoints). */
  readonly stateChanged: Event<TransportState>;
  /** Fails what is in flight, closes the sockets; later calls fail with UNAVAILABLE. */
  close(): Promise<void>;
}

/** Per-call options. */
export interface CallOptions {
  /** Time budget from now, in ms. The callee receives the remaining time and stops when it runs out. */
  readonly deadlineMs?: number | undefined;
  /** Sent with the call: auth token, trace context, caller locality. */
  readonly metadata?: Metadata | undefined;
  /** Aborting cancels the call here and on the callee. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The caller's reading of the transport's `Clock` just before this call, when it has one (as in
   * `CallTracker.done`): `deadlineMs` counts from it, which saves the transport a clock read on the
   * hot path. Leave it out unless both use the same clock.
   */
  readonly nowMs?: number | undefined;
}

/** Call metadata: string keys (printable ASCII) to string values. */
export type Metadata = Readonly<Record<string, string>>;

/**
 * - `idle`: no connection; the next call opens one.
 * - `connecting`: a connection is being opened; calls queue.
 * - `ready`: connected.
 * - `backoff`: the last connect failed; calls fail fast (unprocessed) until the backoff ends.
 * - `closed`: closed by its owner, for good.
 */
export type TransportState = 'idle' | 'connecting' | 'ready' | 'backoff' | 'closed';

/** Where a transport connects. */
export interface TransportEndpoint {
  readonly host: string;
  readonly port: number;
}

/** Makes the transport for one endpoint; the client keeps one per endpoint. */
export type TransportFactory = (endpoint: TransportEndpoint) => Transport;
