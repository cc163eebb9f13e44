import { ErrorCode, invalidArgument, type ProximaError, toProximaError } from '../core/errors.js';
import { runBroadcast } from './broadcast.js';
import { abortError, Deadline } from './deadline.js';
import { currentCallContext } from './deadline-context.js';
import type { PolicyObserver } from './observer.js';
import { mayRetry } from './outcome.js';
import type { Attempt, CallOptions, CallPolicy, CallResult, FailMode, HedgingPolicy } from './policy.js';
import { runRace, type RaceShape } from './race.js';
import { runSequential } from './sequential.js';

/** Background tries of `failback` without any timeout configured get this long each. */
const FAILBACK_DEFAULT_TIMEOUT_MS = 5000;

/**
 * Runs one logical call under `policy`: picks endpoints from the current picker, calls `attempt`
 * on them as the fail mode says, reports every attempt's outcome to its endpoint's tracker exactly
 * once, and settles with the call's result.
 *
 * The call's deadline is the earliest of `call.deadline`, the timeout (`timeoutMs`, which defaults
 * to `call.timeoutMs`, else the policy's) and the deadline inherited from the call being served
 * ({@link currentDeadline}); when it passes the call fails with DEADLINE_EXCEEDED (enforced by the
 * attempt, see {@link Attempt}). Cancelling `call.signal` (or the served call's signal) fails it
 * with CANCELLED. The result type follows the fail mode ({@link CallResult}).
 *
 * @example
 * ```ts
 * const policy = callPolicy({ getPicker: () => picker, idempotent: true, timeoutMs: 500 });
 * const reply = await executeCall(policy, (endpoint, { signal, deadline }) =>
 *   connections.get(endpoint).request('users.get', { id }, { signal, deadline }),
 * );
 * ```
 */
export function executeCall<T, M extends FailMode>(
  policy: CallPolicy<M>,
  attempt: Attempt<T>,
  call?: CallOptions<T>,
  timeoutMs: number | undefined = call?.timeoutMs,
): Promise<CallResult<T, M>> {
  const inherited = currentCallContext();
  // One clock read for the deadline, its check and the first attempt's start.
  const now = policy.clock.now();
  const deadline = callDeadline(policy, call?.deadline, timeoutMs, inherited?.deadline, now);
  const signal = callerSignal(call, inherited?.signal);
  const observer = policy.observer;
  if (signal?.aborted) return refuse(observer, abortError(signal));
  // An attempt with no time left would only fail, and count as a strike against its endpoint.
  if (deadline !== undefined && (deadline.clock === policy.clock ? deadline.at <= now : deadline.expired)) {
    return refuse(observer, deadline.exceeded('deadline passed before the call started'));
  }
  const hashKey = call?.hashKey;
  let result: Promise<unknown>;
  switch (policy.failMode) {
    // The sequential modes tell the observer of the call's end themselves (no extra promise).
    case 'failfast':
      return runSequential(policy, attempt, signal, deadline, hashKey, 1, false, now, true) as Promise<
        CallResult<T, M>
      >;
    case 'failover':
      if (policy.hedging === undefined) {
        const max = policy.maxAttempts;
        return runSequential(policy, attempt, signal, deadline, hashKey, max, false, now, true) as Promise<
          CallResult<T, M>
        >;
      }
      result = runRace(policy, attempt, signal, deadline, hashKey, hedgedShape(policy.hedging));
      break;
    case 'failretry': {
      const max = policy.maxAttempts;
      return runSequential(policy, attempt, signal, deadline, hashKey, max, true, now, true) as Promise<
        CallResult<T, M>
      >;
    }
    case 'forking': {
      const shape = {
        initial: policy.forks,
        maxAttempts: policy.forks,
        hedgeDelayMs: undefined,
        hedged: false,
      };
      result = runRace(policy, attempt, signal, deadline, hashKey, shape);
      break;
    }
    case 'broadcast':
      result = runBroadcast(policy, attempt, signal, deadline, hashKey);
      break;
    case 'failsafe':
      result = failsafe(policy, attempt, signal, deadline, call);
      break;
    case 'failback':
      result = failback(policy, attempt, signal, deadline, call, timeoutMs);
      break;
    default:
      // Unreachable for a policy built by callPolicy(); kept for plain objects typed loosely.
      result = Promise.reject(
        invalidArgument('policy.failMode', `unknown fail mode ${String(policy.failMode)}`),
      );
  }
  if (observer !== undefined) result = observeEnd(observer, policy, now, result);
  return result as Promise<CallResult<T, M>>;
}

