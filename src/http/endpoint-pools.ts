import { Pool } from 'undici';
import { type Instance, servesTls } from '../core/instance.js';

/**
 * Options of each per-endpoint undici `Pool` (connections, keep-alive, timeouts, TLS …). TLS
 * settings (`connect: { ca, cert, key, servername }`) apply to instances registered with
 * `proxima.tls=true`, which are called over https.
 */
export type EndpointPoolOptions = Pool.Options;

/**
 * One undici `Pool` per endpoint address of a service, created on first use. When an address
 * leaves the service its pool is closed gracefully: requests in flight finish, nothing new starts.
 */
export class EndpointPools {
  private readonly pools = new Map<string, Pool>();
  private readonly closing = new Set<Promise<void>>();

  constructor(
    private readonly options: EndpointPoolOptions,
    /** Told of each new pool, e.g. to forward its events. */
    private readonly onCreate: (pool: Pool) => void,
  ) {}

  /** The pool of the instance's address: https when its registration says TLS, else http. */
  get(instance: Instance): Pool {
    const origin = originOf(instance);
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, this.options);
      this.pools.set(origin, pool);
      this.onCreate(pool);
    }
    return pool;
  }

  /** Closes the pools of origins no longer among `instances`. */
  retain(instances: readonly Instance[]): void {
    const live = new Set(instances.map(originOf));
    for (const [origin, pool] of this.pools) {
      if (live.has(origin)) continue;
      this.pools.delete(origin);
      this.track(pool.close());
    }
  }

  /** Closes every pool after its requests in flight finished. */
  async close(): Promise<void> {
    for (const pool of this.pools.values()) this.track(pool.close());
    this.pools.clear();
    await Promise.all(this.closing);
  }

  /** Destroys every pool now, failing requests in flight with `error`. */
  async destroy(error: Error | null): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all([...pools.map((p) => p.destroy(error)), ...this.closing]);
  }

  private track(closing: Promise<void>): void {
    const tracked = closing.catch(() => undefined).finally(() => this.closing.delete(tracked));
    this.closing.add(tracked);
  }
}

function originOf(instance: Instance): string {
  return `${servesTls(instance) ? 'https' : 'http'}://${instance.address}`;
}
