import type { LocalityInput } from '../core/locality.js';
import type { RegistrarOptions } from './options.js';

/**
 * The locality fields every instance sets in code: the lookup skips network sources when they
 * already name region and zone for all of them.
 */
export function sharedLocality(options: RegistrarOptions): LocalityInput | undefined {
  const inputs = options.instances ?? (options.instance === undefined ? [] : [options.instance]);
  const out: { region?: string; zone?: string; subzone?: string } = {};
  for (const key of ['region', 'zone', 'subzone'] as const) {
    const values = inputs.map((i) => i.locality?.[key]);
    const first = values[0];
    if (first !== undefined && first !== '' && values.every((v) => v !== undefined && v !== ''))
      out[key] = first;
  }
  return out;
}
