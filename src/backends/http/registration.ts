import type { Instance, InstancePatch } from '../../core/instance.js';
import { instancePatchSchema } from '../../core/instance.js';
import { parseWith } from '../../core/validate.js';
import type { CallOptions, Registration } from '../../registry/registry.js';
import type { RegistryClient } from './client.js';
import type { HttpLease } from './lease.js';
import { instanceReplySchema, parseReply } from './wire.js';

/** One instance registered on the server; deregistering revokes the lease too when it was its own. */
export class HttpRegistration implements Registration {
  private current: Instance;
  private removed = false;

  constructor(
    private readonly client: RegistryClient,
    instance: Instance,
    readonly lease: HttpLease,
    private readonly ownsLease: boolean,
  ) {
    this.current = instance;
  }

  get instance(): Instance {
    return this.current;
  }

  get lost(): AbortSignal {
    return this.lease.lost;
  }

  keepAlive(options?: CallOptions): Promise<void> {
    return this.lease.keepAlive(options);
  }

  async update(patch: InstancePatch, options: CallOptions = {}): Promise<Instance> {
    const body = parseWith(instancePatchSchema, patch, 'patch');
    try {
      const reply = await this.client.json({
        method: 'PATCH',
        path: this.path,
        body: { lease: this.lease.id, patch: body },
        signal: options.signal,
      });
      this.current = parseReply(instanceReplySchema, reply, 'reply').instance;
      return this.current;
    } catch (error) {
      throw this.lease.noteLoss(error);
    }
  }

  async deregister(options: CallOptions = {}): Promise<void> {
    if (this.removed) return;
    const path = `${this.path}?lease=${encodeURIComponent(this.lease.id)}`;
    await this.client.json({ method: 'DELETE', path, signal: options.signal });
    if (this.ownsLease) await this.lease.revoke(options);
    this.removed = true;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.deregister();
  }

  private get path(): string {
    const { service, id } = this.current;
    return `/v1/services/${encodeURIComponent(service)}/instances/${encodeURIComponent(id)}`;
  }
}
