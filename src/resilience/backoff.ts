import type { Random } from '../core/random.js';

/**
 * A backoff schedule as an immutable iterator (cockatiel's shape): each step knows the delay before
 * its retry and hands out the next step without changing itself. Nothing is allocated until a retry
 * actually happens, and a step can be kept, shared or replayed without surprises.
 */
export interface Backoff {
  /** How many retries this step stands for (0 for the starting point, before any retry). */
  readonly retries: number;
  /** Milliseconds to wait before retry number {@link Backoff.retries} (0 at the start). */
  readonly delayMs: number;
  /** The step of the following retry. `this` is unchanged. */
  next(): Backoff;
}

export interface FullJitterOptions {
  /** Cap of the first retry's delay, in ms. */
  readonly initialMs: number;
  /** Upper bound of any delay, in ms. */
  readonly maxMs: number;
  /** Draws the jitter; inject a seeded one in tests. */
  readonly random: Random;
}

/**
 * Full-jitter exponential backoff (AWS architecture blog; gRPC A6): retry `n` waits
 * `random(0, min(initialMs · 2^(n-1), maxMs))`. Spreading retries uniformly over the whole window
 * is what keeps a crowd of clients that failed together from retrying together.
 *
 * @example
 * ```ts
 * let backoff = fullJitterBackoff({ initialMs: 25, maxMs: 1000, random: seededRandom(1) });
 * backoff = backoff.next(); // backoff.delayMs ∈ [0, 25)
 * backoff = backoff.next(); // backoff.delayMs ∈ [0, 50)
 * ```
 */
export function fullJitterBackoff(options: FullJitterOptions): Backoff {
  return new FullJitterStep(options, 0, 0);
}

/** The cap of retry `retries`' window, `min(initial · 2^(retries-1), max)`; exported for tests and docs. */
export function fullJitterCap(initialMs: number, maxMs: number, retries: number): number {
  if (retries <= 0) return 0;
  // 2^(n-1) overflows to Infinity long after it passed any sane max; min() then picks max.
  return Math.min(initialMs * 2 ** (retries - 1), maxMs);
}

class FullJitterStep implements Backoff {
  constructor(
    private readonly options: FullJitterOptions,
    readonly retries: number,
    readonly delayMs: number,
  ) {}

  next(): Backoff {
    const retries = this.retries + 1;
    const cap = fullJitterCap(this.options.initialMs, this.options.maxMs, retries);
    return new FullJitterStep(this.options, retries, this.options.random() * cap);
  }
}
