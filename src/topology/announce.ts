import { formatLocality } from '../core/locality.js';
import type { Logger } from '../core/logger.js';
import type { LocalityRole } from './env.js';
import { formatSources, type TopologyReport } from './topology.js';

/**
 * The unknown-zone warning: what it costs, what every source answered, and what to do.
 *
 * @example
 * ```text
 * proxima: zone unknown for this service: same-zone routing is off for it. Tried env: empty, PROXIMA_REGION/ZONE and SERVICE_REGION/ZONE unset; aws: failed, token: HTTP 500. Set PROXIMA_ZONE or enable a topology source (docs/topology.md).
 * ```
 */
export function topologyWarning(report: TopologyReport, role: LocalityRole = 'service'): string {
  const who = role === 'service' ? 'this service' : 'this caller';
  const cost =
    role === 'service'
      ? 'callers cannot prefer it from its own zone'
      : 'same-zone routing is off for its calls';
  return (
    `proxima: zone unknown for ${who} (${formatLocality(report.locality)}): ${cost}. ` +
    `Tried ${formatSources(report.sources)}. ` +
    'Set PROXIMA_ZONE or enable a topology source (PROXIMA_TOPOLOGY_SOURCES; see docs/topology.md).'
  );
}

/** The `event` field of the unknown-zone log line, for loggers that route it. */
export const TOPOLOGY_UNKNOWN_EVENT = 'topology-unknown';

/** Warnings already printed through `process.emitWarning` (one per distinct text per process). */
const emitted = new Set<string>();
const MAX_EMITTED = 64;

/**
 * Says where this process runs once it is known: `info` when the zone is known; when it is not,
 * a `warn` through `logger`, or — with no logger, the library's silent default — a Node process
 * warning (`PROXIMA_TOPOLOGY_UNKNOWN`, printed on stderr once per process) so an unknown zone is
 * never silent.
 */
export function announceTopology(
  report: TopologyReport,
  role: LocalityRole,
  logger: Logger | undefined,
): void {
  const sources = report.sources.map((s) => ({ source: s.source, [s.answer.kind]: s.answer.detail }));
  if (report.known) {
    logger?.info({ locality: formatLocality(report.locality), sources }, 'topology: known');
    return;
  }
  const text = topologyWarning(report, role);
  if (logger !== undefined) {
    logger.warn({ event: TOPOLOGY_UNKNOWN_EVENT, locality: formatLocality(report.locality), sources }, text);
    return;
  }
  if (emitted.has(text) || emitted.size >= MAX_EMITTED) return;
  emitted.add(text);
  process.emitWarning(text, { code: 'PROXIMA_TOPOLOGY_UNKNOWN' });
}
