import type { Locality } from '../core/locality.js';
import type { Balancer } from '../balancer/balancer.js';
import type { Picker } from '../balancer/picker.js';
import type { EndpointStats } from '../health/endpoint-stats.js';
import type { RouterOptions } from './options.js';
import { priorityLoad, type PriorityLoad } from './priority-load.js';
import { groupTiers, type Tier } from './tiers.js';
import {
  PERCENT_SCALE,
  ROUTE_SCALE,
  zonePercentages,
  zoneRouting,
  type ZoneRouting,
} from './zone-residual.js';

/** One destination of the router's split: a tier (or one zone of it) with its own picker. */
export interface Route {
  readonly name: string;
  /** Index of the tier this route belongs to: 0 is nearest; load spills from level k to k + 1. */
  readonly level: number;
  /** What the balancer picks among: the healthy endpoints, or all of them in panic. */
  readonly endpoints: readonly EndpointStats[];
  readonly panic: boolean;
  /** Share of traffic before load-aware spill. */
  readonly baseShare: number;
  readonly picker: Picker;
}

/** Zone-aware routing as applied to the caller's region. */
export interface ZonePlan {
  readonly zones: readonly string[];
  readonly callerPercent: readonly number[];
  readonly upstreamPercent: readonly number[];
  readonly routing: ZoneRouting;
}

/** Where an endpoint of the plan belongs: the route covering it, and its statistics. */
export interface RouteMember {
  /** Index into {@link Plan.routes}. */
  readonly route: number;
  readonly stats: EndpointStats;
}

/** Everything the router decided at one rebuild; shares are final once spill is applied. */
export interface Plan {
  readonly tiers: readonly Tier[];
  readonly routes: readonly Route[];
  readonly priority: PriorityLoad;
  readonly zone: ZonePlan | undefined;
  /**
   * Every endpoint of every tier → the route that covers its place (an unhealthy endpoint outside
   * panic is in no route's list but still belongs to its zone's route): retries read it to leave a
   * route that failed them.
   */
  readonly members: ReadonlyMap<string, RouteMember>;
}

export interface PlanInput {
  /** Endpoints eligible for new calls (UP, weight > 0), healthy or not. */
  readonly endpoints: readonly EndpointStats[];
  readonly locality: Locality;
  /** Caller instances per zone of the caller's region, when the caller service is known. */
  readonly callerSpread: ReadonlyMap<string, number> | undefined;
  readonly options: RouterOptions;
  readonly balancer: Balancer;
}

/**
 * Builds the routing plan: tiers by locality, Envoy's priority load over them (1.4
 * over-provisioning, panic), and zone-aware residual routing inside the caller's region when the
 * caller's own spread is known.
 */
export function buildPlan(input: PlanInput): Plan {
  const { options, balancer } = input;
  const tiers = groupTiers(input.endpoints, input.locality);
  const healthy = tiers.map((t) => t.endpoints.filter((s) => s.available));
  const zoneAware = zoneAwareApplies(input, tiers, healthy);
  // Priority units: the caller's whole region is one unit when zone-aware routing splits it.
  const units: number[][] = zoneAware
    ? [[0, 1], ...tiers.slice(2).map((_, i) => [i + 2])]
    : tiers.map((_, i) => [i]);
  const priority = priorityLoad(
    units.map((u) => ({
      healthy: u.reduce((a, t) => a + healthy[t]!.length, 0),
      total: u.reduce((a, t) => a + tiers[t]!.endpoints.length, 0),
    })),
    options.overprovisioningFactor,
    options.panicThreshold,
  );
  const routes: Route[] = [];
  const route = (
    name: string,
    level: number,
    endpoints: readonly EndpointStats[],
    panic: boolean,
    share: number,
  ) => {
    if (endpoints.length > 0)
      routes.push({
        name,
        level,
        endpoints,
        panic,
        baseShare: share,
        picker: balancer.build(endpoints, { panic }),
      });
  };
  let zone: ZonePlan | undefined;
  units.forEach((unit, u) => {
    const load = priority.loads[u]!;
    const panic = priority.panic[u]!;
    if (zoneAware && u === 0 && !panic) {
      zone = splitRegion(input, tiers, healthy, load, route);
      return;
    }
    for (const t of unit) {
      const share = unit.length === 1 ? load : (load * tiers[t]!.endpoints.length) / totalOf(unit, tiers);
      route(tiers[t]!.name, t, panic ? tiers[t]!.endpoints : healthy[t]!, panic, share);
    }
  });
  return { tiers, routes, priority, zone, members: membersOf(tiers, routes) };
}

/** Maps each tier endpoint to its route: the route listing it, else its level's route for its zone. */
function membersOf(tiers: readonly Tier[], routes: readonly Route[]): Map<string, RouteMember> {
  const members = new Map<string, RouteMember>();
  routes.forEach((r, route) => {
    for (const stats of r.endpoints) members.set(stats.id, { route, stats });
  });
  tiers.forEach((tier, level) => {
    for (const stats of tier.endpoints) {
      if (members.has(stats.id)) continue;
      const zone = stats.endpoint.instance.locality.zone;
      let route = -1;
      routes.forEach((r, i) => {
        if (r.level !== level) return;
        if (route < 0 || r.endpoints[0]?.endpoint.instance.locality.zone === zone) route = i;
      });
      if (route >= 0) members.set(stats.id, { route, stats });
    }
  });
  return members;
}

