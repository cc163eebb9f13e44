import type { Registry } from 'prom-client';
import { requirePromClient } from './prom-client.js';

/**
 * prom-client's default metrics that fail `promtool check metrics`: gauges named `_total` (a suffix
 * Prometheus reserves for counters). Their information is in `nodejs_active_handles` and
 * `nodejs_active_requests`, which prom-client exports too.
 */
export const LINT_FAILING_DEFAULT_METRICS: readonly string[] = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * prom-client's process and Node.js runtime metrics (`process_*`, `nodejs_*`: CPU, memory, event
 * loop lag, GC, handles) in `registry`, minus the few that Prometheus' own linter rejects.
 *
 * @example
 * ```ts
 * const registry = new Registry();
 * collectProcessMetrics(registry);
 * ```
 */
export function collectProcessMetrics(registry: Registry, options: { readonly prefix?: string } = {}): void {
  const prefix = options.prefix ?? '';
  requirePromClient('process metrics').collectDefaultMetrics({ register: registry, prefix });
  for (const name of LINT_FAILING_DEFAULT_METRICS) registry.removeSingleMetric(`${prefix}${name}`);
}
