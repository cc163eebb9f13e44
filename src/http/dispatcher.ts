import { lazySchema } from '../core/zod.js';
import { Dispatcher, type Pool } from 'undici';
import { invalidArgument, ProximaError, toProximaError } from '../core/errors.js';
import type { Locality } from '../core/locality.js';
import { serviceNameSchema } from '../core/instance.js';
import type { Discoverer } from '../discovery/discoverer.js';
import type { RoutingTable } from '../routing/explain.js';
import { EndpointPools, type EndpointPoolOptions } from './endpoint-pools.js';
import { toResponseHandler } from './response-handler.js';
import { httpRetryOptionsSchema, RetryRules, type HttpRetryOptions } from './retry-rules.js';
import { type RequestScope, RoutedRequest } from './routed-request.js';
import { RoutingSource, type RoutesLease, type RoutingSourceOptions } from './routing-source.js';

/** Options of {@link createProximaDispatcher}. */
export interface ProximaDispatcherOptions extends RoutingSourceOptions {
  /**
   * Moving a failed request to another endpoint (undici RetryHandler's rules: idempotent methods,
   * connection errors, before any response; refused connections for every method). `false`: never.
   */
  readonly retry?: HttpRetryOptions | false;
  /** How long the first request to a service waits for its first discovery snapshot (default 5 s). */
  readonly readyTimeoutMs?: number;
  /** Options of each per-endpoint undici `Pool` (connections, keepAliveTimeout, headersTimeout …). */
  readonly pool?: EndpointPoolOptions;
}

const extraShape = lazySchema((z) => ({
  retry: z.union([z.literal(false), httpRetryOptionsSchema()]).optional(),
  readyTimeoutMs: z.number().positive().optional(),
  pool: z.custom<object>((v) => typeof v === 'object' && v !== null, 'expected an object').optional(),
}));

/** What the dispatcher keeps per service: its routes and one pool per endpoint. */
interface ServiceEntry {
  readonly lease: RoutesLease;
  readonly pools: EndpointPools;
  readonly retained: Disposable;
  readonly scope: RequestScope;
}

/**
 * An undici `Dispatcher` whose URLs name services: in `http://users/profile/42`, `users` is
 * resolved through Proxima's discovery (instances registered with protocol `http`) and each
 * request goes to the endpoint the router picks (nearest healthy tier, then peak-EWMA), through a
 * per-endpoint `Pool`. Outcomes feed the endpoint statistics; refused connections and connection
 * errors of idempotent requests move to another endpoint. The port of the URL is ignored (the
 * instance's address says it), and URL parsing lower-cases the host, so name services in
 * lower case.
 */
export class ProximaDispatcher extends Dispatcher {
  private readonly services = new Map<string, ServiceEntry>();
  private readonly rules: RetryRules;
  private readonly closed = new AbortController();
  private closing: Promise<void> | undefined;

  /** Use {@link createProximaDispatcher}. */
  constructor(
    private readonly source: RoutingSource,
    private readonly options: ProximaDispatcherOptions,
  ) {
    super();
    this.rules = new RetryRules(
      options.retry === false ? false : httpRetryOptionsSchema().parse(options.retry ?? {}),
    );
  }

  /** Where this caller runs: routing prefers instances near it. */
  get locality(): Locality {
    return this.source.locality;
  }

  get discoverer(): Discoverer {
    return this.source.discoverer;
  }

