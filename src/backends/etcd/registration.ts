import { CompareResult, CompareTarget } from 'etcd3';
import type { Instance, InstancePatch } from '../../core/instance.js';
import { RegistrationBase } from '../../registry/registration-base.js';
import type { CallOptions } from '../../registry/registry.js';
import type { EtcdConnection } from './connection.js';
import { encodeInstance, type KeyLayout } from './keys.js';
import type { EtcdLease } from './lease.js';

/**
 * One instance key attached to a lease. `update` and `deregister` touch the key only while it is
 * still attached to THIS lease (an etcd transaction comparing the key's lease), so a stale
 * registration never overwrites or deletes the same id registered again by someone else.
 */
export class EtcdRegistration extends RegistrationBase<EtcdLease> {
  constructor(
    private readonly connection: EtcdConnection,
    private readonly keys: KeyLayout,
    instance: Instance,
    lease: EtcdLease,
    ownsLease: boolean,
  ) {
    super(instance, lease, ownsLease);
  }

  protected async patchRemote(changes: InstancePatch, options: CallOptions): Promise<Instance> {
    const next: Instance = { ...this.instance };
    if (changes.status !== undefined) next.status = changes.status;
    if (changes.weight !== undefined) next.weight = changes.weight;
    if (changes.metadata !== undefined) next.metadata = changes.metadata;
    const key = this.key;
    const response = await this.connection.call(
      `etcd update ${key.toString()}`,
      () =>
        this.connection.client.kv.txn({
          compare: [this.ownedBy(key)],
          success: [{ request_put: { key, value: encodeInstance(next), lease: this.lease.id } }],
          failure: [],
        }),
      options.signal,
    );
    if (!response.succeeded) throw this.notFound();
    return next;
  }

  protected async removeRemote(options: CallOptions): Promise<void> {
    const key = this.key;
    await this.connection.call(
      `etcd deregister ${key.toString()}`,
      () =>
        this.connection.client.kv.txn({
          compare: [this.ownedBy(key)],
          success: [{ request_delete_range: { key } }],
          failure: [],
        }),
      options.signal,
    );
  }

  private get key(): Buffer {
    return Buffer.from(this.keys.instanceKey(this.instance.service, this.instance.id), 'utf8');
  }

  private ownedBy(key: Buffer): { key: Buffer; target: CompareTarget; result: CompareResult; lease: string } {
    return { key, target: CompareTarget.Lease, result: CompareResult.Equal, lease: this.lease.id };
  }
}
