import { systemClock, type Clock, type TimerHandle } from '../core/clock.js';
import { Emitter, type Event } from '../core/event.js';
import { invalidArgument } from '../core/errors.js';
import type { Instance } from '../core/instance.js';
import { formatLocality } from '../core/locality.js';
import { systemRandom, type Random } from '../core/random.js';
import { parseWith } from '../core/validate.js';
import { createBalancer, type BalancerSpec } from '../balancer/factory.js';
import type { Balancer } from '../balancer/balancer.js';
import type { Endpoint, PickContext, Picker, PickResult } from '../balancer/picker.js';
import type { EndpointStats } from '../health/endpoint-stats.js';
import { StatsPool } from '../health/stats-pool.js';
import type { ProbeTarget, ProbeTargets } from '../probe/prober.js';
import type { RttSource } from '../probe/rtt-source.js';
import { explainPlan, formatRoutingTable, type RoutingTable } from './explain.js';
import { SpillController, takeLevelSample } from './load-spill.js';
import { routerOptionsSchema, type RouterOptions, type RouterOptionsInput } from './options.js';
import { applySpill, buildPlan, type Plan } from './plan.js';
import { RouterPicker, WAITING_PICKER } from './router-picker.js';

/** Injected dependencies of a router (not validated: functions and objects). */
export interface RouterDeps {
  readonly clock?: Clock;
  readonly random?: Random;
  /** Probed RTTs: order remote regions and show in `explain()`. */
  readonly rtt?: RttSource;
}

/** What a discoverer snapshot carries besides the instances. */
export interface SnapshotExtra {
  /** Ids kept only by self-preservation (their disappearance was refused): routable, flagged. */
  readonly unconfirmed?: ReadonlySet<string>;
  /** The caller service's own instances, for zone-aware residual routing. */
  readonly callers?: readonly Instance[];
}

/**
 * The locality-aware router of one service: it turns discoverer snapshots and call outcomes into
 * the current immutable {@link Picker}. Rebuilds happen off the hot path: an update, a health
 * change or an RTT change only marks the router dirty; the next read of `picker` rebuilds once.
 */
export interface Router extends Disposable {
  readonly service: string;
  /** The current picker (rebuilt lazily when something changed). */
  readonly picker: Picker;
  /** `router.picker.pick(context)`. */
  pick(context?: PickContext): PickResult;
  /** Adopts a discoverer snapshot: DOWN instances are dropped, DRAINING ones take no new calls. */
  update(instances: readonly Instance[], extra?: SnapshotExtra): void;
  /** Adopts the caller service's own instances (zone-aware routing needs its spread over zones). */
  updateCallers(instances: readonly Instance[]): void;
  /** Applies due time-driven changes (ejections ending, breakers half-opening, spill steps) now. */
  refresh(): void;
  /** Statistics of one endpoint, if listed. */
  stats(id: string): EndpointStats | undefined;
  /** What a prober should measure: the nearest tier in full, the rest to sample from. */
  probeTargets(): ProbeTargets;
  /** The live routing table. */
  explain(): RoutingTable;
  /** The live routing table, pretty-printed. */
  explainText(): string;
  /** Fires when the picker must be re-read (something changed). */
  readonly changed: Event<void>;
  close(): void;
}

/**
 * Creates a router.
 *
 * @example
 * ```ts
 * const router = createRouter({ service: 'users', locality: { region: 'eu', zone: 'eu-1' } });
 * router.update(snapshot.instances);
 * const result = router.pick();
 * if (result.kind === 'ok') {
 *   const started = performance.now();
 *   // … call result.endpoint …
 *   result.tracker.done('success', performance.now() - started);
 * }
 * ```
 */
export function createRouter(options: RouterOptionsInput & RouterDeps): Router {
  const { clock, random, rtt, ...rest } = options;
  return new LocalityRouter(parseWith(routerOptionsSchema(), rest, 'router'), {
    clock: clock ?? systemClock,
    random: random ?? systemRandom,
    rtt,
  });
}

