import { ProximaError } from '../core/errors.js';
import type { Locality } from '../core/locality.js';
import type { Discoverer, ServiceSubscription } from '../discovery/discoverer.js';
import type { ServiceSnapshot } from '../discovery/snapshot.js';
import type { XdsProtos } from './protos.js';
import { type AnyMessage, endpointsResource } from './resources.js';

/** Callers at this many distinct localities per snapshot share encodings; beyond it, each encodes its own. */
const MAX_CACHED_LOCALITIES = 256;

interface Entry {
  readonly subscription: ServiceSubscription;
  readonly listeners: Set<() => void>;
  readonly forward: Disposable;
  cachedFor: ServiceSnapshot | undefined;
  readonly cache: Map<string, AnyMessage>;
}

/**
 * The services xDS clients watch, through Proxima's own discovery (so any backend works): one
 * discoverer subscription per service however many clients watch it, at most `maxServices` of them
 * (a client naming made-up services cannot open unbounded registry watches). Encoded
 * ClusterLoadAssignments are shared by callers at the same locality until the service changes.
 */
export class ServiceFeed implements Disposable {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly discoverer: Discoverer,
    private readonly protos: XdsProtos,
    private readonly maxServices: number,
  ) {}

  /** Services watched right now. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Calls `onChange` whenever `service` changes, until the result is disposed. Throws
   * RESOURCE_EXHAUSTED when `maxServices` other services are watched already.
   */
  watch(service: string, onChange: () => void): Disposable {
    let entry = this.entries.get(service);
    if (entry === undefined) {
      if (this.entries.size >= this.maxServices)
        throw new ProximaError(
          'RESOURCE_EXHAUSTED',
          `the xDS server watches ${this.maxServices} services already (xds.maxServices)`,
        );
      const subscription = this.discoverer.subscribe(service);
      const listeners = new Set<() => void>();
      const created: Entry = {
        subscription,
        listeners,
        cachedFor: undefined,
        cache: new Map(),
        forward: subscription.updated(() => {
          for (const listener of [...listeners]) listener();
        }),
      };
      entry = created;
      this.entries.set(service, created);
    }
    const held = entry;
    held.listeners.add(onChange);
    let disposed = false;
    return {
      [Symbol.dispose]: () => {
        if (disposed) return;
        disposed = true;
        held.listeners.delete(onChange);
        if (held.listeners.size === 0 && this.entries.get(service) === held) this.drop(service, held);
      },
    };
  }

  /** The encoded assignment of a watched `service` for a caller at `caller`; undefined until it is known. */
  endpoints(service: string, caller: Locality): AnyMessage | undefined {
    const entry = this.entries.get(service);
    const snapshot = entry?.subscription.current();
    if (entry === undefined || snapshot === undefined) return undefined;
    if (entry.cachedFor !== snapshot) {
      entry.cachedFor = snapshot;
      entry.cache.clear();
    }
    const key = `${caller.region}/${caller.zone}/${caller.subzone}`;
    const cached = entry.cache.get(key);
    if (cached !== undefined) return cached;
    const encoded = endpointsResource(this.protos, service, snapshot.instances, caller);
    if (entry.cache.size < MAX_CACHED_LOCALITIES) entry.cache.set(key, encoded);
    return encoded;
  }

  [Symbol.dispose](): void {
    for (const [service, entry] of [...this.entries]) this.drop(service, entry);
  }

  private drop(service: string, entry: Entry): void {
    this.entries.delete(service);
    entry.forward[Symbol.dispose]();
    entry.subscription[Symbol.dispose]();
  }
}
