import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { ErrorCode, ProximaError } from '../core/errors.js';
import type { Instance, InstancePatch } from '../core/instance.js';
import { MemoryStore } from '../backends/memory/store.js';
import type { ServiceListing, WatchEvent } from '../registry/registry.js';
import type { Limits } from './security/limits.js';
import type { Principal } from './seams.js';

/** What the server tells a client about a lease. */
export interface LeaseInfo {
  readonly id: string;
  readonly ttlMs: number;
}

/** An instance a lease holds, as a keep-alive answer lists it. */
export interface HeldInstance {
  readonly service: string;
  readonly id: string;
}

/** Who a lease belongs to: the identity that granted it, and the key its limits count under. */
interface LeaseOwner {
  readonly name: string;
  readonly limitKey: string;
}

export interface RegistryStateOptions {
  readonly clock: Clock;
  readonly historyLimit?: number;
}

/**
 * The server's registry: the memory backend's {@link MemoryStore} (instances, leases with their
 * expiry timers, history, watch hub) with the ids and revisions that travel over HTTP.
 *
 * Leases belong to the identity that granted them (a token name, or `anonymous` without ACLs):
 * keep-alive, revoke, register and update need that identity or an admin. A live instance belongs
 * to its lease: another identity registering the same `service/id` gets ALREADY_EXISTS naming the
 * holder; the same identity replaces it (a restarted process must not wait for the old TTL).
 *
 * Three things make a restarted server safe for old clients:
 * - lease ids are 128 random bits, so a keep-alive for a lease of the previous run gets
 *   LEASE_LOST instead of renewing another session's lease;
 * - every watch message names this run's {@link RegistryState.incarnation} (random, not a clock),
 *   and a resume that names another incarnation gets a `reset`, whatever the clocks say;
 * - any resume this run cannot serve exactly — older than its history, newer than its head — gets
 *   a `reset` too (a bare revision, `?fromRevision=N`, carries no incarnation). Revisions are also
 *   offset by the boot time in microseconds, so they usually keep increasing across restarts.
 */
export class RegistryState {
  readonly store: MemoryStore;
  /** Added to every revision of the store. */
  readonly revisionBase: number;
  /** This run of the server: 64 random bits in hex, carried in every watch message id. */
  readonly incarnation = randomBytes(8).toString('hex');
  private readonly owners = new Map<string, LeaseOwner>();
  /** Live lease ids by limit key, for the per-identity lease limit. */
  private readonly leasesByKey = new Map<string, Set<string>>();

  constructor(options: RegistryStateOptions) {
    this.store = new MemoryStore({
      clock: options.clock,
      ...(options.historyLimit === undefined ? {} : { historyLimit: options.historyLimit }),
    });
    this.revisionBase = Math.floor(options.clock.wallNow()) * 1000;
  }

  /** The newest revision. */
  get revision(): number {
    return this.store.revision + this.revisionBase;
  }

  /**
   * Grants a lease owned by `principal`: TTLs under `limits.minTtlMs` are raised to it, over
   * `limits.maxTtlMs` refused (OUT_OF_RANGE naming `body.ttlMs`); past `limits.leases` live leases
   * of the same identity, RESOURCE_EXHAUSTED.
   */
  grant(ttlMs: number, principal: Principal, limits: Limits): LeaseInfo {
    if (ttlMs > limits.maxTtlMs) {
      throw new ProximaError(
        ErrorCode.OUT_OF_RANGE,
        `body.ttlMs: at most ${limits.maxTtlMs} ms, got ${ttlMs}`,
        {
          field: 'body.ttlMs',
        },
      );
    }
    const held = this.leasesByKey.get(principal.limitKey);
    if (held !== undefined && held.size >= limits.leases) {
      throw new ProximaError(
        ErrorCode.RESOURCE_EXHAUSTED,
        `lease limit: ${principal.limitKey} already holds ${held.size} leases (limit ${limits.leases})`,
      );
    }
    const granted = Math.max(ttlMs, limits.minTtlMs);
    const owner: LeaseOwner = { name: principal.name, limitKey: principal.limitKey };
    const id = this.store.grant(granted, () => this.forget(id, owner));
    this.owners.set(id, owner);
    let set = held;
    if (set === undefined) {
      set = new Set();
      this.leasesByKey.set(owner.limitKey, set);
    }
    set.add(id);
    return { id, ttlMs: granted };
  }

  /** The identity a live lease belongs to. */
  ownerOf(leaseId: string): string | undefined {
    return this.owners.get(leaseId)?.name;
  }

  /**
   * Renews one lease, and with it every instance registered under it. Returns the instances the
   * lease still holds, so a registrar notices one that was removed or taken over.
   */
  keepAlive(id: string, principal: Principal): HeldInstance[] {
    this.checkLease(id, principal);
    this.store.keepAlive(id);
    return [...(this.store.keysOf(id) ?? [])].map(splitKey);
  }

  /** Revokes a lease, deleting its instances in one revision. An unknown lease is LEASE_LOST. */
  revoke(id: string, principal: Principal): void {
    this.checkLease(id, principal);
    this.store.revoke(id);
  }