/** A call refused before any attempt: its end is told at once. */
function refuse<R>(observer: PolicyObserver | undefined, error: ProximaError): Promise<R> {
  observer?.callEnded(error, 0);
  return Promise.reject(error);
}

/** Tells `observer` when `result` settles (the fail modes that do not report their own end). */
function observeEnd(
  observer: PolicyObserver,
  policy: CallPolicy,
  start: number,
  result: Promise<unknown>,
): Promise<unknown> {
  return result.then(
    (value) => {
      observer.callEnded(undefined, policy.clock.now() - start);
      return value;
    },
    (thrown: unknown) => {
      observer.callEnded(toProximaError(thrown), policy.clock.now() - start);
      throw thrown;
    },
  );
}

/** The earliest of `own`, the timeout (else the policy's) from `now` and `inherited`. */
function callDeadline(
  policy: CallPolicy,
  own: Deadline | undefined,
  callTimeoutMs: number | undefined,
  inherited: Deadline | undefined,
  now: number,
): Deadline | undefined {
  let deadline = own;
  const timeoutMs = callTimeoutMs ?? policy.timeoutMs;
  if (timeoutMs !== undefined) {
    const timeout = Deadline.at(policy.clock, now + Math.max(0, timeoutMs));
    deadline = deadline === undefined ? timeout : timeout.earliest(deadline);
  }
  return inherited === undefined ? deadline : inherited.earliest(deadline);
}

function callerSignal(
  call: CallOptions | undefined,
  inherited: AbortSignal | undefined,
): AbortSignal | undefined {
  const own = call?.signal;
  if (own === undefined || inherited === undefined || own === inherited) return own ?? inherited;
  return AbortSignal.any([own, inherited]);
}

function hedgedShape(hedging: HedgingPolicy): RaceShape {
  const observed =
    hedging.percentile === undefined ? undefined : hedging.estimator?.quantile(hedging.percentile);
  const hedgeDelayMs = Math.max(hedging.minDelayMs, observed ?? hedging.delayMs);
  return { initial: 1, maxAttempts: hedging.maxAttempts, hedgeDelayMs, hedged: true };
}

/** True when the caller (not a deadline) cancelled: failsafe and failback must not hide that. */
function callerCancelled(signal: AbortSignal | undefined): boolean {
  return signal !== undefined && signal.aborted && abortError(signal).code === ErrorCode.CANCELLED;
}

async function failsafe<T>(
  policy: CallPolicy,
  attempt: Attempt<T>,
  signal: AbortSignal | undefined,
  deadline: Deadline | undefined,
  call: CallOptions<T> | undefined,
): Promise<T | undefined> {
  try {
    return await runSequential(policy, attempt, signal, deadline, call?.hashKey, 1, false);
  } catch (thrown) {
    if (callerCancelled(signal)) throw thrown;
    const error = toProximaError(thrown);
    policy.logger?.warn({ err: error, code: error.code }, 'failsafe: call failed, returning the fallback');
    return call?.fallback?.(error);
  }
}

async function failback<T>(
  policy: CallPolicy,
  attempt: Attempt<T>,
  signal: AbortSignal | undefined,
  deadline: Deadline | undefined,
  call: CallOptions<T> | undefined,
  callTimeoutMs: number | undefined,
): Promise<T | undefined> {
  try {
    return await runSequential(policy, attempt, signal, deadline, call?.hashKey, 1, false);
  } catch (thrown) {
    const error = toProximaError(thrown);
    const queue = policy.failbackQueue;
    if (queue === undefined || callerCancelled(signal) || !mayRetry(error, policy.idempotent)) throw error;
    const hashKey = call?.hashKey;
    // Each background try gets as long as the call had.
    const timeoutMs = callTimeoutMs ?? policy.timeoutMs ?? FAILBACK_DEFAULT_TIMEOUT_MS;
    const queued = queue.enqueue(
      async (queueSignal, retry) => {
        const tryAttempt: Attempt<T> = (endpoint, context) =>
          attempt(endpoint, { ...context, attempt: retry + 1 });
        const tryDeadline = Deadline.after(policy.clock, timeoutMs);
        await runSequential(policy, tryAttempt, queueSignal, tryDeadline, hashKey, 1, false);
      },
      (e) => mayRetry(e, policy.idempotent),
    );
    if (!queued) throw error;
    return undefined;
  }
}
