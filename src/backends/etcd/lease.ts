import { castGrpcError, type ILeaseKeepAliveResponse } from 'etcd3';
import { ErrorCode, isProximaError, ProximaError } from '../../core/errors.js';
import { LeaseBase } from '../../registry/lease-base.js';
import type { CallOptions } from '../../registry/registry.js';
import type { EtcdConnection } from './connection.js';
import type { KeyLayout } from './keys.js';

/**
 * One etcd lease: a registrar session. Every instance the session registers is a key attached to
 * it, so one keep-alive renews them all and one revoke (or expiry) deletes them all in a single
 * revision.
 *
 * Keep-alive is one request on demand ({@link keepAlive}), never the etcd3 client's background
 * loop: the registrar decides when to renew and what to do when renewal fails.
 */
export class EtcdLease extends LeaseBase {
  constructor(
    private readonly connection: EtcdConnection,
    id: string,
    ttlMs: number,
    private readonly keys?: KeyLayout,
  ) {
    super(id, ttlMs);
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
    if (this.keys !== undefined) await this.readHeld(this.keys, options);
  }

  /**
   * Asks etcd which keys are still attached to the lease (LeaseTimeToLive with keys), so a
   * registrar notices an instance key deleted or overwritten under another lease.
   */
  private async readHeld(layout: KeyLayout, options: CallOptions): Promise<void> {
    const response = await this.connection.call(
      `etcd lease keys of ${this.id}`,
      () => this.connection.client.leaseClient.leaseTimeToLive({ ID: this.id, keys: true }),
      options.signal,
    );
    const held = new Set<string>();
    for (const key of response.keys ?? []) {
      const parsed = layout.parse(Buffer.from(key));
      if (parsed !== undefined) held.add(`${parsed.service}/${parsed.id}`);
    }
    this.held = held;
  }

  /** A lease already gone is fine: revoking is idempotent. */
  protected async revokeRemote(options: CallOptions): Promise<void> {
    try {
      await this.connection.call(
        `etcd revoke lease ${this.id}`,
        () => this.connection.client.leaseClient.leaseRevoke({ ID: this.id }),
        options.signal,
      );
    } catch (error) {
      if (!(isProximaError(error) && error.code === ErrorCode.LEASE_LOST)) throw error;
    }
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
