import { parseWith } from '../../core/validate.js';
import { lazySchema } from '../../core/zod.js';
import { type OutboundLimits, outboundLimitFields, resolveOutboundLimits } from '../wire/outbound-limits.js';

/**
 * What a server can make a client hold: the same frame-size check as the server (`maxFrameSize`),
 * and an outbound high-water mark and hard cap for a server that does not read. Above the mark new
 * calls on that connection are refused as unprocessed (they go to another endpoint); above the cap,
 * or not drained within the grace, the connection is closed as failed (a strike for the endpoint).
 */
export type ClientLimits = OutboundLimits;

export type ClientLimitsInput = Partial<ClientLimits>;

const schema = lazySchema((z) => z.object(outboundLimitFields()).strict());

const keepAliveSchema = lazySchema((z) => {
  const positive = z.number().int().positive();
  return z
    .object({
      intervalMs: positive.optional(),
      timeoutMs: positive.optional(),
      probeAfterMs: positive.optional(),
      frozenTimeoutMs: positive.optional(),
    })
    .strict();
});

/** Validates client limits (errors name `root.field`) and fills the defaults. */
export function resolveClientLimits(input: unknown, root = 'limits'): ClientLimits {
  const o = parseWith(schema(), input ?? {}, root);
  return resolveOutboundLimits(o, root);
}

/** Validates keep-alive options (errors name `root.field`). */
export function validateKeepAlive(input: unknown, root = 'keepAlive'): void {
  if (input === false || input === undefined) return;
  parseWith(keepAliveSchema(), input, root);
}
