import type { Clock, TimerHandle } from '../core/clock.js';
import { ProximaError } from '../core/errors.js';
import type { Instance } from '../core/instance.js';
import { servesTls, splitAddress } from '../core/instance.js';
import type { Random } from '../core/random.js';
import type { ClientInterceptor } from '../rpc/client/interceptor.js';
import { withInterceptors } from '../rpc/client/interceptor.js';
import { RpcConnection } from '../rpc/connection/rpc-connection.js';
import type { Transport } from '../transport/transport.js';
import type { ClientTlsOptions } from '../rpc/tls/options.js';
import type { ConnectionOptions } from './options.js';
import { RefusingTransport, tlsMismatch } from './tls-mismatch.js';

/** What the pool tells its service about its endpoints' connections. */
export interface ConnectionPoolHooks {
  /** A PING round trip on the endpoint's live connection. */
  onRtt(endpointId: string, ms: number): void;
  /** Connecting to the endpoint failed (its transport entered backoff). */
  onConnectFailed(endpointId: string): void;
}

interface Entry {
  readonly address: string;
  readonly tls: boolean;
  readonly connection: RpcConnection;
  readonly transport: Transport;
  readonly subscription: Disposable;
}

/**
 * One RPC connection per endpoint of a service, opened lazily on the first attempt to it. When an
 * endpoint leaves the snapshot its connection is retired: closed at once when idle, otherwise after
 * the calls it carries had a grace period to finish (an instance that deregistered has already
 * drained them; one that vanished has failed them).
 */
export class ConnectionPool implements AsyncDisposable {
  private readonly entries = new Map<string, Entry>();
  private readonly retiring = new Set<Promise<void>>();
  /** Retired entries still finishing their calls, by the timer that will close them. */
  private readonly draining = new Map<TimerHandle, Entry>();
  private closed = false;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly interceptors: readonly ClientInterceptor[],
    private readonly deps: {
      readonly clock: Clock;
      readonly random: Random;
      /** Validated TLS settings of the client; undefined for plaintext. */
      readonly tls?: ClientTlsOptions | undefined;
    },
    private readonly hooks: ConnectionPoolHooks,
  ) {}

  /** How many endpoints have a connection object (open or not). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The transport to `instance`, created on first use. When the instance's registration and the
   * client's TLS settings disagree, a transport that refuses every call with the reason.
   */
  get(instance: Instance): Transport {
    const entry = this.entries.get(instance.id);
    if (entry !== undefined && entry.address === instance.address && entry.tls === servesTls(instance))
      return entry.transport;
    const mismatch = tlsMismatch(instance, this.deps.tls);
    if (mismatch !== undefined) return new RefusingTransport(mismatch);
    return this.open(instance, entry);
  }

  /** Retires the connections of endpoints not in `instances` (or whose address changed). */
  retain(instances: readonly Instance[]): void {
    if (this.entries.size === 0) return;
    const addresses = new Map<string, string>();
    for (const i of instances) addresses.set(i.id, i.address);
    for (const [id, entry] of this.entries) {
      if (addresses.get(id) !== entry.address) {
        this.entries.delete(id);
        this.retire(entry);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.draining.keys()) this.deps.clock.clearTimeout(timer);
    const entries = [...this.entries.values(), ...this.draining.values()];
    this.entries.clear();
    this.draining.clear();
    await Promise.all([...entries.map((e) => this.shut(e)), ...this.retiring]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private open(instance: Instance, previous: Entry | undefined): Transport {
    if (this.closed) throw new ProximaError('UNAVAILABLE', 'client closed', { unprocessed: true });
    if (previous !== undefined) this.retire(previous);
    const target = splitAddress(instance.address);
    if (target === undefined) {
      // Instances are validated by the registry; keep the contract anyway.
      throw new ProximaError('INTERNAL', `instance ${instance.id}: bad address ${instance.address}`);
    }
    const id = instance.id;
    const o = this.options;
    const connection = new RpcConnection({
      host: target.host,
      port: target.port,
      clock: this.deps.clock,
      random: this.deps.random,
      onRtt: (ms) => this.hooks.onRtt(id, ms),
      ...(servesTls(instance) && this.deps.tls !== undefined ? { tls: this.deps.tls } : {}),
      ...(o.codec === undefined ? {} : { codec: o.codec }),
      ...(o.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: o.connectTimeoutMs }),
      ...(o.keepAlive === undefined ? {} : { keepAlive: o.keepAlive }),
      ...(o.maxFramesPerFlush === undefined ? {} : { maxFramesPerFlush: o.maxFramesPerFlush }),
      ...(o.maxFrameSize === undefined ? {} : { maxFrameSize: o.maxFrameSize }),
      ...(o.backoff === undefined ? {} : { backoff: o.backoff }),
      ...(o.limits === undefined ? {} : { limits: o.limits }),
    });
    const subscription = connection.stateChanged((state) => {
      if (state === 'backoff') this.hooks.onConnectFailed(id);
    });
    const transport =
      this.interceptors.length === 0 ? connection : withInterceptors(connection, this.interceptors);
    this.entries.set(id, {
      address: instance.address,
      tls: servesTls(instance),
      connection,
      transport,
      subscription,
    });
    return transport;
  }

  private retire(entry: Entry): void {
    if (entry.connection.inFlight === 0) {
      this.track(this.shut(entry));
      return;
    }
    const timer = this.deps.clock.setTimeout(() => {
      this.draining.delete(timer);
      this.track(this.shut(entry));
    }, this.options.retireGraceMs ?? 10_000);
    timer.unref?.();
    this.draining.set(timer, entry);
  }

  private track(closing: Promise<void>): void {
    this.retiring.add(closing);
    void closing.finally(() => this.retiring.delete(closing));
  }

  private async shut(entry: Entry): Promise<void> {
    entry.subscription[Symbol.dispose]();
    await entry.connection.close();
  }
}
