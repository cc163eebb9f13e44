import { formatLocality, type Locality } from '../core/locality.js';
import type { EndpointStats } from '../health/endpoint-stats.js';

/**
 * `zone`: the caller's zone · `region`: the caller's region, other zones · `remote`: one other
 * region · `any`: everything, when the caller's locality is unknown.
 */
export type TierKind = 'zone' | 'region' | 'remote' | 'any';

/** A set of endpoints at the same distance from the caller. */
export interface Tier {
  readonly name: string;
  readonly kind: TierKind;
  readonly endpoints: readonly EndpointStats[];
  /** Median probed RTT of the tier's endpoints, when any were probed. */
  readonly rttMs: number | undefined;
}

/**
 * Groups endpoints by distance from `caller`: same zone, same region, then each other region
 * ordered by median probed RTT (unprobed regions last, by name). Empty tiers are left out.
 */
export function groupTiers(endpoints: readonly EndpointStats[], caller: Locality): Tier[] {
  if (caller.region === '') return [tier('all', 'any', endpoints)];
  const zone: EndpointStats[] = [];
  const region: EndpointStats[] = [];
  const remote = new Map<string, EndpointStats[]>();
  for (const s of endpoints) {
    const l = s.endpoint.instance.locality;
    if (l.region === caller.region) {
      if (caller.zone !== '' && l.zone === caller.zone) zone.push(s);
      else region.push(s);
    } else {
      const list = remote.get(l.region);
      if (list === undefined) remote.set(l.region, [s]);
      else list.push(s);
    }
  }
  const tiers: Tier[] = [];
  if (zone.length > 0) tiers.push(tier(formatLocality(caller), 'zone', zone));
  if (region.length > 0)
    tiers.push(tier(caller.zone === '' ? caller.region : `${caller.region} (other zones)`, 'region', region));
  const remotes = [...remote].map(([name, list]) => tier(name === '' ? '?' : name, 'remote', list));
  remotes.sort((a, b) => (a.rttMs ?? Infinity) - (b.rttMs ?? Infinity) || a.name.localeCompare(b.name));
  return tiers.concat(remotes);
}

function tier(name: string, kind: TierKind, endpoints: readonly EndpointStats[]): Tier {
  return { name, kind, endpoints, rttMs: medianRtt(endpoints) };
}

function medianRtt(endpoints: readonly EndpointStats[]): number | undefined {
  const rtts = endpoints.map((s) => s.rttMs).filter((r): r is number => r !== undefined);
  if (rtts.length === 0) return undefined;
  rtts.sort((a, b) => a - b);
  const mid = rtts.length >> 1;
  return rtts.length % 2 === 1 ? rtts[mid]! : (rtts[mid - 1]! + rtts[mid]!) / 2;
}
