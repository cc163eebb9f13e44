import { LeaseBase } from '../../registry/lease-base.js';
import type { CallOptions } from '../../registry/registry.js';
import type { RegistryClient } from './client.js';

/**
 * A lease held on the registry server. `keepAlive()` is one request that renews every instance
 * registered under it; a 404 (the server expired it, or restarted and never knew it) aborts `lost`.
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
      await this.client.json({ method: 'POST', path: `${this.path}/keepalive`, signal: options.signal });
    } catch (error) {
      throw this.noticeLoss(error);
    }
  }

  protected async revokeRemote(options: CallOptions): Promise<void> {
    await this.client.json({ method: 'DELETE', path: this.path, signal: options.signal });
  }

  private get path(): string {
    return `/v1/leases/${encodeURIComponent(this.id)}`;
  }
}
