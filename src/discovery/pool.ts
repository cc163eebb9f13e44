import type { Instance } from '../core/instance.js';
import type { WatchEvent } from '../registry/registry.js';
import { heldOnReset, holdsDeleteBurst, type SelfPreservation } from './self-preservation.js';
import type { ServiceSnapshot } from './snapshot.js';

/**
 * The state behind a service's snapshots, changed only by the pure functions below so that the
 * watch/reconnect machinery and the bookkeeping of self-preservation can be tested apart.
 */
export interface Pool {
  readonly service: string;
  readonly revision: number;
  /** All routable instances by id, confirmed and unconfirmed. */
  readonly instances: ReadonlyMap<string, Instance>;
  /** Unconfirmed ids and the monotonic time (Clock.now) at which their grace ends. */
  readonly unconfirmed: ReadonlyMap<string, number>;
  /**
   * Confirmed instances deleted without announcing it (not DRAINING) in the current burst, with
   * the time of each delete: self-preservation holds them when the burst removes most instances.
   */
  readonly vanished: ReadonlyMap<string, Vanished>;
}

/** An instance deleted unannounced, kept to be restored if its delete turns out to be part of a burst. */
export interface Vanished {
  readonly instance: Instance;
  readonly at: number;
}

export function emptyPool(service: string): Pool {
  return { service, revision: 0, instances: new Map(), unconfirmed: new Map(), vanished: new Map() };
}

/** Applies one watch event at monotonic time `now`. */
export function applyEvent(pool: Pool, event: WatchEvent, now: number, policy: SelfPreservation): Pool {
  switch (event.type) {
    case 'reset':
      return applyReset(pool, event.revision, event.instances, now, policy);
    case 'upsert': {
      const instances = new Map(pool.instances).set(event.instance.id, event.instance);
      return {
        ...pool,
        revision: event.revision,
        instances,
        unconfirmed: without(pool.unconfirmed, event.instance.id),
        vanished: without(pool.vanished, event.instance.id),
      };
    }
    case 'delete':
      return applyDelete(pool, event.revision, event.id, now, policy);
  }
}

/**
 * A delete of a confirmed instance that was not DRAINING is unannounced: a crash, or a lease the
 * registry revoked. One of them is routine; most of a service's instances within
 * `burstWindowMs` of each other is what a registry losing its leases looks like (a frozen etcd
 * leader resuming and revoking every lease that expired while it was stopped), so the burst is
 * held as unconfirmed exactly as a reset that dropped them would be.
 */
function applyDelete(pool: Pool, revision: number, id: string, now: number, policy: SelfPreservation): Pool {
  const instance = pool.instances.get(id);
  const announced = instance === undefined || instance.status === 'DRAINING' || pool.unconfirmed.has(id);
  const vanished = new Map<string, Vanished>();
  for (const [other, entry] of pool.vanished) {
    if (other !== id && now - entry.at <= policy.burstWindowMs) vanished.set(other, entry);
  }
  if (!announced) vanished.set(id, { instance, at: now });
  const instances = without(pool.instances, id);
  const unconfirmed = without(pool.unconfirmed, id);
  const remaining = instances.size - unconfirmed.size;
  if (announced || !holdsDeleteBurst(vanished.size, remaining, policy)) {
    return { ...pool, revision, instances, unconfirmed, vanished };
  }
  const heldInstances = new Map(instances);
  const heldUnconfirmed = new Map(unconfirmed);
  for (const [heldId, entry] of vanished) {
    heldInstances.set(heldId, entry.instance);
    // Held earlier in the same burst: keep that deadline (the rest of a burst must not extend it).
    if (!heldUnconfirmed.has(heldId)) heldUnconfirmed.set(heldId, now + policy.graceMs);
  }
  // The burst stays remembered for its window, so its later deletes are held too.
  return { ...pool, revision, instances: heldInstances, unconfirmed: heldUnconfirmed, vanished };
}

function applyReset(
  pool: Pool,
  revision: number,
  present: readonly Instance[],
  now: number,
  policy: SelfPreservation,
): Pool {
  const presentIds = new Set(present.map((i) => i.id));
  const confirmed = [...pool.instances.keys()].filter((id) => !pool.unconfirmed.has(id));
  const held = heldOnReset(confirmed, presentIds, policy);

  const unconfirmed = new Map<string, number>();
  // Already unconfirmed and still missing: keep the original deadline, a repeated reset must not
  // extend the grace forever.
  for (const [id, deadline] of pool.unconfirmed) if (!presentIds.has(id)) unconfirmed.set(id, deadline);
  for (const id of held) unconfirmed.set(id, now + policy.graceMs);

  const instances = new Map<string, Instance>();
  for (const instance of present) instances.set(instance.id, instance);
  for (const id of unconfirmed.keys()) {
    const kept = pool.instances.get(id);
    if (kept !== undefined) instances.set(id, kept);
  }
  return { service: pool.service, revision, instances, unconfirmed, vanished: new Map() };
}

/** Drops the unconfirmed instances whose grace ended at or before `now`. */
export function expireUnconfirmed(
  pool: Pool,
  now: number,
): { readonly pool: Pool; readonly expired: string[] } {
  const expired = [...pool.unconfirmed].filter(([, deadline]) => deadline <= now).map(([id]) => id);
  if (expired.length === 0) return { pool, expired };
  const instances = new Map(pool.instances);
  const unconfirmed = new Map(pool.unconfirmed);
  for (const id of expired) {
    instances.delete(id);
    unconfirmed.delete(id);
  }
  return { pool: { ...pool, instances, unconfirmed }, expired };
}

/** Drops `id` if it is unconfirmed (a confirmed instance is the health layer's business). */
export function dropUnconfirmed(pool: Pool, id: string): Pool | undefined {
  if (!pool.unconfirmed.has(id)) return undefined;
  return { ...pool, instances: without(pool.instances, id), unconfirmed: without(pool.unconfirmed, id) };
}

/** The earliest grace deadline, if any instance is unconfirmed. */
export function nextDeadline(pool: Pool): number | undefined {
  let earliest: number | undefined;
  for (const deadline of pool.unconfirmed.values()) {
    if (earliest === undefined || deadline < earliest) earliest = deadline;
  }
  return earliest;
}

/** The immutable public view of a pool. */
export function toSnapshot(pool: Pool, stale: boolean): ServiceSnapshot {
  return Object.freeze({
    service: pool.service,
    revision: pool.revision,
    instances: Object.freeze([...pool.instances.values()]),
    unconfirmed: new Set(pool.unconfirmed.keys()) as ReadonlySet<string>,
    stale,
  });
}

function without<V>(map: ReadonlyMap<string, V>, key: string): ReadonlyMap<string, V> {
  if (!map.has(key)) return map;
  const copy = new Map(map);
  copy.delete(key);
  return copy;
}