  register(leaseId: string, instance: Instance, principal: Principal, limits: Limits): Instance {
    const owner = this.checkLease(leaseId, principal);
    const holder = this.store.holderOf(instance.service, instance.id);
    if (holder !== undefined && holder !== leaseId) {
      const holding = this.owners.get(holder)?.name;
      if (holding !== undefined && holding !== owner.name) {
        throw new ProximaError(
          ErrorCode.ALREADY_EXISTS,
          `instance ${instance.service}/${instance.id} is registered by "${holding}"; ` +
            `"${owner.name}" may not replace it (choose another id, or wait until its lease ends)`,
        );
      }
    }
    const keys = this.store.keysOf(leaseId);
    if (keys !== undefined && keys.size >= limits.instancesPerLease && holder !== leaseId) {
      throw new ProximaError(
        ErrorCode.RESOURCE_EXHAUSTED,
        `instance limit: lease holds ${keys.size} instances (limit ${limits.instancesPerLease})`,
      );
    }
    return this.store.put(instance, leaseId);
  }

  update(service: string, id: string, leaseId: string, patch: InstancePatch, principal: Principal): Instance {
    this.checkLease(leaseId, principal);
    return this.store.patch(service, id, leaseId, patch);
  }

  /**
   * Removes an instance if `leaseId` still holds it. Idempotent for an instance that is gone or an
   * unknown lease; PERMISSION_DENIED when the lease or the instance belongs to another identity.
   */
  deregister(service: string, id: string, leaseId: string, principal: Principal): void {
    if (this.owners.has(leaseId)) this.checkLease(leaseId, principal);
    const holder = this.store.holderOf(service, id);
    const holding = holder === undefined ? undefined : this.owners.get(holder)?.name;
    if (holding !== undefined && holding !== principal.name && !principal.admin) {
      throw new ProximaError(
        ErrorCode.PERMISSION_DENIED,
        `instance ${service}/${id} is registered by "${holding}", not by "${principal.name}"`,
      );
    }
    this.store.remove(service, id, leaseId);
  }

  list(service: string): ServiceListing {
    const listing = this.store.list(service);
    return { ...listing, revision: listing.revision + this.revisionBase };
  }

  services(): string[] {
    return this.store.serviceNames();
  }

  /**
   * The changes of a service in batches of one revision each: first the replay from
   * `fromRevision` (server revisions) when this run can serve it exactly, else a `reset`; then live
   * changes. A resume naming another `incarnation` always starts with a `reset`. Ends when `signal`
   * aborts or the store closes.
   */
  async *watch(
    service: string,
    fromRevision: number | undefined,
    signal: AbortSignal,
    incarnation?: string,
  ): AsyncGenerator<readonly WatchEvent[]> {
    if (signal.aborted || this.store.closed) return;
    const queue = this.store.subscribe(service);
    const stop = (): void => this.store.unsubscribe(service, queue);
    signal.addEventListener('abort', stop, { once: true });
    try {
      const sameRun = incarnation === undefined || incarnation === this.incarnation;
      const inner = fromRevision === undefined || !sameRun ? undefined : fromRevision - this.revisionBase;
      const replay = inner !== undefined && inner >= 1 ? this.store.changesSince(service, inner) : undefined;
      let floor = this.store.revision;
      if (replay === undefined) {
        const listing = this.store.list(service);
        floor = listing.revision;
        const reset: WatchEvent = {
          type: 'reset',
          service,
          revision: listing.revision,
          instances: listing.instances,
        };
        yield [this.outward(reset)];
      } else {
        yield* this.groups(replay);
      }
      for (;;) {
        const first = await queue.next();
        if (first.done === true) return;
        const pending = [first.value];
        while (queue.size > 0) {
          const more = await queue.next();
          if (more.done === true) break;
          pending.push(more.value);
        }
        yield* this.groups(pending.filter((e) => e.revision > floor));
      }
    } finally {
      signal.removeEventListener('abort', stop);
      stop();
    }
  }

  /** Drops all history (tests; `POST /v1/admin/compact`). */
  compact(): void {
    this.store.compact();
  }

  close(): void {
    this.store.close();
  }

  private *groups(events: readonly WatchEvent[]): Generator<readonly WatchEvent[]> {
    let group: WatchEvent[] = [];
    let revision = -1;
    for (const event of events) {
      if (group.length > 0 && event.revision !== revision) {
        yield group;
        group = [];
      }
      revision = event.revision;
      group.push(this.outward(event));
    }
    if (group.length > 0) yield group;
  }

  private outward(event: WatchEvent): WatchEvent {
    return { ...event, revision: event.revision + this.revisionBase };
  }

  /** Throws LEASE_LOST for an unknown lease, PERMISSION_DENIED for another identity's lease. */
  private checkLease(id: string, principal: Principal): LeaseOwner {
    const owner = this.owners.get(id);
    if (owner === undefined)
      throw new ProximaError(ErrorCode.LEASE_LOST, `lease ${id} is unknown or expired`);
    if (owner.name !== principal.name && !principal.admin) {
      throw new ProximaError(
        ErrorCode.PERMISSION_DENIED,
        `lease ${id} belongs to "${owner.name}", not to "${principal.name}"`,
      );
    }
    return owner;
  }

  private forget(id: string, owner: LeaseOwner): void {
    this.owners.delete(id);
    const set = this.leasesByKey.get(owner.limitKey);
    set?.delete(id);
    if (set?.size === 0) this.leasesByKey.delete(owner.limitKey);
  }
}

function splitKey(key: string): HeldInstance {
  const slash = key.indexOf('/');
  return { service: key.slice(0, slash), id: key.slice(slash + 1) };
}
