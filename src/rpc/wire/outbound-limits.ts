import { parseWith } from '../../core/validate.js';
import { lazySchema, zod } from '../../core/zod.js';

/**
 * How much one side queues for a peer that does not read, the same on client and server: above
 * the high-water mark it stops taking more work for that connection; above the hard cap, or not
 * drained within the grace, it closes the connection.
 */
export interface OutboundLimits {
  /** Default 8 MiB. */
  readonly outboundHighWaterBytes: number;
  /** Default 64 MiB. */
  readonly outboundHardCapBytes: number;
  /** Default 30 s. */
  readonly drainGraceMs: number;
}

/** The zod fields of {@link OutboundLimits}, all optional, for a limits schema to spread in. */
export const outboundLimitFields = lazySchema((z) => {
  const positive = z.number().int().positive();
  return {
    outboundHighWaterBytes: positive.optional(),
    outboundHardCapBytes: positive.optional(),
    drainGraceMs: positive.optional(),
  };
});

/** Fills the defaults of parsed outbound limits and checks the cap is not under the mark (naming `root.outboundHardCapBytes`). */
export function resolveOutboundLimits(
  o: { readonly [K in keyof OutboundLimits]?: number | undefined },
  root: string,
): OutboundLimits {
  const limits = {
    outboundHighWaterBytes: o.outboundHighWaterBytes ?? 8 * 1024 * 1024,
    outboundHardCapBytes: o.outboundHardCapBytes ?? 64 * 1024 * 1024,
    drainGraceMs: o.drainGraceMs ?? 30_000,
  };
  if (limits.outboundHardCapBytes < limits.outboundHighWaterBytes) {
    // The schema's own error shape: the field named is the one that is wrong.
    const z = zod();
    parseWith(
      z.object({ outboundHardCapBytes: z.number().min(limits.outboundHighWaterBytes) }),
      { outboundHardCapBytes: limits.outboundHardCapBytes },
      root,
    );
  }
  return limits;
}
