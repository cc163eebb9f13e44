import type { Clock, TimerHandle } from '../../core/clock.js';
import { GoawayCode } from '../wire/frame.js';
import type { ServerLimits } from './limits.js';

/** Why the guard gave up on a connection. */
export interface GuardExpiry {
  readonly code: GoawayCode;
  readonly reason: string;
}

/**
 * The timers a peer could otherwise hold open, for one server connection: the first valid frame,
 * a frame started and not finished, idleness, and an outbound queue that does not drain.
 *
 * One lazy timer serves all four. It fires at the earliest deadline, or at least every
 * `min(timeouts)`, so data never re-arms it: a chunk only stamps times (one `clock.now()`), and
 * the check computes the exact deadline from them. A frame that stalls is caught at exactly
 * start + frame read timeout.
 */
export class ConnectionGuard {
  private timer: TimerHandle | null = null;
  private timerAt = 0;
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
  private readonly period: number;

  constructor(
    private readonly clock: Clock,
    private readonly limits: ServerLimits,
    /** True while no call is in progress on the connection. */
    private readonly noCalls: () => boolean,
    private readonly onExpire: (expiry: GuardExpiry) => void,
  ) {
    this.connectedAt = clock.now();
    this.lastActivity = this.connectedAt;
    this.period = Math.min(
      limits.frameReadTimeoutMs,
      limits.firstFrameTimeoutMs,
      limits.idleTimeoutMs,
      limits.drainGraceMs,
    );
    this.arm(this.connectedAt + limits.firstFrameTimeoutMs);
  }

  /**
   * Bytes were read. `completed`: at least one whole valid frame was decoded from them;
   * `partial`: an unfinished frame is buffered now.
   */
  onData(completed: boolean, partial: boolean): void {
    const now = this.clock.now();
    this.lastActivity = now;
    if (completed) this.gotFrame = true;
    if (partial && (!this.partial || completed)) this.partialSince = now;
    this.partial = partial;
  }

  /** The server stopped reading (back-pressure): the drain grace starts, the read timeout stops. */
  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.pausedSince = this.clock.now();
    this.arm(this.pausedSince + this.limits.drainGraceMs);
  }

  /** Reading again: a buffered partial frame gets a fresh read timeout (we were the ones waiting). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.partial) this.partialSince = this.clock.now();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private readonly check = (): void => {
    this.timer = null;
    if (this.stopped) return;
    const now = this.clock.now();
    const l = this.limits;
    let next = now + this.period;
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
    } else if (!this.paused && !this.partial && this.noCalls()) {
      const at = this.lastActivity + l.idleTimeoutMs;
      if (now >= at) return this.expire(GoawayCode.IDLE, `idle for ${l.idleTimeoutMs} ms`);
      next = Math.min(next, at);
    }
    this.arm(next);
  };

  private expire(code: GoawayCode, reason: string): void {
    this.stopped = true;
    this.onExpire({ code, reason });
  }

  /** Arms the timer for `at` unless it already fires earlier. */
  private arm(at: number): void {
    if (this.stopped) return;
    if (this.timer !== null) {
      if (this.timerAt <= at) return;
      this.clock.clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = this.clock.setTimeout(this.check, Math.max(0, at - this.clock.now()));
    this.timer.unref?.();
  }
}
