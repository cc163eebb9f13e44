import { ErrorCode, toProximaError, type ProximaError } from '../core/errors.js';
import { runBroadcast } from './broadcast.js';
import { abortError, CallSignal, Deadline } from './deadline.js';
import { currentDeadline, currentSignal } from './deadline-context.js';
import { mayRetry } from './outcome.js';
import type { Attempt, CallOptions, CallPolicy, CallResult, FailMode } from './policy.js';
import { runRace } from './race.js';
import { runSequential } from './sequential.js';

/** Background tries of `failback` without any timeout configured get this long each. */
const FAILBACK_DEFAULT_TIMEOUT_MS = 5000;

/**
 * Runs one logical call under `policy`: picks endpoints from the current picker, calls `attempt`
 * on them as the fail mode says, reports every attempt's outcome to its endpoint's tracker exactly
 * once, and settles with the call's result.
 *
 * The call's deadline is the earliest of `call.deadline`, the timeout (`call.timeoutMs`, else the
 * policy's) and the deadline inherited from the call being served ({@link currentDeadline}); when
 * it passes the call fails with DEADLINE_EXCEEDED. Cancelling `call.signal` (or the served call's
 * signal) fails it with CANCELLED. The result type follows the fail mode ({@link CallResult}).
 *
 * @example
 * ```ts
 * const policy = callPolicy({ getPicker: () => picker, idempotent: true, timeoutMs: 500 });
 * const reply = await executeCall(policy, (endpoint, { signal, deadline }) =>
 *   connections.get(endpoint).request('users.get', { id }, { signal, deadline }),
 * );
 * ```
 */
export async function executeCall<T, M extends FailMode>(
  policy: CallPolicy<M>,
  attempt: Attempt<T>,
  call?: CallOptions<T>,
): Promise<CallResult<T, M>> {
  const deadline = callDeadline(policy, call);
  const scope = new CallSignal(deadline, callerSignal(call));
  const signal = scope.signal;
  const hashKey = call?.hashKey;
  try {
    if (signal.aborted) throw abortError(signal);
    switch (policy.failMode) {
      case 'failfast':
        return (await runSequential(policy, attempt, signal, deadline, hashKey, 1, false)) as CallResult<
          T,
          M
        >;
      case 'failover': {
        const hedging = policy.hedging;
        if (hedging === undefined) {
          return (await runSequential(
            policy,
            attempt,
            signal,
            deadline,
            hashKey,
            policy.maxAttempts,
            false,
          )) as CallResult<T, M>;
        }
        const shape = {
          initial: 1,
          maxAttempts: hedging.maxAttempts,
          hedgeDelayMs: hedgeDelay(policy),
          hedged: true,
        };
        return (await runRace(policy, attempt, signal, deadline, hashKey, shape)) as CallResult<T, M>;
      }
      case 'failretry':
        return (await runSequential(
          policy,
          attempt,
          signal,
          deadline,
          hashKey,
          policy.maxAttempts,
          true,
        )) as CallResult<T, M>;
      case 'forking': {
        const shape = {
          initial: policy.forks,
          maxAttempts: policy.forks,
          hedgeDelayMs: undefined,
          hedged: false,
        };
        return (await runRace(policy, attempt, signal, deadline, hashKey, shape)) as CallResult<T, M>;
      }
      case 'broadcast':
        return (await runBroadcast(policy, attempt, signal, deadline, hashKey)) as CallResult<T, M>;
      case 'failsafe':
        return (await failsafe(policy, attempt, signal, deadline, call)) as CallResult<T, M>;
      case 'failback':
        return (await failback(policy, attempt, signal, deadline, call)) as CallResult<T, M>;
    }
    // Unreachable for a policy built by callPolicy(); kept for plain objects typed loosely.
    throw new TypeError(`unknown fail mode ${String(policy.failMode)}`);
  } catch (thrown) {
    throw signal.aborted ? abortError(signal) : toProximaError(thrown);
  } finally {
    scope[Symbol.dispose]();
  }
}

function callDeadline(policy: CallPolicy, call: CallOptions | undefined): Deadline | undefined {
  let deadline = call?.deadline;
  const timeoutMs = call?.timeoutMs ?? policy.timeoutMs;
  if (timeoutMs !== undefined) deadline = Deadline.after(policy.clock, timeoutMs).earliest(deadline);
  const inherited = currentDeadline();
  return inherited === undefined ? deadline : inherited.earliest(deadline);
}

function callerSignal(call: CallOptions | undefined): AbortSignal | undefined {
  const own = call?.signal;
  const inherited = currentSignal();
  if (own === undefined || inherited === undefined || own === inherited) return own ?? inherited;
  return AbortSignal.any([own, inherited]);
}

function hedgeDelay(policy: CallPolicy): number {
  const h = policy.hedging;
  if (h === undefined) return 0;
  const observed = h.percentile === undefined ? undefined : h.estimator?.quantile(h.percentile);
  return Math.max(h.minDelayMs, observed ?? h.delayMs);
}

/** True when the caller (not a deadline) cancelled: failsafe and failback must not hide that. */
function callerCancelled(signal: AbortSignal): boolean {
  return signal.aborted && abortError(signal).code === ErrorCode.CANCELLED;
}

async function failsafe<T>(
  policy: CallPolicy,
  attempt: Attempt<T>,
  signal: AbortSignal,
  deadline: Deadline | undefined,
  call: CallOptions<T> | undefined,
): Promise<T | undefined> {
  try {
    return await runSequential(policy, attempt, signal, deadline, call?.hashKey, 1, false);
  } catch (thrown) {
    if (callerCancelled(signal)) throw thrown;
    const error = signal.aborted ? abortError(signal) : toProximaError(thrown);
    policy.logger?.warn({ err: error, code: error.code }, 'failsafe: call failed, returning the fallback');
    return call?.fallback?.(error);
  }
}

async function failback<T>(
  policy: CallPolicy,
  attempt: Attempt<T>,
  signal: AbortSignal,
  deadline: Deadline | undefined,
  call: CallOptions<T> | undefined,
): Promise<T | undefined> {
  try {
    return await runSequential(policy, attempt, signal, deadline, call?.hashKey, 1, false);
  } catch (thrown) {
    const error: ProximaError = signal.aborted ? abortError(signal) : toProximaError(thrown);
    const queue = policy.failbackQueue;
    if (queue === undefined || callerCancelled(signal) || !mayRetry(error, policy.idempotent)) throw error;
    const hashKey = call?.hashKey;
    // Each background try gets as long as the call had.
    const timeoutMs = call?.timeoutMs ?? policy.timeoutMs ?? FAILBACK_DEFAULT_TIMEOUT_MS;
    const queued = queue.enqueue(
      async (queueSignal, retry) => {
        const tryDeadline = Deadline.after(policy.clock, timeoutMs);
        const scope = new CallSignal(tryDeadline, queueSignal);
        const tryAttempt: Attempt<T> = (endpoint, context) =>
          attempt(endpoint, { ...context, attempt: retry + 1 });
        try {
          await runSequential(policy, tryAttempt, scope.signal, tryDeadline, hashKey, 1, false);
        } finally {
          scope[Symbol.dispose]();
        }
      },
      (e) => mayRetry(e, policy.idempotent),
    );
    if (!queued) throw error;
    return undefined;
  }
}
