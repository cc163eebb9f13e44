import { lazySchema } from '../core/zod.js';
import { type Clock, systemClock } from '../core/clock.js';
import { ProximaError } from '../core/errors.js';
import { Emitter, type Event } from '../core/event.js';
import { serviceNameSchema } from '../core/instance.js';
import { type Locality, type LocalityInput, localitySchema } from '../core/locality.js';
import { type Random, systemRandom } from '../core/random.js';
import { parseWith } from '../core/validate.js';
import type { Registry } from '../registry/registry.js';
import { localityFromEnv, resolveLocality } from '../topology/env.js';
import { type Backoff, fullJitterBackoff } from '../resilience/backoff.js';
import { type Logger, silentLogger } from '../core/logger.js';
import {
  resolveSelfPreservation,
  type SelfPreservation,
  type SelfPreservationOptions,
} from './self-preservation.js';
import { ServiceWatch } from './service-watch.js';
import { type ServiceSubscription, Subscription } from './subscription.js';
import type { ServiceSnapshot, SnapshotUpdate } from './snapshot.js';

export type { ServiceSubscription } from './subscription.js';

export interface DiscovererOptions {
  readonly registry: Registry;
  readonly clock?: Clock;
  readonly random?: Random;
  /** A pino logger (or anything with `debug/info/warn(fields, message)`); silent by default. */
  readonly logger?: Logger;
  /** Hold mass disappearances as unconfirmed (default threshold 0.5, grace 30 s); `false` disables. */
  readonly selfPreservation?: SelfPreservationOptions | false;
  /** Reconnect backoff of broken watches (default 100 ms growing to 5 s, full jitter). */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /**
   * The caller's own locality. Fields left out come from `env`: `PROXIMA_REGION/ZONE/SUBZONE`, else
   * `CLIENT_REGION/ZONE/SUBZONE`.
   */
  readonly locality?: LocalityInput;
  /** Environment read for the locality (default `process.env`). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The caller side of discovery: a watch-driven cache of the registry. However many parts of a
 * process subscribe to a service, there is one underlying `registry.watch` for it; it starts with
 * the first subscriber and stops when the last one leaves.
 *
 * @example
 * ```ts
 * await using discoverer = createDiscoverer({ registry: await openRegistry('http://127.0.0.1:7070') });
 * using users = discoverer.subscribe('users');
 * const first = await users.ready(AbortSignal.timeout(5_000));
 * using _ = users.updated(({ snapshot }) => rebuildPicker(snapshot));
 * ```
 */
export interface Discoverer extends AsyncDisposable {
  /** Where this caller runs, for locality-aware routing. */
  readonly locality: Locality;
  /** Changes of every watched service. */
  readonly updated: Event<SnapshotUpdate>;
  /** Keeps `service` watched until the subscription is disposed. Throws INVALID_ARGUMENT `service`. */
  subscribe(service: string): ServiceSubscription;
  /** The latest snapshot of a watched service (synchronous; undefined when not watched or not ready). */
  current(service: string): ServiceSnapshot | undefined;
  /**
   * The first snapshot of `service`. When nobody subscribes to it, the watch lives only until this
   * settles: hold a {@link ServiceSubscription} to keep the snapshot current.
   */
  ready(service: string, signal?: AbortSignal): Promise<ServiceSnapshot>;
  /** The routing layer saw `id` fail: if it is only unconfirmed, drop it now instead of at grace end. */
  reportFailed(service: string, id: string): void;
  /** Stops every watch. Subscriptions become inert. */
  close(): Promise<void>;
}

/** Creates a {@link Discoverer}. Throws INVALID_ARGUMENT naming the bad option. */
export function createDiscoverer(options: DiscovererOptions): Discoverer {
  return new SharedWatchDiscoverer(options);
}

const backoffSchema = lazySchema((z) =>
  z
    .object({ initialMs: z.number().positive().default(100), maxMs: z.number().positive().default(5_000) })
    .strict(),
);

interface Shared {
  readonly watch: ServiceWatch;
  readonly forward: Disposable;
  refs: number;
}

class SharedWatchDiscoverer implements Discoverer {
  readonly locality: Locality;
  private readonly emitter = new Emitter<SnapshotUpdate>();
  readonly updated: Event<SnapshotUpdate> = this.emitter.event;
  private readonly watches = new Map<string, Shared>();
  private readonly closing = new Set<Promise<void>>();
  private readonly registry: Registry;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly selfPreservation: SelfPreservation;
  private readonly backoff: Backoff;
  private closed = false;

  constructor(options: DiscovererOptions) {
    this.registry = options.registry;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.selfPreservation = resolveSelfPreservation(options.selfPreservation);
    const bounds = parseWith(backoffSchema(), options.backoff ?? {}, 'backoff');
    this.backoff = fullJitterBackoff({ ...bounds, random: options.random ?? systemRandom });
    // Fields given in code win; the rest come from PROXIMA_* / CLIENT_* (the registrar's rules).
    const fromEnv = localityFromEnv(options.env ?? process.env, 'client');
    const configured =
      options.locality === undefined ? undefined : parseWith(localitySchema(), options.locality, 'locality');
    this.locality = resolveLocality(configured, fromEnv);
  }

  subscribe(service: string): ServiceSubscription {
    const name = parseWith(serviceNameSchema(), service, 'service');
    if (this.closed) throw new ProximaError('FAILED_PRECONDITION', 'the discoverer is closed');
    const shared = this.watches.get(name) ?? this.startWatch(name);
    shared.refs++;
    return new Subscription(name, shared.watch, () => this.release(name, shared));
  }

  current(service: string): ServiceSnapshot | undefined {
    return this.watches.get(service)?.watch.snapshot;
  }

  async ready(service: string, signal?: AbortSignal): Promise<ServiceSnapshot> {
    const existing = this.watches.get(service)?.watch.snapshot;
    if (existing !== undefined) return existing;
    using subscription = this.subscribe(service);
    return await subscription.ready(signal);
  }

  reportFailed(service: string, id: string): void {
    this.watches.get(service)?.watch.reportFailed(id);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const [service, shared] of this.watches) this.stopWatch(service, shared);
    await Promise.all(this.closing);
    this.emitter.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private startWatch(service: string): Shared {
    const watch = new ServiceWatch(service, {
      registry: this.registry,
      clock: this.clock,
      logger: this.logger,
      selfPreservation: this.selfPreservation,
      backoff: this.backoff,
    });
    const shared: Shared = { watch, forward: watch.updated((u) => this.emitter.emit(u)), refs: 0 };
    this.watches.set(service, shared);
    this.logger.debug({ service }, 'watch started');
    return shared;
  }

  private release(service: string, shared: Shared): void {
    shared.refs--;
    if (shared.refs === 0 && this.watches.get(service) === shared) this.stopWatch(service, shared);
  }

  private stopWatch(service: string, shared: Shared): void {
    this.watches.delete(service);
    shared.forward[Symbol.dispose]();
    const closing = shared.watch.close().finally(() => this.closing.delete(closing));
    this.closing.add(closing);
    this.logger.debug({ service }, 'watch stopped');
  }
}
