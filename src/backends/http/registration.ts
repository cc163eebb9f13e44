import type { Instance, InstancePatch } from '../../core/instance.js';
import { RegistrationBase } from '../../registry/registration-base.js';
import type { CallOptions } from '../../registry/registry.js';
import type { RegistryClient } from './client.js';
import type { HttpLease } from './lease.js';
import { instanceReplySchema, parseReply } from './wire.js';

/**
 * One instance registered on the server. Update and delete name the lease, so the server refuses
 * them once the same id is registered again under another session.
 */
export class HttpRegistration extends RegistrationBase<HttpLease> {
  constructor(
    private readonly client: RegistryClient,
    instance: Instance,
    lease: HttpLease,
    ownsLease: boolean,
  ) {
    super(instance, lease, ownsLease);
  }

  protected async patchRemote(patch: InstancePatch, options: CallOptions): Promise<Instance> {
    const reply = await this.client.json({
      method: 'PATCH',
      path: this.path,
      body: { lease: this.lease.id, patch },
      signal: options.signal,
    });
    return parseReply(instanceReplySchema(), reply, 'reply').instance;
  }

  protected async removeRemote(options: CallOptions): Promise<void> {
    const path = `${this.path}?lease=${encodeURIComponent(this.lease.id)}`;
    await this.client.json({ method: 'DELETE', path, signal: options.signal });
  }

  private get path(): string {
    const { service, id } = this.instance;
    return `/v1/services/${encodeURIComponent(service)}/instances/${encodeURIComponent(id)}`;
  }
}
