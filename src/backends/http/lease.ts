import { ErrorCode, isProximaError } from '../../core/errors.js';
import { LeaseBase } from '../../registry/lease-base.js';
import type { CallOptions } from '../../registry/registry.js';
import type { RegistryClient } from './client.js';
import { keepAliveReplySchema, parseReply } from './wire.js';

/**
 * A lease held on the registry server. `keepAlive()` is one request that renews every instance
 * registered under it, and its answer lists the instances the lease still holds ({@link held}); a 404 (the server expired it, or restarted and never knew it) aborts `lost`.
 */
export class HttpLease extends LeaseBase {
  constructor(
    private readonly client: RegistryClient,
    id: string,
    ttlMs: number,
  ) {
    super(id, ttlMs);
  }

  async keepAlive(options: CallOptions = {}): Promise<void> {
    this.throwIfLost();
    try {
      const reply = await this.client.json({
        method: 'POST',
        path: `${this.path}/keepalive`,
        signal: options.signal,
      });
      // Servers before issue 9 answer 204 (undefined): they cannot tell what the lease holds.
      if (reply !== undefined) {
        const { instances } = parseReply(keepAliveReplySchema(), reply, 'reply');
        this.held = new Set(instances.map((i) => `${i.service}/${i.id}`));
      }
    } catch (error) {
      throw this.noticeLoss(error);
    }
  }

  /** A lease the server no longer knows (404 LEASE_LOST) is fine: revoking is idempotent. */
  protected async revokeRemote(options: CallOptions): Promise<void> {
    try {
      await this.client.json({ method: 'DELETE', path: this.path, signal: options.signal });
    } catch (error) {
      if (!(isProximaError(error) && error.code === ErrorCode.LEASE_LOST)) throw error;
    }
  }

  private get path(): string {
    return `/v1/leases/${encodeURIComponent(this.id)}`;
  }
}
