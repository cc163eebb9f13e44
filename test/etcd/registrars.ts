import type { ProximaError } from '../../src/core/errors.js';
import { type Registrar, type RegistrarInstanceInput, startRegistrar } from '../../src/registrar/index.js';
import type { Registry } from '../../src/registry/registry.js';

/**
 * Several real registrars (one per simulated process, each holding its instances under one lease)
 * and the counts of what they went through, so tests assert counts rather than timings.
 */
export class RegistrarFleet {
  readonly counts = { lost: 0, reregistered: 0, keepAliveErrors: 0 };
  readonly errors: ProximaError[] = [];

  private constructor(readonly registrars: readonly Registrar[]) {
    for (const registrar of registrars) {
      registrar.onLost(() => (this.counts.lost += 1));
      registrar.onReregistered(() => (this.counts.reregistered += 1));
      registrar.onError(({ phase, error }) => {
        this.errors.push(error);
        if (phase === 'keep-alive') this.counts.keepAliveErrors += 1;
      });
    }
  }

  /** Starts one registrar per entry of `processes` and waits until all are registered. */
  static async start(
    registry: Registry,
    ttlMs: number,
    processes: readonly (readonly RegistrarInstanceInput[])[],
  ): Promise<RegistrarFleet> {
    const registrars = await Promise.all(
      processes.map((instances) => startRegistrar({ registry, ttlMs, instances, env: {} })),
    );
    return new RegistrarFleet(registrars);
  }

  /** The lease id of every registrar. */
  leaseIds(): (string | undefined)[] {
    return this.registrars.map((r) => r.leaseId);
  }

  /** Drains every registrar (its instances are deregistered, its lease revoked). */
  async close(): Promise<void> {
    await Promise.allSettled(this.registrars.map((r) => r.drain()));
  }
}
