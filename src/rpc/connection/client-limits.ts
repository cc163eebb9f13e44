import { z } from 'zod';
import { parseWith } from '../../core/validate.js';

/**
 * What a server can make a client hold: the same frame-size check as the server (`maxFrameSize`),
 * and an outbound high-water mark and hard cap for a server that does not read. Above the mark new
 * calls on that connection are refused as unprocessed (they go to another endpoint); above the cap,
 * or not drained within the grace, the connection is closed as failed (a strike for the endpoint).
 */
export interface ClientLimits {
  /** Default 8 MiB. */
  readonly outboundHighWaterBytes: number;
  /** Default 64 MiB. */
  readonly outboundHardCapBytes: number;
  /** Default 30 s. */
  readonly drainGraceMs: number;
}

export type ClientLimitsInput = Partial<ClientLimits>;

const positive = z.number().int().positive();
const schema = z
  .object({
    outboundHighWaterBytes: positive.optional(),
    outboundHardCapBytes: positive.optional(),
    drainGraceMs: positive.optional(),
  })
  .strict();

const keepAliveSchema = z
  .object({
    intervalMs: positive.optional(),
    timeoutMs: positive.optional(),
    probeAfterMs: positive.optional(),
    frozenTimeoutMs: positive.optional(),
  })
  .strict();

/** Validates client limits (errors name `root.field`) and fills the defaults. */
export function resolveClientLimits(input: unknown, root = 'limits'): ClientLimits {
  const o = parseWith(schema, input ?? {}, root);
  const limits = {
    outboundHighWaterBytes: o.outboundHighWaterBytes ?? 8 * 1024 * 1024,
    outboundHardCapBytes: o.outboundHardCapBytes ?? 64 * 1024 * 1024,
    drainGraceMs: o.drainGraceMs ?? 30_000,
  };
  if (limits.outboundHardCapBytes < limits.outboundHighWaterBytes) {
    parseWith(
      z.object({ outboundHardCapBytes: z.number().min(limits.outboundHighWaterBytes) }),
      { outboundHardCapBytes: limits.outboundHardCapBytes },
      root,
    );
  }
  return limits;
}

/** Validates keep-alive options (errors name `root.field`). */
export function validateKeepAlive(input: unknown, root = 'keepAlive'): void {
  if (input === false || input === undefined) return;
  parseWith(keepAliveSchema, input, root);
}
