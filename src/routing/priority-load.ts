/** Health of one priority level (tier): endpoints that are healthy out of those listed. */
export interface LevelHealth {
  readonly healthy: number;
  readonly total: number;
}

/** How traffic splits over levels, and which levels pick from all endpoints (panic). */
export interface PriorityLoad {
  /** Share of traffic per level, summing to 1 (all zeros when nothing is listed). */
  readonly loads: number[];
  /** Per level: pick among all endpoints, healthy or not. */
  readonly panic: boolean[];
  /** Every level is in panic: loads follow endpoint counts. */
  readonly totalPanic: boolean;
}

/**
 * Envoy's priority load: a level with healthy share h is available `min(1, factor · h)`; loads are
 * handed out in priority order, each level taking what it can of what is left, scaled up when the
 * total availability is under 100%. So a level 71% healthy keeps ~99% of the traffic (1.4 · 0.71)
 * and at 50% keeps 70%. A level panics (uses all its endpoints) when the total is under 100% and its
 * own healthy share is below `panicThreshold`; when all levels panic, loads follow endpoint counts.
 * `panicThreshold: 0` turns panic off: with no healthy endpoint anywhere, no level takes traffic
 * and picks fail (Envoy's `DisablePanicMode`), instead of spreading over ejected endpoints.
 */
export function priorityLoad(
  levels: readonly LevelHealth[],
  factor: number,
  panicThreshold: number,
): PriorityLoad {
  const n = levels.length;
  const availability = levels.map((l) => (l.total > 0 ? Math.min(1, (factor * l.healthy) / l.total) : 0));
  const normalized = Math.min(
    1,
    availability.reduce((a, b) => a + b, 0),
  );
  const listed = levels.map((l) => l.total > 0);
  const panic = levels.map((l, i) => normalized < 1 && listed[i]! && l.healthy / l.total < panicThreshold);
  const totalPanic = listed.some(Boolean) && panic.every((p, i) => p || !listed[i]);
  const loads = new Array<number>(n).fill(0);
  if (normalized === 0 && !totalPanic) return { loads, panic, totalPanic: false };
  if (totalPanic) {
    const total = levels.reduce((a, l) => a + l.total, 0);
    if (total > 0) levels.forEach((l, i) => (loads[i] = l.total / total));
    return { loads, panic: levels.map((_, i) => listed[i]!), totalPanic: total > 0 };
  }
  let remaining = 1;
  for (let i = 0; i < n; i++) {
    loads[i] = Math.min(remaining, availability[i]! / normalized);
    remaining -= loads[i]!;
  }
  if (remaining > 1e-12) {
    const first = availability.findIndex((a) => a > 0);
    loads[first]! += remaining;
  }
  return { loads, panic, totalPanic: false };
}
