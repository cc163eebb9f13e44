import type { Registry } from 'prom-client';
import { type Clock, systemClock } from '../../core/clock.js';
import { toProximaError } from '../../core/errors.js';
import type { ClientInterceptor } from '../../rpc/client/interceptor.js';
import type { ServedMethod, ServedMethodObserver, ServerObserver } from '../../rpc/server/observer.js';
import { type Cell, CounterFamily, GaugeFamily, type HistogramCell, HistogramFamily } from './cells.js';
import { CodeCounter, type MetricsOptions, resolveOptions, splitWireName } from './common.js';

/** Options of the RPC metrics. */
export interface RpcMetricsOptions extends MetricsOptions {
  readonly clock?: Clock;
}

/**
 * Server side: counts every served call by `service`, `method` and result `code`, observes its
 * duration and keeps the calls in flight. A {@link ServerObserver}: pass it in the server's
 * `observers` (or let `createServer({ metrics })` do it). Series are bound once per method when
 * the server is built, from its own method table, so a client cannot open new series by calling
 * made-up methods, and a call costs a few additions: no promise, no closure, no label lookup.
 *
 * Metrics: `proxima_rpc_server_calls_total{service,method,code}`,
 * `proxima_rpc_server_call_duration_seconds{service,method}`,
 * `proxima_rpc_server_calls_in_flight{service,method}`.
 *
 * @example
 * ```ts
 * const registry = new Registry();
 * const server = createServer({ services, observers: [serverMetrics(registry)] });
 * ```
 */
export function serverMetrics(registry: Registry, options: MetricsOptions = {}): ServerObserver {
  const { name, buckets } = resolveOptions(options, 'serverMetrics');
  const calls = new CounterFamily(
    registry,
    name('rpc_server_calls_total'),
    'RPC calls served, by service, method and result code (OK or the error code).',
  );
  const duration = new HistogramFamily(
    registry,
    name('rpc_server_call_duration_seconds'),
    'Time from a request reaching the server interceptors to its answer, seconds.',
    buckets,
  );
  const inFlight = new GaugeFamily(
    registry,
    name('rpc_server_calls_in_flight'),
    'RPC calls being served now.',
  );
  return {
    methodOpened: (m: ServedMethod): ServedMethodObserver => {
      const labels = { service: m.service, method: m.methodName };
      return new ServedCells(new CodeCounter(calls, labels), duration.bind(labels), inFlight.bind(labels));
    },
  };
}

class ServedCells implements ServedMethodObserver {
  constructor(
    private readonly calls: CodeCounter,
    private readonly duration: HistogramCell,
    private readonly inFlight: Cell,
  ) {}

  started(): void {
    this.inFlight.value++;
  }

  ended(error: { readonly code: string } | undefined, durationMs: number): void {
    this.inFlight.value--;
    this.calls.add(error);
    this.duration.observe(durationMs / 1000);
  }
}

/**
 * Client side, at the wire, for a bare connection (`withInterceptors(connection, …)`): counts every
 * call sent through the intercepted transport by `service`, `method` and `code`, and observes its
 * duration. Series are bound on a method's first call and found again by its name. With
 * `createClient`, use {@link clientMetrics} instead: it exports the same series from the call
 * executor, without the interceptor's promise per call (the two cannot share a registry).
 *
 * Metrics: `proxima_rpc_client_calls_total{service,method,code}`,
 * `proxima_rpc_client_call_duration_seconds{service,method}`.
 *
 * @example
 * ```ts
 * const users = bind(withInterceptors(connection, [metricsInterceptor(registry)]), UserApi);
 * ```
 */
export function metricsInterceptor(registry: Registry, options: RpcMetricsOptions = {}): ClientInterceptor {
  const { name, buckets } = resolveOptions(options, 'metricsInterceptor');
  const clock = options.clock ?? systemClock;
  const calls = new CounterFamily(
    registry,
    name('rpc_client_calls_total'),
    'RPC calls sent on the wire (each attempt), by service, method and result code.',
  );
  const duration = new HistogramFamily(
    registry,
    name('rpc_client_call_duration_seconds'),
    'Time from sending an RPC to its answer or failure, seconds.',
    buckets,
  );
  // Bounded by the methods the program calls (wire names come from its own code, not from peers).
  const methods = new Map<string, { calls: CodeCounter; duration: HistogramCell }>();
  const cellsOf = (method: string): { calls: CodeCounter; duration: HistogramCell } => {
    let cells = methods.get(method);
    if (cells === undefined) {
      const labels = splitWireName(method);
      cells = { calls: new CodeCounter(calls, labels), duration: duration.bind(labels) };
      methods.set(method, cells);
    }
    return cells;
  };
  // Interceptors are composed once per connection: every connection shares these metrics.
  return (next) => (method, request, callOptions) => {
    const cells = cellsOf(method);
    const start = clock.now();
    let pending: Promise<unknown>;
    try {
      pending = next(method, request, callOptions);
    } catch (thrown) {
      pending = Promise.reject(thrown as Error);
    }
    return pending.then(
      (value) => {
        cells.calls.add(undefined);
        cells.duration.observe((clock.now() - start) / 1000);
        return value;
      },
      (thrown: unknown) => {
        cells.calls.add(toProximaError(thrown));
        cells.duration.observe((clock.now() - start) / 1000);
        throw thrown;
      },
    );
  };
}
