import { Counter, Gauge, type Registry } from 'prom-client';
import { type Clock, systemClock } from '../../core/clock.js';
import { explainEndpoint, type ExplainedEndpoint, type RoutingTable } from '../../routing/explain.js';
import type { Router } from '../../routing/router.js';
import { type MetricsOptions, resolveOptions } from './common.js';

/** Options of {@link RouterMetrics}. */
export interface RouterMetricsOptions extends MetricsOptions {
  /**
   * Also export per-endpoint series labelled with the instance id (latency EWMA, calls pending).
   * Off by default: instance ids churn with every deploy, and each one is a new series.
   */
  readonly perEndpoint?: boolean;
  /** The routers' clock (ejection time left, decayed latency); default the system clock. */
  readonly clock?: Clock;
}

/** The availability of a listed endpoint, as the `state` label says it. */
type EndpointState = 'available' | 'ejected' | 'unavailable' | 'excluded';

interface Tracked {
  readonly router: Router;
  /** Ejection count per endpoint id at the last scrape (EndpointStats.timesEjected only grows). */
  readonly ejectionsSeen: Map<string, number>;
}

/** One router as a scrape sees it: its routing table and every listed endpoint, routable or not. */
interface RouterView {
  readonly tracked: Tracked;
  readonly table: RoutingTable;
  /** Endpoints in the routing tiers (the table's routes hold only the healthy ones). */
  readonly endpoints: readonly ExplainedEndpoint[];
}

/**
 * Routing-state metrics of any number of routers, read from their `explain()` data and endpoint
 * statistics when scraped: nothing runs on the call path, and a router costs nothing between
 * scrapes.
 *
 * Metrics (label `service` on each): `proxima_client_endpoints{state}` (available / ejected /
 * unavailable / excluded), `proxima_client_endpoints_ejected`, `proxima_client_ejections_total`,
 * `proxima_client_panic`, `proxima_client_route_share{route}`; with `perEndpoint`,
 * `proxima_client_endpoint_latency_ewma_seconds{endpoint,zone}` and
 * `proxima_client_endpoint_pending{endpoint,zone}`.
 *
 * @example
 * ```ts
 * const routers = new RouterMetrics(registry);
 * using _ = routers.track(createRouter({ service: 'users', locality }));
 * ```
 */
export class RouterMetrics {
  private readonly tracked = new Map<Router, Tracked>();

