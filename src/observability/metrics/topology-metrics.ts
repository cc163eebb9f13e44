import { Gauge, type Registry } from 'prom-client';
import type { Locality } from '../../core/locality.js';
import type { LocalityRole } from '../../topology/env.js';
import { resolveOptions, type MetricsOptions } from './common.js';

/**
 * `proxima_topology_known{role}`: 1 when this process knows its zone as a `service` (registrar,
 * `createServer({ register })`) or as a `client` (`createClient`), 0 when it does not — and so
 * same-zone routing is off for it. Alert on `proxima_topology_known == 0`. `clientMetrics` sets the
 * client's; call this with `registrar.topology.locality` (or any locality) for a service.
 *
 * @example
 * ```ts
 * topologyMetrics(registry, 'service', registrar.topology.locality);
 * ```
 */
export function topologyMetrics(
  registry: Registry,
  role: LocalityRole,
  locality: Locality,
  options: MetricsOptions = {},
): void {
  const { name } = resolveOptions(options, 'topologyMetrics');
  topologyKnownGauge(registry, name('topology_known')).set({ role }, locality.zone === '' ? 0 : 1);
}

/** The gauge, shared by every caller in one registry (prom-client refuses a second of one name). */
export function topologyKnownGauge(registry: Registry, metricName: string): Gauge<'role'> {
  const existing = registry.getSingleMetric(metricName);
  if (existing instanceof Gauge) return existing as Gauge<'role'>;
  return new Gauge({
    name: metricName,
    help: 'Whether this process knows its zone (1) or not (0: same-zone routing is off for it), by role.',
    labelNames: ['role'] as const,
    registers: [registry],
  });
}
