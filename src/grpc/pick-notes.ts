import type { Metadata } from '@grpc/grpc-js';
import type { Endpoint } from '../balancer/picker.js';

/**
 * The metadata key that ties a call to its picks. Set by the tracing interceptor, read and removed
 * by the `proxima` picker from the metadata grpc-js is about to send, so it never reaches the wire
 * on a `proxima:///` channel.
 */
export const PICK_NOTE_KEY = 'proxima-pick-note';

/** Told which endpoint a call's pick chose (once per pick handed to grpc-js: retries pick again). */
export type PickListener = (endpoint: Endpoint) => void;

/**
 * How a client interceptor learns where Proxima's picker sent its call: grpc-js picks below the
 * interceptors (after name resolution, possibly queued), so the interceptor registers a listener
 * under a token it puts in the call's metadata and the picker calls it. One per resolver
 * registration; it holds one entry per call in flight, removed when the call ends.
 */
export class PickNotes {
  private readonly listeners = new Map<string, PickListener>();
  private next = 0;

  /** Calls in flight with a listener (for tests and `explain`-style checks). */
  get size(): number {
    return this.listeners.size;
  }

  /** Registers `listener` for the call whose metadata this is; returns the token to remove it by. */
  listen(metadata: Metadata, listener: PickListener): string {
    const token = String(++this.next);
    this.listeners.set(token, listener);
    metadata.set(PICK_NOTE_KEY, token);
    return token;
  }

  /** Forgets a call's listener (its call ended). */
  forget(token: string): void {
    this.listeners.delete(token);
  }

  /**
   * Removes the token from `metadata` (the copy grpc-js sends) and, for a completed pick, tells the
   * call's listener which endpoint was chosen.
   */
  take(metadata: Metadata, endpoint: Endpoint | undefined): void {
    const values = metadata.get(PICK_NOTE_KEY);
    if (values.length === 0) return;
    metadata.remove(PICK_NOTE_KEY);
    if (endpoint === undefined) return;
    const token = values[0];
    const listener = typeof token === 'string' ? this.listeners.get(token) : undefined;
    listener?.(endpoint);
  }
}
