import type { EndpointStats } from '../health/endpoint-stats.js';

/** Tunables of {@link SpillController} (see `loadSpillOptionsSchema`). */
export interface SpillOptions {
  readonly margin: number;
  readonly maxSpill: number;
  readonly smoothing: number;
}

/**
 * Load-aware spill between consecutive routing levels. When level k's latency L rises above the
 * next level's RTT-adjusted latency E by more than the margin, the target spill is
 * `(L − E·(1+margin)) / L` (capped) — proportional to how much slower staying is — and the actual
 * spill moves toward the target by `smoothing` per step, so traffic shifts gradually and settles
 * where both sides are about equally fast instead of flapping.
 */
export class SpillController {
  private spill: number[] = [];

  constructor(private readonly options: SpillOptions) {}

  /** Current spill fraction from level `k` to level `k + 1`. */
  get(k: number): number {
    return this.spill[k] ?? 0;
  }

  /** All spill fractions, by level. */
  get fractions(): readonly number[] {
    return this.spill;
  }

  /**
   * One smoothing step from live per-level latencies (`undefined` for a level with no usable
   * endpoint). Returns true when any spill moved by more than half a percent.
   */
  step(latencies: ReadonlyArray<number | undefined>): boolean {
    const { margin, maxSpill, smoothing } = this.options;
    let moved = false;
    const next: number[] = [];
    for (let k = 0; k + 1 < latencies.length; k++) {
      const here = latencies[k];
      const there = latencies[k + 1];
      let target = 0;
      if (here !== undefined && there !== undefined && here > 0) {
        target = Math.min(maxSpill, Math.max(0, (here - there * (1 + margin)) / here));
      }
      const old = this.spill[k] ?? 0;
      let value = old + smoothing * (target - old);
      if (value < 1e-3) value = 0;
      if (Math.abs(value - old) > 0.005 || (value === 0 && old !== 0)) moved = true;
      next.push(value);
    }
    this.spill = next;
    return moved;
  }
}

/**
 * A level's latency as the caller sees it: the mean peak-EWMA cost of its usable endpoints; an
 * endpoint never sampled counts as the configured initial cost plus its probed RTT, so an idle
 * remote tier is judged by how far away it is. Undefined when no endpoint is usable.
 */
export function levelLatency(endpoints: readonly EndpointStats[], initialCostMs: number): number | undefined {
  let sum = 0;
  let n = 0;
  for (const s of endpoints) {
    if (!s.available) continue;
    sum += s.samples > 0 ? s.cost : initialCostMs + (s.rttMs ?? 0);
    n++;
  }
  return n > 0 ? sum / n : undefined;
}
