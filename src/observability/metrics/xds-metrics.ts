import { Counter, Gauge, type Registry } from 'prom-client';
import type { XdsServer } from '../../xds/xds-server.js';
import { RESOURCE_KINDS } from '../../xds/type-urls.js';
import { type MetricsOptions, resolveOptions } from './common.js';

/**
 * Exports an xDS server's counters into `registry`, read at scrape time (nothing on the request
 * path). Metrics: `proxima_xds_streams`, `_queued_responses`, `_requests_total`,
 * `_streams_refused_total`, `_streams_aborted_total`, `_stale_nonces_total`,
 * `_deferred_responses_total`, and by `type` (listener, cluster, endpoints) `_responses_total`,
 * `_acks_total` and `_nacks_total` (a NACK is also logged with the client's `error_detail`).
 *
 * @example
 * ```ts
 * const metrics = new Registry();
 * collectXdsMetrics(server.xds!, metrics);
 * ```
 */
export function collectXdsMetrics(xds: XdsServer, registry: Registry, options: MetricsOptions = {}): void {
  const { name } = resolveOptions(options, 'collectXdsMetrics');
  const registers = [registry];
  const stats = xds.stats;
  new Gauge({
    name: name('xds_streams'),
    help: 'ADS streams open.',
    registers,
    collect() {
      this.set(stats.streams);
    },
  });
  new Gauge({
    name: name('xds_queued_responses'),
    help: 'Responses written and not yet taken by their clients.',
    registers,
    collect() {
      this.set(xds.queuedResponses());
    },
  });
  const total = (metric: string, help: string, read: () => number): void => {
    new Counter({
      name: name(metric),
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  };
  total('xds_requests_total', 'DiscoveryRequests received.', () => stats.requests);
  total('xds_streams_refused_total', 'Streams refused at xds.maxClients.', () => stats.streamsRefused);
  total(
    'xds_streams_unauthorized_total',
    'Streams refused by the ACL (no valid token).',
    () => stats.streamsUnauthorized,
  );
  total('xds_streams_aborted_total', 'Streams ended for breaking a limit.', () => stats.streamsAborted);
  total('xds_stale_nonces_total', 'Requests ignored for quoting an older nonce.', () => stats.staleNonces);
  total(
    'xds_deferred_responses_total',
    'Times a response waited for the client to answer or read the previous one.',
    () => stats.deferredWrites,
  );
  const byType = (metric: string, help: string, read: typeof stats.responses): void => {
    new Counter({
      name: name(metric),
      help,
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        for (const kind of RESOURCE_KINDS) this.inc({ type: kind }, read[kind]);
      },
    });
  };
  byType('xds_responses_total', 'DiscoveryResponses sent, by resource type.', stats.responses);
  byType('xds_acks_total', 'Responses the client accepted (ACK), by resource type.', stats.acks);
  byType('xds_nacks_total', 'Responses the client rejected (NACK), by resource type.', stats.nacks);
}
