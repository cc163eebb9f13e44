import type { Endpoint } from '../balancer/picker.js';
import type { ProximaError } from '../core/errors.js';
import type { Locality } from '../core/locality.js';
import type { PolicyObserver } from '../resilience/observer.js';
import type { CallPolicy } from '../resilience/policy.js';
import type { RetryBudget } from '../resilience/retry-budget.js';
import type { Router } from '../routing/router.js';

/** A service the client started calling: its router (explain data, endpoint stats) and the caller's place. */
export interface ObservedService {
  readonly service: string;
  readonly router: Router;
  readonly caller: Locality;
  /** The service's retry budget (shared by its methods): tokens left, whether retries are allowed. */
  readonly budget: RetryBudget;
}

/**
 * One method of a service as the client calls it: observers bind their per-method state (metric
 * series, names) here, once, instead of on every call. A method called both ways (idempotent or
 * not, call or broadcast) is opened once per way.
 */
export interface ObservedMethod {
  readonly service: string;
  /** The method name, without the service. */
  readonly method: string;
  readonly failMode: CallPolicy['failMode'];
  /** Attempts after the first are hedged (backup) requests rather than retries. */
  readonly hedged: boolean;
  readonly caller: Locality;
}

/**
 * Why an attempt was sent: the call's `first`, a `retry` after a failure, a `hedge` (hedged
 * requests; also their immediate replacement of a failed attempt), a `fork` beyond the first of
 * a forking call, or one of a `broadcast`.
 */
export type AttemptKind = 'first' | 'retry' | 'hedge' | 'fork' | 'broadcast';

/**
 * Sees what the client does, for metrics: services opened, and per method a
 * {@link PolicyObserver} the call executor tells of every attempt, refused retry and call end,
 * synchronously and without allocating. Every method is optional; keep them cheap and never throw.
 *
 * @example
 * ```ts
 * const observer: ClientObserver = {
 *   methodOpened: (m) => ({
 *     attemptEnded: (endpoint, n, error) => log.debug({ method: m.method, to: endpoint.id, n, code: error?.code }),
 *     budgetExhausted: () => log.warn({ service: m.service }, 'retry budget empty'),
 *     callEnded: () => undefined,
 *   }),
 * };
 * await createClient({ registry, observers: [observer] });
 * ```
 */
export interface ClientObserver {
  /** A service's channel opened; the returned disposable (if any) is disposed when it closes. */
  serviceOpened?(service: ObservedService): Disposable | undefined;
  /** A method's policy is being built (once per method and way): what hears its calls. */
  methodOpened?(method: ObservedMethod): PolicyObserver | undefined;
}

/** Why attempt `n` of a method was sent. */
export function attemptKind(method: ObservedMethod, n: number): AttemptKind {
  if (method.failMode === 'broadcast') return 'broadcast';
  if (n === 1) return 'first';
  if (method.failMode === 'forking') return 'fork';
  return method.hedged ? 'hedge' : 'retry';
}

/** One observer standing for several (undefined when there are none). */
export function combineObservers(
  observers: readonly ClientObserver[] | undefined,
): ClientObserver | undefined {
  if (observers === undefined || observers.length === 0) return undefined;
  if (observers.length === 1) return observers[0];
  return {
    serviceOpened: (s) => {
      const subs = observers.map((o) => o.serviceOpened?.(s));
      return {
        [Symbol.dispose]: () => {
          for (const sub of subs) sub?.[Symbol.dispose]();
        },
      };
    },
    methodOpened: (m) => {
      const list = observers.flatMap((o) => o.methodOpened?.(m) ?? []);
      if (list.length <= 1) return list[0];
      return {
        attemptEnded: (endpoint: Endpoint, n: number, error: ProximaError | undefined, ms: number) => {
          for (const o of list) o.attemptEnded(endpoint, n, error, ms);
        },
        budgetExhausted: () => {
          for (const o of list) o.budgetExhausted();
        },
        callEnded: (error: ProximaError | undefined, ms: number) => {
          for (const o of list) o.callEnded(error, ms);
        },
      };
    },
  };
}
