import type { Endpoint } from '../balancer/picker.js';
import type { ProximaError } from '../core/errors.js';

/**
 * Told by the executor what one method's calls do, at the points where it already reports
 * outcomes to the endpoint's tracker: synchronously, with numbers the executor has at hand. No
 * promise, no closure and no object is made per call for it, so metrics bound once per method
 * cost a few additions per call. Keep implementations cheap, and never throw.
 *
 * @example
 * ```ts
 * let failures = 0;
 * const observer: PolicyObserver = {
 *   attemptEnded: (_endpoint, _n, error) => void (error !== undefined && failures++),
 *   budgetExhausted: () => undefined,
 *   callEnded: () => undefined,
 * };
 * const policy = callPolicy({ getPicker, observer });
 * ```
 */
export interface PolicyObserver {
  /**
   * Attempt `attempt` (1 for the first) on `endpoint` ended after `latencyMs`: `error` is
   * undefined on success, CANCELLED for a hedge or fork that lost the race.
   */
  attemptEnded(endpoint: Endpoint, attempt: number, error: ProximaError | undefined, latencyMs: number): void;
  /** A retry or hedge the call wanted was not sent: the retry budget had no tokens left. */
  budgetExhausted(): void;
  /** The logical call ended after `durationMs` (every attempt and backoff included). */
  callEnded(error: ProximaError | undefined, durationMs: number): void;
}
