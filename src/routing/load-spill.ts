import type { EndpointStats } from '../health/endpoint-stats.js';

/** Tunables of {@link SpillController} (see `loadSpillOptionsSchema`). */
export interface SpillOptions {
  readonly margin: number;
  readonly maxSpill: number;
  readonly smoothing: number;
}

/** What the router saw of one routing level since the previous spill step. */
export interface LevelSample {
  /** The tier's name: the controller's memory follows the tier when levels renumber. */
  readonly name: string;
  /** Sum of the latencies (ms) of the calls the level served since the previous step. */
  readonly sumMs: number;
  /** Calls in `sumMs`. */
  readonly count: number;
  /** Latency to assume while the level never served a measured call (undefined: nothing usable). */
  readonly priorMs: number | undefined;
  /** Median probed RTT of the level's endpoints, when probed. */
  readonly rttMs: number | undefined;
  /** The level has a route this step (something spill could go to). */
  readonly usable: boolean;
}

/**
 * How many samples the previous estimate of a level's latency weighs against the new ones: a busy
 * level's estimate is about its last interval's mean, a level that served three calls moves a
 * little toward them.
 */
const LATENCY_MEMORY_SAMPLES = 20;

/**
 * Load-aware spill between consecutive routing levels.
 *
 * Both sides are judged by the same measure: the mean latency of the calls each level really
 * served, as this caller saw them (the next level's extra RTT included), smoothed over steps. A
 * level that never served a call is assumed unloaded: as fast as level k has ever been, plus the
 * extra probed RTT (without RTTs, the initial cost plus its RTT). When level k's
 * latency L rises above the next usable level's E by more than the margin, the target spill is
 * `(L − E·(1+margin)) / L` (capped), a continuous function of how much slower staying is; the
 * actual spill moves toward it by `smoothing` per step. So traffic shifts gradually and settles
 * where staying costs about the margin more than going, a healthy local level (faster than the next
 * one plus its RTT) never spills, and more load means more spill, never a jump.
 *
 * Mean latencies, not peak-EWMA costs: a busy level's peak-EWMA sits near its highest recent
 * samples while a level sampled rarely shows its last one, so comparing costs made busy healthy
 * levels look slow and spill in steady state.
 */
export class SpillController {
  private readonly latency = new Map<string, number>();
  /** Lowest latency each level has shown: how fast it is unloaded. */
  private readonly floor = new Map<string, number>();
  private readonly spillFrom = new Map<string, number>();
  private spill: number[] = [];

  constructor(private readonly options: SpillOptions) {}

  /** Current spill fraction from level `k` to the next level with a route. */
  get(k: number): number {
    return this.spill[k] ?? 0;
  }

  /** All spill fractions, by level. */
  get fractions(): readonly number[] {
    return this.spill;
  }

  /** The smoothed latency estimate of a tier, when it served measured calls. */
  latencyOf(name: string): number | undefined {
    return this.latency.get(name);
  }

  /**
   * One step from the levels' samples since the previous step, nearest first. Returns true when any
   * spill moved by more than half a percent (or went back to zero).
   */
  step(levels: readonly LevelSample[]): boolean {
    const { margin, maxSpill, smoothing } = this.options;
    const names = new Set<string>();
    for (const level of levels) {
      names.add(level.name);
      if (level.count === 0) continue;
      const old = this.latency.get(level.name);
      const latency =
        old === undefined
          ? level.sumMs / level.count
          : (old * LATENCY_MEMORY_SAMPLES + level.sumMs) / (LATENCY_MEMORY_SAMPLES + level.count);
      this.latency.set(level.name, latency);
      if (latency < (this.floor.get(level.name) ?? Infinity)) this.floor.set(level.name, latency);
    }
    for (const map of [this.latency, this.floor])
      for (const name of map.keys()) if (!names.has(name)) map.delete(name);
    let moved = false;
    const next: number[] = [];
    for (let k = 0; k < levels.length; k++) {
      const name = levels[k]!.name;
      const here = this.latency.get(name);
      const to = levels.findIndex((l, j) => j > k && l.usable);
      const there = to < 0 ? undefined : this.expected(levels[k]!, levels[to]!);
      let target = 0;
      if (here !== undefined && there !== undefined && here > 0) {
        target = Math.min(maxSpill, Math.max(0, (here - there * (1 + margin)) / here));
      }
      const old = this.spillFrom.get(name) ?? 0;
      let value = old + smoothing * (target - old);
      if (value < 1e-3) value = 0;
      if (Math.abs(value - old) > 0.005 || (value === 0 && old !== 0)) moved = true;
      this.spillFrom.set(name, value);
      next.push(value);
    }
    for (const name of this.spillFrom.keys()) if (!names.has(name)) this.spillFrom.delete(name);
    this.spill = next;
    return moved;
  }

  /**
   * The latency a call spilled from `from` would see at `to`: measured, once `to` served calls;
   * before that, `from` at its fastest plus the extra RTT (the next level assumed unloaded), or the
   * level's prior when the RTTs are unknown.
   */
  private expected(from: LevelSample, to: LevelSample): number | undefined {
    const measured = this.latency.get(to.name);
    if (measured !== undefined) return measured;
    const floor = this.floor.get(from.name);
    if (floor === undefined || to.rttMs === undefined || to.priorMs === undefined) return to.priorMs;
    return floor + Math.max(0, to.rttMs - (from.rttMs ?? 0));
  }
}

/**
 * Takes the latencies `endpoints` collected since the last take (and resets them), with the prior
 * of a level never measured: the mean over its usable endpoints of the initial cost plus the probed
 * RTT, so an idle remote level is judged by how far away it is.
 */
export function takeLevelSample(
  tier: {
    readonly name: string;
    readonly endpoints: readonly EndpointStats[];
    readonly rttMs: number | undefined;
  },
  usable: boolean,
  initialCostMs: number,
): LevelSample {
  const { name, endpoints, rttMs } = tier;
  let sumMs = 0;
  let count = 0;
  let prior = 0;
  let n = 0;
  for (const s of endpoints) {
    sumMs += s.latencySum;
    count += s.latencyCount;
    s.latencySum = 0;
    s.latencyCount = 0;
    if (!s.available) continue;
    prior += initialCostMs + (s.rttMs ?? 0);
    n++;
  }
  return { name, sumMs, count, priorMs: n > 0 ? prior / n : undefined, rttMs, usable };
}
