import { lazySchema } from '../core/zod.js';

/**
 * The RTT-probing options a caller (RPC client, HTTP dispatcher, gRPC resolver) accepts: `false`
 * turns probing off; otherwise the prober's schedule, sample size and connect timeout.
 */
export const probeOptionsSchema = lazySchema((z) =>
  z.union([
    z.literal(false),
    z
      .object({
        intervalMs: z.number().positive().optional(),
        othersPerRound: z.number().int().min(0).optional(),
        timeoutMs: z.number().positive().optional(),
      })
      .strict(),
  ]),
);
