import type { Registry } from 'prom-client';
import type { Endpoint } from '../../balancer/picker.js';
import {
  attemptKind,
  type AttemptKind,
  type ClientObserver,
  type ObservedMethod,
  type ObservedService,
} from '../../client/observer.js';
import type { ProximaError } from '../../core/errors.js';
import type { Locality } from '../../core/locality.js';
import type { PolicyObserver } from '../../resilience/observer.js';
import type { RetryBudget } from '../../resilience/retry-budget.js';
import { type Cell, CounterFamily, GaugeFamily, type HistogramCell, HistogramFamily } from './cells.js';
import { CodeCounter, resolveOptions } from './common.js';
import { RouterMetrics, type RouterMetricsOptions } from './router-metrics.js';
import { scopeOf } from '../pick-scope.js';
import { topologyKnownGauge } from './topology-metrics.js';

/** Options of {@link clientMetrics}. */
export type ClientMetricsOptions = RouterMetricsOptions;

export { type PickScope, scopeOf } from '../pick-scope.js';

/** The kinds of attempt beyond the first that the retries counter has series for from the start. */
type RetryKind = 'retry' | 'hedge';

/**
 * Client metrics for `createClient`, as a {@link ClientObserver}: pass it in `observers`. One
 * observer may serve several clients; create it once per registry.
 *
 * Every series is bound once (per service, method, endpoint zone or code) and counted with plain
 * additions on the call path, where the call executor already reports outcomes: no promise, no
 * closure and no label lookup per call. The registry folds them in when scraped.
 *
 * Metrics (all labelled by `service`):
 * - `proxima_client_calls_total{method,code}` and `proxima_client_call_duration_seconds{method}`:
 *   logical calls, whatever the attempts behind them;
 * - `proxima_rpc_client_calls_total{method,code}` and `proxima_rpc_client_call_duration_seconds{method}`:
 *   every attempt sent on the wire (retries and hedges included);
 * - `proxima_client_picks_total{caller_zone,endpoint_zone,scope}`: attempts by zone pair;
 * - `proxima_client_attempts_total{kind,code}` and `proxima_client_retries_total{kind}`: attempts
 *   by why they were sent (`first`, `retry`, `hedge`, `fork`, `broadcast`); the `retry` and
 *   `hedge` series exist at 0 from the service's first use;
 * - `proxima_client_retry_budget_exhausted_total`: retries and hedges not sent for lack of budget
 *   (at 0 from the start), and `proxima_client_retry_budget_tokens`: tokens left;
 * - the routing state of every service the clients call (see {@link RouterMetrics});
 * - `proxima_topology_known{role="client"}`: 0 while the caller's zone is unknown.
 *
 * @example
 * ```ts
 * const registry = new Registry();
 * const client = await createClient({ registry: url, observers: [clientMetrics(registry)] });
 * await using endpoint = await serveMetrics(registry, { port: 9464 });
 * ```
 */
export function clientMetrics(registry: Registry, options: ClientMetricsOptions = {}): ClientObserver {
  const { name, buckets } = resolveOptions(options, 'clientMetrics');
  const routers = new RouterMetrics(registry, options);
  const f = {
    calls: new CounterFamily(
      registry,
      name('client_calls_total'),
      'Logical client calls (retries and hedges inside count once), by service, method and result code.',
    ),
    duration: new HistogramFamily(
      registry,
      name('client_call_duration_seconds'),
      'Duration of logical client calls, every attempt and backoff included, seconds.',
      buckets,
    ),
    wireCalls: new CounterFamily(
      registry,
      name('rpc_client_calls_total'),
      'RPC calls sent on the wire (each attempt), by service, method and result code.',
    ),
    wireDuration: new HistogramFamily(
      registry,
      name('rpc_client_call_duration_seconds'),
      'Time from sending an RPC to its answer or failure, seconds.',
      buckets,
    ),
    picks: new CounterFamily(
      registry,
      name('client_picks_total'),
      'Endpoints picked for attempts, by caller zone and endpoint zone.',
    ),
    attempts: new CounterFamily(
      registry,
      name('client_attempts_total'),
      'Attempts sent, by why (first, retry, hedge, fork, broadcast) and result code.',
    ),
    retries: new CounterFamily(
      registry,
      name('client_retries_total'),
      'Attempts beyond the first of a call: retries after a failure and hedged (backup) requests.',
    ),
    exhausted: new CounterFamily(
      registry,
      name('client_retry_budget_exhausted_total'),
      'Retries and hedges not sent because the retry budget of the service had no tokens left.',
    ),
    tokens: new GaugeFamily(
      registry,
      name('client_retry_budget_tokens'),
      'Tokens left in the retry budget of a service (retries stop at half the maximum).',
    ),
  };
  const services = new Map<string, ServiceCells>();
  const budgets = new Map<Cell, RetryBudget>();
  const serviceCells = (service: string, caller: Locality): ServiceCells => {
    let cells = services.get(service);
    if (cells === undefined) {
      cells = new ServiceCells(f, service, caller);
      services.set(service, cells);
    }
    return cells;
  };
  // Tokens are read when scraped: the budget changes on every call, the gauge only matters then.
  f.tokens.collect = () => {
    for (const [cell, budget] of budgets) cell.value = budget.tokens;
  };

  const topologyKnown = topologyKnownGauge(registry, name('topology_known'));

  return {
    serviceOpened: (s: ObservedService) => {
      topologyKnown.set({ role: 'client' }, s.caller.zone === '' ? 0 : 1);
      serviceCells(s.service, s.caller); // retries and budget refusals at 0 from now on
      const tokens = f.tokens.bind({ service: s.service });
      budgets.set(tokens, s.budget);
      const tracked = routers.track(s.router);
      return {
        [Symbol.dispose]: () => {
          tracked[Symbol.dispose]();
          budgets.delete(tokens);
        },
      };
    },
    methodOpened: (m: ObservedMethod): PolicyObserver =>
      new MethodCells(f, serviceCells(m.service, m.caller), m),
  };
}