function totalOf(unit: readonly number[], tiers: readonly Tier[]): number {
  return unit.reduce((a, t) => a + tiers[t]!.endpoints.length, 0);
}

function zoneAwareApplies(
  input: PlanInput,
  tiers: readonly Tier[],
  healthy: readonly EndpointStats[][],
): boolean {
  const { zoneAware } = input.options;
  const spread = input.callerSpread;
  if (!zoneAware.enabled || spread === undefined || (spread.get(input.locality.zone) ?? 0) === 0)
    return false;
  if (tiers[0]?.kind !== 'zone' || tiers[1]?.kind !== 'region') return false;
  if (healthy[0]!.length === 0) return false;
  return healthy[0]!.length + healthy[1]!.length >= zoneAware.minClusterSize;
}

type AddRoute = (
  name: string,
  level: number,
  endpoints: readonly EndpointStats[],
  panic: boolean,
  share: number,
) => void;

/** Envoy's LocalityDirect / LocalityResidual over the zones of the caller's region. */
function splitRegion(
  input: PlanInput,
  tiers: readonly Tier[],
  healthy: readonly EndpointStats[][],
  load: number,
  route: AddRoute,
): ZonePlan {
  const byZone = new Map<string, EndpointStats[]>();
  for (const s of healthy[1]!) {
    const z = s.endpoint.instance.locality.zone;
    const list = byZone.get(z);
    if (list === undefined) byZone.set(z, [s]);
    else list.push(s);
  }
  const others = [...byZone.keys()].sort();
  const zones = [input.locality.zone, ...others];
  const upstreamPercent = zonePercentages([healthy[0]!.length, ...others.map((z) => byZone.get(z)!.length)]);
  // Callers in every zone of the region count, also those in zones with no healthy upstream
  // (Envoy's calculateLocalityPercentagesNew divides by all local hosts): leaving them out would
  // make the local zone's callers look like a bigger share than they are.
  let callers = 0;
  for (const n of input.callerSpread?.values() ?? []) callers += n;
  const callerPercent = zones.map((z) =>
    callers > 0 ? Math.floor((PERCENT_SCALE * (input.callerSpread?.get(z) ?? 0)) / callers) : 0,
  );
  const routing = zoneRouting(callerPercent, upstreamPercent);
  if (routing.mode === 'direct') {
    route(tiers[0]!.name, 0, healthy[0]!, false, load);
    route(tiers[1]!.name, 1, healthy[1]!, false, 0);
  } else {
    const local = routing.localPercentToRoute / ROUTE_SCALE;
    route(tiers[0]!.name, 0, healthy[0]!, false, load * local);
    const residual = routing.residual.slice(1);
    let weights = residual;
    if (residual.every((r) => r === 0)) weights = upstreamPercent.slice(1);
    const sum = weights.reduce((a, b) => a + b, 0);
    others.forEach((z, i) => {
      const share = sum > 0 ? (load * (1 - local) * weights[i]!) / sum : 0;
      route(`${input.locality.region}/${z}`, 1, byZone.get(z)!, false, share);
    });
  }
  return { zones, callerPercent, upstreamPercent, routing };
}

/**
 * Final shares after load-aware spill: level k hands `spill[k]` of its share to level k + 1
 * (cascading), split over the next level's routes in proportion to their shares, or to their sizes
 * when they had none. Spill never goes to a level without routes.
 */
export function applySpill(routes: readonly Route[], spill: readonly number[]): number[] {
  const shares = routes.map((r) => r.baseShare);
  const maxLevel = routes.reduce((m, r) => Math.max(m, r.level), 0);
  for (let k = 0; k < maxLevel; k++) {
    const fraction = spill[k] ?? 0;
    if (fraction <= 0) continue;
    const next = nextLevel(routes, k);
    if (next === undefined) continue;
    let moved = 0;
    routes.forEach((r, i) => {
      if (r.level !== k) return;
      moved += shares[i]! * fraction;
      shares[i]! *= 1 - fraction;
    });
    const targets = routes.map((r, i) => (r.level === next ? i : -1)).filter((i) => i >= 0);
    const base = targets.reduce((a, i) => a + shares[i]!, 0);
    const sizes = targets.reduce((a, i) => a + routes[i]!.endpoints.length, 0);
    for (const i of targets) {
      shares[i]! += base > 0 ? (moved * shares[i]!) / base : (moved * routes[i]!.endpoints.length) / sizes;
    }
  }
  return shares;
}

/** The nearest level above `k` that has a route. */
function nextLevel(routes: readonly Route[], k: number): number | undefined {
  let best: number | undefined;
  for (const r of routes) if (r.level > k && (best === undefined || r.level < best)) best = r.level;
  return best;
}
