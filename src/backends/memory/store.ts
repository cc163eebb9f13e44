import { lazySchema } from '../../core/zod.js';
import type { Clock } from '../../core/clock.js';
import { systemClock } from '../../core/clock.js';
import { ProximaError } from '../../core/errors.js';
import { Emitter, type Event } from '../../core/event.js';
import type { Instance, InstancePatch } from '../../core/instance.js';
import { parseWith } from '../../core/validate.js';
import type { ServiceListing, WatchEvent } from '../../registry/registry.js';
import type { EventQueue } from './event-queue.js';
import { EventHistory } from './history.js';
import { type LeaseRecord, LeaseTable } from './lease-table.js';
import { WatchHub } from './watch-hub.js';

export interface MemoryStoreOptions {
  /** Time for lease expiry (default: the system clock). */
  readonly clock?: Clock;
  /** How many events are kept for watches that resume from a revision (default 10 000). */
  readonly historyLimit?: number;
}

const optionsSchema = lazySchema((z) =>
  z
    .object({
      clock: z.custom<Clock>(
        (c) => typeof c === 'object' && c !== null && 'setTimeout' in c,
        'expected a Clock',
      ),
      historyLimit: z.number().int('must be an integer').min(0).max(10_000_000),
    })
    .partial(),
);

interface Entry {
  readonly instance: Instance;
  readonly leaseId: string;
}

const keyOf = (service: string, id: string): string => `${service}/${id}`;

function freeze(instance: Instance): Instance {
  Object.freeze(instance.locality);
  Object.freeze(instance.metadata);
  return Object.freeze(instance);
}

function leaseLost(id: string, how: string): ProximaError {
  return new ProximaError('LEASE_LOST', `lease ${id} ${how}`);
}

/**
 * The state of one in-process registry: instances by service, leases, a global revision counter,
 * the bounded event history and the watch hub. Every mutation is synchronous and commits its
 * events under one new revision, so readers and watchers never see half of a change.
 *
 * Inputs arrive validated (the client view, `MemoryRegistry`, parses them with the core schemas).
 */
export class MemoryStore {
  private revisionCounter = 0;
  private readonly services = new Map<string, Map<string, Entry>>();
  private readonly leases: LeaseTable;
  private readonly history: EventHistory;
  private readonly hub = new WatchHub();
  private readonly committed = new Emitter<readonly WatchEvent[]>();
  private readonly clock: Clock;
  private closedFlag = false;

  /** Every committed batch (one revision), of every service: the dashboard's live feed. */
  readonly onCommit: Event<readonly WatchEvent[]> = this.committed.event;

  constructor(options: MemoryStoreOptions = {}) {
    const { clock = systemClock, historyLimit = 10_000 } = parseWith(optionsSchema(), options, 'options');
    this.clock = clock;
    this.leases = new LeaseTable(clock, (id) => this.drop(id, 'expired'));
    this.history = new EventHistory(historyLimit);
  }

