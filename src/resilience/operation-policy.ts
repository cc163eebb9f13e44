import { sleep, systemClock, type Clock } from '../core/clock.js';
import { toProximaError, type ProximaError } from '../core/errors.js';
import { systemRandom, type Random } from '../core/random.js';
import { fullJitterBackoff } from './backoff.js';
import { abortError, CallSignal, Deadline } from './deadline.js';
import type { RetryBudget } from './retry-budget.js';

/** What an operation run under an {@link OperationPolicy} gets. */
export interface OperationContext {
  /** Aborts when the caller cancels or a timeout policy's deadline passes. */
  readonly signal: AbortSignal | undefined;
  /** 1 for the first try, 2 for the first retry, … */
  readonly attempt: number;
}

/**
 * A policy for operations that are not endpoint calls (registering with the registry, reopening a
 * watch, fetching cloud metadata), in cockatiel's shape: one method, `execute(fn, signal)`, and
 * policies compose with {@link wrap}. Calls to services go through `executeCall` instead, which
 * knows about pickers and endpoints.
 *
 * @example
 * ```ts
 * const policy = wrap(timeoutPolicy({ ms: 2000 }), retryPolicy({ maxAttempts: 5, initialBackoffMs: 100 }));
 * await policy.execute(({ signal }) => registry.register(instance, { ttl: 10_000, signal }), shutdown);
 * ```
 */
export interface OperationPolicy {
  execute<T>(fn: (context: OperationContext) => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/** Nests policies, the first outermost: `wrap(a, b).execute(fn)` is `a.execute(() => b.execute(fn))`. */
export function wrap(...policies: OperationPolicy[]): OperationPolicy {
  return {
    execute<T>(fn: (context: OperationContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
      const run = (index: number, context: OperationContext): Promise<T> => {
        const policy = policies[index];
        if (policy === undefined) return fn(context);
        return policy.execute((inner) => run(index + 1, inner), context.signal);
      };
      return run(0, { signal, attempt: 1 });
    },
  };
}

/** Options of {@link retryPolicy}. */
export interface RetryPolicyOptions {
  /** Tries in all, the first included (default 3); `Infinity` retries until cancelled. */
  readonly maxAttempts?: number;
  /** Full-jitter backoff: first window, ms (default 100). */
  readonly initialBackoffMs?: number;
  /** Full-jitter backoff: largest window, ms (default 10 000). */
  readonly maxBackoffMs?: number;
  /** Which errors to retry (default: `error.retryable`). */
  readonly shouldRetry?: (error: ProximaError) => boolean;
  /** When given, retries stop while it is exhausted (and outcomes feed it). */
  readonly budget?: RetryBudget;
  readonly clock?: Clock;
  readonly random?: Random;
}

/** Retries a failed operation with full-jitter exponential backoff. */
export function retryPolicy(options: RetryPolicyOptions = {}): OperationPolicy {
  const maxAttempts = options.maxAttempts ?? 3;
  const shouldRetry = options.shouldRetry ?? ((error: ProximaError) => error.retryable);
  const clock = options.clock ?? systemClock;
  const start = fullJitterBackoff({
    initialMs: options.initialBackoffMs ?? 100,
    maxMs: options.maxBackoffMs ?? 10_000,
    random: options.random ?? systemRandom,
  });
  return {
    async execute<T>(fn: (context: OperationContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
      let backoff = start;
      for (let attempt = 1; ; attempt++) {
        if (signal?.aborted) throw abortError(signal);
        try {
          const value = await fn({ signal, attempt });
          options.budget?.recordSuccess();
          return value;
        } catch (thrown) {
          const error = toProximaError(thrown);
          if (signal?.aborted) throw abortError(signal);
          options.budget?.recordFailure();
          const budgetOk = options.budget?.canRetry() ?? true;
          if (attempt >= maxAttempts || !shouldRetry(error) || !budgetOk) throw error;
        }
        backoff = backoff.next();
        try {
          await sleep(clock, backoff.delayMs, signal);
        } catch (thrown) {
          throw signal?.aborted ? abortError(signal) : toProximaError(thrown);
        }
      }
    },
  };
}

/** Options of {@link timeoutPolicy}. */
export interface TimeoutPolicyOptions {
  /** Time allowed, ms. */
  readonly ms: number;
  readonly clock?: Clock;
}

/**
 * Fails an operation with DEADLINE_EXCEEDED after `ms`, aborting its signal. The promise settles
 * at the deadline even if the operation ignores its signal (cockatiel's "aggressive" timeout): the
 * operations this guards, like a registry call on a half-open socket, cannot always be trusted to.
 */
export function timeoutPolicy(options: TimeoutPolicyOptions): OperationPolicy {
  const clock = options.clock ?? systemClock;
  return {
    execute<T>(fn: (context: OperationContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
      const scope = new CallSignal(Deadline.after(clock, options.ms), signal);
      return new Promise<T>((resolve, reject) => {
        const onAbort = (): void => reject(abortError(scope.signal));
        if (scope.signal.aborted) return onAbort();
        scope.signal.addEventListener('abort', onAbort, { once: true });
        let running: Promise<T>;
        try {
          running = fn({ signal: scope.signal, attempt: 1 });
        } catch (thrown) {
          running = Promise.reject(thrown);
        }
        const release = (): void => {
          scope.signal.removeEventListener('abort', onAbort);
          scope[Symbol.dispose]();
        };
        running.then(
          (value) => {
            release();
            resolve(value);
          },
          (thrown: unknown) => {
            release();
            reject(toProximaError(thrown));
          },
        );
      });
    },
  };
}
