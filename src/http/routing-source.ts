import type { z } from 'zod';
import { lazySchema, preloadZod, zod } from '../core/zod.js';
import { probeOptionsSchema } from '../probe/options.js';
import type { BalancerSpecInput } from '../balancer/factory.js';
import { type Clock, systemClock } from '../core/clock.js';
import { invalidArgument, ProximaError } from '../core/errors.js';
import type { Protocol } from '../core/instance.js';
import { type Locality, type LocalityInput, localitySchema } from '../core/locality.js';
import { type Random, systemRandom } from '../core/random.js';
import { parseWith } from '../core/validate.js';
import { createDiscoverer, type Discoverer } from '../discovery/discoverer.js';
import type { Logger } from '../core/logger.js';
import type { SelfPreservationOptions } from '../discovery/self-preservation.js';
import { openRegistry } from '../backends/open.js';
import type { Registry } from '../registry/registry.js';
import type { RouterOptionsInput } from '../routing/options.js';
import { type RouteProbeOptions, ServiceRoutes, type ServiceRoutesDeps } from '../routing/service-routes.js';

/**
 * Where gRPC channels and HTTP dispatchers get their endpoints from: a registry (opened here and
 * closed with the source) or a discoverer the application already runs (shared, never closed
 * here). Everything else has the RPC client's defaults.
 */
export interface RoutingSourceOptions {
  /** A registry URL (`memory:`, `http://host:port`, `etcd://h1,h2`) or an open registry. */
  readonly registry?: string | Registry;
  /** A discoverer to share with the rest of the process (then `registry` must be left out). */
  readonly discoverer?: Discoverer;
  /**
   * Where this caller runs. Without it: the discoverer's locality (from `PROXIMA_REGION/ZONE/…`,
   * else `CLIENT_REGION/ZONE/…`).
   */
  readonly locality?: LocalityInput;
  /** Environment read for the locality when a discoverer is created here (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The balancer inside each locality tier (default peak-EWMA P2C). */
  readonly balancer?: BalancerSpecInput;
  /** Router tunables: health (outlier ejection, breakers), over-provisioning, zone-aware, spill. */
  readonly routing?: Omit<RouterOptionsInput, 'service' | 'locality' | 'balancer'>;
  /** RTT probing of the preferred tier (TCP connect time); `false` disables it. */
  readonly probe?: RouteProbeOptions | false;
  /** Discovery's refusal of mass disappearances, when a discoverer is created here. */
  readonly selfPreservation?: SelfPreservationOptions | false;
  readonly clock?: Clock;
  readonly random?: Random;
  /** A pino logger or anything with `debug/info/warn(fields, message)`; silent by default. */
  readonly logger?: Logger;
}

const object = lazySchema((z) =>
  z.custom<object>((v) => typeof v === 'object' && v !== null, 'expected an object'),
);
const fn = lazySchema((z) =>
  z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', 'expected a function'),
);

/** Shapes only: nested objects are validated by the router, prober and discoverer that own them. */
export const routingSourceShape = lazySchema((z) => ({
  registry: z.union([z.string().min(1), object()]).optional(),
  discoverer: object().optional(),
  locality: object().optional(),
  env: object().optional(),
  balancer: object().optional(),
  routing: object().optional(),
  probe: probeOptionsSchema().optional(),
  selfPreservation: z.union([z.literal(false), object()]).optional(),
  clock: object().optional(),
  random: fn().optional(),
  logger: object().optional(),
}));

/** One hold on a service's routes; dispose it when the channel or dispatcher no longer needs them. */
export interface RoutesLease extends Disposable {
  readonly routes: ServiceRoutes;
}

interface Entry {
  readonly routes: ServiceRoutes;
  refs: number;
}

/**
 * A discoverer plus the per-service {@link ServiceRoutes} built on it, shared by reference count:
 * however many gRPC channels target `proxima:///users`, they share one router (one view of each
 * endpoint's health) and one prober. Close it to stop everything it opened.
 */
export class RoutingSource implements AsyncDisposable {
  private readonly entries = new Map<string, Entry>();
  private readonly closing = new Set<Promise<void>>();
  private closed = false;

