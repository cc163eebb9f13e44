/** The metrics entry's exports, loaded by `index.ts` once `prom-client` is known to be installed. */
export { exposition, LATENCY_BUCKETS } from './common.js';
export { serverMetrics, metricsInterceptor } from './rpc-metrics.js';
export { RouterMetrics, collectRouterMetrics } from './router-metrics.js';
export { clientMetrics } from './client-metrics.js';
export { mountMetrics, metricsRoute } from './registry-server-metrics.js';
export { collectProcessMetrics } from './process-metrics.js';
export { collectXdsMetrics } from './xds-metrics.js';
export { registrarMetrics } from './registrar-metrics.js';
export { serveMetrics } from './serve.js';
export { CounterFamily, GaugeFamily, HistogramFamily } from './cells.js';
