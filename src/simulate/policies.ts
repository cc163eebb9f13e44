import type { z } from 'zod';
import { lazySchema } from '../core/zod.js';
import type { Instance } from '../core/instance.js';
import type { Locality } from '../core/locality.js';
import { balancerSpecSchema } from '../balancer/factory.js';
import { routerOptionsSchema, type RouterOptionsInput } from '../routing/options.js';

/**
 * A routing policy as the simulator runs it: options for the real router (`createRouter`), whether
 * the router is told the caller's locality, and whether the caller's discovery only shows its own
 * zone (Kubernetes topology hints).
 */
export interface SimPolicy {
  readonly name: string;
  readonly description: string;
  /** The router knows the caller's region and zone (otherwise every endpoint is one tier). */
  readonly locality: boolean;
  /** Only the caller's own zone is visible while it lists any instance (static zone hints). */
  readonly sameZoneOnly: boolean;
  readonly router: Omit<RouterOptionsInput, 'service' | 'locality'>;
}

/** Health rules off: kube-proxy has no passive health, only readiness through the registry. */
const NO_PASSIVE_HEALTH = {
  outlier: { enabled: false },
  breaker: { enabled: false },
  weights: 'none',
} as const;

/** The named policies, in the order reports show them. */
export const NAMED_POLICIES: readonly SimPolicy[] = [
  {
    name: 'round-robin',
    description: 'round robin over every instance, locality unknown (a plain Kubernetes Service)',
    locality: false,
    sameZoneOnly: false,
    router: { balancer: { name: 'round-robin' } },
  },
  {
    name: 'least-request',
    description: 'least-request P2C over every instance, locality unknown',
    locality: false,
    sameZoneOnly: false,
    router: { balancer: { name: 'least-request' } },
  },
  {
    name: 'locality+round-robin',
    description: 'Proxima locality tiers, round robin inside a tier',
    locality: true,
    sameZoneOnly: false,
    router: { balancer: { name: 'round-robin' } },
  },
  {
    name: 'locality+p2c-ewma',
    description: 'Proxima defaults: locality tiers, spill, zone-aware routing, peak-EWMA P2C',
    locality: true,
    sameZoneOnly: false,
    router: {},
  },
  {
    name: 'k8s-topology',
    description:
      'static same-zone routing (topology hints): random in the own zone, all zones only when it is empty',
    locality: false,
    sameZoneOnly: true,
    router: { balancer: { name: 'random' }, health: NO_PASSIVE_HEALTH },
  },
  {
    name: 'lowest-latency-only',
    description: "the seed's scheme: (almost) everything to the instance with the lowest probed RTT",
    locality: false,
    sameZoneOnly: false,
    router: {
      // Weight ∝ 1/rtt^100: the fastest instance by probe takes essentially every call.
      balancer: { name: 'latency-weighted', source: 'rtt', exponent: 100, floorMs: 0.05 },
      health: { weights: 'seed' },
    },
  },
];

/** Names of {@link NAMED_POLICIES}. */
export const POLICY_NAMES: readonly string[] = NAMED_POLICIES.map((p) => p.name);

const routerTunables = lazySchema(() =>
  routerOptionsSchema().omit({ service: true, locality: true, balancer: true }),
);

/** A policy spelled out in a scenario: router options as `createRouter` takes them. */
const customPolicySchema = lazySchema((z) =>
  z
    .object({
      name: z.string().min(1).max(63),
      description: z.string().max(500).default(''),
      locality: z.boolean().default(true),
      sameZoneOnly: z.boolean().default(false),
      balancer: balancerSpecSchema().default({ name: 'peak-ewma' }),
      router: routerTunables().partial().default({}),
    })
    .strict(),
);

/** A policy entry of a scenario: a name from {@link POLICY_NAMES}, or a custom policy object. */
export const policyEntrySchema = lazySchema((z) =>
  z.unknown().transform((value, ctx): string | CustomPolicy => {
    if (typeof value === 'string') {
      if (POLICY_NAMES.includes(value)) return value;
      ctx.addIssue({
        code: 'custom',
        message: `unknown policy "${value}"; known: ${POLICY_NAMES.join(', ')}`,
      });
      return z.NEVER;
    }
    const parsed = customPolicySchema().safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      ctx.addIssue({
        code: 'custom',
        message: issue.message,
        path: issue.path.map((p) => p as string | number),
      });
    }
    return z.NEVER;
  }),
);

type CustomPolicy = z.output<ReturnType<typeof customPolicySchema>>;
export type PolicyEntry = z.output<ReturnType<typeof policyEntrySchema>>;

/** The policy an entry stands for. Names are checked by the schema; an unknown one throws. */
export function resolvePolicy(entry: PolicyEntry): SimPolicy {
  if (typeof entry === 'string') {
    const named = NAMED_POLICIES.find((p) => p.name === entry);
    if (named === undefined) throw new Error(`unknown policy ${entry}`);
    return named;
  }
  return {
    name: entry.name,
    description: entry.description,
    locality: entry.locality,
    sameZoneOnly: entry.sameZoneOnly,
    router: {
      ...(entry.router as Omit<RouterOptionsInput, 'service' | 'locality'>),
      balancer: entry.balancer,
    },
  };
}

/**
 * What a caller in `locality` gets to see of `instances` under `policy`: everything, or — for
 * static zone hints — its own zone's instances while there are any.
 */
export function visibleInstances(
  policy: SimPolicy,
  instances: readonly Instance[],
  locality: Locality,
): readonly Instance[] {
  if (!policy.sameZoneOnly) return instances;
  const own = instances.filter(
    (i) => i.locality.zone === locality.zone && i.locality.region === locality.region && i.status === 'UP',
  );
  return own.length > 0 ? own : instances;
}
