import { lazySchema } from '../core/zod.js';
import { parseWith } from '../core/validate.js';

/** Options of a {@link LatencyEstimator}. */
export interface LatencyEstimatorOptions {
  /** Smallest latency told apart, ms (default 0.05). Anything below counts as this. */
  readonly minMs?: number;
  /** Largest latency told apart, ms (default 120 000). Anything above counts as this. */
  readonly maxMs?: number;
  /** Ratio between neighbouring bucket bounds (default 1.1: answers within 10%). */
  readonly growth?: number;
  /** Samples after which old samples weigh half (default 1000), so the estimate follows change. */
  readonly halfLifeSamples?: number;
  /** Samples needed before {@link LatencyEstimator.quantile} answers (default 20). */
  readonly minSamples?: number;
}

const optionsSchema = lazySchema((z) =>
  z
    .object({
      minMs: z.number().positive().optional(),
      maxMs: z.number().positive().optional(),
      growth: z.number().gt(1).max(4).optional(),
      halfLifeSamples: z.number().int().min(10).optional(),
      minSamples: z.number().int().nonnegative().optional(),
    })
    .strict(),
);

/**
 * A streaming latency quantile estimator for hedging delays ("hedge after the observed p95").
 * Latencies go into log-spaced buckets (fixed memory, O(1) per sample, no allocation), and all
 * counts are halved every `halfLifeSamples` samples so the estimate tracks the recent past rather
 * than the whole history. A quantile is answered as the upper bound of its bucket: slightly
 * conservative, which for a hedge delay means slightly fewer hedges.
 *
 * @example
 * ```ts
 * const p95 = new LatencyEstimator();
 * p95.record(12.5);
 * const delay = p95.quantile(0.95) ?? 50; // undefined until minSamples were seen
 * ```
 */
export class LatencyEstimator {
  private readonly minMs: number;
  private readonly logGrowth: number;
  private readonly growth: number;
  private readonly halfLife: number;
  private readonly minSamples: number;
  private readonly counts: Float64Array;
  private total = 0;
  private samples = 0;
  private sinceDecay = 0;
  private cachedQ = -1;
  private cachedValue = 0;

  constructor(options: LatencyEstimatorOptions = {}) {
    const o = parseWith(optionsSchema(), options, 'latencyEstimator');
    this.minMs = o.minMs ?? 0.05;
    const maxMs = Math.max(o.maxMs ?? 120_000, this.minMs);
    this.growth = o.growth ?? 1.1;
    this.logGrowth = Math.log(this.growth);
    this.halfLife = o.halfLifeSamples ?? 1000;
    this.minSamples = o.minSamples ?? 20;
    this.counts = new Float64Array(Math.ceil(Math.log(maxMs / this.minMs) / this.logGrowth) + 1);
  }

  /** Samples recorded since construction. */
  get count(): number {
    return this.samples;
  }

  /** Adds one latency, in ms. Non-finite or negative values are ignored. */
  record(ms: number): void {
    if (!(ms >= 0) || ms === Infinity) return;
    const index = this.indexOf(ms);
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.total += 1;
    this.samples += 1;
    this.cachedQ = -1;
    if (++this.sinceDecay >= this.halfLife) this.decay();
  }

  /**
   * The latency below which a fraction `q` (0..1) of recent samples fell, or undefined while fewer
   * than `minSamples` were recorded.
   */
  quantile(q: number): number | undefined {
    if (this.samples < this.minSamples || this.total <= 0) return undefined;
    if (q === this.cachedQ) return this.cachedValue;
    const target = Math.min(1, Math.max(0, q)) * this.total;
    let seen = 0;
    let index = 0;
    const last = this.counts.length - 1;
    for (; index < last; index++) {
      seen += this.counts[index] ?? 0;
      if (seen >= target && seen > 0) break;
    }
    this.cachedQ = q;
    this.cachedValue = this.minMs * this.growth ** (index + 1);
    return this.cachedValue;
  }

  private indexOf(ms: number): number {
    if (ms <= this.minMs) return 0;
    const index = Math.floor(Math.log(ms / this.minMs) / this.logGrowth);
    return index < this.counts.length ? index : this.counts.length - 1;
  }

  private decay(): void {
    this.sinceDecay = 0;
    for (let i = 0; i < this.counts.length; i++) this.counts[i] = (this.counts[i] ?? 0) / 2;
    this.total /= 2;
  }
}
