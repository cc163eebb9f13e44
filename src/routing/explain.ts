import { formatLocality } from '../core/locality.js';
import type { InstanceStatus } from '../core/instance.js';
import type { BreakerState } from '../health/breaker/state-machine.js';
import type { EndpointStats } from '../health/endpoint-stats.js';
import type { Plan } from './plan.js';
import type { ZoneRouting } from './zone-residual.js';

/** One endpoint in the routing table. */
export interface ExplainedEndpoint {
  readonly id: string;
  readonly address: string;
  readonly locality: string;
  readonly status: InstanceStatus;
  /** Takes new calls now (not ejected, breaker admits, weight in the pool, probes connect). */
  readonly available: boolean;
  /** Active health: probes cannot connect to it. */
  readonly unreachable: boolean;
  readonly pending: number;
  /** Peak-EWMA latency cost, ms. */
  readonly ewmaMs: number;
  readonly rttMs: number | undefined;
  /** Health-adjusted weight (registered weight × health factor). */
  readonly weight: number;
  readonly breaker: BreakerState | 'off';
  readonly ejected: { readonly forMs: number; readonly reason: string } | undefined;
  readonly unconfirmed: boolean;
  readonly successes: number;
  readonly failures: number;
}

/** One route of the split: a tier, or one zone of the caller's region under zone-aware routing. */
export interface ExplainedRoute {
  readonly name: string;
  readonly level: number;
  /** Share of new calls after load-aware spill. */
  readonly share: number;
  /** Share before load-aware spill (priority load and zone-aware split). */
  readonly baseShare: number;
  readonly panic: boolean;
  readonly endpoints: readonly ExplainedEndpoint[];
}

/** The live routing table of one service, as data. */
export interface RoutingTable {
  readonly service: string;
  readonly locality: string;
  readonly balancer: string;
  /**
   * Set when the caller's own zone is unknown (same-zone routing is off for it): why, and what the
   * topology sources answered when the client knows (docs/topology.md).
   */
  readonly topology: string | undefined;
  /** Ids of routed instances whose zone is unknown: no caller can prefer them as same-zone. */
  readonly unknownZone: readonly string[];
  readonly totalPanic: boolean;
  readonly tiers: ReadonlyArray<{
    readonly name: string;
    readonly kind: string;
    readonly healthy: number;
    readonly total: number;
    readonly rttMs: number | undefined;
    /** Mean latency of the calls the tier served, as load-aware spill estimates it. */
    readonly latencyMs: number | undefined;
  }>;
  readonly routes: readonly ExplainedRoute[];
  /** Spill fraction from each level to the next (load-aware spill). */
  readonly spill: readonly number[];
  readonly zoneAware:
    | {
        readonly zones: readonly string[];
        readonly callerPercent: readonly number[];
        readonly upstreamPercent: readonly number[];
        readonly routing: ZoneRouting;
      }
    | undefined;
  /** Listed instances that take no new calls (DOWN, DRAINING, weight 0), and why. */
  readonly excluded: ReadonlyArray<{ readonly id: string; readonly reason: string }>;
  /**
   * Tiered endpoints no route offers now — unhealthy outside panic: unreachable, ejected, breaker
   * open, weight too low — and why (their statistics: `Router.stats(id)`).
   */
  readonly unhealthy: ReadonlyArray<{ readonly id: string; readonly reason: string }>;
}

/** Describes one endpoint at clock time `now`. */
export function explainEndpoint(s: EndpointStats, now: number): ExplainedEndpoint {
  const i = s.endpoint.instance;
  return {
    id: s.id,
    address: i.address,
    locality: formatLocality(i.locality),
    status: i.status,
    available: s.available,
    unreachable: s.unreachable,
    pending: s.pending,
    ewmaMs: round(s.costAt(now)),
    rttMs: s.rttMs === undefined ? undefined : round(s.rttMs),
    weight: round(s.effectiveWeight),
    breaker: s.breaker?.state ?? 'off',
    ejected:
      s.ejectedUntil !== 0
        ? { forMs: Math.max(0, s.ejectedUntil - now), reason: s.ejectionReason }
        : undefined,
    unconfirmed: s.unconfirmed,
    successes: s.successes,
    failures: s.failures,
  };
}

