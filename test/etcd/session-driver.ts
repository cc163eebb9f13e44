import { isProximaError, type ProximaError } from '../../src/core/errors.js';
import type { InstanceInput } from '../../src/core/instance.js';
import type { Lease, Registry } from '../../src/registry/registry.js';

/**
 * The registrar's policy, reduced to what the failover tests measure: each session holds one lease
 * with its instances, sends a keep-alive every TTL/3, and when the lease is lost re-grants and
 * re-puts every instance (retrying while the registry is unreachable). It counts what happened, so
 * tests assert counts rather than timings.
 */
export class SessionDriver {
  /** Keep-alives that succeeded / failed UNAVAILABLE, leases found lost, sessions registered again. */
  readonly counts = { keepAlives: 0, keepAliveFailures: 0, lost: 0, reregistered: 0 };
  readonly errors: ProximaError[] = [];
  private readonly leases: Lease[] = [];
  private readonly stop = new AbortController();
  private loops: Promise<void>[] = [];

  private constructor(
    private readonly registry: Registry,
    private readonly ttlMs: number,
    private readonly sessions: readonly (readonly InstanceInput[])[],
  ) {}

  /** Registers `sessions` (each a list of instances under one lease) and starts keeping them alive. */
  static async start(
    registry: Registry,
    ttlMs: number,
    sessions: readonly (readonly InstanceInput[])[],
  ): Promise<SessionDriver> {
    const driver = new SessionDriver(registry, ttlMs, sessions);
    await Promise.all(
      sessions.map(async (instances, k) => (driver.leases[k] = await driver.register(instances))),
    );
    driver.loops = sessions.map((_, k) => driver.keepAliveLoop(k));
    return driver;
  }

  /** The current lease of every session. */
  get currentLeases(): readonly Lease[] {
    return this.leases;
  }

  /** Stops keeping alive and revokes the leases (the instances vanish). */
  async close(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.loops);
    await Promise.allSettled(this.leases.map((lease) => lease.revoke()));
  }

  private async register(instances: readonly InstanceInput[]): Promise<Lease> {
    const lease = await this.registry.grant({ ttlMs: this.ttlMs });
    await Promise.all(instances.map((instance) => this.registry.register(instance, { lease })));
    return lease;
  }

  private async keepAliveLoop(k: number): Promise<void> {
    const signal = this.stop.signal;
    while (!signal.aborted) {
      await delay(this.ttlMs / 3, signal);
      if (signal.aborted) return;
      const lease = this.leases[k] as Lease;
      try {
        await lease.keepAlive({ signal });
        this.counts.keepAlives += 1;
      } catch (error) {
        if (signal.aborted) return;
        if (!isProximaError(error)) throw error;
        this.errors.push(error);
        if (error.code !== 'LEASE_LOST') {
          this.counts.keepAliveFailures += 1;
          continue;
        }
        this.counts.lost += 1;
        this.leases[k] = await this.reregister(k, signal);
      }
    }
  }

  private async reregister(k: number, signal: AbortSignal): Promise<Lease> {
    for (;;) {
      try {
        const lease = await this.register(this.sessions[k] as readonly InstanceInput[]);
        this.counts.reregistered += 1;
        return lease;
      } catch (error) {
        if (signal.aborted) return this.leases[k] as Lease;
        if (isProximaError(error)) this.errors.push(error);
        await delay(200, signal);
      }
    }
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
