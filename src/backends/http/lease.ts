import { ErrorCode, isProximaError, ProximaError } from '../../core/errors.js';
import type { CallOptions, Lease } from '../../registry/registry.js';
import type { RegistryClient } from './client.js';

/**
 * A lease held on the registry server. `keepAlive()` is one request that renews every instance
 * registered under it; a 404 (the server expired it, or restarted and never knew it) aborts `lost`.
 */
export class HttpLease implements Lease {
  private readonly lostController = new AbortController();
  private revoked = false;

  constructor(
    private readonly client: RegistryClient,
    readonly id: string,
    readonly ttlMs: number,
  ) {}

  get lost(): AbortSignal {
    return this.lostController.signal;
  }

  async keepAlive(options: CallOptions = {}): Promise<void> {
    if (this.lost.aborted) throw this.lost.reason;
    try {
      await this.client.json({ method: 'POST', path: `${this.path}/keepalive`, signal: options.signal });
    } catch (error) {
      throw this.noteLoss(error);
    }
  }

  async revoke(options: CallOptions = {}): Promise<void> {
    if (this.revoked) return;
    await this.client.json({ method: 'DELETE', path: this.path, signal: options.signal });
    this.revoked = true;
    this.markLost(`lease ${this.id} was revoked`);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.revoke();
  }

  /** Aborts `lost` if `error` says the lease is gone; returns the error for rethrowing. */
  noteLoss(error: unknown): unknown {
    if (isProximaError(error) && error.code === ErrorCode.LEASE_LOST) {
      this.markLost(error.message, error);
      return this.lost.reason;
    }
    return error;
  }

  private markLost(message: string, cause?: unknown): void {
    if (this.lost.aborted) return;
    this.lostController.abort(
      new ProximaError(ErrorCode.LEASE_LOST, message, cause === undefined ? {} : { cause }),
    );
  }

  private get path(): string {
    return `/v1/leases/${encodeURIComponent(this.id)}`;
  }
}
