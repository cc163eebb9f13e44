import type { z } from 'zod';
import { lazySchema } from '../core/zod.js';
import { serviceNameSchema } from '../core/instance.js';
import { parseWith } from '../core/validate.js';
import { invalidArgument } from '../core/errors.js';
import { durationMsSchema } from '../health/options.js';
import { distributionSchema } from './distributions.js';
import { faultSchema } from './faults.js';
import { policyEntrySchema } from './policies.js';

const name = lazySchema((z) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(63, 'at most 63 characters')
    .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, 'letters, digits, ".", "_" or "-"'),
);

const capacity = lazySchema((z) => z.number().int().min(1).max(100_000));
const ms = lazySchema((z) => z.number().min(0).max(3_600_000));

const zoneSchema = lazySchema((z) =>
  z
    .object({
      name: name(),
      /** Instances of the service in this zone (ids `ZONE-0`, `ZONE-1`, …). */
      instances: z.number().int().min(0).max(10_000),
      /** Calls one instance serves at once; more wait in its FIFO queue. */
      capacity: capacity().optional(),
      serviceTime: distributionSchema().optional(),
    })
    .strict(),
);

const regionSchema = lazySchema((z) =>
  z.object({ name: name(), zones: z.array(zoneSchema()).min(1) }).strict(),
);

const networkSchema = lazySchema((z) =>
  z
    .object({
      /** Round-trip time inside one zone. */
      sameZoneMs: ms().default(0.25),
      /** Round-trip time between zones of one region. */
      sameRegionMs: ms().default(1.5),
      /** Round-trip time between regions (unless a pair says otherwise). */
      crossRegionMs: ms().default(60),
      /** Each one-way trip is scaled by a uniform factor in [1 − jitter, 1 + jitter]. */
      jitter: z.number().min(0).max(1).default(0.1),
      /** Explicit RTTs between two zones or regions (symmetric; zone pairs win over region pairs). */
      pairs: z.array(z.object({ from: name(), to: name(), rttMs: ms() }).strict()).default([]),
    })
    .strict(),
);

const callerSchema = lazySchema((z) =>
  z
    .object({
      /** Zone the calling processes run in. */
      zone: name(),
      /** Calls per second from this zone (Poisson arrivals, split evenly over the clients). */
      ratePerSec: z.number().positive().max(1_000_000),
      /** Calling processes, each with its own router and statistics. */
      clients: z.number().int().min(1).max(1000).default(1),
      /**
       * Instances of the calling service registered in this zone, which zone-aware routing reads as
       * the caller's spread (default: one per client).
       */
      instances: z.number().int().min(0).max(100_000).optional(),
    })
    .strict(),
);

/** Runs the scenario once per factor, scaling the callers of one zone (a load sweep). */
const sweepSchema = lazySchema((z) =>
  z.object({ zone: name(), factors: z.array(z.number().positive().max(1000)).min(1).max(50) }).strict(),
);

const scenarioObject = lazySchema((z) =>
  z
    .object({
      name: name(),
      description: z.string().max(4000).default(''),
      service: serviceNameSchema().default('backend'),
      seed: z.number().int().min(0).max(0xffff_ffff).default(1),
      /** Virtual time the callers send for; calls still in flight then are waited for. */
      duration: durationMsSchema(),
      /** Calls started before this are not measured (statistics and probes settle first). */
      warmup: durationMsSchema().default(0),
      /** Deadline of each call, retries included. */
      timeout: durationMsSchema().default(2000),
      retry: z
        .object({
          maxAttempts: z.number().int().min(1).max(10).default(3),
          initialBackoff: durationMsSchema().default(25),
          maxBackoff: durationMsSchema().default(1000),
        })
        .strict()
        .default({ maxAttempts: 3, initialBackoff: 25, maxBackoff: 1000 }),
      probe: z
        .object({
          enabled: z.boolean().default(true),
          interval: durationMsSchema().default(5000),
          othersPerRound: z.number().int().min(0).max(1000).default(3),
        })
        .strict()
        .default({ enabled: true, interval: 5000, othersPerRound: 3 }),
      discovery: z
        .object({
          /** Registry change → every caller's snapshot. */
          propagation: durationMsSchema().default(100),
          /** A killed instance leaves the registry this long after it died (its lease TTL). */
          deadAfter: durationMsSchema().default(10_000),
        })
        .strict()
        .default({ propagation: 100, deadAfter: 10_000 }),
      defaults: z
        .object({
          capacity: capacity().default(8),
          serviceTime: distributionSchema().default({ dist: 'lognormal', meanMs: 10, sigma: 0.5 }),
        })
        .strict()
        .default({ capacity: 8, serviceTime: { dist: 'lognormal', meanMs: 10, sigma: 0.5 } }),
      regions: z.array(regionSchema()).min(1),
      network: networkSchema().default(networkSchema().parse({})),
      callers: z.array(callerSchema()).min(1),
      faults: z.array(faultSchema()).default([]),
      sweep: sweepSchema().optional(),
      /** Policies to compare, by name or spelled out (default: every named policy). */
      policies: z.array(policyEntrySchema()).min(1).optional(),
    })
    .strict(),
);

