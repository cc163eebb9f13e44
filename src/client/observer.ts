import type { Endpoint } from '../balancer/picker.js';
import { type ProximaError, toProximaError } from '../core/errors.js';
import type { Locality } from '../core/locality.js';
import type { Attempt, CallPolicy } from '../resilience/policy.js';
import type { Router } from '../routing/router.js';

/** A service the client started calling: its router (explain data, endpoint stats) and the caller's place. */
export interface ObservedService {
  readonly service: string;
  readonly router: Router;
  readonly caller: Locality;
}

/** One logical call (`call`, `broadcast` or a bound method), before any attempt. */
export interface ObservedCall {
  readonly service: string;
  /** The method name, without the service. */
  readonly method: string;
  readonly failMode: CallPolicy['failMode'];
}

/**
 * Why an attempt was sent: the call's `first`, a `retry` after a failure, a `hedge` (hedged
 * requests; also their immediate replacement of a failed attempt), a `fork` beyond the first of
 * a forking call, or one of a `broadcast`.
 */
export type AttemptKind = 'first' | 'retry' | 'hedge' | 'fork' | 'broadcast';

/** One attempt of a call on one endpoint. */
export interface ObservedAttempt extends ObservedCall {
  readonly endpoint: Endpoint;
  /** 1 for the first attempt of the call, 2 for the next, … */
  readonly attempt: number;
  readonly kind: AttemptKind;
  readonly caller: Locality;
}

/** Told how a call or attempt ended: undefined on success, else its error. */
export type ObservedEnd = (error: ProximaError | undefined) => void;

/**
 * Sees what the client does, for metrics and tracing (`src/observability` implements one):
 * services opened, logical calls, attempts on endpoints. Every method is optional; each runs on the
 * call path, so keep them cheap and never throw.
 *
 * @example
 * ```ts
 * const observer: ClientObserver = {
 *   attemptStarted: (a) => (error) => log.debug({ to: a.endpoint.id, kind: a.kind, code: error?.code }),
 * };
 * await createClient({ registry, observers: [observer] });
 * ```
 */
export interface ClientObserver {
  /** A service's channel opened; the returned disposable (if any) is disposed when it closes. */
  serviceOpened?(service: ObservedService): Disposable | undefined;
  /** A logical call starts; the returned callback (if any) hears how it ended. */
  callStarted?(call: ObservedCall): ObservedEnd | undefined;
  /** An attempt is sent to an endpoint; the returned callback (if any) hears how it ended. */
  attemptStarted?(attempt: ObservedAttempt): ObservedEnd | undefined;
}

/** One observer standing for several (undefined when there are none). */
export function combineObservers(
  observers: readonly ClientObserver[] | undefined,
): ClientObserver | undefined {
  if (observers === undefined || observers.length === 0) return undefined;
  if (observers.length === 1) return observers[0];
  const ends = (list: ReadonlyArray<ObservedEnd | undefined>): ObservedEnd => {
    return (error) => {
      for (const end of list) end?.(error);
    };
  };
  return {
    serviceOpened: (s) => {
      const subs = observers.map((o) => o.serviceOpened?.(s));
      return {
        [Symbol.dispose]: () => {
          for (const sub of subs) sub?.[Symbol.dispose]();
        },
      };
    },
    callStarted: (c) => ends(observers.map((o) => o.callStarted?.(c))),
    attemptStarted: (a) => ends(observers.map((o) => o.attemptStarted?.(a))),
  };
}

/**
 * Runs one logical call under `observer`: tells it the call started and ended, and wraps
 * `attempt` so it hears of every attempt too. `execute` runs the (wrapped) attempt under the policy.
 */
export function observeCall<T>(
  observer: ClientObserver,
  call: ObservedCall,
  caller: Locality,
  policy: CallPolicy,
  attempt: Attempt<T>,
  execute: (attempt: Attempt<T>) => Promise<T>,
): Promise<T> {
  const callEnd = observer.callStarted?.(call);
  const observed: Attempt<T> =
    observer.attemptStarted === undefined
      ? attempt
      : (endpoint, context) => {
          const end = observer.attemptStarted!({
            service: call.service,
            method: call.method,
            failMode: call.failMode,
            endpoint,
            attempt: context.attempt,
            kind: attemptKind(policy, context.attempt),
            caller,
          });
          if (end === undefined) return attempt(endpoint, context);
          let pending: Promise<T>;
          try {
            pending = attempt(endpoint, context);
          } catch (thrown) {
            pending = Promise.reject(thrown as Error);
          }
          return settle(pending, end);
        };
  const result = execute(observed);
  return callEnd === undefined ? result : settle(result, callEnd);
}

function attemptKind(policy: CallPolicy, attempt: number): AttemptKind {
  if (policy.failMode === 'broadcast') return 'broadcast';
  if (attempt === 1) return 'first';
  if (policy.failMode === 'forking') return 'fork';
  return policy.hedging === undefined ? 'retry' : 'hedge';
}

function settle<T>(pending: Promise<T>, end: ObservedEnd): Promise<T> {
  return pending.then(
    (value) => {
      end(undefined);
      return value;
    },
    (thrown: unknown) => {
      end(toProximaError(thrown));
      throw thrown;
    },
  );
}
