/** Envoy's unit for locality percentages: 100% = 100000 here, so 40% = 40000. */
export const PERCENT_SCALE = 100_000;
/** `localPercentToRoute` is out of this (Envoy samples `random % 10000`). */
export const ROUTE_SCALE = 10_000;

/**
 * The outcome of zone-aware routing for one caller zone:
 * - `direct`: the caller's zone has at least the caller's share of upstream: keep everything local.
 * - `residual`: keep `localPercentToRoute / 10000` local; the rest goes to other zones in proportion
 *   to their residual capacity (upstream share minus caller share, where positive).
 */
export type ZoneRouting =
  | { readonly mode: 'direct' }
  | { readonly mode: 'residual'; readonly localPercentToRoute: number; readonly residual: readonly number[] };

/**
 * Share of each zone in `counts`, in units of {@link PERCENT_SCALE} (integer, rounded down, as
 * Envoy's `calculateLocalityPercentage`).
 */
export function zonePercentages(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total > 0 ? Math.floor((PERCENT_SCALE * c) / total) : 0));
}

/**
 * Envoy's LocalityDirect / LocalityResidual decision. Index 0 is the caller's own zone in both
 * arrays; `callerPercent` is the caller service's spread over the same zones, `upstreamPercent`
 * the upstream's healthy spread.
 *
 * @example
 * ```ts
 * zoneRouting([40000, 40000, 20000], [25000, 50000, 25000]);
 * // { mode: 'residual', localPercentToRoute: 6250, residual: [0, 10000, 5000] }
 * ```
 */
export function zoneRouting(
  callerPercent: readonly number[],
  upstreamPercent: readonly number[],
): ZoneRouting {
  const local = callerPercent[0] ?? 0;
  const upstreamLocal = upstreamPercent[0] ?? 0;
  if (upstreamLocal >= local) return { mode: 'direct' };
  const localPercentToRoute = Math.floor((upstreamLocal * ROUTE_SCALE) / local);
  const residual = upstreamPercent.map((u, i) => {
    if (i === 0) return 0;
    const c = callerPercent[i] ?? 0;
    return u > c ? u - c : 0;
  });
  return { mode: 'residual', localPercentToRoute, residual };
}
