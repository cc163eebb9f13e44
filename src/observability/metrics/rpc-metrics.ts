import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type Clock, systemClock } from '../../core/clock.js';
import { toProximaError } from '../../core/errors.js';
import type { ClientInterceptor } from '../../rpc/client/interceptor.js';
import type { ServerInterceptor } from '../../rpc/server/context.js';
import { codeLabel, type MetricsOptions, resolveOptions, splitWireName } from './common.js';

/** Options of the RPC metrics interceptors. */
export interface RpcMetricsOptions extends MetricsOptions {
  readonly clock?: Clock;
}

/**
 * Server side: counts every served call by `service`, `method` and result `code`, observes its
 * duration and keeps the calls in flight. Labels come from the server's own method table, so a
 * client cannot open new series by calling made-up methods (those are refused before
 * interceptors run).
 *
 * Metrics: `proxima_rpc_server_calls_total{service,method,code}`,
 * `proxima_rpc_server_call_duration_seconds{service,method}`,
 * `proxima_rpc_server_calls_in_flight{service,method}`.
 *
 * @example
 * ```ts
 * const registry = new Registry();
 * const server = createServer({ services, interceptors: [serverMetrics(registry)] });
 * ```
 */
export function serverMetrics(registry: Registry, options: RpcMetricsOptions = {}): ServerInterceptor {
  const { name, buckets } = resolveOptions(options, 'serverMetrics');
  const clock = options.clock ?? systemClock;
  const registers = [registry];
  const calls = new Counter({
    name: name('rpc_server_calls_total'),
    help: 'RPC calls served, by service, method and result code (OK or the error code).',
    labelNames: ['service', 'method', 'code'] as const,
    registers,
  });
  const duration = new Histogram({
    name: name('rpc_server_call_duration_seconds'),
    help: 'Time from a request reaching the server interceptors to its answer, seconds.',
    labelNames: ['service', 'method'] as const,
    buckets,
    registers,
  });
  const inFlight = new Gauge({
    name: name('rpc_server_calls_in_flight'),
    help: 'RPC calls being served now.',
    labelNames: ['service', 'method'] as const,
    registers,
  });
  return (next) => async (request, ctx) => {
    const labels = { service: ctx.service, method: ctx.methodName };
    const start = clock.now();
    inFlight.inc(labels);
    let code = 'OK';
    try {
      return await next(request, ctx);
    } catch (thrown) {
      code = codeLabel(toProximaError(thrown));
      throw thrown;
    } finally {
      inFlight.dec(labels);
      calls.inc({ ...labels, code });
      duration.observe(labels, (clock.now() - start) / 1000);
    }
  };
}

/**
 * Client side, at the wire: counts every call sent through the intercepted transport (with
 * `createClient`, every attempt: retries and hedges included) by `service`, `method` and `code`,
 * and observes its duration. For logical calls, picks by zone and retries, use
 * {@link clientMetrics}.
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
  const registers = [registry];
  const calls = new Counter({
    name: name('rpc_client_calls_total'),
    help: 'RPC calls sent on the wire (each attempt), by service, method and result code.',
    labelNames: ['service', 'method', 'code'] as const,
    registers,
  });
  const duration = new Histogram({
    name: name('rpc_client_call_duration_seconds'),
    help: 'Time from sending an RPC to its answer or failure, seconds.',
    labelNames: ['service', 'method'] as const,
    buckets,
    registers,
  });
  // Interceptors are composed once per connection: every connection shares these metrics.
  return (next) => async (method, request, callOptions) => {
    const labels = splitWireName(method);
    const start = clock.now();
    let code = 'OK';
    try {
      return await next(method, request, callOptions);
    } catch (thrown) {
      code = codeLabel(toProximaError(thrown));
      throw thrown;
    } finally {
      calls.inc({ ...labels, code });
      duration.observe(labels, (clock.now() - start) / 1000);
    }
  };
}
