import type { Clock } from '../../core/clock.js';
import { parseInstance, type Instance, type InstanceInput } from '../../core/instance.js';
import { healthOptionsSchema, type HealthOptionsInput } from '../../health/options.js';
import { StatsPool } from '../../health/stats-pool.js';
import type { Endpoint } from '../picker.js';

/** A valid instance for tests: `id` on 127.0.0.1, in `region/zone`, weight 100 unless overridden. */
export function testInstance(id: string, overrides: Partial<InstanceInput> = {}): Instance {
  return parseInstance({
    service: 'svc',
    id,
    address: `127.0.0.1:${10_000 + (hashId(id) % 50_000)}`,
    ...overrides,
  });
}

/** Endpoints named `e0..e{n-1}`. */
export function testEndpoints(
  n: number,
  overrides: (i: number) => Partial<InstanceInput> = () => ({}),
): Endpoint[] {
  return Array.from({ length: n }, (_, i) => {
    const instance = testInstance(`e${i}`, overrides(i));
    return { id: instance.id, instance };
  });
}

/** A stats pool with the given health options (defaults otherwise). */
export function testPool(
  clock: Clock,
  health: HealthOptionsInput = {},
  onChange: () => void = () => {},
): StatsPool {
  return new StatsPool(clock, healthOptionsSchema().parse(health), onChange);
}

function hashId(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return h;
}
