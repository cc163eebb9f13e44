import type { z } from 'zod';
import { lazySchema } from '../core/zod.js';
import { localitySchema } from '../core/locality.js';
import { serviceNameSchema } from '../core/instance.js';
import { balancerSpecSchema } from '../balancer/factory.js';
import { durationMsSchema, healthOptionsSchema } from '../health/options.js';

/** Zone-aware residual routing (Envoy's LocalityDirect / LocalityResidual). */
export const zoneAwareOptionsSchema = lazySchema((z) =>
  z
    .object({
      enabled: z.boolean().default(true),
      /** Below this many healthy upstream endpoints in the region, route locally (Envoy: 6). */
      minClusterSize: z.number().int().min(1).default(6),
    })
    .strict(),
);

/** Load-aware spill: move traffic to the next tier when the local one is slower than going there. */
export const loadSpillOptionsSchema = lazySchema((z) =>
  z
    .object({
      enabled: z.boolean().default(true),
      /** The local tier must be this much slower (fraction) than the next before anything spills. */
      margin: z.number().min(0).default(0.2),
      /** The most a tier ever spills to the next one. */
      maxSpill: z.number().min(0).max(1).default(0.8),
      /** Each step moves the spill this far toward its target (smoothing, 0-1]. */
      smoothing: z.number().gt(0).max(1).default(0.3),
      /** How often the spill is re-evaluated from live latencies. */
      intervalMs: durationMsSchema().default(1000),
    })
    .strict(),
);

/** A router's tunables; every threshold has the documented default. */
export const routerOptionsSchema = lazySchema((z) =>
  z
    .object({
      service: serviceNameSchema(),
      /** The caller's own locality (tiers are relative to it). */
      locality: localitySchema().default({ region: '', zone: '', subzone: '' }),
      /** The balancer used inside each tier. */
      balancer: balancerSpecSchema().default({ name: 'peak-ewma' }),
      health: healthOptionsSchema().default(healthOptionsSchema().parse({})),
      /** A tier with healthy share h takes min(1, factor · h) of the traffic. */
      overprovisioningFactor: z.number().min(1).default(1.4),
      /** Below this healthy share (and without enough capacity elsewhere), spread over all endpoints. */
      panicThreshold: z.number().min(0).max(1).default(0.5),
      zoneAware: zoneAwareOptionsSchema().default(zoneAwareOptionsSchema().parse({})),
      loadSpill: loadSpillOptionsSchema().default(loadSpillOptionsSchema().parse({})),
    })
    .strict(),
);

export type RouterOptions = z.output<ReturnType<typeof routerOptionsSchema>>;
export type RouterOptionsInput = z.input<ReturnType<typeof routerOptionsSchema>>;
