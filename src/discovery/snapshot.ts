import type { ProximaError } from '../core/errors.js';
import type { Instance } from '../core/instance.js';
import type { WatchEvent } from '../registry/registry.js';

/**
 * What a calling process knows about one service at one moment. Immutable: every change makes a
 * new snapshot, so a router can hold one while building its picker without copying.
 */
export interface ServiceSnapshot {
  readonly service: string;
  /** Registry revision of the last change applied (0 before any). */
  readonly revision: number;
  /**
   * Every instance the caller may route to, including the {@link unconfirmed} ones that
   * self-preservation keeps after a suspicious mass disappearance.
   */
  readonly instances: readonly Instance[];
  /** Ids of instances the registry stopped reporting but that are kept for a grace period. */
  readonly unconfirmed: ReadonlySet<string>;
  /** True while the watch is broken: this is the last good state, served until it reconnects. */
  readonly stale: boolean;
}

/** Why a snapshot changed. */
export type SnapshotCause =
  /** The registry reported a change. */
  | { readonly type: 'watch'; readonly event: WatchEvent }
  /** The watch broke; the snapshot is kept and marked stale while it reconnects. */
  | { readonly type: 'stale'; readonly error: ProximaError }
  /** The registry answers again; the watch resumes where it stopped. */
  | { readonly type: 'fresh' }
  /** The grace period of these unconfirmed instances ended: they are gone. */
  | { readonly type: 'expired'; readonly ids: readonly string[] }
  /** The routing layer reported this unconfirmed instance failed: it is gone early. */
  | { readonly type: 'failed'; readonly id: string };

/** A new snapshot and what made it. */
export interface SnapshotUpdate {
  readonly snapshot: ServiceSnapshot;
  readonly cause: SnapshotCause;
}
