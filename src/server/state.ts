import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { ErrorCode, ProximaError } from '../core/errors.js';
import type { Instance, InstancePatch } from '../core/instance.js';
import { MemoryStore } from '../backends/memory/store.js';
import type { ServiceListing, WatchEvent } from '../registry/registry.js';

/** What the server tells a client about a lease. */
export interface LeaseInfo {
  readonly id: string;
  readonly ttlMs: number;
}

export interface RegistryStateOptions {
  readonly clock: Clock;
  readonly historyLimit?: number;
}

/**
 * The server's registry: the memory backend's {@link MemoryStore} (instances, leases with their
 * expiry timers, history, watch hub) with the ids and revisions that travel over HTTP.
 *
 * Three things make a restarted server safe for old clients:
 * - lease ids carry a random tag of this run, so a keep-alive for a lease of the previous run gets
 *   LEASE_LOST instead of renewing another session's lease that happens to have the same number;
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
  private readonly tag = randomBytes(6).toString('base64url');
  /** This run of the server: 64 random bits in hex, carried in every watch message id. */
  readonly incarnation = randomBytes(8).toString('hex');

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

  grant(ttlMs: number): LeaseInfo {
    const inner = this.store.grant(ttlMs, () => undefined);
    return { id: `${this.tag}-${inner}`, ttlMs };
  }

  /** Renews one lease, and with it every instance registered under it. */
  keepAlive(id: string): void {
    this.store.keepAlive(this.inner(id));
  }

  /** Revokes a lease, deleting its instances in one revision. Unknown leases are fine. */
  revoke(id: string): void {
    const inner = this.innerOrUndefined(id);
    if (inner !== undefined) this.store.revoke(inner);
  }

  register(leaseId: string, instance: Instance): Instance {
    return this.store.put(instance, this.inner(leaseId));
  }

  update(service: string, id: string, leaseId: string, patch: InstancePatch): Instance {
    return this.store.patch(service, id, this.inner(leaseId), patch);
  }

  /** Removes an instance if `leaseId` still holds it. Idempotent. */
  deregister(service: string, id: string, leaseId: string): void {
    const inner = this.innerOrUndefined(leaseId);
    if (inner !== undefined) this.store.remove(service, id, inner);
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

  private inner(id: string): string {
    const inner = this.innerOrUndefined(id);
    if (inner === undefined)
      throw new ProximaError(ErrorCode.LEASE_LOST, `lease ${id} is unknown or expired`);
    return inner;
  }

  private innerOrUndefined(id: string): string | undefined {
    const prefix = `${this.tag}-`;
    return id.startsWith(prefix) ? id.slice(prefix.length) : undefined;
  }
}
