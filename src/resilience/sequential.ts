import type { CallTracker, Endpoint, PickContext, PickResult } from '../balancer/picker.js';
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
 * The first attempt runs without an `async` frame: a synchronous pick, the attempt, and one
 * `then` that reports the outcome — one clock read at the end (`startedAt`, when the caller
 * passes its own reading of `policy.clock`, saves the one at the start). Its success allocates
 * nothing here beyond the attempt's context and that `then`: no signal, no timer, no set of
 * tried instances, no backoff. Anything else (a pick that must wait, a failure) continues in
 * {@link retryLoop}.
 */
export function runSequential<T>(
  policy: CallPolicy,
  attempt: Attempt<T>,
  signal: AbortSignal | undefined,
  deadline: Deadline | undefined,
  hashKey: string | undefined,
  maxAttempts: number,
  sameEndpoint: boolean,
  startedAt?: number,
  observeCall = false,
): Promise<T> {
  const context: PickContext | undefined = hashKey === undefined ? undefined : { hashKey };
  const pick = policy.getPicker().pick(context);
  const start = startedAt ?? policy.clock.now();
  // The call's start, when this run reports the call's end to the policy's observer.
  const callStart = observeCall && policy.observer !== undefined ? start : undefined;
  if (pick.kind !== 'ok') {
    const run: Run<T> = { policy, attempt, signal, deadline, hashKey, maxAttempts, sameEndpoint, callStart };
    return retryLoop(run, 1, pick, new Retries(context), 0);
  }
  const { endpoint, tracker } = pick;
  let pending: Promise<T>;
  try {
    pending = attempt(endpoint, { signal, attempt: 1, deadline, startedAt: start });
  } catch (thrown) {
    pending = Promise.reject(thrown as Error);
  }
  return pending.then(
    (value) => {
      const now = succeeded(policy, endpoint, 1, tracker, start);
      if (callStart !== undefined) policy.observer!.callEnded(undefined, now - callStart);
      return value;
    },
    (thrown: unknown) => {
      const run: Run<T> = {
        policy,
        attempt,
        signal,
        deadline,
        hashKey,
        maxAttempts,
        sameEndpoint,
        callStart,
      };
      const retries = new Retries(context);
      let delay: number;
      try {
        delay = failed(run, 1, endpoint, tracker, start, thrown, retries);
      } catch (error) {
        if (callStart !== undefined) callFailed(policy, callStart, error);
        throw error;
      }
      return retryLoop(run, 2, undefined, retries, delay);
    },
  );
}

/** Tells the observer the call failed with `thrown`. */
function callFailed(policy: CallPolicy, callStart: number, thrown: unknown): void {
  policy.observer!.callEnded(toProximaError(thrown), policy.clock.now() - callStart);
}

/** The inputs of one sequential call, for the attempts after the first. */
interface Run<T> {
  readonly policy: CallPolicy;
  readonly attempt: Attempt<T>;
  readonly signal: AbortSignal | undefined;
  readonly deadline: Deadline | undefined;
  readonly hashKey: string | undefined;
  readonly maxAttempts: number;
  readonly sameEndpoint: boolean;
  /** Set when the call's end goes to the policy's observer. */
  readonly callStart: number | undefined;
}

/** What a call carries from one failed attempt to the next. */
class Retries {
  tried: Set<string> | undefined = undefined;
  backoff: Backoff | undefined = undefined;
  lastError: ProximaError | undefined = undefined;

  constructor(
    /** What the next pick is given: the hash key, and the instances to avoid or prefer. */
    public context: PickContext | undefined,
  ) {}
}

/**
 * Attempt `n` onwards, after `delay` ms (the backoff the last failure asked for). `first` is the
 * pick already taken for attempt `n`, if any.
 */
