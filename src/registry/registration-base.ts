import { ErrorCode, ProximaError } from '../core/errors.js';
import type { Instance, InstancePatch } from '../core/instance.js';
import { parsePatch } from './inputs.js';
import type { LeaseBase } from './lease-base.js';
import type { CallOptions, Registration } from './registry.js';

/**
 * What every backend's {@link Registration} shares: the instance as last stored, delegation to the
 * lease, patch validation, LEASE_LOST noticed on the lease, and a `deregister` that is idempotent
 * and revokes a lease the registration owns. A backend supplies the two remote operations.
 */
export abstract class RegistrationBase<L extends LeaseBase> implements Registration {
  private removed = false;

  constructor(
    private current: Instance,
    readonly lease: L,
    private readonly ownsLease: boolean,
  ) {}

  /** Stores the patched instance; resolves with it as stored. */
  protected abstract patchRemote(patch: InstancePatch, options: CallOptions): Promise<Instance>;

  /** Removes this instance from the registry (only while it is still under this lease). */
  protected abstract removeRemote(options: CallOptions): Promise<void>;

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
    const valid = parsePatch(patch);
    if (this.removed) throw this.notFound();
    this.lease.throwIfLost();
    try {
      this.current = await this.patchRemote(valid, options);
    } catch (error) {
      throw this.lease.noticeLoss(error);
    }
    return this.current;
  }

  async deregister(options: CallOptions = {}): Promise<void> {
    if (this.removed) return;
    await this.removeRemote(options);
    if (this.ownsLease) await this.lease.revoke(options);
    this.removed = true;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.deregister();
  }

  /** NOT_FOUND: this instance is no longer registered under this registration's lease. */
  protected notFound(): ProximaError {
    const { service, id } = this.current;
    return new ProximaError(
      ErrorCode.NOT_FOUND,
      `instance ${service}/${id} is no longer registered under lease ${this.lease.id}`,
    );
  }
}
