import { lazySchema } from '../core/zod.js';
import {
  instanceIdSchema,
  instancePatchSchema,
  instanceSchema,
  serviceNameSchema,
} from '../core/instance.js';

/**
 * Request bodies and parameters of the registry API. Bodies are strict: an unknown field is an
 * error naming it, so a typo (`ttl` for `ttlMs`) is caught instead of silently defaulted.
 */

/** Longest lease the server grants: a day. Longer would outlive any sane registrar. */
export const MAX_TTL_MS = 86_400_000;

export const leaseIdParamSchema = lazySchema((z) =>
  z.string('required').min(1, 'must not be empty').max(128),
);

export const grantBodySchema = lazySchema((z) =>
  z
    .object({
      ttlMs: z.number().int('must be an integer').min(1, 'must be at least 1').max(MAX_TTL_MS),
    })
    .strict(),
);

export const registerBodySchema = lazySchema((z) =>
  z
    .object({
      lease: leaseIdParamSchema(),
      instance: instanceSchema(),
    })
    .strict(),
);

export const patchBodySchema = lazySchema((z) =>
  z
    .object({
      lease: leaseIdParamSchema(),
      patch: instancePatchSchema(),
    })
    .strict(),
);

export const serviceParamSchema = serviceNameSchema;
export const instanceIdParamSchema = instanceIdSchema;

/** A revision from `?fromRevision=` or `Last-Event-ID`: a non-negative decimal integer. */
export const revisionSchema = lazySchema((z) =>
  z
    .string()
    .regex(/^\d{1,16}$/, 'expected a non-negative integer revision')
    .transform(Number),
);

/** A watch message id from `Last-Event-ID`: `INCARNATION.REVISION` (hex, decimal) or a bare revision. */
export const eventIdSchema = lazySchema((z) =>
  z
    .string()
    .regex(
      /^(?:[0-9a-f]{1,32}\.)?\d{1,16}$/,
      'expected INCARNATION.REVISION or a non-negative integer revision',
    )
    .transform((id) => {
      const dot = id.indexOf('.');
      return dot < 0
        ? { incarnation: undefined, revision: Number(id) }
        : { incarnation: id.slice(0, dot), revision: Number(id.slice(dot + 1)) };
    }),
);
