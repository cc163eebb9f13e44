import type { Endpoint, Picker } from '../balancer/picker.js';
import type { Clock } from '../core/clock.js';
import type { ProximaError } from '../core/errors.js';
import type { Event } from '../core/event.js';
import type { Random } from '../core/random.js';
import type { Deadline } from './deadline.js';
import type { FailbackQueue } from './failback-queue.js';
import type { LatencyEstimator } from './latency-estimator.js';
import type { Logger } from '../core/logger.js';
import type { PolicyObserver } from './observer.js';
import type { RetryBudget } from './retry-budget.js';

/**
 * The policy contract: how one logical call becomes attempts on endpoints. A policy is resolved
 * once per method ({@link callPolicy}) and then runs every call of that method
 * ({@link executeCall}); per-call inputs are only the deadline, the signal and a hash key.
 *
 * Fail modes (Dubbo's names, which most RPC users know):
 * - `failfast`: one attempt; its error is the call's error.
 * - `failover` (default): on a retryable error, try again on an instance not tried yet.
 * - `failretry`: on a retryable error, try again on the same instance after a backoff.
 * - `failsafe`: one attempt; an error is logged and the call returns the fallback (or undefined).
 * - `failback`: one attempt; a retryable failure is queued and retried in the background, and the
 *   call returns undefined at once (notifications, audit writes).
 * - `forking`: N attempts at once on distinct instances; the first success wins, the rest are
 *   cancelled.
 * - `broadcast`: one attempt on every instance; all must succeed; returns every result.
 */
export const FAIL_MODES = [
  'failfast',
  'failover',
  'failretry',
  'failsafe',
  'failback',
  'forking',
  'broadcast',
] as const;
export type FailMode = (typeof FAIL_MODES)[number];

/** What one attempt gets besides the endpoint. */
export interface AttemptContext {
  /**
   * Present when the attempt can be cancelled: the caller's signal, or the executor's own when
   * this attempt may lose a hedge or fork. Its `reason` is a ProximaError (CANCELLED) or whatever
   * the caller aborted with. Absent on the common path: an AbortSignal costs microseconds in Node,
   * more than the rest of the policy layer together, so none is made when nothing can abort.
   */
  readonly signal: AbortSignal | undefined;
  /** 1 for the first attempt of the call, 2 for the next, … */
  readonly attempt: number;
  /**
   * The call's deadline: the attempt puts it in the request and fails with DEADLINE_EXCEEDED when
   * it passes (the transport owns that timer, where it can share one per connection).
   */
  readonly deadline: Deadline | undefined;
  /**
   * The policy clock's reading when this attempt started, when the executor has one: an attempt
   * on the same clock can take the time left as `deadline.at - startedAt` instead of reading the
   * clock again (each read is tens of ns on the per-call path).
   */
  readonly startedAt?: number | undefined;
}

/**
 * Sends the call to one endpoint. It must end by `deadline` (DEADLINE_EXCEEDED) and soon after
 * `signal` aborts: the executor waits for it, so that the endpoint's tracker learns when the call
 * really ended. Throw a ProximaError (`retryable`, `unprocessed` set truthfully); anything else
 * counts as INTERNAL.
 */
export type Attempt<T> = (endpoint: Endpoint, context: AttemptContext) => Promise<T>;

/** Per-call inputs. */
export interface CallOptions<T = unknown> {
  /** Cancels the call. */
  readonly signal?: AbortSignal | undefined;
  /** Absolute deadline; combined with the policy's timeout and the inherited deadline (earliest wins). */
  readonly deadline?: Deadline | undefined;
  /** Relative timeout for this call, ms; overrides the policy's `timeoutMs`. */
  readonly timeoutMs?: number | undefined;
  /** Consistent-hash key, passed to the picker. */
  readonly hashKey?: string | undefined;
  /** `failsafe`: the value to return instead of an error (default: undefined). */
  readonly fallback?: ((error: ProximaError) => T | undefined) | undefined;
}

/** One endpoint's answer in a `broadcast` call. */
export interface BroadcastReply<T> {
  readonly endpoint: Endpoint;
  readonly value: T;
}

/** What a call resolves to, by fail mode. */
export type CallResult<T, M extends FailMode> = M extends 'broadcast'
  ? ReadonlyArray<BroadcastReply<T>>
  : M extends 'failsafe' | 'failback'
    ? T | undefined
    : T;

/** Retries of `failover` and `failretry`. */
export interface RetryOptions {
  /** Attempts in all, the first included (default 3, at most 10). 1 disables retries. */
  readonly maxAttempts?: number;
  /** Full-jitter backoff: cap of the first retry's delay, ms (default 25). */
  readonly initialBackoffMs?: number;
  /** Upper bound of any backoff delay, ms (default 1000). */
  readonly maxBackoffMs?: number;
}

/**
 * Hedged requests (`failover` only, idempotent methods only): when the first attempt has not
 * answered after a delay, a backup goes to another instance; the first success wins.
 */
export interface HedgingOptions {
  /** Attempts in all, the first included (default 2, at most 5). */
  readonly maxAttempts?: number;
  /** Fixed hedge delay, ms; with `percentile`, the delay used until the estimator has data. */
  readonly delayMs?: number;
  /** Hedge after this quantile (0..1, e.g. 0.95) of observed successful latencies. */
  readonly percentile?: number;
  /** Where observed latencies go; share one per method (default: one per policy). */
  readonly estimator?: LatencyEstimator;
  /** Lower bound of the hedge delay, ms (default 1). */
  readonly minDelayMs?: number;
}

/** Everything a method's calls share. Only `getPicker` is required. */
export interface CallPolicyInput<M extends FailMode = FailMode> {
  /** The current picker of the service (re-read on every attempt). */
  readonly getPicker: () => Picker;
  /** Fires when the picker changes: a `wait` pick waits for it (or the deadline). */
  readonly onPickerChange?: Event<unknown> | undefined;
  readonly failMode?: M;
  /** Safe to run twice? Non-idempotent calls are retried only when the server never processed them. */
  readonly idempotent?: boolean;
  readonly retry?: RetryOptions;
  /** Shared by all calls to the service (default: one per policy). */
  readonly budget?: RetryBudget;
  readonly hedging?: HedgingOptions | undefined;
  /** `forking`: how many instances to call at once (default 2). */
  readonly forks?: number;
  /** `failback`: the background queue (required in that mode; it owns the timers). */
  readonly failbackQueue?: FailbackQueue | undefined;
  /** Default timeout of a call, ms (default: none beyond an inherited deadline). */
  readonly timeoutMs?: number | undefined;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger | undefined;
  /** Hears every attempt, refused retry and call end (metrics bound once per method). */
  readonly observer?: PolicyObserver | undefined;
}

/** Resolved hedging settings. */
export interface HedgingPolicy {
  readonly maxAttempts: number;
  readonly delayMs: number;
  readonly percentile: number | undefined;
  readonly estimator: LatencyEstimator | undefined;
  readonly minDelayMs: number;
}

/** A validated policy with every default filled in; build it with {@link callPolicy}. */
export interface CallPolicy<M extends FailMode = FailMode> {
  readonly getPicker: () => Picker;
  readonly onPickerChange: Event<unknown> | undefined;
  readonly failMode: M;
  readonly idempotent: boolean;
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly budget: RetryBudget;
  readonly hedging: HedgingPolicy | undefined;
  readonly forks: number;
  readonly failbackQueue: FailbackQueue | undefined;
  readonly timeoutMs: number | undefined;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger | undefined;
  readonly observer: PolicyObserver | undefined;
}
