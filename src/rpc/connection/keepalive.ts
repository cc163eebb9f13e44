import type { Clock, TimerHandle } from '../../core/clock.js';

/** Keep-alive settings of a client connection. */
export interface KeepAliveOptions {
  /** PING every this many ms while connected; default 15 000. */
  readonly intervalMs?: number;
  /** Close the connection when no PONG arrives within this many ms; default 10 000. */
  readonly timeoutMs?: number;
  /** Frozen-peer detection: with calls pending, PING after this many quiet ms; default 200. */
  readonly probeAfterMs?: number;
  /**
   * Frozen-peer detection: no byte for this many ms after that PING fails the connection (its
   * idempotent calls fail over elsewhere); default 1 000.
   */
  readonly frozenTimeoutMs?: number;
}

/**
 * PING/PONG on a live connection: measures RTT on the real path (the prober's best signal) and
 * detects a dead peer that TCP alone would notice only after minutes. One timer at a time.
 */
export class KeepAlive {
  private timer: TimerHandle | null = null;
  private nextId = 1;
  private outstanding = 0;
  private sentAt = 0;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly clock: Clock,
    options: KeepAliveOptions,
    private readonly sendPing: (id: number) => void,
    private readonly onRtt: (ms: number) => void,
    private readonly onTimeout: () => void,
  ) {
    this.intervalMs = options.intervalMs ?? 15_000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  start(): void {
    this.schedule(this.intervalMs, () => this.ping());
  }

  /** Sends a PING now (the prober may ask between intervals). */
  ping(): void {
    if (this.outstanding !== 0) return;
    this.outstanding = this.nextId++;
    this.sentAt = this.clock.now();
    this.sendPing(this.outstanding);
    this.schedule(this.timeoutMs, this.onTimeout);
  }

  /** A PONG arrived; ignores unknown ids (a PONG for a ping we gave up on). */
  pong(id: number): void {
    if (id !== this.outstanding) return;
    this.outstanding = 0;
    this.onRtt(this.clock.now() - this.sentAt);
    this.schedule(this.intervalMs, () => this.ping());
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number, fn: () => void): void {
    this.stop();
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      fn();
    }, ms);
    this.timer.unref?.();
  }
}
