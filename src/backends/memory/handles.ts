import { ProximaError, isProximaError } from '../../core/errors.js';
import type { Instance, InstancePatch } from '../../core/instance.js';
import { parsePatch } from '../../registry/inputs.js';
import type { CallOptions, Lease, Registration } from '../../registry/registry.js';
import type { MemoryStore } from './store.js';

/** Throws when the client is closed or the call's signal has aborted. */
export type Guard = (signal: AbortSignal | undefined) => void;

/** A lease of the memory backend. Its `lost` aborts as soon as the store drops it. */
export class MemoryLease implements Lease {
  private readonly controller = new AbortController();
  readonly lost: AbortSignal = this.controller.signal;

  constructor(
    readonly store: MemoryStore,
    readonly id: string,
    readonly ttlMs: number,
    private readonly guard: Guard,
  ) {}

  /** Called by the store (expiry, revocation) and by failed keep-alives. */
  markLost(reason: ProximaError): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  async keepAlive(options?: CallOptions): Promise<void> {
    this.guard(options?.signal);
    this.noteLoss(() => this.store.keepAlive(this.id));
  }

  async revoke(options?: CallOptions): Promise<void> {
    this.guard(options?.signal);
    this.store.revoke(this.id);
    this.markLost(new ProximaError('LEASE_LOST', `lease ${this.id} revoked`));
  }

  /** Runs a store call; a LEASE_LOST from it also aborts `lost`. */
  noteLoss<T>(call: () => T): T {
    try {
      return call();
    } catch (error) {
      if (isProximaError(error) && error.code === 'LEASE_LOST') this.markLost(error);
      throw error;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.revoke();
  }
}

/** One instance registered in the memory backend. */
export class MemoryRegistration implements Registration {
  constructor(
    private current: Instance,
    readonly lease: MemoryLease,
    private readonly ownsLease: boolean,
    private readonly guard: Guard,
  ) {}

  get instance(): Instance {
    return this.current;
  }

  get lost(): AbortSignal {
    return this.lease.lost;
  }

  keepAlive(options?: CallOptions): Promise<void> {
    return this.lease.keepAlive(options);
  }

  async update(patch: InstancePatch, options?: CallOptions): Promise<Instance> {
    this.guard(options?.signal);
    const valid = parsePatch(patch);
    const { service, id } = this.current;
    this.current = this.lease.noteLoss(() => this.lease.store.patch(service, id, this.lease.id, valid));
    return this.current;
  }

  async deregister(options?: CallOptions): Promise<void> {
    this.guard(options?.signal);
    this.lease.store.remove(this.current.service, this.current.id, this.lease.id);
    if (this.ownsLease) await this.lease.revoke(options);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.deregister();
  }
}
