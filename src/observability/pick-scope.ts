import { type Locality, sameRegion, sameZone } from '../core/locality.js';

/**
 * How far a pick reached: the caller's own zone, another zone of its region, or another region
 * (the traffic cross-zone and cross-region bills are made of); `unknown` when either side has no region.
 */
export type PickScope = 'same-zone' | 'same-region' | 'cross-region' | 'unknown';

/** Where `to` sits relative to `from` (metrics labels and span attributes; no prom-client here). */
export function scopeOf(from: Locality, to: Locality): PickScope {
  if (from.region === '' || to.region === '') return 'unknown';
  if (!sameRegion(from, to)) return 'cross-region';
  return sameZone(from, to) ? 'same-zone' : 'same-region';
}
