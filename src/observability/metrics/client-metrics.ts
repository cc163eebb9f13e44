import { Counter, Histogram, type Registry } from 'prom-client';
import type {
  ClientObserver,
  ObservedAttempt,
  ObservedCall,
  ObservedEnd,
  ObservedService,
} from '../../client/observer.js';
import { type Clock, systemClock } from '../../core/clock.js';
import { type Locality, sameRegion, sameZone } from '../../core/locality.js';
import { codeLabel, resolveOptions } from './common.js';
import { RouterMetrics, type RouterMetricsOptions } from './router-metrics.js';
import { topologyKnownGauge } from './topology-metrics.js';

/** Options of {@link clientMetrics}. */
export interface ClientMetricsOptions extends RouterMetricsOptions {
  readonly clock?: Clock;
}

/**
 * How far a pick reached: the caller's own zone, another zone of its region, or another region
 * (the traffic cross-zone and cross-region bills are made of); `unknown` when either side has no region.
 */
export type PickScope = 'same-zone' | 'same-region' | 'cross-region' | 'unknown';

/**
 * Client metrics for `createClient`, as a {@link ClientObserver}: pass it in `observers`. One
 * observer may serve several clients; create it once per registry.
 *
 * Metrics (all labelled by `service`):
 * - `proxima_client_calls_total{method,code}` and `proxima_client_call_duration_seconds{method}`:
 *   logical calls, whatever the attempts behind them;
 * - `proxima_client_picks_total{caller_zone,endpoint_zone,scope}`: attempts by zone pair;
 * - `proxima_client_attempts_total{kind,code}` and `proxima_client_retries_total{kind}`: attempts
 *   by why they were sent (`first`, `retry`, `hedge`, `fork`, `broadcast`);
 * - the routing state of every service the clients call (see {@link RouterMetrics});
 * - `proxima_topology_known{role="client"}`: 0 while the caller's zone is unknown.
 *
 * @example
 * ```ts
 * const registry = new Registry();
 * const client = await createClient({ registry: url, observers: [clientMetrics(registry)] });
 * server.router.mount(metricsRoute(registry)); // or any HTTP server: await registry.metrics()
 * ```
 */
export function clientMetrics(registry: Registry, options: ClientMetricsOptions = {}): ClientObserver {
  const { name, buckets } = resolveOptions(options, 'clientMetrics');
  const clock = options.clock ?? systemClock;
  const registers = [registry];
  const routers = new RouterMetrics(registry, options);
  const calls = new Counter({
    name: name('client_calls_total'),
    help: 'Logical client calls (retries and hedges inside count once), by service, method and result code.',
    labelNames: ['service', 'method', 'code'] as const,
    registers,
  });
  const duration = new Histogram({
    name: name('client_call_duration_seconds'),
    help: 'Duration of logical client calls, every attempt and backoff included, seconds.',
    labelNames: ['service', 'method'] as const,
    buckets,
    registers,
  });
  const picks = new Counter({
    name: name('client_picks_total'),
    help: 'Endpoints picked for attempts, by caller zone and endpoint zone.',
    labelNames: ['service', 'caller_zone', 'endpoint_zone', 'scope'] as const,
    registers,
  });
  const attempts = new Counter({
    name: name('client_attempts_total'),
    help: 'Attempts sent, by why (first, retry, hedge, fork, broadcast) and result code.',
    labelNames: ['service', 'kind', 'code'] as const,
    registers,
  });
  const retries = new Counter({
    name: name('client_retries_total'),
    help: 'Attempts beyond the first of a call: retries after a failure and hedged (backup) requests.',
    labelNames: ['service', 'kind'] as const,
    registers,
  });

  const topologyKnown = topologyKnownGauge(registry, name('topology_known'));

  return {
    serviceOpened: (s: ObservedService) => {
      topologyKnown.set({ role: 'client' }, s.caller.zone === '' ? 0 : 1);
      return routers.track(s.router);
    },
    callStarted: (call: ObservedCall): ObservedEnd => {
      const start = clock.now();
      return (error) => {
        const labels = { service: call.service, method: call.method };
        calls.inc({ ...labels, code: codeLabel(error) });
        duration.observe(labels, (clock.now() - start) / 1000);
      };
    },
    attemptStarted: (a: ObservedAttempt): ObservedEnd => {
      const to = a.endpoint.instance.locality;
      picks.inc({
        service: a.service,
        caller_zone: a.caller.zone || 'unknown',
        endpoint_zone: to.zone || 'unknown',
        scope: scopeOf(a.caller, to),
      });
      if (a.kind === 'retry' || a.kind === 'hedge') retries.inc({ service: a.service, kind: a.kind });
      return (error) => attempts.inc({ service: a.service, kind: a.kind, code: codeLabel(error) });
    },
  };
}

/** Where `to` sits relative to `from`. */
export function scopeOf(from: Locality, to: Locality): PickScope {
  if (from.region === '' || to.region === '') return 'unknown';
  if (!sameRegion(from, to)) return 'cross-region';
  return sameZone(from, to) ? 'same-zone' : 'same-region';
}
