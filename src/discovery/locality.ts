import { type Locality, localitySchema } from '../core/locality.js';
import { parseWith } from '../core/validate.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Where the calling process runs, from its environment: `PROXIMA_REGION`, `PROXIMA_ZONE`,
 * `PROXIMA_SUBZONE`, falling back per field to `CLIENT_REGION` / `CLIENT_ZONE` (the names a
 * Kubernetes Downward API manifest for a client typically injects). Unset means unknown (`''`).
 * Throws INVALID_ARGUMENT naming the variable when a value is malformed.
 */
export function callerLocalityFromEnv(env: Env): Locality {
  const pick = (...names: string[]): { name: string; value: string } | undefined => {
    for (const name of names) {
      const value = env[name]?.trim();
      if (value) return { name, value };
    }
    return undefined;
  };
  const fields = {
    region: pick('PROXIMA_REGION', 'CLIENT_REGION'),
    zone: pick('PROXIMA_ZONE', 'CLIENT_ZONE'),
    subzone: pick('PROXIMA_SUBZONE'),
  };
  const locality: Record<string, string> = {};
  for (const [key, found] of Object.entries(fields)) {
    if (found === undefined) continue;
    // Validate field by field so the error names the variable that was set.
    parseWith(localitySchema.shape.region, found.value, found.name);
    locality[key] = found.value;
  }
  return parseWith(localitySchema, locality, 'locality');
}
