import { ProximaError } from '../core/errors.js';
import type { EndpointStats, OkPick } from '../health/endpoint-stats.js';
import type { PickContext, PickResult } from './picker.js';

/**
 * True when `s` may take this call: available (or in panic), not already tried by it, and not
 * unavailable to its transport (`context.unavailable`).
 */
export function usable(s: EndpointStats, context: PickContext | undefined, panic: boolean): boolean {
  if (!(s.available || panic)) return false;
  if (context === undefined) return true;
  const { exclude, unavailable } = context;
  return (
    (exclude === undefined || !exclude.has(s.id)) && (unavailable === undefined || !unavailable.has(s.id))
  );
}

/**
 * The slow path when a balancer's choice cannot be used: the first usable endpoint scanning from
 * `start`, started; undefined when none is.
 */
export function scanFrom(
  endpoints: readonly EndpointStats[],
  start: number,
  context: PickContext | undefined,
  panic: boolean,
): OkPick | undefined {
  const n = endpoints.length;
  for (let k = 0; k < n; k++) {
    const s = endpoints[(start + k) % n]!;
    if (usable(s, context, panic)) return s.start();
  }
  return undefined;
}

/** A `fail` result for pickers with nothing usable. */
export function noEndpoints(message = 'no usable endpoint'): PickResult {
  return { kind: 'fail', error: new ProximaError('NO_ENDPOINTS', message) };
}

/** Index of the first cumulative weight above `x` (binary search); `cumulative` is non-decreasing. */
export function searchCumulative(cumulative: Float64Array, x: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