  constructor(registry: Registry, options: RouterMetricsOptions = {}) {
    const { name } = resolveOptions(options, 'routerMetrics');
    const clock = options.clock ?? systemClock;
    const registers = [registry];
    const tables = (): RouterView[] => [...this.tracked.values()].map((t) => view(t, clock.now()));

    new Gauge({
      name: name('client_endpoints'),
      help: 'Listed endpoints of a service by state: available, ejected (outlier), unavailable (breaker open, weight too low), excluded (draining, weight 0).',
      labelNames: ['service', 'state'] as const,
      registers,
      collect() {
        this.reset();
        for (const { table, endpoints } of tables()) {
          const counts: Record<EndpointState, number> = {
            available: 0,
            ejected: 0,
            unavailable: 0,
            excluded: 0,
          };
          for (const e of endpoints) counts[stateOf(e)]++;
          counts.excluded += table.excluded.length;
          for (const [state, n] of Object.entries(counts)) this.set({ service: table.service, state }, n);
        }
      },
    });
    new Gauge({
      name: name('client_endpoints_ejected'),
      help: 'Endpoints of a service currently ejected by outlier detection.',
      labelNames: ['service'] as const,
      registers,
      collect() {
        this.reset();
        for (const { table, endpoints } of tables()) {
          this.set({ service: table.service }, endpoints.filter((e) => e.ejected !== undefined).length);
        }
      },
    });
    new Counter({
      name: name('client_ejections_total'),
      help: 'Outlier ejections of endpoints of a service.',
      labelNames: ['service'] as const,
      registers,
      collect() {
        for (const v of tables()) {
          // inc(0) makes the series appear at 0 before the first ejection (rate() needs a start).
          this.inc({ service: v.table.service }, newEjections(v));
        }
      },
    });
    new Gauge({
      name: name('client_panic'),
      help: '1 while a service routes in panic mode (too few healthy endpoints: health is ignored), else 0.',
      labelNames: ['service'] as const,
      registers,
      collect() {
        this.reset();
        for (const { table } of tables()) {
          const panic = table.totalPanic || table.routes.some((r) => r.panic);
          this.set({ service: table.service }, panic ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: name('client_route_share'),
      help: 'Share of new calls each route (locality tier, or zone under zone-aware routing) of a service takes, 0..1.',
      labelNames: ['service', 'route'] as const,
      registers,
      collect() {
        this.reset();
        for (const { table } of tables()) {
          for (const r of table.routes) this.set({ service: table.service, route: r.name }, r.share);
        }
      },
    });
    if (options.perEndpoint === true) this.perEndpoint(registers, name, tables);
  }

  /** Exports `router` until the returned disposable is disposed (do that when the router closes). */
  track(router: Router): Disposable {
    this.tracked.set(router, { router, ejectionsSeen: new Map() });
    return { [Symbol.dispose]: () => void this.tracked.delete(router) };
  }

  private perEndpoint(registers: Registry[], name: (n: string) => string, tables: () => RouterView[]): void {
    const each = (
      set: (labels: { service: string; endpoint: string; zone: string }, e: ExplainedEndpoint) => void,
    ) => {
      for (const { table, endpoints } of tables()) {
        for (const e of endpoints) set({ service: table.service, endpoint: e.id, zone: e.locality }, e);
      }
    };
    new Gauge({
      name: name('client_endpoint_latency_ewma_seconds'),
      help: 'Peak-EWMA latency cost of an endpoint, seconds (what the balancer compares).',
      labelNames: ['service', 'endpoint', 'zone'] as const,
      registers,
      collect() {
        this.reset();
        each((labels, e) => this.set(labels, e.ewmaMs / 1000));
      },
    });
    new Gauge({
      name: name('client_endpoint_pending'),
      help: 'Calls in flight to an endpoint.',
      labelNames: ['service', 'endpoint', 'zone'] as const,
      registers,
      collect() {
        this.reset();
        each((labels, e) => this.set(labels, e.pending));
      },
    });
  }
}

/**
 * Exports one router's routing state into `registry` (see {@link RouterMetrics} for the metrics).
 * For several routers in one registry, create one {@link RouterMetrics} and `track` each.
 *
 * @example
 * ```ts
 * using _ = collectRouterMetrics(router, registry);
 * ```
 */
export function collectRouterMetrics(
  router: Router,
  registry: Registry,
  options: RouterMetricsOptions = {},
): Disposable {
  return new RouterMetrics(registry, options).track(router);
}

/**
 * Reads a router at clock time `now`. `explain()` first: it applies due health changes (ejections
 * ending). The tiers' endpoints are the probe targets (every routable-or-not listed endpoint).
 */
function view(tracked: Tracked, now: number): RouterView {
  const router = tracked.router;
  const table = router.explain();
  const targets = router.probeTargets();
  const endpoints: ExplainedEndpoint[] = [];
  for (const t of [...targets.preferred, ...targets.others]) {
    const stats = router.stats(t.id);
    if (stats !== undefined) endpoints.push(explainEndpoint(stats, now));
  }
  return { tracked, table, endpoints };
}

function stateOf(e: ExplainedEndpoint): EndpointState {
  if (e.available) return 'available';
  return e.ejected === undefined ? 'unavailable' : 'ejected';
}

/** Ejections since the last scrape, summed over the router's endpoints; forgets departed ones. */
function newEjections({ tracked, table, endpoints }: RouterView): number {
  const ids = new Set([...endpoints.map((e) => e.id), ...table.excluded.map((x) => x.id)]);
  let delta = 0;
  for (const id of ids) {
    const times = tracked.router.stats(id)?.timesEjected ?? 0;
    const seen = tracked.ejectionsSeen.get(id) ?? 0;
    if (times > seen) delta += times - seen;
    tracked.ejectionsSeen.set(id, times);
  }
  for (const id of tracked.ejectionsSeen.keys()) if (!ids.has(id)) tracked.ejectionsSeen.delete(id);
  return delta;
}