class LocalityRouter implements Router {
  readonly service: string;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly rtt: RttSource | undefined;
  private readonly pool: StatsPool;
  private readonly balancer: Balancer;
  private readonly spill: SpillController;
  private readonly emitter = new Emitter<void>();
  readonly changed: Event<void> = this.emitter.event;
  private readonly rttSubscription: Disposable | undefined;

  private instances: readonly Instance[] | undefined;
  private eligible: readonly EndpointStats[] = [];
  private excluded: Array<{ id: string; reason: string }> = [];
  private callerSpread: Map<string, number> | undefined;
  private plan: Plan | undefined;
  private shares: number[] = [];
  private current: Picker = WAITING_PICKER;
  private dirty = false;
  private healthTimer: { handle: TimerHandle; at: number } | undefined;
  private spillTimer: TimerHandle | undefined;
  private closed = false;

  constructor(
    private readonly options: RouterOptions,
    deps: { clock: Clock; random: Random; rtt: RttSource | undefined },
  ) {
    this.service = options.service;
    this.clock = deps.clock;
    this.random = deps.random;
    this.rtt = deps.rtt;
    this.pool = new StatsPool(this.clock, options.health, () => this.markDirty());
    this.balancer = createBalancer(options.balancer as BalancerSpec, {
      clock: this.clock,
      random: this.random,
    });
    this.spill = new SpillController(options.loadSpill);
    this.rttSubscription = this.rtt?.changed(() => this.markDirty());
  }

  get picker(): Picker {
    if (this.dirty) this.rebuild();
    return this.current;
  }

  pick(context?: PickContext): PickResult {
    return (this.dirty ? this.picker : this.current).pick(context);
  }

  update(instances: readonly Instance[], extra: SnapshotExtra = {}): void {
    for (const [i, instance] of instances.entries()) {
      if (instance.service !== this.service)
        throw invalidArgument(`instances.${i}.service`, `expected ${this.service}, got ${instance.service}`);
    }
    this.instances = instances;
    const listed = instances.filter((i) => i.status !== 'DOWN');
    const stats = this.pool.sync(listed.map((instance): Endpoint => ({ id: instance.id, instance })));
    const unconfirmed = extra.unconfirmed;
    this.excluded = [];
    for (const i of instances) if (i.status === 'DOWN') this.excluded.push({ id: i.id, reason: 'DOWN' });
    this.eligible = stats.filter((s) => {
      s.unconfirmed = unconfirmed?.has(s.id) ?? false;
      const status = s.endpoint.instance.status;
      if (status === 'DRAINING')
        this.excluded.push({ id: s.id, reason: 'DRAINING: finishing in-flight calls only' });
      else if (s.endpoint.instance.weight === 0) this.excluded.push({ id: s.id, reason: 'weight 0' });
      return status === 'UP' && s.endpoint.instance.weight > 0;
    });
    if (extra.callers !== undefined) this.setCallers(extra.callers);
    this.markDirty();
  }

  updateCallers(instances: readonly Instance[]): void {
    this.setCallers(instances);
    this.markDirty();
  }

  refresh(): void {
    if (this.instances === undefined) return;
    this.pool.refresh(this.clock.now());
    this.stepSpill();
    this.rebuild();
  }

  stats(id: string): EndpointStats | undefined {
    return this.pool.get(id);
  }

  probeTargets(): ProbeTargets {
    if (this.dirty) this.rebuild();
    const tiers = this.plan?.tiers ?? [];
    const target = (s: EndpointStats): ProbeTarget => ({ id: s.id, address: s.endpoint.instance.address });
    return {
      preferred: (tiers[0]?.endpoints ?? []).map(target),
      others: tiers.slice(1).flatMap((t) => t.endpoints.map(target)),
    };
  }

  explain(): RoutingTable {
    if (this.dirty) this.rebuild();
    const head = {
      service: this.service,
      locality: formatLocality(this.options.locality),
      balancer: this.options.balancer.name,
      topology:
        this.options.locality.zone === ''
          ? 'caller zone unknown: same-zone routing is off for this caller'
          : undefined,
    };
    const plan = this.plan ?? {
      tiers: [],
      routes: [],
      priority: { loads: [], panic: [], totalPanic: false },
      zone: undefined,
      members: new Map(),
    };
    return explainPlan(head, plan, this.shares, this.spill, this.excluded, this.clock.now());
  }

