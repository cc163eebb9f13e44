import type { Endpoint } from '../balancer/picker.js';
import type { Clock } from '../core/clock.js';
import type { Random } from '../core/random.js';
import type { Discoverer, ServiceSubscription } from '../discovery/discoverer.js';
import type { ServiceSnapshot } from '../discovery/snapshot.js';
import { type Prober, startProber } from '../probe/prober.js';
import { RttTable } from '../probe/rtt-source.js';
import { callPolicy } from '../resilience/call-policy.js';
import type { AttemptContext, CallPolicy, FailMode } from '../resilience/policy.js';
import { RetryBudget } from '../resilience/retry-budget.js';
import type { RoutingTable } from '../routing/explain.js';
import { createRouter, type Router } from '../routing/router.js';
import type { Metadata } from '../transport/transport.js';
import { ConnectionPool } from './connection-pool.js';
import type { ClientObserver } from './observer.js';
import type { ClientLogger, ClientOptions } from './options.js';

/** What every service channel of one client shares. */
export interface ChannelDeps {
  readonly options: ClientOptions;
  readonly discoverer: Discoverer;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: ClientLogger;
  readonly observer?: ClientObserver | undefined;
}

/**
 * Everything a client keeps per service, wired in the order of DESIGN.md's call flow: a discoverer
 * subscription feeds the router (off the hot path, on each snapshot); the router hands out the
 * picker; the policy runs attempts; each attempt goes over the endpoint's pooled connection. PING
 * RTTs and the prober's TCP connect times feed the router's RTT table; endpoints that cannot be
 * connected to are reported to the discoverer, so an instance kept only by self-preservation is
 * dropped at once.
 */
export class ServiceChannel implements AsyncDisposable {
  readonly router: Router;
  private readonly rtt = new RttTable();
  private readonly subscription: ServiceSubscription;
  private readonly updates: Disposable;
  /** The caller's own service, when configured (zone-aware routing reads its spread). */
  private readonly callers: { subscription: ServiceSubscription; updates: Disposable } | undefined;
  private readonly prober: Prober | undefined;
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
    this.router = createRouter({
      ...options.routing,
      service,
      locality: discoverer.locality,
      ...(options.balancer === undefined ? {} : { balancer: options.balancer }),
      clock,
      random,
      rtt: this.rtt,
    });
    this.budget = new RetryBudget(options.budget);
    this.pool = new ConnectionPool(options.connection ?? {}, options.interceptors ?? [], deps, {
      onRtt: (id, ms) => this.rtt.report(id, ms),
      onConnectFailed: (id) => discoverer.reportFailed(service, id),
    });
    this.subscription = discoverer.subscribe(service);
    this.updates = this.subscription.updated(({ snapshot }) => this.apply(snapshot));
    const current = this.subscription.current();
    if (current !== undefined) this.apply(current);
    this.callers =
      options.callerService === undefined ? undefined : this.followCallers(options.callerService);
    this.observed = deps.observer?.serviceOpened?.({
      service,
      router: this.router,
      caller: discoverer.locality,
    });
    const probe = options.probe;
    this.prober =
      probe === false
        ? undefined
        : startProber({
            clock,
            random,
            rtt: this.rtt,
            targets: () => this.router.probeTargets(),
            ...(probe?.intervalMs === undefined ? {} : { intervalMs: probe.intervalMs }),
            ...(probe?.othersPerRound === undefined ? {} : { othersPerRound: probe.othersPerRound }),
            ...(probe?.timeoutMs === undefined ? {} : { timeoutMs: probe.timeoutMs }),
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
          ...(o.hedging !== undefined && idempotent && mode === 'failover' ? { hedging: o.hedging } : {}),
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
    this.updates[Symbol.dispose]();
    this.subscription[Symbol.dispose]();
    this.callers?.updates[Symbol.dispose]();
    this.callers?.subscription[Symbol.dispose]();
    this.observed?.[Symbol.dispose]();
    await this.prober?.stop();
    this.router.close();
    await this.pool.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private followCallers(service: string): { subscription: ServiceSubscription; updates: Disposable } {
    const subscription = this.deps.discoverer.subscribe(service);
    const updates = subscription.updated(({ snapshot }) => this.router.updateCallers(snapshot.instances));
    const current = subscription.current();
    if (current !== undefined) this.router.updateCallers(current.instances);
    return { subscription, updates };
  }

  private apply(snapshot: ServiceSnapshot): void {
    this.router.update(snapshot.instances, { unconfirmed: snapshot.unconfirmed });
    this.pool.retain(snapshot.instances);
    this.rtt.retain(new Set(snapshot.instances.map((i) => i.id)));
  }
}
