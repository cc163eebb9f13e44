import type { Clock } from '../../core/clock.js';
import { ProximaError } from '../../core/errors.js';
import type { Instance, InstanceInput, InstancePatch } from '../../core/instance.js';
import type {
  CallOptions,
  Lease,
  LeaseOptions,
  Registration,
  RegisterOptions,
  Registry,
  ServiceListing,
  WatchEvent,
  WatchOptions,
} from '../../registry/registry.js';

/** One call the registrar made, and when (on the test's clock). */
export interface OutageCall {
  readonly op: 'grant' | 'register' | 'keepAlive' | 'revoke' | 'update' | 'deregister';
  readonly at: number;
}

/**
 * A real registry behind an outage switch, as the registrar sees it: while `down`, every write
 * (grant, register, keep-alive, update, deregister, revoke) fails with UNAVAILABLE before reaching
 * the registry, and the lease keeps running out underneath. Reads pass through, so a test can
 * look at the real state. Every write attempt is recorded with its time.
 */
export class OutageRegistry implements Registry {
  down = false;
  readonly calls: OutageCall[] = [];

  constructor(
    readonly inner: Registry,
    private readonly clock: Clock,
  ) {}

  get url(): string {
    return this.inner.url;
  }

  /** Attempts of one kind, e.g. every `grant` (one per registration attempt). */
  times(op: OutageCall['op']): number[] {
    return this.calls.filter((c) => c.op === op).map((c) => c.at);
  }

  /** Records a write and fails it while down. */
  pass(op: OutageCall['op']): void {
    this.calls.push({ op, at: this.clock.now() });
    if (this.down) throw new ProximaError('UNAVAILABLE', `registry unreachable (test outage) on ${op}`);
  }

  async grant(options: LeaseOptions): Promise<Lease> {
    this.pass('grant');
    return new OutageLease(this, await this.inner.grant(options));
  }

  async register(instance: InstanceInput, options: RegisterOptions = {}): Promise<Registration> {
    this.pass('register');
    const lease = options.lease instanceof OutageLease ? options.lease : undefined;
    const inner = await this.inner.register(
      instance,
      lease === undefined ? options : { ...options, lease: lease.inner },
    );
    return new OutageRegistration(this, inner, lease ?? new OutageLease(this, inner.lease));
  }

  list(service: string, options?: CallOptions): Promise<ServiceListing> {
    return this.inner.list(service, options);
  }

  watch(service: string, options?: WatchOptions): AsyncIterable<WatchEvent> {
    return this.inner.watch(service, options);
  }

  services(options?: CallOptions): Promise<string[]> {
    return this.inner.services(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

class OutageLease implements Lease {
  constructor(
    private readonly outage: OutageRegistry,
    readonly inner: Lease,
  ) {}

  get id(): string {
    return this.inner.id;
  }

  get ttlMs(): number {
    return this.inner.ttlMs;
  }

  get lost(): AbortSignal {
    return this.inner.lost;
  }

  get held(): ReadonlySet<string> | undefined {
    return this.inner.held;
  }

  async keepAlive(options?: CallOptions): Promise<void> {
    this.outage.pass('keepAlive');
    await this.inner.keepAlive(options);
  }

  async revoke(options?: CallOptions): Promise<void> {
    this.outage.pass('revoke');
    await this.inner.revoke(options);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.revoke();
  }
}

class OutageRegistration implements Registration {
  constructor(
    private readonly outage: OutageRegistry,
    private readonly inner: Registration,
    readonly lease: OutageLease,
  ) {}

  get instance(): Instance {
    return this.inner.instance;
  }

  get lost(): AbortSignal {
    return this.inner.lost;
  }

  keepAlive(options?: CallOptions): Promise<void> {
    return this.lease.keepAlive(options);
  }

  async update(patch: InstancePatch, options?: CallOptions): Promise<Instance> {
    this.outage.pass('update');
    return this.inner.update(patch, options);
  }

  async deregister(options?: CallOptions): Promise<void> {
    this.outage.pass('deregister');
    await this.inner.deregister(options);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.deregister();
  }
}