  get revision(): number {
    return this.revisionCounter;
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Sizes, for tests and metrics. */
  stats(): { instances: number; leases: number; watchers: number; history: number } {
    let instances = 0;
    for (const m of this.services.values()) instances += m.size;
    return { instances, leases: this.leases.size, watchers: this.hub.watchers(), history: this.history.size };
  }

  grant(ttlMs: number, onGone: LeaseRecord['onGone']): string {
    return this.leases.grant(ttlMs, onGone).id;
  }

  /** Renews a lease; throws LEASE_LOST when it is unknown (expired, revoked, forgotten). */
  keepAlive(leaseId: string): void {
    if (!this.leases.renew(leaseId)) throw leaseLost(leaseId, 'is unknown (expired or revoked)');
  }

  /** Revokes a lease, deleting its instances in one revision. Unknown leases are ignored. */
  revoke(leaseId: string): void {
    this.drop(leaseId, 'revoked');
  }

  /** Stores (or replaces) an instance under a lease; throws LEASE_LOST when the lease is unknown. */
  put(instance: Instance, leaseId: string): Instance {
    const lease = this.leases.get(leaseId);
    if (lease === undefined) throw leaseLost(leaseId, 'is unknown (expired or revoked)');
    const stored = freeze(instance);
    const key = keyOf(stored.service, stored.id);
    const previous = this.entriesOf(stored.service).get(stored.id);
    if (previous !== undefined && previous.leaseId !== leaseId)
      this.leases.get(previous.leaseId)?.keys.delete(key);
    this.entriesOf(stored.service).set(stored.id, { instance: stored, leaseId });
    lease.keys.add(key);
    this.commit((revision) => [{ type: 'upsert', service: stored.service, revision, instance: stored }]);
    return stored;
  }

  /**
   * Changes status, weight or metadata of an instance held by `leaseId`. Throws LEASE_LOST when
   * the lease is gone, NOT_FOUND when the instance is gone or now held by another lease.
   */
  patch(service: string, id: string, leaseId: string, patch: InstancePatch): Instance {
    if (this.leases.get(leaseId) === undefined) throw leaseLost(leaseId, 'is unknown (expired or revoked)');
    const entry = this.services.get(service)?.get(id);
    if (entry === undefined || entry.leaseId !== leaseId) {
      throw new ProximaError(
        'NOT_FOUND',
        `instance ${keyOf(service, id)} is not registered under lease ${leaseId}`,
      );
    }
    const next = freeze({
      ...entry.instance,
      status: patch.status ?? entry.instance.status,
      weight: patch.weight ?? entry.instance.weight,
      metadata: patch.metadata ?? entry.instance.metadata,
    });
    this.entriesOf(service).set(id, { instance: next, leaseId });
    this.commit((revision) => [{ type: 'upsert', service, revision, instance: next }]);
    return next;
  }

  /** Deletes an instance if `leaseId` still holds it; true when something was deleted. */
  remove(service: string, id: string, leaseId: string): boolean {
    const entry = this.services.get(service)?.get(id);
    if (entry === undefined || entry.leaseId !== leaseId) return false;
    this.deleteEntry(service, id, leaseId);
    this.commit((revision) => [{ type: 'delete', service, revision, id }]);
    return true;
  }

  list(service: string): ServiceListing {
    const instances = [...(this.services.get(service)?.values() ?? [])]
      .map((e) => e.instance)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return { service, revision: this.revisionCounter, instances };
  }

  /** The lease holding an instance: its TTL and the time left before it expires (for the dashboard). */
  /** The lease an instance is registered under (for patches the registry makes on its own, such as checks). */
  ownerOf(service: string, id: string): string | undefined {
    return this.services.get(service)?.get(id)?.leaseId;
  }

  leaseOf(service: string, id: string): { readonly ttlMs: number; readonly remainingMs: number } | undefined {
    const entry = this.services.get(service)?.get(id);
    const lease = entry === undefined ? undefined : this.leases.get(entry.leaseId);
    if (lease === undefined) return undefined;
    return { ttlMs: lease.ttlMs, remainingMs: Math.max(0, lease.expiresAt - this.clock.now()) };
  }

  /** The id of the lease holding an instance, if it is registered. */
  holderOf(service: string, id: string): string | undefined {
    return this.services.get(service)?.get(id)?.leaseId;
  }

  /** The `service/id` keys of the instances a lease holds, or undefined for an unknown lease. */
  keysOf(leaseId: string): ReadonlySet<string> | undefined {
    return this.leases.get(leaseId)?.keys;
  }

  serviceNames(): string[] {
    return [...this.services.keys()].sort();
  }

  /**
   * Events of `service` from `fromRevision` on; undefined when this store cannot serve that resume
   * exactly: the history no longer has it, or it is newer than the head + 1 (a revision this store
   * never issued — another store's, say a registry before a restart). Undefined means "send a reset".
   */
  changesSince(service: string, fromRevision: number): WatchEvent[] | undefined {
    if (fromRevision > this.revisionCounter + 1) return undefined;
    if (fromRevision === this.revisionCounter + 1) return [];
    return this.history.since(service, fromRevision);
  }

  subscribe(service: string): EventQueue<WatchEvent> {
    return this.hub.subscribe(service);
  }

  unsubscribe(service: string, queue: EventQueue<WatchEvent>): void {
    this.hub.unsubscribe(service, queue);
  }

  /** Drops all history: a watch resuming from any revision up to now gets a `reset`. */
  compact(): void {
    this.history.compact(this.revisionCounter);
  }

  /**
   * Simulates a registry that restarted empty: every instance is deleted (one revision), every
   * lease forgotten without telling its holder, and the history dropped. Holders find out on their
   * next keep-alive (LEASE_LOST), exactly as with a restarted server.
   */
  forgetEverything(): void {
    const deletes: Array<{ service: string; id: string }> = [];
    for (const [service, entries] of this.services)
      for (const id of entries.keys()) deletes.push({ service, id });
    this.services.clear();
    this.leases.clear();
    if (deletes.length > 0)
      this.commit((revision) => deletes.map((d) => ({ type: 'delete', revision, ...d })));
    this.compact();
  }

  /** Stops every timer and ends every watch. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.leases.clear();
    this.hub.closeAll();
    this.committed.clear();
  }

  private drop(leaseId: string, how: 'expired' | 'revoked'): void {
    const lease = this.leases.remove(leaseId);
    if (lease === undefined) return;
    const deletes: Array<{ service: string; id: string }> = [];
    for (const key of lease.keys) {
      const slash = key.indexOf('/');
      const service = key.slice(0, slash);
      const id = key.slice(slash + 1);
      if (this.deleteEntry(service, id, leaseId)) deletes.push({ service, id });
    }
    if (deletes.length > 0)
      this.commit((revision) => deletes.map((d) => ({ type: 'delete', revision, ...d })));
    lease.onGone(how);
  }

  private deleteEntry(service: string, id: string, leaseId: string): boolean {
    const entries = this.services.get(service);
    const entry = entries?.get(id);
    if (entries === undefined || entry === undefined || entry.leaseId !== leaseId) return false;
    entries.delete(id);
    if (entries.size === 0) this.services.delete(service);
    this.leases.get(leaseId)?.keys.delete(keyOf(service, id));
    return true;
  }

  private entriesOf(service: string): Map<string, Entry> {
    let entries = this.services.get(service);
    if (entries === undefined) {
      entries = new Map();
      this.services.set(service, entries);
    }
    return entries;
  }

  private commit(build: (revision: number) => WatchEvent[]): void {
    this.revisionCounter += 1;
    const events = build(this.revisionCounter).map((e) => Object.freeze(e));
    this.history.append(this.revisionCounter, events);
    this.hub.publish(events);
    this.committed.emit(events);
  }
}
