import { CompareResult, CompareTarget } from 'etcd3';
import { ErrorCode, ProximaError } from '../../core/errors.js';
import type { Instance, InstancePatch } from '../../core/instance.js';
import { parsePatch } from '../../registry/inputs.js';
import type { CallOptions, Registration } from '../../registry/registry.js';
import type { EtcdConnection } from './connection.js';
import { encodeInstance, type KeyLayout } from './keys.js';
import type { EtcdLease } from './lease.js';

/**
 * One instance key attached to a lease. `update` and `deregister` touch the key only while it is
 * still attached to THIS lease (an etcd transaction comparing the key's lease), so a stale
 * registration never overwrites or deletes the same id registered again by someone else.
 */
export class EtcdRegistration implements Registration {
  private current: Instance;
  private removed = false;

  constructor(
    private readonly connection: EtcdConnection,
    private readonly keys: KeyLayout,
    instance: Instance,
    readonly lease: EtcdLease,
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
    const changes = parsePatch(patch);
    if (this.removed) throw this.notFound();
    this.lease.throwIfLost();
    const next: Instance = { ...this.current };
    if (changes.status !== undefined) next.status = changes.status;
    if (changes.weight !== undefined) next.weight = changes.weight;
    if (changes.metadata !== undefined) next.metadata = changes.metadata;
    const key = this.key;
    const response = await this.connection
      .call(
        `etcd update ${key.toString()}`,
        () =>
          this.connection.client.kv.txn({
            compare: [this.ownedBy(key)],
            success: [{ request_put: { key, value: encodeInstance(next), lease: this.lease.id } }],
            failure: [],
          }),
        options.signal,
      )
      .catch((error: unknown) => {
        throw this.lease.noticeLoss(error);
      });
    if (!response.succeeded) throw this.notFound();
    this.current = next;
    return next;
  }

  async deregister(options: CallOptions = {}): Promise<void> {
    if (this.removed) return;
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
    if (this.ownsLease) await this.lease.revoke(options);
    this.removed = true;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.deregister();
  }

  private get key(): Buffer {
    return Buffer.from(this.keys.instanceKey(this.current.service, this.current.id), 'utf8');
  }

  private ownedBy(key: Buffer): { key: Buffer; target: CompareTarget; result: CompareResult; lease: string } {
    return { key, target: CompareTarget.Lease, result: CompareResult.Equal, lease: this.lease.id };
  }

  private notFound(): ProximaError {
    const { service, id } = this.current;
    return new ProximaError(
      ErrorCode.NOT_FOUND,
      `instance ${service}/${id} is no longer registered under lease ${this.lease.id}`,
    );
  }
}
