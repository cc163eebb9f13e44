import type { z } from 'zod';
import { lazySchema } from '../../core/zod.js';

/**
 * What one identity (a token, or a client address when the server runs without ACLs) may hold and
 * spend. Defaults stop a flood (issue 9: 200,000 leases of 24 h in 30 s) while leaving a real
 * fleet far below them; the ACL file overrides them per token.
 */
export interface Limits {
  /** Live leases an identity may hold. */
  readonly leases: number;
  /** Instances one lease may carry. */
  readonly instancesPerLease: number;
  /** Shortest TTL granted; shorter asks are raised to it (as etcd rounds up). */
  readonly minTtlMs: number;
  /** Longest TTL granted; longer asks are refused (400, `body.ttlMs`). */
  readonly maxTtlMs: number;
  /** Sustained requests per second (keep-alives counted apart); 0 turns the check off. */
  readonly requestsPerSecond: number;
  /** Requests allowed at once above the sustained rate. */
  readonly requestBurst: number;
  /** Sustained keep-alives per second; 0 turns the check off. */
  readonly keepAlivesPerSecond: number;
  /** Keep-alives allowed at once above the sustained rate. */
  readonly keepAliveBurst: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  leases: 1_000,
  instancesPerLease: 1_000,
  minTtlMs: 1_000,
  maxTtlMs: 3_600_000,
  requestsPerSecond: 200,
  requestBurst: 400,
  keepAlivesPerSecond: 2_000,
  keepAliveBurst: 4_000,
});

/** Partial limits, as given in options or the ACL file (`tokens[i].limits`). Unknown keys are errors. */
export const limitsSchema = lazySchema((z) => {
  const count = z.number().int('must be an integer').min(0);
  return z
    .object({
      leases: count.min(1),
      instancesPerLease: count.min(1),
      minTtlMs: count.min(1),
      maxTtlMs: count.min(1),
      requestsPerSecond: count,
      requestBurst: count.min(1),
      keepAlivesPerSecond: count,
      keepAliveBurst: count.min(1),
    })
    .partial()
    .strict();
});

export type LimitsInput = z.input<ReturnType<typeof limitsSchema>>;

/** Limits with `over` applied on top of `base`. */
export function mergeLimits(base: Limits, over: LimitsInput | undefined): Limits {
  if (over === undefined) return base;
  const merged = { ...base };
  for (const [key, value] of Object.entries(over) as [keyof Limits, number | undefined][]) {
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}