/** Builds the table from a plan and its final shares. */
export function explainPlan(
  head: { service: string; locality: string; balancer: string; topology: string | undefined },
  plan: Plan,
  shares: readonly number[],
  spill: { readonly fractions: readonly number[]; latencyOf(tier: string): number | undefined },
  excluded: RoutingTable['excluded'],
  now: number,
): RoutingTable {
  return {
    ...head,
    totalPanic: plan.priority.totalPanic,
    tiers: plan.tiers.map((t) => ({
      name: t.name,
      kind: t.kind,
      healthy: t.endpoints.filter((s) => s.available).length,
      total: t.endpoints.length,
      rttMs: t.rttMs === undefined ? undefined : round(t.rttMs),
      latencyMs: roundOr(spill.latencyOf(t.name)),
    })),
    routes: plan.routes.map((r, i) => ({
      name: r.name,
      level: r.level,
      share: round(shares[i] ?? 0, 4),
      baseShare: round(r.baseShare, 4),
      panic: r.panic,
      endpoints: r.endpoints.map((s) => explainEndpoint(s, now)),
    })),
    spill: spill.fractions.map((s) => round(s, 4)),
    zoneAware: plan.zone,
    excluded,
    unhealthy: unrouted(plan, now),
    unknownZone: plan.tiers.flatMap((t) =>
      t.endpoints.filter((s) => s.endpoint.instance.locality.zone === '').map((s) => s.id),
    ),
  };
}

/** Tier endpoints no route offers (unhealthy outside panic), with why. */
function unrouted(plan: Plan, now: number): Array<{ id: string; reason: string }> {
  const routed = new Set(plan.routes.flatMap((r) => r.endpoints.map((s) => s.id)));
  const out: Array<{ id: string; reason: string }> = [];
  for (const tier of plan.tiers) {
    for (const s of tier.endpoints) {
      if (routed.has(s.id)) continue;
      const why = [
        s.unreachable ? 'unreachable (probe or transport connection)' : '',
        s.ejectedUntil !== 0
          ? `ejected ${Math.ceil(Math.max(0, s.ejectedUntil - now) / 1000)}s: ${s.ejectionReason}`
          : '',
        s.breaker !== undefined && s.breaker.state !== 'closed' ? `breaker ${s.breaker.state}` : '',
      ].filter(Boolean);
      out.push({ id: s.id, reason: why.length > 0 ? why.join(', ') : 'unhealthy' });
    }
  }
  return out;
}

/** The routing table as text for people (`proxima explain`, logs). */
export function formatRoutingTable(table: RoutingTable): string {
  const lines = [
    `service ${table.service} from ${table.locality} · balancer ${table.balancer}${table.totalPanic ? ' · PANIC (all endpoints)' : ''}`,
  ];
  if (table.topology !== undefined) lines.push(`topology: ${table.topology}`);
  if (table.unknownZone.length > 0) lines.push(`zone unknown for: ${table.unknownZone.join(', ')}`);
  for (const t of table.tiers) {
    lines.push(
      `tier ${t.name} (${t.kind}): ${t.healthy}/${t.total} healthy${t.rttMs === undefined ? '' : `, rtt ${t.rttMs}ms`}` +
        `${t.latencyMs === undefined ? '' : `, latency ${t.latencyMs}ms`}`,
    );
  }
  if (table.zoneAware !== undefined) {
    const z = table.zoneAware;
    const mode =
      z.routing.mode === 'direct'
        ? 'direct (all local)'
        : `residual: ${(z.routing.localPercentToRoute / 100).toFixed(2)}% local, residual ${z.routing.residual.join('/')}`;
    lines.push(
      `zone-aware over ${z.zones.join(', ')}: caller ${z.callerPercent.join('/')} upstream ${z.upstreamPercent.join('/')} → ${mode}`,
    );
  }
  if (table.spill.some((s) => s > 0)) lines.push(`load spill: ${table.spill.map(percent).join(' → ')}`);
  for (const r of table.routes) {
    lines.push(`route ${r.name} [level ${r.level}] ${percent(r.share)}${r.panic ? ' PANIC' : ''}`);
    for (const e of r.endpoints) {
      const flags = [
        e.available ? '' : 'unavailable',
        e.unreachable ? 'unreachable (probe or transport connection)' : '',
        e.ejected ? `ejected ${Math.ceil(e.ejected.forMs / 1000)}s: ${e.ejected.reason}` : '',
        e.breaker !== 'closed' && e.breaker !== 'off' ? `breaker ${e.breaker}` : '',
        e.unconfirmed ? 'unconfirmed' : '',
      ].filter(Boolean);
      lines.push(
        `  ${e.id.padEnd(16)} ${e.address.padEnd(21)} ${e.locality.padEnd(16)} ewma ${String(e.ewmaMs).padStart(7)}ms ` +
          `pending ${String(e.pending).padStart(3)} weight ${String(e.weight).padStart(5)}` +
          `${e.rttMs === undefined ? '' : ` rtt ${e.rttMs}ms`}${flags.length ? ` · ${flags.join(', ')}` : ''}`,
      );
    }
  }
  for (const x of table.unhealthy) lines.push(`unhealthy ${x.id}: ${x.reason}`);
  for (const x of table.excluded) lines.push(`excluded ${x.id}: ${x.reason}`);
  return lines.join('\n');
}

function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function roundOr(x: number | undefined): number | undefined {
  return x === undefined ? undefined : round(x);
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
