import { lazySchema } from '../core/zod.js';
import { parseWith } from '../core/validate.js';

/**
 * Self-preservation (Eureka's name for it): when a registry suddenly reports that most instances
 * of a service are gone, it is far more likely that the registry lost its state (a restart, a
 * partition, a wiped etcd prefix) than that most of the fleet died in the same second. Emptying
 * the pool would turn a registry problem into an outage, so the missing instances are kept as
 * *unconfirmed* for a grace period; real failures still reach the routing layer, which reports
 * them through `reportFailed`.
 */
export interface SelfPreservationOptions {
  /** A reset that drops more than this share of the confirmed instances is held (default 0.5). */
  readonly threshold?: number;
  /** How long held instances stay unconfirmed, in ms (default 30 s: three default TTLs). */
  readonly graceMs?: number;
  /**
   * Unannounced deletes (of an instance that was not DRAINING) that arrive within this many ms of
   * each other count as one burst; a burst of two or more that removes more than `threshold` of
   * the confirmed instances is held like a reset (default 2,000 ms). A frozen etcd leader that
   * resumes revokes every lease that expired meanwhile in one such burst.
   */
  readonly burstWindowMs?: number;
}

/** The resolved policy. */
export interface SelfPreservation {
  readonly threshold: number;
  readonly graceMs: number;
  readonly burstWindowMs: number;
}

export const DEFAULT_SELF_PRESERVATION: SelfPreservation = Object.freeze({
  threshold: 0.5,
  graceMs: 30_000,
  burstWindowMs: 2_000,
});

/** A threshold of 1 never triggers: no reset can drop more than all instances. */
const DISABLED: SelfPreservation = Object.freeze({ threshold: 1, graceMs: 0, burstWindowMs: 0 });

const optionsSchema = lazySchema((z) =>
  z
    .object({
      threshold: z.number().min(0).max(1).default(DEFAULT_SELF_PRESERVATION.threshold),
      graceMs: z.number().min(0).default(DEFAULT_SELF_PRESERVATION.graceMs),
      burstWindowMs: z.number().min(0).max(60_000).default(DEFAULT_SELF_PRESERVATION.burstWindowMs),
    })
    .strict(),
);

/** Fills defaults; `false` disables. Throws INVALID_ARGUMENT naming `selfPreservation.*`. */
export function resolveSelfPreservation(
  options: SelfPreservationOptions | false | undefined,
): SelfPreservation {
  if (options === false) return DISABLED;
  return parseWith(optionsSchema(), options ?? {}, 'selfPreservation');
}

/**
 * Which of the confirmed instances a `reset` drops should be held as unconfirmed: all of them when
 * they are more than `threshold` of the confirmed ones, none otherwise.
 */
export function heldOnReset(
  confirmed: readonly string[],
  present: ReadonlySet<string>,
  policy: SelfPreservation,
): readonly string[] {
  if (confirmed.length === 0) return [];
  const dropped = confirmed.filter((id) => !present.has(id));
  return dropped.length / confirmed.length > policy.threshold ? dropped : [];
}

/**
 * Whether a burst of `vanished` unannounced deletes, leaving `remaining` confirmed instances,
 * should be held: never for a single instance (one crash is not a registry problem), and
 * otherwise when the burst removed more than `threshold` of the instances confirmed before it.
 */
export function holdsDeleteBurst(vanished: number, remaining: number, policy: SelfPreservation): boolean {
  return vanished >= 2 && vanished / (vanished + remaining) > policy.threshold;
}
