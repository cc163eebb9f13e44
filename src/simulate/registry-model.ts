import type { Instance } from '../core/instance.js';
import type { SimEvent } from './event-queue.js';
import type { VirtualClock } from './virtual-clock.js';

/** Receives every snapshot of the service, as a discoverer's watch would deliver it. */
export type SnapshotListener = (instances: readonly Instance[]) => void;

/**
 * The registry as the callers experience it: a list of instances whose changes reach every
 * subscriber `propagationMs` later. A killed instance is not deregistered: it disappears when its
 * lease would expire (`deadAfterMs`); drained ones turn DRAINING; recovered ones register again.
 */
export class SimRegistry {
  private readonly listed: Map<string, Instance>;
  private readonly order: readonly string[];
  private readonly expiries = new Map<string, SimEvent>();
  private readonly listeners: SnapshotListener[] = [];

  constructor(
    private readonly clock: VirtualClock,
    instances: readonly Instance[],
    private readonly propagationMs: number,
    private readonly deadAfterMs: number,
  ) {
    this.listed = new Map(instances.map((i) => [i.id, i]));
    this.order = instances.map((i) => i.id);
  }

  /** Delivers the current snapshot now and every later one after the propagation delay. */
  subscribe(listener: SnapshotListener): void {
    this.listeners.push(listener);
    listener(this.snapshot());
  }

  /** The instance died: its lease runs out `deadAfterMs` from now. */
  killed(id: string): void {
    if (this.expiries.has(id) || !this.listed.has(id)) return;
    this.expiries.set(
      id,
      this.clock.schedule(this.deadAfterMs, () => {
        this.expiries.delete(id);
        this.listed.delete(id);
        this.publish();
      }),
    );
  }

  /** The instance marks itself DRAINING. */
  draining(id: string): void {
    const instance = this.listed.get(id);
    if (instance === undefined || instance.status === 'DRAINING') return;
    this.listed.set(id, { ...instance, status: 'DRAINING' });
    this.publish();
  }

  /** The instance is back (restarted or undrained) and registers as UP. */
  recovered(id: string, instance: Instance): void {
    const expiry = this.expiries.get(id);
    if (expiry !== undefined) expiry.cancelled = true;
    this.expiries.delete(id);
    if (this.listed.get(id) === instance) return;
    this.listed.set(id, instance);
    this.publish();
  }

  private snapshot(): readonly Instance[] {
    const list: Instance[] = [];
    for (const id of this.order) {
      const i = this.listed.get(id);
      if (i !== undefined) list.push(i);
    }
    return list;
  }

  private publish(): void {
    const snapshot = this.snapshot();
    this.clock.schedule(this.propagationMs, () => {
      for (const listener of this.listeners) listener(snapshot);
    });
  }
}
