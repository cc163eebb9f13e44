import type { Random } from '../../core/random.js';
import { type Backoff, fullJitterBackoff } from '../../resilience/backoff.js';

/** Reconnect delays of a watch: full-jitter exponential backoff. */
export interface BackoffOptions {
  /** Ceiling of the first delay. Default 100 ms. */
  readonly initialMs?: number;
  /** Largest ceiling. Default 5 s. */
  readonly maxMs?: number;
}

/**
 * A watch's reconnect schedule, before its first retry: Proxima's full-jitter backoff
 * (`random(0, min(initial·2^(n-1), max))`, so a fleet of watchers that lost the same server does
 * not return in step), with this backend's defaults.
 */
export function reconnectBackoff(random: Random, options: BackoffOptions = {}): Backoff {
  return fullJitterBackoff({ initialMs: options.initialMs ?? 100, maxMs: options.maxMs ?? 5_000, random });
}
