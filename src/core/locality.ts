import type { z } from 'zod';
import { lazySchema } from './zod.js';

/**
 * Where an instance or a caller runs. Empty strings mean "unknown"; an unknown zone never matches
 * another unknown zone for routing purposes unless the regions match too.
 */
export const localitySchema = lazySchema((z) => {
  const name = z
    .string()
    .max(63, 'at most 63 characters')
    .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$|^$/, 'letters, digits, ".", "_" or "-"');
  return z
    .object({
      region: name.default(''),
      zone: name.default(''),
      subzone: name.default(''),
    })
    .strict();
});

export type Locality = z.output<ReturnType<typeof localitySchema>>;
export type LocalityInput = z.input<ReturnType<typeof localitySchema>>;

export const UNKNOWN_LOCALITY: Locality = Object.freeze({ region: '', zone: '', subzone: '' });

/** `region/zone` (or `region/zone/subzone`) for logs, labels and tables. */
export function formatLocality(l: Locality): string {
  const parts = [l.region || '?', l.zone || '?'];
  if (l.subzone) parts.push(l.subzone);
  return parts.join('/');
}

/** True when both name the same non-empty zone in the same region. */
export function sameZone(a: Locality, b: Locality): boolean {
  return a.zone !== '' && a.zone === b.zone && a.region === b.region;
}

/** True when both name the same non-empty region. */
export function sameRegion(a: Locality, b: Locality): boolean {
  return a.region !== '' && a.region === b.region;
}
