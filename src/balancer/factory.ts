import type { z } from 'zod';
import { lazySchema } from '../core/zod.js';
import { durationMsSchema } from '../health/options.js';
import type { Balancer, BalancerDeps } from './balancer.js';
import { consistentHashBalancer } from './consistent-hash.js';
import { latencyWeightedBalancer } from './latency-weighted.js';
import { leastRequestBalancer, peakEwmaBalancer } from './least-request.js';
import { randomBalancer } from './random.js';
import { roundRobinBalancer } from './round-robin.js';
import { weightedRoundRobinBalancer } from './weighted-round-robin.js';

/** Every balancer by name, with its options and their defaults. */
export const balancerSpecSchema = lazySchema((z) => {
  const simple = <N extends string>(name: N) => z.object({ name: z.literal(name) }).strict();
  return z.discriminatedUnion('name', [
    simple('random'),
    simple('round-robin'),
    z
      .object({
        name: z.literal('weighted-round-robin'),
        maxFails: z.number().positive().default(5),
      })
      .strict(),
    simple('least-request'),
    simple('peak-ewma'),
    z
      .object({
        name: z.literal('consistent-hash'),
        vnodes: z.number().int().min(1).max(10_000).default(160),
        loadFactor: z.number().min(1).default(1.25),
      })
      .strict(),
    z
      .object({
        name: z.literal('latency-weighted'),
        source: z.enum(['latency', 'rtt']).default('latency'),
        exponent: z.number().min(0).default(1),
        floorMs: z.number().positive().default(1),
        refreshMs: durationMsSchema().default(1000),
      })
      .strict(),
  ]);
});

export type BalancerSpec = z.output<ReturnType<typeof balancerSpecSchema>>;
export type BalancerSpecInput = z.input<ReturnType<typeof balancerSpecSchema>>;
export type BalancerName = BalancerSpec['name'];

type Factories = {
  [N in BalancerName]: (spec: Extract<BalancerSpec, { name: N }>, deps: BalancerDeps) => Balancer;
};

/** The factory table: a balancer is chosen by name, never by `if` chains in callers. */
const FACTORIES: Factories = {
  random: (_, deps) => randomBalancer(deps),
  'round-robin': (_, deps) => roundRobinBalancer(deps),
  'weighted-round-robin': (spec) => weightedRoundRobinBalancer(spec),
  'least-request': (_, deps) => leastRequestBalancer(deps),
  'peak-ewma': (_, deps) => peakEwmaBalancer(deps),
  'consistent-hash': (spec, deps) => consistentHashBalancer(spec, deps),
  'latency-weighted': (spec, deps) => latencyWeightedBalancer(spec, deps),
};

/** Names accepted by {@link createBalancer}. */
export const BALANCER_NAMES = Object.keys(FACTORIES) as BalancerName[];

/**
 * Builds a balancer from a validated spec.
 *
 * @example
 * ```ts
 * const balancer = createBalancer(balancerSpecSchema.parse({ name: 'consistent-hash' }), { clock, random });
 * const picker = balancer.build(pool.sync(endpoints));
 * ```
 */
export function createBalancer(spec: BalancerSpec, deps: BalancerDeps): Balancer {
  const factory = FACTORIES[spec.name] as (spec: BalancerSpec, deps: BalancerDeps) => Balancer;
  return factory(spec, deps);
}
