import type { ProximaError } from '../../core/errors.js';
import type { Instance, InstancePatch } from '../../core/instance.js';
import { LeaseBase } from '../../registry/lease-base.js';
import { RegistrationBase } from '../../registry/registration-base.js';
import type { CallOptions } from '../../registry/registry.js';
import type { MemoryStore } from './store.js';

/** Throws when the client is closed or the call's signal has aborted. */
export type Guard = (signal: AbortSignal | undefined) => void;

/** A lease of the memory backend. Its `lost` aborts as soon as the store drops it. */
export class MemoryLease extends LeaseBase {
  constructor(
    readonly store: MemoryStore,
    id: string,
    ttlMs: number,
    private readonly guard: Guard,
  ) {
    super(id, ttlMs);
  }

  async keepAlive(options?: CallOptions): Promise<void> {
    this.guard(options?.signal);
    this.noteLoss(() => this.store.keepAlive(this.id));
    this.held = new Set(this.store.keysOf(this.id));
  }

  protected async revokeRemote(options: CallOptions): Promise<void> {
    this.guard(options.signal);
    this.store.revoke(this.id);
  }

  /** Runs a store call; a LEASE_LOST from it also aborts `lost`. */
  noteLoss<T>(call: () => T): T {
    try {
      return call();
    } catch (error) {
      throw this.noticeLoss(error) as ProximaError;
    }
  }
}

/** One instance registered in the memory backend. */
export class MemoryRegistration extends RegistrationBase<MemoryLease> {
  constructor(
    instance: Instance,
    lease: MemoryLease,
    ownsLease: boolean,
    private readonly guard: Guard,
  ) {
    super(instance, lease, ownsLease);
  }

  protected async patchRemote(patch: InstancePatch, options: CallOptions): Promise<Instance> {
    this.guard(options.signal);
    const { service, id } = this.instance;
    return this.lease.store.patch(service, id, this.lease.id, patch);
  }

  protected async removeRemote(options: CallOptions): Promise<void> {
    this.guard(options.signal);
    this.lease.store.remove(this.instance.service, this.instance.id, this.lease.id);
  }
}