  explainText(): string {
    return formatRoutingTable(this.explain());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.healthTimer !== undefined) this.clock.clearTimeout(this.healthTimer.handle);
    if (this.spillTimer !== undefined) this.clock.clearTimeout(this.spillTimer);
    this.healthTimer = undefined;
    this.spillTimer = undefined;
    this.rttSubscription?.[Symbol.dispose]();
    this.emitter.clear();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  private setCallers(instances: readonly Instance[]): void {
    const spread = new Map<string, number>();
    for (const i of instances) {
      if (i.status !== 'UP' || i.locality.region !== this.options.locality.region) continue;
      spread.set(i.locality.zone, (spread.get(i.locality.zone) ?? 0) + 1);
    }
    this.callerSpread = spread;
  }

  private markDirty(): void {
    if (this.dirty || this.closed) return;
    this.dirty = true;
    this.emitter.emit();
  }

  /** Rebuilds the plan and the picker from the current snapshot, health and RTTs. */
  private rebuild(): void {
    this.dirty = false;
    if (this.instances === undefined) return;
    const now = this.clock.now();
    const rtt = this.rtt;
    if (rtt !== undefined) {
      for (const s of this.pool.all) {
        s.rttMs = rtt.rtt(s.id);
        s.unreachable = rtt.unreachable(s.id);
      }
    }
    // After the RTT source: health settles availability with reachability included.
    const next = this.pool.refresh(now);
    this.plan = buildPlan({
      endpoints: this.eligible,
      locality: this.options.locality,
      callerSpread: this.callerSpread,
      options: this.options,
      balancer: this.balancer,
    });
    this.publish();
    this.armHealthTimer(next);
    this.armSpillTimer();
    // `refresh` inside the build may itself have flipped availability: that is already reflected.
    this.dirty = false;
  }

  /** New picker from the current plan and spill (cheap: no balancer rebuilds). */
  private publish(): void {
    const plan = this.plan;
    if (plan === undefined) return;
    this.shares = applySpill(plan.routes, this.spill.fractions);
    const shares = this.shares;
    const pickers = plan.routes.map((r) => r.picker);
    const order = plan.routes
      .map((r, i) => ({ r, i }))
      .sort((a, b) => a.r.level - b.r.level || (shares[b.i] ?? 0) - (shares[a.i] ?? 0))
      .map(({ i }) => i);
    this.current = new RouterPicker(pickers, shares, order, plan.members, this.random, this.service);
  }

  private stepSpill(): boolean {
    const plan = this.plan;
    if (plan === undefined || !this.options.loadSpill.enabled) return false;
    const initialCostMs = this.options.health.initialCostMs;
    const samples = plan.tiers.map((tier, k) =>
      takeLevelSample(
        tier,
        plan.routes.some((r) => r.level === k),
        initialCostMs,
      ),
    );
    return this.spill.step(samples);
  }

  private armHealthTimer(at: number): void {
    if (this.closed || !Number.isFinite(at)) return;
    if (this.healthTimer !== undefined) {
      if (this.healthTimer.at <= at) return;
      this.clock.clearTimeout(this.healthTimer.handle);
    }
    const handle = this.clock.setTimeout(
      () => {
        this.healthTimer = undefined;
        this.markDirty();
      },
      Math.max(0, at - this.clock.now()),
    );
    handle.unref?.();
    this.healthTimer = { handle, at };
  }

  private armSpillTimer(): void {
    if (this.closed || this.spillTimer !== undefined || !this.options.loadSpill.enabled) return;
    if ((this.plan?.tiers.length ?? 0) < 2) return;
    const handle = this.clock.setTimeout(() => {
      this.spillTimer = undefined;
      if (this.stepSpill()) {
        this.publish();
        this.emitter.emit();
      }
      this.armSpillTimer();
    }, this.options.loadSpill.intervalMs);
    handle.unref?.();
    this.spillTimer = handle;
  }
}
