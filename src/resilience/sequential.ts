import type { PickContext } from '../balancer/picker.js';
import { sleep } from '../core/clock.js';
import { toProximaError, type ProximaError } from '../core/errors.js';
import { fullJitterBackoff, type Backoff } from './backoff.js';
import { abortError, type Deadline } from './deadline.js';
import { chargeBudget, mayRetry, outcomeOf } from './outcome.js';
import { waitForPick } from './pick.js';
import type { Attempt, CallPolicy } from './policy.js';

/**
 * One attempt at a time: `failfast` (maxAttempts 1), `failover` (each retry excludes the instances
 * already tried) and `failretry` (each retry prefers the same instance). Retries only what
 * {@link mayRetry} allows, while the retry budget has tokens (a call the server never processed
 * retries regardless: it added no load), with full-jitter backoff between attempts — except a
 * failover after an unprocessed error, which goes to another instance at once. Never sleeps past
 * the deadline: the last real error is worth more than a DEADLINE_EXCEEDED later.
 *
 * A first attempt that succeeds allocates nothing here beyond the attempt's context: no signal,
 * no timer, no set of tried instances, no backoff.
 */
export async function runSequential<T>(
  policy: CallPolicy,
  attempt: Attempt<T>,
  signal: AbortSignal | undefined,
  deadline: Deadline | undefined,
  hashKey: string | undefined,
  maxAttempts: number,
  sameEndpoint: boolean,
): Promise<T> {
  const { clock, budget } = policy;
  let context: PickContext | undefined = hashKey === undefined ? undefined : { hashKey };
  let tried: Set<string> | undefined;
  let backoff: Backoff | undefined;
  let lastError: ProximaError | undefined;
  for (let n = 1; ; n++) {
    let pick = policy.getPicker().pick(context);
    if (pick.kind === 'wait') pick = await waitForPick(policy, context, signal, deadline);
    // Out of instances to fail over to: the last real error says more than "no endpoints".
    if (pick.kind === 'fail') throw lastError ?? pick.error;
    const { endpoint, tracker } = pick;
    const start = clock.now();
    let error: ProximaError;
    try {
      const value = await attempt(endpoint, { signal, attempt: n, deadline });
      const latency = clock.now() - start;
      tracker.done('success', latency);
      budget.recordSuccess();
      policy.hedging?.estimator?.record(latency);
      return value;
    } catch (thrown) {
      error = toProximaError(thrown);
    }
    const kind = outcomeOf(error, signal);
    tracker.done(kind, clock.now() - start);
    chargeBudget(budget, kind);
    if (signal?.aborted) throw abortError(signal);
    lastError = error;
    if (n >= maxAttempts || !mayRetry(error, policy.idempotent)) throw error;
    if (!error.unprocessed && !budget.canRetry()) throw error;

    if (sameEndpoint) {
      context = { hashKey, prefer: endpoint.id };
    } else {
      tried ??= new Set();
      tried.add(endpoint.id);
      context = { hashKey, exclude: tried };
    }
    let delay = 0;
    if (sameEndpoint || !error.unprocessed) {
      backoff = (
        backoff ??
        fullJitterBackoff({
          initialMs: policy.initialBackoffMs,
          maxMs: policy.maxBackoffMs,
          random: policy.random,
        })
      ).next();
      delay = backoff.delayMs;
    }
    if (deadline !== undefined && delay >= deadline.remaining()) throw error;
    if (delay > 0) {
      try {
        await sleep(clock, delay, signal);
      } catch (thrown) {
        throw signal?.aborted ? abortError(signal) : toProximaError(thrown);
      }
    }
  }
}
