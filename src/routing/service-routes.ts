import type { BalancerSpecInput } from '../balancer/factory.js';
import type { Clock } from '../core/clock.js';
import { Emitter, type Event } from '../core/event.js';
import type { Instance, Protocol } from '../core/instance.js';
import type { Locality } from '../core/locality.js';
import type { Random } from '../core/random.js';
import type { Discoverer, ServiceSubscription } from '../discovery/discoverer.js';
import type { ServiceSnapshot } from '../discovery/snapshot.js';
import { type Prober, startProber } from '../probe/prober.js';
import { RttTable } from '../probe/rtt-source.js';
import type { RouterOptionsInput } from './options.js';
import { createRouter, type Router } from './router.js';

/** Background RTT probing of the nearest tier (TCP connect time); `false` turns it off. */
export interface RouteProbeOptions {
  /** Mean time between rounds (default 5 s, jittered ±20%). */
  readonly intervalMs?: number;
  /** Endpoints outside the preferred tier measured per round (default 3). */
  readonly othersPerRound?: number;
  readonly timeoutMs?: number;
}

/** What every {@link ServiceRoutes} of one routing source shares. */
export interface ServiceRoutesDeps {
  readonly discoverer: Discoverer;
  /** The caller's locality: routing tiers are relative to it. */
  readonly locality: Locality;
  readonly clock: Clock;
  readonly random: Random;
  readonly balancer?: BalancerSpecInput | undefined;
  readonly routing?: Omit<RouterOptionsInput, 'service' | 'locality' | 'balancer'> | undefined;
  readonly probe?: RouteProbeOptions | false | undefined;
  /**
   * The caller's own service, if any: its instances' spread over the zones drives zone-aware
   * residual routing.
   */
  readonly callerService?: string | undefined;
}

/**
 * The routing state of one service as seen by one transport: the discoverer's snapshots, filtered
 * to the instances that speak `protocol`, feed a locality-aware {@link Router}; a prober measures
 * RTTs of the nearest tier into the router's RTT table. This is the transport-neutral half of every
 * caller: the RPC client's service channel, the gRPC load balancer and the HTTP dispatcher put
 * their own connections next to it.
 *
 * @example
 * ```ts
 * const routes = new ServiceRoutes('users', 'http', deps);
 * await routes.ready(AbortSignal.timeout(5_000));
 * const pick = routes.router.pick();
 * ```
 */
export class ServiceRoutes implements AsyncDisposable {
  readonly router: Router;
  private readonly rtt = new RttTable();
  private readonly subscription: ServiceSubscription;
  private readonly updates: Disposable;
  private readonly prober: Prober | undefined;
  private readonly callers: { subscription: ServiceSubscription; updates: Disposable } | undefined;
  private readonly emitter = new Emitter<readonly Instance[]>();
  /** Fires with the new instance list whenever the set of instances speaking the protocol changed. */
  readonly changed: Event<readonly Instance[]> = this.emitter.event;
  private list: readonly Instance[] | undefined;
  private closed = false;

  constructor(
    readonly service: string,
    readonly protocol: Protocol,
    private readonly deps: ServiceRoutesDeps,
  ) {
    const { clock, random, probe } = deps;
    this.router = createRouter({
      ...deps.routing,
      service,
      locality: deps.locality,
      ...(deps.balancer === undefined ? {} : { balancer: deps.balancer }),
      clock,
      random,
      rtt: this.rtt,
    });
    this.subscription = deps.discoverer.subscribe(service);
    this.updates = this.subscription.updated(({ snapshot }) => this.apply(snapshot));
    const current = this.subscription.current();
    if (current !== undefined) this.apply(current);
    this.callers = deps.callerService === undefined ? undefined : this.followCallers(deps.callerService);
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

  /** The clock the router measures with (latencies reported to it must come from the same clock). */
  get clock(): Clock {
    return this.deps.clock;
  }

  /** The instances speaking the protocol, as last adopted; undefined before the first snapshot. */
  instances(): readonly Instance[] | undefined {
    return this.list;
  }

  /** Resolves with the instance list once the first snapshot arrived. */
  async ready(signal?: AbortSignal): Promise<readonly Instance[]> {
    if (this.list !== undefined) return this.list;
    const snapshot = await this.subscription.ready(signal);
    // The subscription's listener has run by now unless the snapshot raced our subscribe.
    if (this.list === undefined) this.apply(snapshot);
    return this.list ?? [];
  }

  /** A round trip to `id` measured by the transport (RPC PING/PONG): routing orders tiers by RTT. */
  reportRtt(id: string, ms: number): void {
    this.rtt.report(id, ms);
  }

  /**
   * The transport's connection to `id` is down (`false`) or up again (`true`): routing takes it out
   * of (or back into) the pool at once, so shares and `explain` follow what calls can reach.
   */
  reportConnection(id: string, connected: boolean): void {
    this.rtt.reportConnection(id, connected);
  }

  /** The transport saw `id` fail to connect: discovery drops it at once if it was only unconfirmed. */
  reportFailed(id: string): void {
    this.deps.discoverer.reportFailed(this.service, id);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.updates[Symbol.dispose]();
    this.subscription[Symbol.dispose]();
    this.callers?.updates[Symbol.dispose]();
    this.callers?.subscription[Symbol.dispose]();
    this.emitter.clear();
    await this.prober?.stop();
    this.router.close();
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
    if (this.closed) return;
    const next = snapshot.instances.filter((i) => i.protocol === this.protocol);
    this.router.update(next, { unconfirmed: snapshot.unconfirmed });
    this.rtt.retain(new Set(next.map((i) => i.id)));
    if (this.list !== undefined && sameInstances(this.list, next)) return;
    this.list = next;
    this.emitter.emit(next);
  }
}

/** True when both lists hold the same instance objects in the same order (snapshots share them). */
function sameInstances(a: readonly Instance[], b: readonly Instance[]): boolean {
  return a.length === b.length && a.every((instance, i) => instance === b[i]);
}
