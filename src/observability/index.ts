/**
 * Observability: Prometheus metrics (prom-client, always into a registry you pass in) and W3C
 * trace context carried in RPC metadata, with no tracing SDK. See docs/observability.md.
 *
 * @example
 * ```ts
 * const registry = new Registry();
 * const client = await createClient({
 *   registry: 'http://127.0.0.1:7070',
 *   observers: [clientMetrics(registry)],
 *   interceptors: [traceClient(), metricsInterceptor(registry)],
 * });
 * const server = createServer({ services, interceptors: [traceServer(), serverMetrics(registry)] });
 * using _ = mountMetrics(registryServer, registry); // GET /metrics on the registry server
 * ```
 */
export { exposition, LATENCY_BUCKETS, type MetricsOptions } from './metrics/common.js';
export * from './metrics/rpc-metrics.js';
export * from './metrics/router-metrics.js';
export * from './metrics/client-metrics.js';
export * from './metrics/registry-server-metrics.js';
export * from './metrics/process-metrics.js';
export { registrarMetrics } from './metrics/registrar-metrics.js';
export { serveMetrics, type MetricsEndpoint, type ServeMetricsOptions } from './metrics/serve.js';
export { CounterFamily, GaugeFamily, HistogramFamily, Cell, HistogramCell } from './metrics/cells.js';
export { topologyMetrics } from './metrics/topology-metrics.js';
export * from './tracing/trace-context.js';
export * from './tracing/span.js';
export * from './tracing/context.js';
export * from './tracing/propagation.js';
export * from './metrics/xds-metrics.js';
export {
  resolveOpenTelemetry,
  type OpenTelemetryOptions,
  type OpenTelemetrySetting,
  type Otel,
} from './otel/load.js';
export { openTelemetryServer } from './otel/server.js';
