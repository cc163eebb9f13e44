import { type Locality, type LocalityInput, localitySchema } from '../core/locality.js';
import { parseWith } from '../core/validate.js';

/** An environment, `process.env`-shaped. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Whose locality: a registering service reads `SERVICE_*`, a caller reads `CLIENT_*`. */
export type LocalityRole = 'service' | 'client';

const NAMES: Readonly<Record<LocalityRole, Readonly<Record<keyof Locality, readonly string[]>>>> = {
  service: {
    region: ['PROXIMA_REGION', 'SERVICE_REGION'],
    zone: ['PROXIMA_ZONE', 'SERVICE_ZONE'],
    subzone: ['PROXIMA_SUBZONE', 'SERVICE_SUBZONE'],
  },
  client: {
    region: ['PROXIMA_REGION', 'CLIENT_REGION'],
    zone: ['PROXIMA_ZONE', 'CLIENT_ZONE'],
    subzone: ['PROXIMA_SUBZONE', 'CLIENT_SUBZONE'],
  },
};

/**
 * Where this process runs, from its environment: `PROXIMA_REGION` / `PROXIMA_ZONE` /
 * `PROXIMA_SUBZONE`, each falling back to the role's own name (`SERVICE_ZONE` for a service,
 * `CLIENT_ZONE` for a caller: the names a Kubernetes Downward API manifest typically injects).
 * Unset or blank means unknown (`''`). A malformed value is INVALID_ARGUMENT naming the variable.
 *
 * @example
 * ```ts
 * localityFromEnv({ PROXIMA_REGION: 'eu-west', SERVICE_ZONE: 'eu-west-1a' }, 'service');
 * // → { region: 'eu-west', zone: 'eu-west-1a', subzone: '' }
 * ```
 */
export function localityFromEnv(env: Env, role: LocalityRole = 'service'): Locality {
  const locality = { region: '', zone: '', subzone: '' };
  for (const key of ['region', 'zone', 'subzone'] as const) {
    for (const name of NAMES[role][key]) {
      const value = env[name]?.trim();
      if (!value) continue;
      locality[key] = parseWith(localitySchema().shape[key], value, name);
      break;
    }
  }
  return locality;
}

/**
 * The locality to use: every field given in `configured` (options in code) wins over the
 * environment's; fields left out (or blank) come from the environment.
 */
export function resolveLocality(configured: LocalityInput | undefined, fromEnv: Locality): Locality {
  const pick = (value: string | undefined, fallback: string): string =>
    value === undefined || value === '' ? fallback : value;
  return {
    region: pick(configured?.region, fromEnv.region),
    zone: pick(configured?.zone, fromEnv.zone),
    subzone: pick(configured?.subzone, fromEnv.subzone),
  };
}
