import type { z } from 'zod';
import { lazySchema } from '../../core/zod.js';
import { ErrorCode, ProximaError } from '../../core/errors.js';
import { instanceSchema, serviceNameSchema } from '../../core/instance.js';

/**
 * The server's replies as the client checks them: a server of another version, or something that
 * is not a Proxima registry at all, is reported as PROTOCOL_ERROR instead of corrupting the cache.
 */

const revision = lazySchema((z) => z.number().int().nonnegative());

export const leaseReplySchema = lazySchema((z) =>
  z.object({ id: z.string().min(1), ttlMs: z.number().positive() }),
);

export const keepAliveReplySchema = lazySchema((z) =>
  z.object({
    instances: z.array(z.object({ service: z.string(), id: z.string() })).max(1_000_000),
  }),
);
export const instanceReplySchema = lazySchema((z) => z.object({ instance: instanceSchema() }));

export const listingReplySchema = lazySchema((z) =>
  z.object({
    service: serviceNameSchema(),
    revision: revision(),
    instances: z.array(instanceSchema()),
  }),
);

export const servicesReplySchema = lazySchema((z) => z.object({ services: z.array(serviceNameSchema()) }));

export const watchEventSchema = lazySchema((z) =>
  z.discriminatedUnion('type', [
    z.object({
      type: z.literal('reset'),
      service: serviceNameSchema(),
      revision: revision(),
      instances: z.array(instanceSchema()),
    }),
    z.object({
      type: z.literal('upsert'),
      service: serviceNameSchema(),
      revision: revision(),
      instance: instanceSchema(),
    }),
    z.object({
      type: z.literal('delete'),
      service: serviceNameSchema(),
      revision: revision(),
      id: z.string(),
    }),
  ]),
);

/** One watch message; `incarnation` names the server run (absent from servers before it had one). */
export const watchBatchSchema = lazySchema((z) =>
  z.object({
    revision: revision(),
    incarnation: z
      .string()
      .regex(/^[0-9a-f]{1,32}$/)
      .optional(),
    events: z.array(watchEventSchema()),
  }),
);

/** Parses a reply; a mismatch is the server's fault, so PROTOCOL_ERROR (not INVALID_ARGUMENT). */
export function parseReply<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue ? [what, ...issue.path.map(String)].join('.') : what;
  throw new ProximaError(
    ErrorCode.PROTOCOL_ERROR,
    `unexpected reply from the registry: ${where}: ${issue?.message ?? 'invalid'}`,
  );
}
