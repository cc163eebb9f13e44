import { instancePatchSchema, serviceNameSchema, type InstancePatch } from '../core/instance.js';
import { parseWith } from '../core/validate.js';
import { lazySchema } from '../core/zod.js';

/** The longest lease a registry grants: a day. Longer leases would outlive any sane session. */
export const MAX_TTL_MS = 86_400_000;

export const ttlMsSchema = lazySchema((z) =>
  z
    .number()
    .refine((n) => Number.isFinite(n), 'must be a finite number of milliseconds')
    .refine((n) => n > 0, 'must be positive')
    .refine((n) => n <= MAX_TTL_MS, `at most ${MAX_TTL_MS} ms (a day)`),
);

export const revisionSchema = lazySchema((z) =>
  z.number().int('must be an integer').min(0, 'must not be negative'),
);

/**
 * Validators every backend applies to the arguments of the {@link Registry} methods, so that all
 * of them reject the same inputs with the same INVALID_ARGUMENT field names.
 */
export function parseTtlMs(value: unknown, field = 'ttlMs'): number {
  return parseWith(ttlMsSchema(), value, field);
}

/** A service name argument (`list`, `watch`); INVALID_ARGUMENT naming `field` otherwise. */
export function parseServiceName(value: unknown, field = 'service'): string {
  return parseWith(serviceNameSchema(), value, field);
}

/** An `update()` patch: only status, weight and metadata, each valid. */
export function parsePatch(value: unknown, field = 'patch'): InstancePatch {
  return parseWith(instancePatchSchema(), value, field);
}

/** A watch's `fromRevision`. */
export function parseRevision(value: unknown, field = 'fromRevision'): number {
  return parseWith(revisionSchema(), value, field);
}
