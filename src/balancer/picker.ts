import type { ProximaError } from '../core/errors.js';
import type { Instance } from '../core/instance.js';

/**
 * The routing contract, in grpc-js's shape: a balancer (or the router above balancers) turns a
 * snapshot of endpoints into an immutable {@link Picker}; `pick()` is synchronous and cheap; an `ok`
 * pick carries a {@link CallTracker} through which the caller reports how the call ended, which is
 * how latency EWMAs, pending counts, outlier ejection and breakers learn.
 *
 * The per-call path is: `pick()` → send → `tracker.done(kind, latencyMs)`. Both must be
 * allocation-light; a tracker is typically the endpoint's own pre-allocated statistics object.
 */
export interface Picker {
  pick(context?: PickContext): PickResult;
}

export interface PickContext {
  /** Consistent-hash key of this call (only the consistent-hash balancer reads it). */
  readonly hashKey?: string | undefined;
  /** Endpoint ids this call already tried: failover must pick another while one exists. */
  readonly exclude?: ReadonlySet<string> | undefined;
  /**
   * Endpoint ids the transport cannot use right now (no live connection, e.g. a gRPC subchannel that
   * is not READY). Skipped like `exclude`, but this call did not try them: a router must not read
   * them as failed attempts (they say nothing about where a retry should go).
   */
  readonly unavailable?: ReadonlySet<string> | undefined;
  /**
   * Endpoint id to pick again if it is still usable (the `failretry` fail mode retries on the same
   * instance). A hint: a picker that cannot honour it, or whose endpoint is gone, picks as usual.
   */
  readonly prefer?: string | undefined;
}

/** An instance as the routing layer sees it. `id` is the instance id, unique within its service. */
export interface Endpoint {
  readonly id: string;
  readonly instance: Instance;
}

export type PickResult =
  | { readonly kind: 'ok'; readonly endpoint: Endpoint; readonly tracker: CallTracker }
  /** Nothing known yet (first snapshot not arrived): wait for the next picker. */
  | { readonly kind: 'wait' }
  /** No endpoint can take this call (none registered, all excluded, all ejected outside panic). */
  | { readonly kind: 'fail'; readonly error: ProximaError };

/**
 * How a call ended, as far as the endpoint's health is concerned:
 * - `success`: answered.
 * - `app-error`: answered with an application error (NOT_FOUND, INVALID_ARGUMENT, …): the endpoint
 *   is healthy; latency counts.
 * - `failure`: the endpoint failed (UNAVAILABLE, INTERNAL, or its connection failed — refused,
 *   reset, timed out, closed before the answer — even when the call was never processed): a strike
 *   for outlier detection and breakers, and a retry leaves the endpoint's route.
 * - `timeout`: no answer within the deadline: a strike; latency is the time waited.
 * - `unprocessed`: refused gracefully before processing (GOAWAY, draining, a limit before dispatch):
 *   not a strike, no latency sample.
 * - `cancelled`: the caller gave up (a hedging loser, an aborted call): neither strike nor sample.
 */
export type OutcomeKind = 'success' | 'app-error' | 'failure' | 'timeout' | 'unprocessed' | 'cancelled';

export interface CallTracker {
  /**
   * Report the end of the call exactly once. `latencyMs` is from send to outcome. `nowMs`, when
   * given, is the caller's own reading of the same `Clock` at the outcome (it has one: it just
   * computed `latencyMs`); passing it saves the tracker a clock read on the hot path.
   */
  done(kind: OutcomeKind, latencyMs: number, nowMs?: number): void;
}
