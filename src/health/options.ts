import type { z } from 'zod';
import { lazySchema } from '../core/zod.js';
import { parseDuration } from '../core/duration.js';

/** A duration as milliseconds or a string like `30s` / `500ms` (see `parseDuration`). */
export const durationMsSchema = lazySchema((z) =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    try {
      return parseDuration(value);
    } catch {
      ctx.addIssue({ code: 'custom', message: `expected a duration like 500ms, 5s or 1m, got "${value}"` });
      return z.NEVER;
    }
  }),
);

/** Envoy's consecutive-failure outlier detection; defaults are Envoy's. */
export const outlierOptionsSchema = lazySchema((z) =>
  z
    .object({
      enabled: z.boolean().default(true),
      /** Strikes in a row that eject an endpoint. */
      consecutiveFailures: z.number().int().min(1).default(5),
      /** Ejection lasts base × times-ejected … */
      baseEjectionMs: durationMsSchema().default(30_000),
      /** … capped here. */
      maxEjectionMs: durationMsSchema().default(300_000),
      /** At most this share of a pool is ejected at once (but always at least one endpoint may be). */
      maxEjectionPercent: z.number().min(0).max(100).default(10),
      /**
       * Envoy's `interval`: every whole interval an endpoint spends back in the pool takes one off its
       * ejection multiplier, so old ejections stop lengthening new ones.
       */
      intervalMs: durationMsSchema().default(10_000),
    })
    .strict(),
);

const consecutiveAlgorithm = lazySchema((z) =>
  z.object({ kind: z.literal('consecutive'), threshold: z.number().int().min(1).default(5) }).strict(),
);
const failureRateAlgorithm = lazySchema((z) =>
  z
    .object({
      kind: z.literal('failure-rate'),
      /** Failure ratio over the window that opens the breaker. */
      threshold: z.number().gt(0).max(1).default(0.5),
      /** Calls the window must hold before the ratio counts. */
      minCalls: z.number().int().min(1).default(10),
      windowMs: durationMsSchema().default(10_000),
    })
    .strict(),
);

/** Per-endpoint circuit breaker: trip rule (algorithm) and state-machine timing. */
export const breakerOptionsSchema = lazySchema((z) =>
  z
    .object({
      enabled: z.boolean().default(true),
      algorithm: z
        .discriminatedUnion('kind', [consecutiveAlgorithm(), failureRateAlgorithm()])
        .default({ kind: 'failure-rate', threshold: 0.5, minCalls: 10, windowMs: 10_000 }),
      openMs: durationMsSchema().default(10_000),
      maxOpenMs: durationMsSchema().default(120_000),
      halfOpenProbes: z.number().int().min(1).default(1),
    })
    .strict(),
);

/**
 * Dynamic weights, as fractions of the instance's registered weight: a failure subtracts
 * `penalty`; each success adds `recoverPerSuccess` and time adds `recoverPerSecond`; the weight
 * never goes below `floor`, and below `outBelow` the endpoint leaves the pool until it recovers.
 */
export const weightSchemeSchema = lazySchema((z) =>
  z
    .object({
      penalty: z.number().min(0).max(1),
      recoverPerSuccess: z.number().min(0).max(1),
      recoverPerSecond: z.number().min(0),
      outBelow: z.number().min(0).max(1),
      floor: z.number().min(0).max(1),
    })
    .strict(),
);
export type WeightScheme = z.output<ReturnType<typeof weightSchemeSchema>>;

/** Named weight schemes. `seed` is the original design: 100, −20 per failure, out below 30. */
export const WEIGHT_SCHEMES = {
  /** Weights never change with health. */
  none: { penalty: 0, recoverPerSuccess: 0, recoverPerSecond: 0, outBelow: 0, floor: 1 },
  /** Default: −20% per failure, +2% per success, +5%/s, never below 5%, never out of the pool. */
  gradual: { penalty: 0.2, recoverPerSuccess: 0.02, recoverPerSecond: 0.05, outBelow: 0, floor: 0.05 },
  /** Seed: 100 → −20 per failure; below 30 out of the pool; back +10 per success and per second. */
  seed: { penalty: 0.2, recoverPerSuccess: 0.1, recoverPerSecond: 0.1, outBelow: 0.3, floor: 0 },
} as const satisfies Record<string, WeightScheme>;
export type WeightSchemeName = keyof typeof WEIGHT_SCHEMES;

/** Everything passive health does, with Envoy / nginx / seed defaults. */
export const healthOptionsSchema = lazySchema((z) =>
  z
    .object({
      outlier: outlierOptionsSchema().default(outlierOptionsSchema().parse({})),
      breaker: breakerOptionsSchema().default(breakerOptionsSchema().parse({})),
      weights: z.union([z.enum(['none', 'gradual', 'seed']), weightSchemeSchema()]).default('gradual'),
      /** Peak-EWMA decay constant τ. */
      ewmaTauMs: durationMsSchema().default(10_000),
      /**
       * The least weight a latency sample gets in the peak-EWMA (`w ≤ 1 − this`): a busy endpoint
       * forgets a peak within ~1/this samples instead of τ, so its cost stays comparable with that of
       * an endpoint sampled rarely. 0 is Finagle's rule exactly.
       */
      ewmaMinSampleWeight: z.number().min(0).max(1).default(0.05),
      /** Cost a new endpoint starts with before its first sample. */
      initialCostMs: z.number().positive().default(30),
    })
    .strict(),
);

export type HealthOptions = z.output<ReturnType<typeof healthOptionsSchema>>;
export type HealthOptionsInput = z.input<ReturnType<typeof healthOptionsSchema>>;

/** The weight scheme an options value names. */
export function resolveWeightScheme(weights: HealthOptions['weights']): WeightScheme {
  return typeof weights === 'string' ? WEIGHT_SCHEMES[weights] : weights;
}
