import { ProximaError, invalidArgument, toProximaError } from '../../core/errors.js';
import { parseInstance, type InstanceInput } from '../../core/instance.js';
import { parseRevision, parseServiceName, parseTtlMs } from '../../registry/inputs.js';
import {
  DEFAULT_TTL_MS,
  type CallOptions,
  type LeaseOptions,
  type Registry,
  type RegisterOptions,
  type ServiceListing,
  type WatchEvent,
  type WatchOptions,
} from '../../registry/registry.js';
import { MemoryLease, MemoryRegistration } from './handles.js';
import { MemoryStore, type MemoryStoreOptions } from './store.js';

export type MemoryRegistryOptions = MemoryStoreOptions;

/**
 * The in-process registry (`memory:`): for one process, for tests, and as the state behind the
 * registry server. Each `new MemoryRegistry()` is a new, empty registry; other views of the SAME
 * registry come from {@link MemoryRegistry.connect} (that is how a server and a client in one
 * process share it: pass the object, never a global).
 *
 * Closing the registry made by `new` stops its lease timers and ends every watch of every view;
 * closing a view from `connect()` ends that view's watches only.
 *
 * @example
 * ```ts
 * const registry = new MemoryRegistry({ clock: new FakeClock() });
 * const reg = await registry.register({ service: 'users', id: 'u1', address: '127.0.0.1:9000' }, { ttlMs: 5000 });
 * for await (const event of registry.watch('users', { signal })) console.log(event.type);
 * ```
 */
export class MemoryRegistry implements Registry {
  readonly url = 'memory:';
  private readonly store: MemoryStore;
  private readonly owner: boolean;
  private readonly closing = new AbortController();

  constructor(options: MemoryRegistryOptions = {}, shared?: MemoryStore) {
    this.store = shared ?? new MemoryStore(options);
    this.owner = shared === undefined;
  }

  /** Another client of this same registry, as another process would see it. */
  connect(): MemoryRegistry {
    return new MemoryRegistry({}, this.store);
  }

  /** Drops the event history (tests: a later resume from an old revision gets `reset`). */
  compact(): void {
    this.store.compact();
  }

  /** Loses every instance and lease at once, like a registry server restarted empty (tests). */
  simulateRestart(): void {
    this.store.forgetEverything();
  }

  /** Sizes of the shared state (instances, leases, open watches, kept events). */
  stats(): ReturnType<MemoryStore['stats']> {
    return this.store.stats();
  }

  async grant(options: LeaseOptions): Promise<MemoryLease> {
    this.guard(options?.signal);
    return this.newLease(parseTtlMs(options?.ttlMs));
  }

  async register(input: InstanceInput, options: RegisterOptions = {}): Promise<MemoryRegistration> {
    this.guard(options.signal);
    const ttlMs = options.ttlMs === undefined ? DEFAULT_TTL_MS : parseTtlMs(options.ttlMs);
    const instance = parseInstance(input);
    if (options.lease !== undefined) {
      const lease = options.lease;
      if (!(lease instanceof MemoryLease) || lease.store !== this.store) {
        throw invalidArgument('lease', 'not a lease of this registry');
      }
      const stored = lease.noteLoss(() => this.store.put(instance, lease.id));
      return new MemoryRegistration(stored, lease, false, this.guard);
    }
    const lease = this.newLease(ttlMs);
    return new MemoryRegistration(this.store.put(instance, lease.id), lease, true, this.guard);
  }

  async list(service: string, options?: CallOptions): Promise<ServiceListing> {
    this.guard(options?.signal);
    return this.store.list(parseServiceName(service));
  }

  watch(service: string, options: WatchOptions = {}): AsyncIterable<WatchEvent> {
    return this.events(service, options);
  }

  async services(options?: CallOptions): Promise<string[]> {
    this.guard(options?.signal);
    return this.store.serviceNames();
  }

  async close(): Promise<void> {
    this.closing.abort(new ProximaError('CANCELLED', 'registry client closed'));
    if (this.owner) this.store.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private newLease(ttlMs: number): MemoryLease {
    // The store tells the handle when the lease expires or is revoked; the handle needs the id.
    const holder: { lease?: MemoryLease } = {};
    const id = this.store.grant(ttlMs, (how) =>
      holder.lease?.markLost(new ProximaError('LEASE_LOST', `lease ${id} ${how}`)),
    );
    holder.lease = new MemoryLease(this.store, id, ttlMs, this.guard);
    return holder.lease;
  }

  private readonly guard = (signal: AbortSignal | undefined): void => {
    if (signal?.aborted)
      throw toProximaError(signal.reason ?? new ProximaError('CANCELLED', 'aborted'), 'CANCELLED');
    if (this.closing.signal.aborted || this.store.closed) {
      throw new ProximaError('FAILED_PRECONDITION', 'memory registry is closed');
    }
  };

  private async *events(service: string, options: WatchOptions): AsyncGenerator<WatchEvent, void, undefined> {
    const name = parseServiceName(service);
    const from = options.fromRevision === undefined ? undefined : parseRevision(options.fromRevision);
    const signal = options.signal;
    if (signal?.aborted || this.closing.signal.aborted || this.store.closed) return;
    // Snapshot (or history) and subscription are taken in the same synchronous step: no gap.
    const queue = this.store.subscribe(name);
    const missed = from === undefined ? undefined : this.store.changesSince(name, from);
    const end = (): void => queue.close();
    signal?.addEventListener('abort', end, { once: true });
    this.closing.signal.addEventListener('abort', end, { once: true });
    try {
      if (missed === undefined) {
        const { revision, instances } = this.store.list(name);
        yield { type: 'reset', service: name, revision, instances };
      } else {
        for (const event of missed) yield event;
      }
      for (;;) {
        const next = await queue.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      signal?.removeEventListener('abort', end);
      this.closing.signal.removeEventListener('abort', end);
      this.store.unsubscribe(name, queue);
    }
  }
}
