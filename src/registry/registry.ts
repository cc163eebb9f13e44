import type { ProximaError } from '../core/errors.js';
import type { Instance, InstanceInput, InstancePatch } from '../core/instance.js';

/**
 * The registry contract. Every backend (`memory:`, `http://…`, `etcd://…`) implements it and passes
 * the one contract suite in `registry.contract.ts`.
 *
 * Backends are mechanism: a {@link Lease} is kept alive only when someone calls `keepAlive()`.
 * The registrar (`src/registrar/`) is the policy that calls it every TTL/3 and re-registers
 * when the lease is lost.
 */
export interface Registry extends AsyncDisposable {
  /** A human-readable name of the backend and its target, e.g. `http://127.0.0.1:7070`. */
  readonly url: string;

  /**
   * Grants a lease: a registrar session. All instances registered under it share one TTL and one
   * keep-alive, and vanish together when it expires or is revoked.
   */
  grant(options: LeaseOptions): Promise<Lease>;

  /**
   * Registers one instance. Without `options.lease` a lease of its own is granted with
   * `options.ttlMs` (default {@link DEFAULT_TTL_MS}); that lease is revoked on `deregister()`.
   * Re-registering an existing `service/id` replaces it.
   */
  register(instance: InstanceInput, options?: RegisterOptions): Promise<Registration>;

  /** The current instances of a service and the revision they were read at. */
  list(service: string, options?: CallOptions): Promise<ServiceListing>;

  /**
   * The changes of a service, as an async iterable that ends only when `options.signal` aborts or
   * the consumer stops iterating (`break`/`return`). Backends reconnect by themselves and resume at
   * the last delivered revision + 1; when that is impossible they emit `reset`.
   *
   * - Without `fromRevision`, the first event is a `reset` with the full current set.
   * - With `fromRevision`, events with `revision >= fromRevision` are replayed first when the
   *   backend still has them, otherwise the first event is a `reset`.
   */
  watch(service: string, options?: WatchOptions): AsyncIterable<WatchEvent>;

  /** Names of all services that have at least one instance. */
  services(options?: CallOptions): Promise<string[]>;

  /** Closes connections and stops watches. Leases are left to expire (or revoked by their owners). */
  close(): Promise<void>;
}

export const DEFAULT_TTL_MS = 10_000;

export interface CallOptions {
  readonly signal?: AbortSignal;
}

export interface LeaseOptions extends CallOptions {
  /** Time to live in milliseconds. Backends may round up (etcd: whole seconds, at least its minimum). */
  readonly ttlMs: number;
}

export interface RegisterOptions extends CallOptions {
  readonly lease?: Lease;
  readonly ttlMs?: number;
}

export interface WatchOptions extends CallOptions {
  readonly fromRevision?: number;
  /**
   * Told when a backend that reconnects by itself loses its stream (`connected: false`, once per
   * outage) and when a new stream is up again (`connected: true`). The iterator itself does not
   * throw for such outages, so this is how a consumer marks its view stale. Must not throw.
   */
  readonly onConnectivity?: (state: WatchConnectivity) => void;
}

export type WatchConnectivity =
  { readonly connected: true } | { readonly connected: false; readonly error: ProximaError };

/** A registrar session. Keep it alive, or it expires and takes its instances with it. */
export interface Lease extends AsyncDisposable {
  /** Opaque backend id (etcd lease id as a decimal string, a server session id, …). */
  readonly id: string;
  /** The TTL the backend granted, in milliseconds. */
  readonly ttlMs: number;
  /**
   * Aborted once the lease is known to be gone: a keep-alive found it expired or unknown, it was
   * revoked, or the backend learned of it otherwise. Its `reason` is a ProximaError LEASE_LOST.
   */
  readonly lost: AbortSignal;
  /**
   * The instances (`service/id`) the registry said this lease holds at its last keep-alive, or
   * undefined before the first one or when the backend cannot tell. A registrar compares it with
   * what it registered, so an instance removed or taken over by someone else is noticed within one
   * keep-alive period instead of staying gone while the lease is happily renewed.
   */
  readonly held?: ReadonlySet<string> | undefined;
  /**
   * Renews the lease for another TTL (one request for all its instances). Rejects with LEASE_LOST
   * (and aborts `lost`) when the registry no longer knows it; with UNAVAILABLE when unreachable.
   */
  keepAlive(options?: CallOptions): Promise<void>;
  /** Revokes the lease: all its instances are removed at once. Idempotent. */
  revoke(options?: CallOptions): Promise<void>;
}

/** One registered instance. */
export interface Registration extends AsyncDisposable {
  /** The instance as stored (defaults filled, latest update applied). */
  readonly instance: Instance;
  readonly lease: Lease;
  /** Same as `lease.lost`. */
  readonly lost: AbortSignal;
  /** Same as `lease.keepAlive()`. */
  keepAlive(options?: CallOptions): Promise<void>;
  /** Changes status, weight or metadata in place (e.g. `{ status: 'DRAINING' }`). */
  update(patch: InstancePatch, options?: CallOptions): Promise<Instance>;
  /** Removes the instance now; revokes the lease too when the lease was its own. Idempotent. */
  deregister(options?: CallOptions): Promise<void>;
}

export interface ServiceListing {
  readonly service: string;
  readonly revision: number;
  readonly instances: readonly Instance[];
}

/**
 * A change to one service. Revisions increase over the whole registry (not per service); several
 * events may share a revision (a revoked lease deletes all its instances at once), and such events
 * are always delivered together, so resuming at `revision + 1` never loses half of one.
 */
export type WatchEvent =
  | {
      readonly type: 'reset';
      readonly service: string;
      readonly revision: number;
      readonly instances: readonly Instance[];
    }
  | {
      readonly type: 'upsert';
      readonly service: string;
      readonly revision: number;
      readonly instance: Instance;
    }
  | { readonly type: 'delete'; readonly service: string; readonly revision: number; readonly id: string };
