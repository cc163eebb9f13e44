import type { Clock } from '../../core/clock.js';
import { DeadlineQueue, type Expiring } from '../util/deadline-queue.js';
import { GoawayCode } from '../wire/frame.js';
import type { ServerLimits } from './limits.js';

/** Why the guard gave up on a connection. */
export interface GuardExpiry {
  readonly code: GoawayCode;
  readonly reason: string;
}

/** The connection a {@link ConnectionGuard} watches. */
export interface GuardedConnection {
  /** True while no call is in progress on the connection. */
  readonly noCalls: boolean;
  /** The guard gave up on the connection; it will not fire again. */
  expire(expiry: GuardExpiry): void;
}

/**
 * What all of a server's guards share: the clock, the limits, and one {@link DeadlineQueue} (one
 * timer) holding every connection's next check. An idle connection costs the server an entry in
 * its heap, not a timer of its own.
 */
export class GuardSweep {
  /** The longest a guard waits between checks: the shortest of the timeouts. */
  readonly period: number;
  readonly queue: DeadlineQueue<ConnectionGuard>;

  constructor(
    readonly clock: Clock,
    readonly limits: ServerLimits,
  ) {
    this.period = Math.min(
      limits.frameReadTimeoutMs,
      limits.firstFrameTimeoutMs,
      limits.idleTimeoutMs,
      limits.drainGraceMs,
    );
    this.queue = new DeadlineQueue<ConnectionGuard>(clock, (guard) => guard.check());
  }

  /** Guards waiting for their next check (one per open connection). */
  get size(): number {
    return this.queue.size;
  }
}

/**
 * The timers a peer could otherwise hold open, for one server connection: the first valid frame,
 * a frame started and not finished, idleness, and an outbound queue that does not drain.
 *
 * One entry in the server's {@link GuardSweep} serves all four. It is due at the earliest
 * deadline, or at least every `min(timeouts)`, so data never re-queues it: a chunk only stamps
 * times (one `clock.now()`), and the check computes the exact deadline from them. A frame that
 * stalls is caught at exactly start + frame read timeout.
 */
export class ConnectionGuard implements Expiring {
  /** When the next check is due (owned with {@link heapIndex} by the sweep's queue). */
  deadlineAt = 0;
  heapIndex = -1;
  private readonly connectedAt: number;
  private gotFrame = false;
  /** An unfinished frame is buffered, since {@link partialSince}. */
  private partial = false;
  private partialSince = 0;
  private lastActivity: number;
  /** Reading is paused (back-pressure), since {@link pausedSince}. */
  private paused = false;
  private pausedSince = 0;
  private stopped = false;

  constructor(
    private readonly sweep: GuardSweep,
    private readonly connection: GuardedConnection,
  ) {
    this.connectedAt = sweep.clock.now();
    this.lastActivity = this.connectedAt;
    this.arm(this.connectedAt + sweep.limits.firstFrameTimeoutMs);
  }

  /**
   * Bytes were read. `completed`: at least one whole valid frame was decoded from them;
   * `partial`: an unfinished frame is buffered now.
   */
  onData(completed: boolean, partial: boolean): void {
    const now = this.sweep.clock.now();
    this.lastActivity = now;
    if (completed) this.gotFrame = true;
    if (partial && (!this.partial || completed)) this.partialSince = now;
    this.partial = partial;
  }

  /** The server stopped reading (back-pressure): the drain grace starts, the read timeout stops. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.pausedSince = this.sweep.clock.now();
    this.arm(this.pausedSince + this.sweep.limits.drainGraceMs);
  }

  /** Reading again: a buffered partial frame gets a fresh read timeout (we were the ones waiting). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.partial) this.partialSince = this.sweep.clock.now();
  }

  stop(): void {
    this.stopped = true;
    this.sweep.queue.remove(this);
  }

  /** Due: expires the connection, or queues the next check (called by the sweep). */
  check(): void {
    if (this.stopped) return;
    const now = this.sweep.clock.now();
    const l = this.sweep.limits;
    let next = now + this.sweep.period;
    if (this.paused) {
      const at = this.pausedSince + l.drainGraceMs;
      if (now >= at)
        return this.expire(
          GoawayCode.RESOURCE_EXHAUSTED,
          `outbound queue not drained within ${l.drainGraceMs} ms`,
        );
      next = Math.min(next, at);
    } else if (this.partial) {
      const at = this.partialSince + l.frameReadTimeoutMs;
      if (now >= at)
        return this.expire(GoawayCode.FRAME_TIMEOUT, `frame not finished within ${l.frameReadTimeoutMs} ms`);
      next = Math.min(next, at);
    }
    if (!this.gotFrame) {
      const at = this.connectedAt + l.firstFrameTimeoutMs;
      if (now >= at)
        return this.expire(
          GoawayCode.FIRST_FRAME_TIMEOUT,
          `no valid frame within ${l.firstFrameTimeoutMs} ms of connecting`,
        );
      next = Math.min(next, at);
    } else if (!this.paused && !this.partial && this.connection.noCalls) {
      const at = this.lastActivity + l.idleTimeoutMs;
      if (now >= at) return this.expire(GoawayCode.IDLE, `idle for ${l.idleTimeoutMs} ms`);
      next = Math.min(next, at);
    }
    this.arm(next);
  }

  private expire(code: GoawayCode, reason: string): void {
    this.stopped = true;
    this.connection.expire({ code, reason });
  }

  /** Queues the next check for `at` unless one is due earlier. */
  private arm(at: number): void {
    if (this.stopped) return;
    const queue = this.sweep.queue;
    if (this.heapIndex >= 0) {
      if (this.deadlineAt <= at) return;
      queue.remove(this);
    }
    this.deadlineAt = at;
    queue.add(this);
  }
}
