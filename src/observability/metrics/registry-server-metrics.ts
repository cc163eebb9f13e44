import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type Clock, systemClock } from '../../core/clock.js';
import { invalidArgument } from '../../core/errors.js';
import type { Route } from '../../server/router.js';
import type { RegistryServer, ServedRequest } from '../../server/server.js';
import { exposition, type MetricsOptions, resolveOptions } from './common.js';

/** The registry server's routes whose requests are long-lived SSE streams. */
export const WATCH_ROUTE = '/v1/services/:service/watch';
/** The batched keep-alive route (one request renews every instance of a registrar session). */
export const KEEPALIVE_ROUTE = '/v1/leases/:lease/keepalive';

/** Options of {@link mountMetrics}. */
export interface RegistryServerMetricsOptions extends MetricsOptions {
  /** Where the exposition is served (default `/metrics`). */
  readonly path?: string;
  /** More route patterns that hold SSE streams (the dashboard's feed); requests accepting `text/event-stream` count too. */
  readonly sseRoutes?: readonly string[];
  readonly clock?: Clock;
}

/**
 * Exports a registry server's state and traffic into `registry` and mounts `GET /metrics` on it.
 * Dispose the result to stop counting requests (the route stays; it serves whatever `registry`
 * holds).
 *
 * Metrics: `proxima_registry_services`, `_instances`, `_leases`, `_watchers`, `_revision`,
 * `_sse_connections`, `_http_requests_total{method,route,status}`,
 * `_http_request_duration_seconds{method,route}` (SSE streams left out: their duration is the
 * connection's), `_http_requests_in_flight{route}`, `_keepalives_total{result}`. Routes are label
 * values as patterns (`/v1/services/:service/instances`), never raw paths; unknown paths are
 * `unmatched`.
 *
 * @example
 * ```ts
 * await using server = await startRegistryServer({ port: 7070 });
 * const registry = new Registry();
 * collectProcessMetrics(registry); // process and Node.js metrics, if wanted
 * using _ = mountMetrics(server, registry);
 * // curl http://127.0.0.1:7070/metrics
 * ```
 */
export function mountMetrics(
  server: RegistryServer,
  registry: Registry,
  options: RegistryServerMetricsOptions = {},
): Disposable {
  const { name, buckets } = resolveOptions(options, 'mountMetrics');
  if (options.path !== undefined && !options.path.startsWith('/')) {
    throw invalidArgument(
      'mountMetrics.path',
      `expected an absolute path like /metrics, got "${options.path}"`,
    );
  }
  const clock = options.clock ?? systemClock;
  const registers = [registry];
  const state = server.state;
  const stateGauge = (metric: string, help: string, read: () => number): void => {
    new Gauge({
      name: name(metric),
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  };
  stateGauge(
    'registry_services',
    'Services with at least one registered instance.',
    () => state.services().length,
  );
  stateGauge(
    'registry_instances',
    'Registered instances, all services.',
    () => state.store.stats().instances,
  );
  stateGauge('registry_leases', 'Live leases (one per registrar session).', () => state.store.stats().leases);
  stateGauge(
    'registry_watchers',
    'Open watches on the registry state (SSE streams and in-process watchers).',
    () => state.store.stats().watchers,
  );
  stateGauge('registry_revision', 'The newest revision of the registry.', () => state.revision);

  const sse = new Gauge({
    name: name('registry_sse_connections'),
    help: 'Open Server-Sent-Events streams (watches, dashboard feeds).',
    registers,
  });
  const inFlight = new Gauge({
    name: name('registry_http_requests_in_flight'),
    help: 'HTTP requests being served, by route pattern (SSE streams included).',
    labelNames: ['route'] as const,
    registers,
  });
  const requests = new Counter({
    name: name('registry_http_requests_total'),
    help: 'HTTP requests answered, by method, route pattern and status (counted when the response ends).',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const duration = new Histogram({
    name: name('registry_http_request_duration_seconds'),
    help: 'Time to answer HTTP requests, seconds (SSE streams left out).',
    labelNames: ['method', 'route'] as const,
    buckets,
    registers,
  });
  const keepAlives = new Counter({
    name: name('registry_keepalives_total'),
    help: 'Batched lease keep-alives, by result: renewed, lost (lease unknown or expired) or error.',
    labelNames: ['result'] as const,
    registers,
  });
  for (const result of ['renewed', 'lost', 'error']) keepAlives.inc({ result }, 0);

  const sseRoutes = new Set([WATCH_ROUTE, ...(options.sseRoutes ?? [])]);
  const onRequest = ({ req, res, route }: ServedRequest): void => {
    const start = clock.now();
    const routeLabel = route ?? 'unmatched';
    const method = req.method ?? 'GET';
    const stream =
      (route !== undefined && sseRoutes.has(route)) ||
      (req.headers.accept ?? '').includes('text/event-stream');
    inFlight.inc({ route: routeLabel });
    if (stream) sse.inc();
    res.once('close', () => {
      inFlight.dec({ route: routeLabel });
      if (stream) sse.dec();
      const status = res.headersSent ? String(res.statusCode) : 'none';
      requests.inc({ method, route: routeLabel, status });
      if (!stream) duration.observe({ method, route: routeLabel }, (clock.now() - start) / 1000);
      if (route === KEEPALIVE_ROUTE)
        keepAlives.inc({ result: keepAliveResult(res.statusCode, res.headersSent) });
    });
  };
  const subscription = server.requests(onRequest);
  server.router.mount(metricsRoute(registry, options.path));
  return subscription;
}

/**
 * A `GET` route serving `registry` in the Prometheus text format, for any Proxima route table
 * (the registry server's, the dashboard's).
 */
export function metricsRoute(registry: Registry, path = '/metrics'): Route {
  return {
    method: 'GET',
    path,
    handler: async ({ res }) => {
      const { body, contentType } = await exposition(registry);
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
      res.end(body);
    },
  };
}

function keepAliveResult(status: number, answered: boolean): string {
  if (answered && status >= 200 && status < 300) return 'renewed';
  return answered && status === 404 ? 'lost' : 'error';
}
