import { systemClock, type Clock } from '../../core/clock.js';
import { invalidArgument } from '../../core/errors.js';
import { parseInstance, serviceNameSchema, type InstanceInput } from '../../core/instance.js';
import { systemRandom, type Random } from '../../core/random.js';
import { tlsMaterialFromEnv, type TlsMaterial } from '../../core/tls-files.js';
import { parseWith } from '../../core/validate.js';
import {
  DEFAULT_TTL_MS,
  type CallOptions,
  type Lease,
  type LeaseOptions,
  type Registration,
  type RegisterOptions,
  type Registry,
  type ServiceListing,
  type WatchEvent,
  type WatchOptions,
} from '../../registry/registry.js';
import type { BackoffOptions } from './backoff.js';
import { RegistryClient } from './client.js';
import { HttpLease } from './lease.js';
import { HttpRegistration } from './registration.js';
import { watchOverSse } from './watch.js';
import {
  instanceReplySchema,
  leaseReplySchema,
  listingReplySchema,
  parseReply,
  servicesReplySchema,
} from './wire.js';

export interface HttpRegistryOptions {
  /** The server, `http://host:port` (or `https://`). */
  readonly url: string;
  readonly clock?: Clock;
  /** Draws reconnect jitter. */
  readonly random?: Random;
  /** Timeout of each request (not of watch streams). Default 5 s. */
  readonly requestTimeoutMs?: number;
  /** Reconnect backoff of watches. */
  readonly backoff?: BackoffOptions;
  /** Silence after which a watch stream is presumed dead. Default: 3 server heartbeats. */
  readonly watchIdleTimeoutMs?: number;
  /** Extra headers on every request. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Bearer token sent as `Authorization: Bearer <token>` on every request. Default
   * `PROXIMA_TOKEN`. Never logged, never in an error message.
   */
  readonly token?: string;
  /**
   * For `https://` URLs: the CA to trust (else the system's) and a client certificate and key
   * (mTLS). Default: the PEM files named by `PROXIMA_TLS_CA`, `PROXIMA_TLS_CERT`, `PROXIMA_TLS_KEY`.
   */
  readonly tls?: TlsMaterial;
  /** Where `PROXIMA_TOKEN` and `PROXIMA_TLS_*` are read. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The `http://host:port` backend: a client of the Proxima registry server
 * (`docs/registry-api.md`). Requests time out and fail as UNAVAILABLE when the server is down;
 * watches reconnect by themselves and resume by revision.
 *
 * @example
 * ```ts
 * await using registry = new HttpRegistry({ url: 'http://127.0.0.1:7070' });
 * const reg = await registry.register({ service: 'users', id: 'u1', address: '127.0.0.1:9000' });
 * for await (const event of registry.watch('users')) console.log(event.type, event.revision);
 * ```
 */
export class HttpRegistry implements Registry {
  readonly url: string;
  private readonly client: RegistryClient;
  private readonly clock: Clock;
  private readonly random: Random;

  constructor(private readonly options: HttpRegistryOptions) {
    const parsed = new URL(options.url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw invalidArgument('url', `expected http://host:port, got ${options.url}`);
    }
    this.url = parsed.origin;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    const env = options.env ?? process.env;
    const token = options.token ?? nonEmpty(env.PROXIMA_TOKEN);
    if (token !== undefined && !/^[\x21-\x7e]+$/.test(token)) {
      throw invalidArgument(
        options.token === undefined ? 'PROXIMA_TOKEN' : 'token',
        'expected printable characters without spaces',
      );
    }
    const tls = parsed.protocol === 'https:' ? (options.tls ?? tlsMaterialFromEnv(env)) : undefined;
    this.client = new RegistryClient({
      baseUrl: this.url,
      clock: this.clock,
      timeoutMs: options.requestTimeoutMs ?? 5_000,
      headers: { ...options.headers, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      ...(tls === undefined ? {} : { tls }),
    });
  }

  async grant(options: LeaseOptions): Promise<Lease> {
    return this.grantLease(options.ttlMs, options.signal);
  }

  async register(input: InstanceInput, options: RegisterOptions = {}): Promise<Registration> {
    const instance = parseInstance(input);
    const given = options.lease;
    if (given?.lost.aborted) throw given.lost.reason;
    const lease = given ?? (await this.grantLease(options.ttlMs ?? DEFAULT_TTL_MS, options.signal));
    try {
      const reply = await this.client.json({
        method: 'POST',
        path: '/v1/instances',
        body: { lease: lease.id, instance },
        signal: options.signal,
      });
      const stored = parseReply(instanceReplySchema(), reply, 'reply').instance;
      const httpLease =
        lease instanceof HttpLease ? lease : new HttpLease(this.client, lease.id, lease.ttlMs);
      return new HttpRegistration(this.client, stored, httpLease, given === undefined);
    } catch (error) {
      if (given === undefined) await lease.revoke().catch(() => undefined);
      throw lease instanceof HttpLease ? lease.noticeLoss(error) : error;
    }
  }

  async list(service: string, options: CallOptions = {}): Promise<ServiceListing> {
    const name = parseWith(serviceNameSchema(), service, 'service');
    const reply = await this.client.json({
      method: 'GET',
      path: `/v1/services/${encodeURIComponent(name)}`,
      signal: options.signal,
    });
    return parseReply(listingReplySchema(), reply, 'reply');
  }

  async services(options: CallOptions = {}): Promise<string[]> {
    const reply = await this.client.json({ method: 'GET', path: '/v1/services', signal: options.signal });
    return parseReply(servicesReplySchema(), reply, 'reply').services;
  }

  watch(service: string, options: WatchOptions = {}): AsyncIterable<WatchEvent> {
    const name = parseWith(serviceNameSchema(), service, 'service');
    const { fromRevision } = options;
    if (fromRevision !== undefined && !(Number.isInteger(fromRevision) && fromRevision >= 0)) {
      throw invalidArgument('fromRevision', `expected a non-negative integer, got ${fromRevision}`);
    }
    const signal = AbortSignal.any([this.client.closed, ...(options.signal ? [options.signal] : [])]);
    return watchOverSse(name, fromRevision, signal, {
      client: this.client,
      clock: this.clock,
      random: this.random,
      backoff: this.options.backoff ?? {},
      ...(options.onConnectivity === undefined ? {} : { onConnectivity: options.onConnectivity }),
      ...(this.options.watchIdleTimeoutMs === undefined
        ? {}
        : { idleTimeoutMs: this.options.watchIdleTimeoutMs }),
    });
  }

  close(): Promise<void> {
    return this.client.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async grantLease(ttlMs: number, signal: AbortSignal | undefined): Promise<HttpLease> {
    if (!(Number.isFinite(ttlMs) && ttlMs >= 1)) {
      throw invalidArgument('ttlMs', `expected a positive number of milliseconds, got ${ttlMs}`);
    }
    const reply = await this.client.json({
      method: 'POST',
      path: '/v1/leases',
      body: { ttlMs: Math.ceil(ttlMs) },
      signal,
    });
    const granted = parseReply(leaseReplySchema(), reply, 'reply');
    return new HttpLease(this.client, granted.id, granted.ttlMs);
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}