  private constructor(
    readonly discoverer: Discoverer,
    private readonly deps: ServiceRoutesDeps,
    private readonly owned: { readonly registry?: Registry; readonly discoverer?: Discoverer },
  ) {}

  /**
   * Validates the options (INVALID_ARGUMENT naming `root.field`), opens the registry when given a
   * URL, creates a discoverer unless one was given.
   */
  static async open(
    options: RoutingSourceOptions,
    root: string,
    extra: z.ZodRawShape,
  ): Promise<RoutingSource> {
    await preloadZod();
    parseWith(
      zod()
        .object({ ...routingSourceShape(), ...extra })
        .strict(),
      options,
      root,
    );
    if ((options.registry === undefined) === (options.discoverer === undefined)) {
      throw invalidArgument(`${root}.registry`, 'give either a registry (URL or instance) or a discoverer');
    }
    const clock = options.clock ?? systemClock;
    const random = options.random ?? systemRandom;
    const locality =
      options.locality === undefined
        ? undefined
        : parseWith(localitySchema(), options.locality, `${root}.locality`);
    let registry: Registry | undefined;
    if (typeof options.registry === 'string')
      registry = await openRegistry(options.registry, { clock, random });
    let discoverer = options.discoverer;
    let ownedDiscoverer: Discoverer | undefined;
    try {
      if (discoverer === undefined) {
        discoverer = ownedDiscoverer = createDiscoverer({
          registry: registry ?? (options.registry as Registry),
          clock,
          random,
          ...(options.logger === undefined ? {} : { logger: options.logger }),
          ...(locality === undefined ? {} : { locality }),
          ...(options.env === undefined ? {} : { env: options.env }),
          ...(options.selfPreservation === undefined ? {} : { selfPreservation: options.selfPreservation }),
        });
      }
    } catch (error) {
      await registry?.close();
      throw error;
    }
    const deps: ServiceRoutesDeps = {
      discoverer,
      locality: locality ?? discoverer.locality,
      clock,
      random,
      balancer: options.balancer,
      routing: options.routing,
      probe: options.probe,
    };
    return new RoutingSource(discoverer, deps, {
      ...(registry === undefined ? {} : { registry }),
      ...(ownedDiscoverer === undefined ? {} : { discoverer: ownedDiscoverer }),
    });
  }

  /** Where this caller runs (routing tiers are relative to it). */
  get locality(): Locality {
    return this.deps.locality;
  }

  get clock(): Clock {
    return this.deps.clock;
  }

  /**
   * The routes of `service` over instances speaking `protocol`, created on first use and closed
   * when the last lease is disposed. Throws INVALID_ARGUMENT `service` for a bad name and
   * FAILED_PRECONDITION once the source is closed.
   */
  acquire(service: string, protocol: Protocol): RoutesLease {
    if (this.closed) throw new ProximaError('FAILED_PRECONDITION', 'the routing source is closed');
    const key = `${protocol}\u0000${service}`;
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { routes: new ServiceRoutes(service, protocol, this.deps), refs: 0 };
      this.entries.set(key, entry);
    }
    entry.refs++;
    const held = entry;
    let released = false;
    return {
      routes: held.routes,
      [Symbol.dispose]: () => {
        if (released) return;
        released = true;
        held.refs--;
        if (held.refs === 0 && this.entries.get(key) === held) {
          this.entries.delete(key);
          this.track(held.routes.close());
        }
      },
    };
  }

  /** The routes of `service` over `protocol` if something holds them now (for `explain`). */
  peek(service: string, protocol: Protocol): ServiceRoutes | undefined {
    return this.entries.get(`${protocol}\u0000${service}`)?.routes;
  }

  /** Closes every route, then the discoverer and registry when they were opened here. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const entry of this.entries.values()) this.track(entry.routes.close());
    this.entries.clear();
    await Promise.all(this.closing);
    await this.owned.discoverer?.close();
    await this.owned.registry?.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private track(closing: Promise<void>): void {
    const tracked = closing.finally(() => this.closing.delete(tracked));
    this.closing.add(tracked);
  }
}
