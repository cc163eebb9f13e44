import type { OutcomeKind } from '../balancer/picker.js';
import { ErrorCode, type ProximaError } from '../core/errors.js';
import type { RetryBudget } from './retry-budget.js';

// Codes that say the endpoint itself is in trouble. Everything else the server answered with
// (NOT_FOUND, INVALID_ARGUMENT, RESOURCE_EXHAUSTED from a rate limit, …) is the application talking:
// a healthy endpoint, like an HTTP 4xx for Envoy's outlier detection.
const ENDPOINT_FAILURES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.UNAVAILABLE,
  ErrorCode.INTERNAL,
  ErrorCode.UNKNOWN,
  ErrorCode.DATA_LOSS,
  ErrorCode.PROTOCOL_ERROR,
  ErrorCode.CIRCUIT_OPEN,
]);

/**
 * How an attempt that threw `error` ended, for the endpoint's tracker. `signal` is the attempt's
 * signal: once it aborted, the reason decides (a DEADLINE_EXCEEDED reason is a `timeout`, anything
 * else `cancelled`), whatever error the attempt produced on its way out.
 *
 * A failed connection (`connectionFailed`: refused, reset, connect or keep-alive timeout, closed
 * before the answer) is a `failure` — a strike against the endpoint — even when the call was never
 * processed; a graceful refusal (GOAWAY, draining, a rate limit before dispatch) is `unprocessed`,
 * no strike. Either way {@link mayRetry} lets an unprocessed call go anywhere.
 */
export function outcomeOf(error: ProximaError, signal: AbortSignal | undefined): OutcomeKind {
  if (signal?.aborted) {
    return (signal.reason as { code?: unknown } | undefined)?.code === ErrorCode.DEADLINE_EXCEEDED
      ? 'timeout'
      : 'cancelled';
  }
  if (error.connectionFailed) return 'failure';
  if (error.unprocessed) return 'unprocessed';
  switch (error.code) {
    case ErrorCode.DEADLINE_EXCEEDED:
      return 'timeout';
    case ErrorCode.CANCELLED:
      return 'cancelled';
    default:
      return ENDPOINT_FAILURES.has(error.code) ? 'failure' : 'app-error';
  }
}

/**
 * Whether `error` allows another attempt of the same call: always when the server never processed
 * it, otherwise only for an idempotent method and a retryable error.
 */
export function mayRetry(error: ProximaError, idempotent: boolean): boolean {
  return error.unprocessed || (idempotent && error.retryable);
}

/**
 * Feeds one attempt's outcome into the retry budget (A6: failures cost, successes earn). A failed
 * connection's calls share their `cause` (the one failure that cut them all off), which the budget
 * charges once.
 */
export function chargeBudget(budget: RetryBudget, kind: OutcomeKind, error?: ProximaError): void {
  if (kind === 'success') budget.recordSuccess();
  else if (kind === 'failure' || kind === 'timeout') budget.recordFailure(failureEvent(error));
}

function failureEvent(error: ProximaError | undefined): object | undefined {
  if (error === undefined || !error.connectionFailed) return undefined;
  const cause: unknown = error.cause;
  return typeof cause === 'object' && cause !== null ? cause : undefined;
}
