/**
 * Prometheus metrics (`@proxima-rpc/proxima/metrics`), always into a prom-client `Registry` the application
 * passes in: client calls and picks by zone pair, server calls, the router's tiers and ejections,
 * the registry server's size and watches, and process metrics. See docs/observability.md.
 *
 * `prom-client` is an optional peer dependency: the application installs it (its `Registry` is the
 * one scraped), and importing this entry without it fails with a FAILED_PRECONDITION that names
 * the package, not a module-resolution error from deep inside.
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * import { clientMetrics, metricsInterceptor } from '@proxima-rpc/proxima/metrics';
 *
 * const metrics = new Registry();
 * const client = await createClient({
 *   observers: [clientMetrics(metrics)],
 *   interceptors: [metricsInterceptor(metrics)],
 * });
 * ```
 */
import { loadWithPeer } from '../../core/peer.js';

const api = await loadWithPeer('prom-client', 'Prometheus metrics', () => import('./api.js'));

/** {@inheritDoc clientMetrics} */
export const clientMetrics: typeof api.clientMetrics = api.clientMetrics;
/** {@inheritDoc serverMetrics} */
export const serverMetrics: typeof api.serverMetrics = api.serverMetrics;
/** {@inheritDoc metricsInterceptor} */
export const metricsInterceptor: typeof api.metricsInterceptor = api.metricsInterceptor;
/** {@inheritDoc mountMetrics} */
export const mountMetrics: typeof api.mountMetrics = api.mountMetrics;
/** {@inheritDoc metricsRoute} */
export const metricsRoute: typeof api.metricsRoute = api.metricsRoute;
/** {@inheritDoc collectProcessMetrics} */
export const collectProcessMetrics: typeof api.collectProcessMetrics = api.collectProcessMetrics;
/** {@inheritDoc registrarMetrics} */
export const registrarMetrics: typeof api.registrarMetrics = api.registrarMetrics;
/** {@inheritDoc serveMetrics} */
export const serveMetrics: typeof api.serveMetrics = api.serveMetrics;
/** {@inheritDoc CounterFamily} */
export const CounterFamily: typeof api.CounterFamily = api.CounterFamily;
export type CounterFamily = InstanceType<typeof api.CounterFamily>;
/** {@inheritDoc GaugeFamily} */
export const GaugeFamily: typeof api.GaugeFamily = api.GaugeFamily;
export type GaugeFamily = InstanceType<typeof api.GaugeFamily>;
/** {@inheritDoc HistogramFamily} */
export const HistogramFamily: typeof api.HistogramFamily = api.HistogramFamily;
export type HistogramFamily = InstanceType<typeof api.HistogramFamily>;
export type { MetricsEndpoint, ServeMetricsOptions } from './serve.js';
/** {@inheritDoc collectXdsMetrics} */
export const collectXdsMetrics: typeof api.collectXdsMetrics = api.collectXdsMetrics;
/** {@inheritDoc collectRouterMetrics} */
export const collectRouterMetrics: typeof api.collectRouterMetrics = api.collectRouterMetrics;
/** {@inheritDoc RouterMetrics} */
export const RouterMetrics: typeof api.RouterMetrics = api.RouterMetrics;
/** The gauges and counters of one router (see `collectRouterMetrics`). */
export type RouterMetrics = InstanceType<typeof api.RouterMetrics>;
/** {@inheritDoc exposition} */
export const exposition: typeof api.exposition = api.exposition;
/** The latency histogram buckets, in seconds. */
export const LATENCY_BUCKETS: typeof api.LATENCY_BUCKETS = api.LATENCY_BUCKETS;
export type { MetricsOptions } from './common.js';
export type { RpcMetricsOptions } from './rpc-metrics.js';
export type { RouterMetricsOptions } from './router-metrics.js';
export type { ClientMetricsOptions, PickScope } from './client-metrics.js';
export type { RegistryServerMetricsOptions } from './registry-server-metrics.js';
