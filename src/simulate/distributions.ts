import type { z } from 'zod';
import { lazySchema } from '../core/zod.js';
import type { Random } from '../core/random.js';

const mean = lazySchema((z) => z.number().positive().max(3_600_000));

/**
 * A service-time distribution, in ms. `lognormal` is the usual shape of real service times (a long
 * right tail); `sigma` is the standard deviation of the underlying normal (0.5: p99 ≈ 2.8× the
 * median; 1: ≈ 10×).
 */
export const distributionSchema = lazySchema((z) =>
  z.discriminatedUnion('dist', [
    z.object({ dist: z.literal('constant'), meanMs: mean() }).strict(),
    z.object({ dist: z.literal('exponential'), meanMs: mean() }).strict(),
    z
      .object({
        dist: z.literal('lognormal'),
        meanMs: mean(),
        sigma: z.number().positive().max(4).default(0.5),
      })
      .strict(),
  ]),
);

export type Distribution = z.output<ReturnType<typeof distributionSchema>>;
export type DistributionInput = z.input<ReturnType<typeof distributionSchema>>;

/** A sampler: one draw in ms per call. */
export type Sampler = () => number;

/**
 * A sampler of `d` drawing from `random`. Lognormal keeps the configured mean
 * (`mu = ln(mean) − sigma²/2`).
 *
 * @example
 * ```ts
 * const serviceTime = sampler({ dist: 'exponential', meanMs: 10 }, seededRandom(1));
 * serviceTime(); // e.g. 6.93
 * ```
 */
export function sampler(d: Distribution, random: Random): Sampler {
  switch (d.dist) {
    case 'constant':
      return () => d.meanMs;
    case 'exponential':
      return () => exponential(random, d.meanMs);
    case 'lognormal': {
      const mu = Math.log(d.meanMs) - (d.sigma * d.sigma) / 2;
      return () => Math.exp(mu + d.sigma * standardNormal(random));
    }
  }
}

/** An exponential draw with the given mean (inverse transform; never Infinity). */
export function exponential(random: Random, meanMs: number): number {
  return -Math.log(1 - random()) * meanMs;
}

/** A standard normal draw (Box–Muller; one of the pair is discarded to keep the sampler stateless). */
export function standardNormal(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
