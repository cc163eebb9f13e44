import { ErrorCode, isProximaError, ProximaError } from '../core/errors.js';
import type { CallOptions, Lease } from './registry.js';

/**
 * What every backend's {@link Lease} shares: the `lost` signal (aborted once, with a LEASE_LOST
 * reason), recognising a LEASE_LOST answer from any call, and an idempotent `revoke`. A backend
 * supplies only the two remote operations.
 */
export abstract class LeaseBase implements Lease {
  private readonly loser = new AbortController();
  readonly lost: AbortSignal = this.loser.signal;
  private revoked = false;
  /** Set by a backend's `keepAlive` when the registry reports the lease's instances. */
  held: ReadonlySet<string> | undefined = undefined;

  constructor(
    readonly id: string,
    readonly ttlMs: number,
  ) {}

  abstract keepAlive(options?: CallOptions): Promise<void>;

  /** Ends the lease on the registry (its instances go with it). Called at most once. */
  protected abstract revokeRemote(options: CallOptions): Promise<void>;

  /** Revokes the lease: all its instances are removed at once. Idempotent. */
  async revoke(options: CallOptions = {}): Promise<void> {
    if (this.revoked) return;
    await this.revokeRemote(options);
    this.revoked = true;
    this.markLost(`lease ${this.id} was revoked`);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.revoke();
  }

  /** Throws the loss reason once the lease is known to be gone. */
  throwIfLost(): void {
    if (this.lost.aborted) throw this.lost.reason as ProximaError;
  }

  /** If `error` says the lease is gone, aborts `lost`; returns the error to throw. */
  noticeLoss(error: unknown): unknown {
    if (isProximaError(error) && error.code === ErrorCode.LEASE_LOST) return this.markLost(error);
    return error;
  }

  /** Aborts `lost` (once) and returns its reason. A string becomes a LEASE_LOST error. */
  markLost(reason: string | ProximaError, cause?: unknown): ProximaError {
    if (!this.lost.aborted) {
      const error =
        typeof reason === 'string'
          ? new ProximaError(ErrorCode.LEASE_LOST, reason, cause === undefined ? {} : { cause })
          : reason;
      this.loser.abort(error);
    }
    return this.lost.reason as ProximaError;
  }
}