function retryLoop<T>(
  run: Run<T>,
  n: number,
  first: PickResult | undefined,
  retries: Retries,
  delay: number,
): Promise<T> {
  const loop = attemptsFrom(run, n, first, retries, delay);
  const { callStart, policy } = run;
  if (callStart === undefined) return loop;
  // Off the common path (a failure or a pick that waited): one more promise is fine here.
  return loop.then(
    (value) => {
      policy.observer!.callEnded(undefined, policy.clock.now() - callStart);
      return value;
    },
    (thrown: unknown) => {
      callFailed(policy, callStart, thrown);
      throw thrown;
    },
  );
}

async function attemptsFrom<T>(
  run: Run<T>,
  n: number,
  first: PickResult | undefined,
  retries: Retries,
  delay: number,
): Promise<T> {
  const { policy, attempt, signal, deadline } = run;
  let taken = first;
  for (; ; n++) {
    if (delay > 0) {
      try {
        await sleep(policy.clock, delay, signal);
      } catch (thrown) {
        throw signal?.aborted ? abortError(signal) : toProximaError(thrown);
      }
    }
    let pick = taken ?? policy.getPicker().pick(retries.context);
    taken = undefined;
    if (pick.kind === 'wait') pick = await waitForPick(policy, retries.context, signal, deadline);
    // Out of instances to fail over to: the last real error says more than "no endpoints".
    if (pick.kind === 'fail') throw retries.lastError ?? pick.error;
    const { endpoint, tracker } = pick;
    const start = policy.clock.now();
    try {
      const value = await attempt(endpoint, { signal, attempt: n, deadline, startedAt: start });
      succeeded(policy, endpoint, n, tracker, start);
      return value;
    } catch (thrown) {
      delay = failed(run, n, endpoint, tracker, start, thrown, retries);
    }
  }
}

/**
 * Reports successful attempt `n`: to its endpoint's tracker, the retry budget, the hedge estimator
 * and the observer. Returns the clock reading it took.
 */
function succeeded(
  policy: CallPolicy,
  endpoint: Endpoint,
  n: number,
  tracker: CallTracker,
  start: number,
): number {
  const now = policy.clock.now();
  const latency = now - start;
  tracker.done('success', latency, now);
  policy.budget.recordSuccess();
  policy.hedging?.estimator?.record(latency);
  policy.observer?.attemptEnded(endpoint, n, undefined, latency);
  return now;
}

/**
 * Reports failed attempt `n` and decides what comes next: throws the error the call ends with, or
 * sets the next pick's context in `retries` and returns the backoff (ms) before the next attempt.
 */
function failed<T>(
  run: Run<T>,
  n: number,
  endpoint: Endpoint,
  tracker: CallTracker,
  start: number,
  thrown: unknown,
  retries: Retries,
): number {
  const { policy, signal, deadline, sameEndpoint } = run;
  const error = toProximaError(thrown);
  const kind = outcomeOf(error, signal);
  const now = policy.clock.now();
  tracker.done(kind, now - start, now);
  chargeBudget(policy.budget, kind, error);
  policy.observer?.attemptEnded(endpoint, n, error, now - start);
  if (signal?.aborted) throw abortError(signal);
  retries.lastError = error;
  if (n >= run.maxAttempts || !mayRetry(error, policy.idempotent)) throw error;
  if (!error.unprocessed && !policy.budget.canRetry()) {
    policy.observer?.budgetExhausted();
    throw error;
  }

  if (sameEndpoint) {
    retries.context = { hashKey: run.hashKey, prefer: endpoint.id };
  } else {
    retries.tried ??= new Set();
    retries.tried.add(endpoint.id);
    retries.context = { hashKey: run.hashKey, exclude: retries.tried };
  }
  let delay = 0;
  if (sameEndpoint || !error.unprocessed) {
    retries.backoff = (
      retries.backoff ??
      fullJitterBackoff({
        initialMs: policy.initialBackoffMs,
        maxMs: policy.maxBackoffMs,
        random: policy.random,
      })
    ).next();
    delay = retries.backoff.delayMs;
  }
  if (deadline !== undefined && delay >= deadline.remaining()) throw error;
  return delay;
}
