import type { ClientOptions } from '../client/options.js';

/**
 * How the demo's caller is tuned, so a 30-second demo shows in seconds what production settings
 * show in minutes. Production defaults eject for 30 s and at most 10% of endpoints; here a dead
 * zone (a third of the fleet) must leave the pool at once, and a restored one come back fast:
 * - outlier ejection: 3 failures in a row, 2 s base, up to 50% of endpoints;
 * - breaker: opens at 50% failures over 5 calls, for 1 s;
 * - peak-EWMA forgets in 2 s;
 * - load-aware spill is off: on one shared machine, CPU scheduling noise (tens of ms at p99)
 *   dwarfs the simulated distances, and spill would chase that noise instead of showing locality;
 * - failover over up to 5 instances, with short backoff, a 2 s budget per call;
 * - a retry budget of 100 tokens (retries while above 50, +1 per success): when a whole zone dies
 *   at once, every call in flight or being written on its connections fails as "maybe
 *   processed" (`write ECONNRESET`: dozens at 300 calls/s), and A6's 10 tokens would let only five
 *   of them be retried. The budget still stops a sustained retry storm; calls refused before
 *   reaching a server retry regardless.
 */
export const DEMO_CLIENT_OPTIONS = {
  routing: {
    health: {
      outlier: {
        consecutiveFailures: 3,
        baseEjectionMs: 2_000,
        maxEjectionMs: 10_000,
        maxEjectionPercent: 50,
      },
      breaker: {
        algorithm: { kind: 'failure-rate', threshold: 0.5, minCalls: 5, windowMs: 2_000 },
        openMs: 1_000,
      },
      ewmaTauMs: 2_000,
    },
    loadSpill: { enabled: false },
  },
  retry: { maxAttempts: 5, initialBackoffMs: 2, maxBackoffMs: 50 },
  budget: { maxTokens: 100, tokenRatio: 1 },
  timeoutMs: 2_000,
  connection: { connectTimeoutMs: 500, retireGraceMs: 1_000 },
} as const satisfies Omit<ClientOptions, 'registry'>;