type Families = {
  readonly calls: CounterFamily;
  readonly duration: HistogramFamily;
  readonly wireCalls: CounterFamily;
  readonly wireDuration: HistogramFamily;
  readonly picks: CounterFamily;
  readonly attempts: CounterFamily;
  readonly retries: CounterFamily;
  readonly exhausted: CounterFamily;
  readonly tokens: GaugeFamily;
};

/** What all methods of one service share: picks by endpoint locality, retries, budget refusals. */
class ServiceCells {
  readonly retries: Record<RetryKind, Cell>;
  readonly exhausted: Cell;
  /** Pick counters by the endpoint's locality object (instances share theirs per snapshot). */
  private readonly picks = new WeakMap<Locality, Cell>();

  constructor(
    private readonly f: Families,
    readonly service: string,
    private readonly caller: Locality,
  ) {
    this.retries = {
      retry: f.retries.bind({ service, kind: 'retry' }),
      hedge: f.retries.bind({ service, kind: 'hedge' }),
    };
    this.exhausted = f.exhausted.bind({ service });
  }

  /** The pick counter of endpoints at `to` (bound on first sight of that locality). */
  pickCell(to: Locality): Cell {
    let cell = this.picks.get(to);
    if (cell === undefined) {
      cell = this.f.picks.bind({
        service: this.service,
        caller_zone: this.caller.zone || 'unknown',
        endpoint_zone: to.zone || 'unknown',
        scope: scopeOf(this.caller, to),
      });
      this.picks.set(to, cell);
    }
    return cell;
  }
}

/** One method's series, bound when its policy is built; the executor reports into it. */
class MethodCells implements PolicyObserver {
  private readonly calls: CodeCounter;
  private readonly duration: HistogramCell;
  private readonly wireCalls: CodeCounter;
  private readonly wireDuration: HistogramCell;
  /** Attempts by code: the first, and those after it (one kind per method). */
  private readonly firstAttempts: CodeCounter;
  private readonly laterAttempts: CodeCounter;
  private readonly laterKind: AttemptKind;
  private readonly retryCell: Cell | undefined;

  constructor(
    f: Families,
    private readonly service: ServiceCells,
    method: ObservedMethod,
  ) {
    const labels = { service: method.service, method: method.method };
    this.calls = new CodeCounter(f.calls, labels);
    this.duration = f.duration.bind(labels);
    this.wireCalls = new CodeCounter(f.wireCalls, labels);
    this.wireDuration = f.wireDuration.bind(labels);
    const firstKind = attemptKind(method, 1);
    this.laterKind = attemptKind(method, 2);
    this.firstAttempts = new CodeCounter(f.attempts, { service: method.service, kind: firstKind });
    this.laterAttempts = new CodeCounter(f.attempts, { service: method.service, kind: this.laterKind });
    this.retryCell =
      this.laterKind === 'retry' || this.laterKind === 'hedge' ? service.retries[this.laterKind] : undefined;
  }

  attemptEnded(endpoint: Endpoint, n: number, error: ProximaError | undefined, latencyMs: number): void {
    this.service.pickCell(endpoint.instance.locality).value++;
    this.wireCalls.add(error);
    this.wireDuration.observe(latencyMs / 1000);
    if (n === 1 && this.laterKind !== 'broadcast') {
      this.firstAttempts.add(error);
      return;
    }
    this.laterAttempts.add(error);
    if (this.retryCell !== undefined) this.retryCell.value++;
  }

  budgetExhausted(): void {
    this.service.exhausted.value++;
  }

  callEnded(error: ProximaError | undefined, durationMs: number): void {
    this.calls.add(error);
    this.duration.observe(durationMs / 1000);
  }
}