/** The whole scenario file (JSON). Durations are ms numbers or strings like `500ms`, `5s`. */
export const scenarioSchema = lazySchema(() => scenarioObject().superRefine(checkReferences));

export type Scenario = z.output<ReturnType<typeof scenarioObject>>;
export type ScenarioInput = z.input<ReturnType<typeof scenarioObject>>;
export type ZoneSpec = z.output<ReturnType<typeof zoneSchema>>;
export type CallerSpec = z.output<ReturnType<typeof callerSchema>>;
export type NetworkSpec = z.output<ReturnType<typeof networkSchema>>;

/**
 * Validates a scenario object; throws INVALID_ARGUMENT naming the dotted field
 * (`scenario.faults.2.target: no zone, region or instance named "eu-x"`).
 */
export function parseScenario(input: unknown, root = 'scenario'): Scenario {
  return parseWith(scenarioSchema(), input, root);
}

/** Parses a scenario file's text (JSON). `source` names the file in error messages. */
export function parseScenarioText(text: string, source = 'scenario'): Scenario {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalidArgument(source, `not valid JSON: ${(error as Error).message}`);
  }
  return parseScenario(json, source);
}

/** Every zone, region and instance id of a scenario's topology. */
export function topologyNames(regions: Scenario['regions']): {
  zones: Set<string>;
  regions: Set<string>;
  instances: Set<string>;
} {
  const zones = new Set<string>();
  const regionNames = new Set<string>();
  const instances = new Set<string>();
  for (const r of regions) {
    regionNames.add(r.name);
    for (const z of r.zones) {
      zones.add(z.name);
      for (let i = 0; i < z.instances; i++) instances.add(instanceId(z.name, i));
    }
  }
  return { zones, regions: regionNames, instances };
}

/** The id of the `index`th instance of `zone`. */
export function instanceId(zone: string, index: number): string {
  return `${zone}-${index}`;
}

/** Cross-references zod cannot express field by field: names exist, are unique, times fit. */
function checkReferences(scenario: Scenario, ctx: z.RefinementCtx): void {
  const issue = (path: Array<string | number>, message: string): void => {
    ctx.addIssue({ code: 'custom', message, path });
  };
  const seen = new Map<string, string>();
  scenario.regions.forEach((r, ri) => {
    if (seen.has(r.name))
      issue(['regions', ri, 'name'], `"${r.name}" is already the name of a ${seen.get(r.name)}`);
    seen.set(r.name, 'region');
    r.zones.forEach((z, zi) => {
      if (seen.has(z.name))
        issue(
          ['regions', ri, 'zones', zi, 'name'],
          `"${z.name}" is already the name of a ${seen.get(z.name)}`,
        );
      seen.set(z.name, 'zone');
    });
  });
  const names = topologyNames(scenario.regions);
  if (names.instances.size === 0) issue(['regions'], 'the topology has no instances');
  if (scenario.warmup >= scenario.duration) issue(['warmup'], 'must be shorter than duration');
  scenario.callers.forEach((c, i) => {
    if (!names.zones.has(c.zone)) issue(['callers', i, 'zone'], `no zone named "${c.zone}"`);
  });
  scenario.network.pairs.forEach((p, i) => {
    for (const end of ['from', 'to'] as const) {
      if (!names.zones.has(p[end]) && !names.regions.has(p[end]))
        issue(['network', 'pairs', i, end], `no zone or region named "${p[end]}"`);
    }
  });
  scenario.faults.forEach((f, i) => {
    if (f.at >= scenario.duration) issue(['faults', i, 'at'], 'must be before the end of the run (duration)');
    if (f.action === 'overload') {
      if (!names.zones.has(f.zone)) issue(['faults', i, 'zone'], `no zone named "${f.zone}"`);
    } else if (!names.zones.has(f.target) && !names.regions.has(f.target) && !names.instances.has(f.target)) {
      issue(['faults', i, 'target'], `no zone, region or instance named "${f.target}"`);
    }
  });
  if (scenario.sweep !== undefined && !scenario.callers.some((c) => c.zone === scenario.sweep?.zone))
    issue(['sweep', 'zone'], `no callers in zone "${scenario.sweep.zone}"`);
  const policyNames = new Set<string>();
  scenario.policies?.forEach((p, i) => {
    const n = typeof p === 'string' ? p : p.name;
    if (policyNames.has(n)) issue(['policies', i], `policy "${n}" is listed twice`);
    policyNames.add(n);
  });
}
