import { ProximaError } from '../../core/errors.js';
import type { InstanceInput } from '../../core/instance.js';
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

/**
 * A real registry behind a switch, the in-process cousin of etcd3's pausing TCP proxy: `sever()`
 * makes the open watches throw UNAVAILABLE and every later `list`/`watch` fail until `heal()`.
 * Writes (`register`, `grant`) always go through, so a test can change the registry "while the
 * caller cannot see it".
 */
export class SeverableRegistry implements Registry {
  private cut = new AbortController();
  private down = false;

  constructor(private readonly inner: Registry) {}

  get url(): string {
    return this.inner.url;
  }

  /** The caller loses the registry. */
  sever(): void {
    this.down = true;
    this.cut.abort();
    this.cut = new AbortController();
  }

  /** The caller reaches the registry again. */
  heal(): void {
    this.down = false;
  }

  grant(options: LeaseOptions): Promise<Lease> {
    return this.inner.grant(options);
  }

  register(instance: InstanceInput, options?: RegisterOptions): Promise<Registration> {
    return this.inner.register(instance, options);
  }

  list(service: string, options?: CallOptions): Promise<ServiceListing> {
    if (this.down) return Promise.reject(unreachable());
    return this.inner.list(service, options);
  }

  services(options?: CallOptions): Promise<string[]> {
    if (this.down) return Promise.reject(unreachable());
    return this.inner.services(options);
  }

  watch(service: string, options: WatchOptions = {}): AsyncIterable<WatchEvent> {
    return this.severable(service, options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async *severable(service: string, options: WatchOptions): AsyncGenerator<WatchEvent> {
    if (this.down) throw unreachable();
    const cut = this.cut.signal;
    const signal = options.signal === undefined ? cut : AbortSignal.any([options.signal, cut]);
    yield* this.inner.watch(service, { ...options, signal });
    if (cut.aborted && !options.signal?.aborted) throw unreachable();
  }
}

function unreachable(): ProximaError {
  return new ProximaError('UNAVAILABLE', 'registry unreachable (severed by the test)');
}
