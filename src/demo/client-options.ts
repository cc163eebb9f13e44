import type { ClientOptions } from '../client/options.js';

/**
 * How the demo's caller is tuned, so a 30-second demo shows in seconds what production settings
 * show in minutes. Production defaults eject for 30 s and at most 10% of endpoints; here a dead
 * zone (a third of the fleet) must leave the pool at once, and a restored one come back fast:
 * - outlier ejection: 3 failures in a row, 2 s base, up to 50% of endpoints;
 * - breaker: opens at 50% failures over 5 calls, for 1 s;
 * - peak-EWMA forgets in 2 s;
 * - failover over up to 5 instances, with short backoff, a 2 s budget per call.
 * Load-aware spill and the A6 retry budget keep their defaults: spill compares the mean latency
 * each zone served (so scheduling noise does not move traffic), and a dead zone's broken
 * connections cost the budget one token each, not one per call they carried.
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
  },
  retry: { maxAttempts: 5, initialBackoffMs: 2, maxBackoffMs: 50 },
  timeoutMs: 2_000,
  connection: { connectTimeoutMs: 500, retireGraceMs: 1_000 },
} as const satisfies Omit<ClientOptions, 'registry'>;