  override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const target = toResponseHandler(handler);
    let scope: RequestScope;
    try {
      if (this.closing !== undefined)
        throw new ProximaError('FAILED_PRECONDITION', 'the dispatcher is closed');
      scope = this.entry(serviceOfOrigin(options.origin)).scope;
    } catch (error) {
      target.onResponseError?.(idleController, toProximaError(error));
      return false;
    }
    new RoutedRequest(scope, options, target).start();
    return true;
  }

  /** The live routing table of `service` once a request went to it; undefined before. */
  explain(service: string): RoutingTable | undefined {
    return this.services.get(service)?.lease.routes.router.explain();
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    this.closing ??= this.shutdown((pools) => pools.close());
    if (callback === undefined) return this.closing;
    void this.closing.then(callback);
  }

  override destroy(): Promise<void>;
  override destroy(error: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(error: Error | null, callback: () => void): void;
  override destroy(first?: Error | null | (() => void), second?: () => void): Promise<void> | void {
    const error = typeof first === 'function' ? null : (first ?? null);
    const callback = typeof first === 'function' ? first : second;
    this.closing ??= this.shutdown((pools) => pools.destroy(error));
    if (callback === undefined) return this.closing;
    void this.closing.then(callback);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private entry(service: string): ServiceEntry {
    const existing = this.services.get(service);
    if (existing !== undefined) return existing;
    const lease = this.source.acquire(service, 'http');
    const pools = new EndpointPools(this.options.pool ?? {}, (pool) => this.forward(pool));
    const retained = lease.routes.changed((instances) => pools.retain(instances));
    const scope: RequestScope = {
      routes: lease.routes,
      pools,
      rules: this.rules,
      clock: this.source.clock,
      readyTimeoutMs: this.options.readyTimeoutMs ?? 5_000,
      closed: this.closed.signal,
    };
    const entry = { lease, pools, retained, scope };
    this.services.set(service, entry);
    return entry;
  }

  /** Re-emits a pool's events as undici's Agent does: this dispatcher first among the targets. */
  private forward(pool: Pool): void {
    // undici types each event separately; forwarding all four is one untyped loop.
    const from = pool as unknown as NodeJS.EventEmitter;
    const to = this as unknown as NodeJS.EventEmitter;
    for (const event of ['connect', 'disconnect', 'connectionError', 'drain']) {
      from.on(event, (origin: URL, targets: readonly Dispatcher[], error?: Error) =>
        to.emit(event, origin, [this, ...targets], error),
      );
    }
  }

  private async shutdown(end: (pools: EndpointPools) => Promise<void>): Promise<void> {
    this.closed.abort();
    const entries = [...this.services.values()];
    this.services.clear();
    for (const entry of entries) {
      entry.retained[Symbol.dispose]();
      entry.lease[Symbol.dispose]();
    }
    await Promise.all(entries.map((e) => end(e.pools)));
    await this.source.close();
  }
}

/**
 * Creates a {@link ProximaDispatcher}. Opens the registry when given a URL (closed with the
 * dispatcher). Throws INVALID_ARGUMENT naming the bad option (`http.retry.maxAttempts: …`).
 *
 * @example
 * ```ts
 * import { request } from 'undici';
 *
 * const dispatcher = await createProximaDispatcher({ registry: 'http://127.0.0.1:7070' });
 * const res = await fetch('http://users/profile/42', { dispatcher });
 * const { statusCode, body } = await request('http://users/profile/42', { dispatcher });
 * await dispatcher.close();
 * ```
 */
export async function createProximaDispatcher(options: ProximaDispatcherOptions): Promise<ProximaDispatcher> {
  const source = await RoutingSource.open(options, 'http', extraShape());
  return new ProximaDispatcher(source, options);
}

/** `http://users` → `users`. INVALID_ARGUMENT `origin` for other schemes and non-service hosts. */
export function serviceOfOrigin(origin: string | URL | undefined): string {
  let url: URL;
  try {
    url = origin instanceof URL ? origin : new URL(String(origin));
  } catch {
    throw invalidArgument('origin', `expected http://service-name, got ${String(origin)}`);
  }
  if (url.protocol !== 'http:')
    throw invalidArgument('origin', `only http://service-name URLs, got ${url.protocol}`);
  const parsed = serviceNameSchema().safeParse(url.hostname);
  if (!parsed.success) throw invalidArgument('origin', `"${url.hostname}" is not a service name`);
  return parsed.data;
}

/** The controller handed with errors raised before any attempt existed. */
const idleController: Dispatcher.DispatchController = {
  aborted: false,
  paused: false,
  reason: null,
  abort: () => undefined,
  pause: () => undefined,
  resume: () => undefined,
};
