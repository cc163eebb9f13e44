import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../../core/clock.js';

/** One granted lease. `keys` are the `service/id` of the instances attached to it. */
export interface LeaseRecord {
  readonly id: string;
  readonly ttlMs: number;
  expiresAt: number;
  timer: TimerHandle;
  readonly keys: Set<string>;
  /** Tells the lease's handle it is gone (expired or revoked). */
  readonly onGone: (how: 'expired' | 'revoked') => void;
}

/**
 * Leases (ids of 128 random bits, base64url) and their expiry timers on the injected clock: each lease has one timer, rearmed by every
 * keep-alive, that calls `onExpire` when the TTL runs out. Timers are unref'd: a forgotten
 * registry does not keep the process alive.
 */
export class LeaseTable {
  private readonly leases = new Map<string, LeaseRecord>();

  constructor(
    private readonly clock: Clock,
    private readonly onExpire: (id: string) => void,
  ) {}

  get size(): number {
    return this.leases.size;
  }

  grant(ttlMs: number, onGone: LeaseRecord['onGone']): LeaseRecord {
    // 128 random bits: a lease id is a capability (keep-alive, revoke), so it must not be guessable
    // from another one (issue 9: sequential ids let 600 DELETEs remove 49,101 instances).
    const id = randomBytes(16).toString('base64url');
    const record: LeaseRecord = {
      id,
      ttlMs,
      expiresAt: this.clock.now() + ttlMs,
      timer: this.arm(id, ttlMs),
      keys: new Set(),
      onGone,
    };
    this.leases.set(id, record);
    return record;
  }

  get(id: string): LeaseRecord | undefined {
    return this.leases.get(id);
  }

  /** Restarts the TTL; false when the lease is unknown. */
  renew(id: string): boolean {
    const record = this.leases.get(id);
    if (record === undefined) return false;
    this.clock.clearTimeout(record.timer);
    record.expiresAt = this.clock.now() + record.ttlMs;
    record.timer = this.arm(id, record.ttlMs);
    return true;
  }

  /** Forgets a lease and stops its timer; returns it (with its keys) if it existed. */
  remove(id: string): LeaseRecord | undefined {
    const record = this.leases.get(id);
    if (record === undefined) return undefined;
    this.clock.clearTimeout(record.timer);
    this.leases.delete(id);
    return record;
  }

  /** Forgets every lease (their handles are not told) and stops every timer. */
  clear(): void {
    for (const record of this.leases.values()) this.clock.clearTimeout(record.timer);
    this.leases.clear();
  }

  private arm(id: string, ttlMs: number): TimerHandle {
    const timer = this.clock.setTimeout(() => this.onExpire(id), ttlMs);
    timer.unref?.();
    return timer;
  }
}
