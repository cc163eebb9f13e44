import { castGrpcError, type ILeaseKeepAliveResponse } from 'etcd3';
import { ErrorCode, isProximaError, ProximaError } from '../../core/errors.js';
import type { CallOptions, Lease } from '../../registry/registry.js';
import type { EtcdConnection } from './connection.js';

/**
 * One etcd lease: a registrar session. Every instance the session registers is a key attached to
 * it, so one keep-alive renews them all and one revoke (or expiry) deletes them all in a single
 * revision.
 *
 * Keep-alive is one request on demand ({@link keepAlive}), never the etcd3 client's background
 * loop: the registrar decides when to renew and what to do when renewal fails.
 */
export class EtcdLease implements Lease {
  readonly lost: AbortSignal;
  private readonly loser = new AbortController();
  private revoked = false;

  constructor(
    private readonly connection: EtcdConnection,
    readonly id: string,
    readonly ttlMs: number,
  ) {
    this.lost = this.loser.signal;
  }

  /** Renews the lease once; LEASE_LOST (and `lost` aborted) when etcd no longer knows it. */
  async keepAlive(options: CallOptions = {}): Promise<void> {
    this.throwIfLost();
    const what = `etcd keep-alive of lease ${this.id}`;
    let ttlSeconds: number;
    try {
      ttlSeconds = await this.connection.call(what, () => this.keepAliveOnce(), options.signal);
    } catch (error) {
      throw this.noticeLoss(error);
    }
    // etcd answers an unknown (expired, revoked) lease with TTL 0 rather than an error.
    if (ttlSeconds <= 0) throw this.markLost(`${what}: the lease expired or was revoked`);
  }

  /** Revokes the lease: its instances are deleted at once. Idempotent; a lease already gone is fine. */
  async revoke(options: CallOptions = {}): Promise<void> {
    if (this.revoked) return;
    try {
      await this.connection.call(
        `etcd revoke lease ${this.id}`,
        () => this.connection.client.leaseClient.leaseRevoke({ ID: this.id }),
        options.signal,
      );
    } catch (error) {
      if (!(isProximaError(error) && error.code === ErrorCode.LEASE_LOST)) throw error;
    }
    this.revoked = true;
    this.markLost(`etcd lease ${this.id} was revoked`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.revoke();
  }

  /** Throws the loss reason once the lease is known to be gone. */
  throwIfLost(): void {
    if (this.lost.aborted) throw this.lost.reason as ProximaError;
  }

  /** If `error` says the lease is gone, aborts `lost`; returns the error to throw. */
  noticeLoss(error: unknown): unknown {
    if (isProximaError(error) && error.code === ErrorCode.LEASE_LOST) {
      this.markLost(error.message, error);
      return this.lost.reason;
    }
    return error;
  }

  private markLost(message: string, cause?: unknown): ProximaError {
    if (!this.lost.aborted) {
      this.loser.abort(new ProximaError(ErrorCode.LEASE_LOST, message, cause === undefined ? {} : { cause }));
    }
    return this.lost.reason as ProximaError;
  }

  /** One LeaseKeepAlive exchange on a short-lived stream with a deadline; resolves with the TTL left. */
  private async keepAliveOnce(): Promise<number> {
    const stream = await this.connection.client.leaseClient.leaseKeepAlive({
      deadline: this.connection.attemptDeadline(),
    });
    try {
      const response = await new Promise<ILeaseKeepAliveResponse>((resolve, reject) => {
        stream.on('data', resolve);
        stream.on('error', (error: Error) => reject(castGrpcError(error)));
        stream.on('end', () =>
          reject(new ProximaError(ErrorCode.UNAVAILABLE, 'keep-alive stream ended without an answer')),
        );
        stream.write({ ID: this.id });
      });
      return Number(response.TTL);
    } finally {
      // Half-close first: the etcd3 client then does not count our own cancel as a member failure.
      stream.end();
      stream.cancel();
    }
  }
}
