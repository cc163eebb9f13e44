import type { ProximaError } from '../core/errors.js';
import type { Instance } from '../core/instance.js';

/** What was registered, under which lease. */
export interface RegisteredEvent {
  readonly instances: readonly Instance[];
  readonly leaseId: string;
  readonly ttlMs: number;
}

/** Something failed; the registrar carries on (retrying, or keeping the lease alive). */
export interface RegistrarErrorEvent {
  readonly phase: 'register' | 'keep-alive' | 'restore' | 'update' | 'drain';
  readonly error: ProximaError;
  /** Register phase: failed attempts in a row so far. */
  readonly attempt?: number;
  /** Register phase: how long until the next attempt (backoff, or the breaker's open time). */
  readonly retryInMs?: number;
}

/** Where a registrar is in its life. */
export type RegistrarState = 'registering' | 'registered' | 'draining' | 'closed';

/** The agent-side check flipped the instances' status. */
export interface HealthChangedEvent {
  /** `failing` after the misses that mark the instances DOWN, `passing` after the passes that mark them UP. */
  readonly health: 'passing' | 'failing';
  /** The last miss's reason, when failing. */
  readonly reason: string | undefined;
}

/**
 * An instance the lease stopped holding (deregistered or taken over by someone else), found by a
 * keep-alive. `restored` tells whether registering it again worked; when the registry refused
 * (`error`: ALREADY_EXISTS — another identity holds the id —, PERMISSION_DENIED…) the instance
 * stays unregistered until the next keep-alive tries again, and the registrar says so loudly.
 */
export type InstanceLossEvent =
  | { readonly instance: Instance; readonly restored: true }
  | { readonly instance: Instance; readonly restored: false; readonly error: ProximaError };
