import type { Endpoint } from '../balancer/picker.js';
import type { Clock } from '../core/clock.js';
import type { Random } from '../core/random.js';
import type { Instance } from '../core/instance.js';
import type { Discoverer } from '../discovery/discoverer.js';
import { callPolicy } from '../resilience/call-policy.js';
import type { AttemptContext, CallPolicy, FailMode } from '../resilience/policy.js';
import { RetryBudget } from '../resilience/retry-budget.js';
import type { RoutingTable } from '../routing/explain.js';
import type { Router } from '../routing/router.js';
import { ServiceRoutes } from '../routing/service-routes.js';
import type { Metadata } from '../transport/transport.js';
import type { ClientTlsOptions } from '../rpc/tls/options.js';
import { ConnectionPool } from './connection-pool.js';
import type { ClientObserver } from './observer.js';
import type { Logger } from '../core/logger.js';
import type { ClientOptions } from './options.js';

/** What every service channel of one client shares. */
export interface ChannelDeps {
  readonly options: ClientOptions;
  readonly discoverer: Discoverer;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly observer?: ClientObserver | undefined;
  /** The client's validated TLS settings (option or `PROXIMA_TLS_*`); undefined for plaintext. */
  readonly tls?: ClientTlsOptions | undefined;
}

/**
 * Everything a client keeps per service, wired in the order of DESIGN.md's call flow: the service's
 * {@link ServiceRoutes} (discovery → router, RTT probing; shared with the gRPC and HTTP callers)
 * hands out the picker; the policy runs attempts; each attempt goes over the endpoint's pooled
 * connection. PING RTTs feed the router's RTT table; endpoints that cannot be connected to are
 * reported to the discoverer, so an instance kept only by self-preservation is dropped at once.
 */
export class ServiceChannel implements AsyncDisposable {
  readonly router: Router;
  private readonly routes: ServiceRoutes;
  private readonly retained: Disposable;
  private readonly observed: Disposable | undefined;
  private readonly pool: ConnectionPool;
  private readonly budget: RetryBudget;
  /** Policies by method: [non-idempotent, idempotent] for calls, then the same for broadcasts. */
  private readonly policies: ReadonlyArray<Map<string, CallPolicy>> = [
    new Map(),
    new Map(),
    new Map(),
    new Map(),
  ];
  /** `service.method` by method, built once: calls by name neither concatenate nor hash a new string. */
  private readonly wires = new Map<string, string>();
  private readonly getPicker = () => this.router.picker;

  constructor(
    readonly service: string,
    private readonly deps: ChannelDeps,
  ) {
    const { options, discoverer, clock, random } = deps;
    this.budget = new RetryBudget(options.budget);
    this.pool = new ConnectionPool(options.connection ?? {}, options.interceptors ?? [], deps, {
      onRtt: (id, ms) => this.routes.reportRtt(id, ms),
      onConnectFailed: (id) => this.routes.reportFailed(id),
    });
    this.routes = new ServiceRoutes(service, 'proxima', {
      discoverer,
      locality: discoverer.locality,
      clock,
      random,
      balancer: options.balancer,
      routing: options.routing,
      probe: options.probe,
      callerService: options.callerService,
    });
    this.router = this.routes.router;
    const retain = (instances: readonly Instance[]): void => this.pool.retain(instances);
    this.retained = this.routes.changed(retain);
    const current = this.routes.instances();
    if (current !== undefined) retain(current);
    this.observed = deps.observer?.serviceOpened?.({
      service,
      router: this.router,
      caller: discoverer.locality,
      budget: this.budget,
    });
  }

  /**
   * The policy of one method, resolved once and reused by its calls. Hedging applies to
   * idempotent methods only (a non-idempotent one is never sent twice on purpose).
   */
  policy(method: string, idempotent: boolean, broadcast = false): CallPolicy {
    const cache = this.policies[(broadcast ? 2 : 0) + (idempotent ? 1 : 0)]!;
    let policy = cache.get(method);
    if (policy === undefined) {
      const o = this.deps.options;
      const mode: FailMode = broadcast ? 'broadcast' : (o.failMode ?? 'failover');
      const hedged = o.hedging !== undefined && idempotent && mode === 'failover';
      const observer = this.deps.observer?.methodOpened?.({
        service: this.service,
        method: method.slice(this.service.length + 1),
        failMode: mode,
        hedged,
        caller: this.deps.discoverer.locality,
      });
      policy = callPolicy(
        {
          getPicker: this.getPicker,
          onPickerChange: this.router.changed,
          failMode: mode,
          idempotent,
          budget: this.budget,
          clock: this.deps.clock,
          random: this.deps.random,
          logger: this.deps.logger,
          ...(o.retry === undefined ? {} : { retry: o.retry }),
          ...(hedged ? { hedging: o.hedging } : {}),
          ...(observer === undefined ? {} : { observer }),
          ...(o.forks === undefined ? {} : { forks: o.forks }),
          ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
        },
        'client',
      );
      cache.set(method, policy);
    }
    return policy;
  }

  /** The wire name of `method` of this service (`service.method`). */
  wireName(method: string): string {
    let wire = this.wires.get(method);
    if (wire === undefined) {
      wire = `${this.service}.${method}`;
      this.wires.set(method, wire);
    }
    return wire;
  }

  /** One attempt: `method` with `request` to `endpoint`, under the attempt's deadline and signal. */
  send(
    endpoint: Endpoint,
    method: string,
    request: unknown,
    context: AttemptContext,
    metadata: Metadata | undefined,
  ): Promise<unknown> {
    const transport = this.pool.get(endpoint.instance);
    const { deadline, signal, startedAt } = context;
    if (deadline === undefined) {
      if (signal === undefined && metadata === undefined) return transport.call(method, request);
      return transport.call(method, request, { deadlineMs: undefined, metadata, signal });
    }
    // The executor read the clock as the attempt started: the transport (on the same clock) and
    // the deadline reuse that reading instead of each reading the clock again.
    if (startedAt !== undefined && deadline.clock === this.deps.clock) {
      const deadlineMs = Math.max(0, deadline.at - startedAt);
      return transport.call(method, request, { deadlineMs, metadata, signal, nowMs: startedAt });
    }
    return transport.call(method, request, { deadlineMs: deadline.remaining(), metadata, signal });
  }

  explain(): RoutingTable {
    return this.router.explain();
  }

  async close(): Promise<void> {
    this.retained[Symbol.dispose]();
    this.observed?.[Symbol.dispose]();
    await this.routes.close();
    await this.pool.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
