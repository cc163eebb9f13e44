import { type Clock, sleep } from '../core/clock.js';
import { type ProximaError, toProximaError } from '../core/errors.js';
import type { Random } from '../core/random.js';
import { fullJitterBackoff } from '../resilience/backoff.js';
import type { RegistrationBreaker } from './breaker.js';

export interface RetryDeps {
  readonly clock: Clock;
  readonly random: Random;
  readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  readonly breaker: RegistrationBreaker;
  /** Stops retrying: `retryUntilDone` then resolves `undefined`. */
  readonly stop: AbortSignal;
  /** Errors no retry can fix; they are rethrown at once. */
  readonly isFatal: (error: ProximaError) => boolean;
  readonly onFailure: (error: ProximaError, attempt: number, retryInMs: number) => void;
  /** Called whenever the breaker's state may have changed. */
  readonly onBreaker: () => void;
}

/**
 * Runs `attempt` until it succeeds, behind the breaker: while the breaker is closed, failures wait
 * a full-jitter exponential delay (`random(0, min(initial·2^(n-1), max))`, gRPC A6 / AWS); once it
 * opens, the wait is its open time and the next attempt is the half-open probe.
 */
export async function retryUntilDone<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  deps: RetryDeps,
): Promise<T | undefined> {
  let backoff = fullJitterBackoff({ ...deps.backoff, random: deps.random });
  let failures = 0;
  for (;;) {
    if (deps.stop.aborted) return undefined;
    const blocked = deps.breaker.waitMs;
    if (blocked > 0) {
      await sleep(deps.clock, blocked, deps.stop).catch(() => undefined);
      continue;
    }
    deps.onBreaker();
    try {
      const result = await attempt(deps.stop);
      deps.breaker.success();
      deps.onBreaker();
      return result;
    } catch (error) {
      if (deps.stop.aborted) return undefined;
      const e = toProximaError(error, 'UNAVAILABLE');
      if (deps.isFatal(e)) throw e;
      failures += 1;
      const opened = deps.breaker.failure();
      deps.onBreaker();
      backoff = backoff.next();
      const retryInMs = opened ? deps.breaker.waitMs : backoff.delayMs;
      deps.onFailure(e, failures, retryInMs);
      if (!opened) await sleep(deps.clock, retryInMs, deps.stop).catch(() => undefined);
    }
  }
}
