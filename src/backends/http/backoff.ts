import type { Random } from '../../core/random.js';

/** Reconnect delays of a watch: full-jitter exponential backoff. */
export interface BackoffOptions {
  /** Ceiling of the first delay. Default 100 ms. */
  readonly initialMs?: number;
  /** Largest ceiling. Default 5 s. */
  readonly maxMs?: number;
}

/**
 * The delay before reconnect attempt `attempt` (0-based): `random(0, min(initial·2^attempt, max))`
 * (AWS "full jitter"), so a fleet of watchers that lost the same server does not return in step.
 */
export function backoffDelay(attempt: number, random: Random, options: BackoffOptions = {}): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 5_000;
  const ceiling = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return random() * ceiling;
}
