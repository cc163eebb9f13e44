import type { Clock, TimerHandle } from '../../core/clock.js';

/** Settings of frozen-peer detection (part of the keep-alive options). */
export interface FrozenWatchOptions {
  /** With calls pending, PING after this many ms without a byte from the server; default 200. */
  readonly probeAfterMs: number;
  /** No byte for this many ms after that PING: the peer is frozen; default 1 000. */
  readonly frozenTimeoutMs: number;
}

/** PING ids of probes sit in the upper half, apart from the keep-alive's own. */
const PROBE_ID_BASE = 0x80000000;

/**
 * Detects a peer that stopped answering while calls wait on it (SIGSTOP, a hung event loop, a
 * black-holed link): TCP stays up, so only silence tells. While calls are pending, a connection
 * quiet for `probeAfterMs` gets a PING; when no byte at all arrives within `frozenTimeoutMs` after
 * it, {@link onFrozen} runs (the session fails its calls, and the idempotent ones fail over).
 *
 * Reads cost one stamp (`lastByteAt`); the timer runs only while calls are pending.
 */
export class FrozenWatch {
  private timer: TimerHandle | null = null;
  private lastByteAt = 0;
  private watchingSince = 0;
  private probeSentAt = -1;
  private nextProbe = 0;
  /** The silence passed its limit once; one more round of I/O before concluding. */
  private confirming = false;

  constructor(
    private readonly clock: Clock,
    private readonly options: FrozenWatchOptions,
    private readonly pending: () => number,
    private readonly sendPing: (id: number) => void,
    private readonly onFrozen: (silentMs: number) => void,
  ) {}

  /** Bytes arrived from the peer. */
  onBytes(now: number): void {
    this.lastByteAt = now;
  }

  /** A call was started: watch if not watching yet (a null check per call). */
  onCall(): void {
    if (this.timer !== null) return;
    this.watchingSince = this.clock.now();
    this.probeSentAt = -1;
    this.arm(this.options.probeAfterMs);
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private readonly tick = (): void => {
    this.timer = null;
    const confirming = this.confirming;
    this.confirming = false;
    if (confirming && this.lastByteAt >= this.probeSentAt) this.probeSentAt = -1;
    if (this.pending() === 0) return;
    const now = this.clock.now();
    const o = this.options;
    if (this.probeSentAt >= 0) {
      if (this.lastByteAt >= this.probeSentAt) {
        this.probeSentAt = -1; // the peer is alive
      } else if (now - this.probeSentAt >= o.frozenTimeoutMs) {
        // Timers run before the poll phase: after a stall of this process, bytes the peer sent may
        // still wait in the socket. Let one round of I/O run before calling the peer frozen.
        if (!confirming) {
          this.confirming = true;
          this.timer = this.clock.setTimeout(this.tick, 1);
          this.timer.unref?.();
          return;
        }
        this.onFrozen(now - Math.max(this.lastByteAt, this.watchingSince));
        return;
      } else {
        this.arm(this.probeSentAt + o.frozenTimeoutMs - now);
        return;
      }
    }
    const quietSince = Math.max(this.lastByteAt, this.watchingSince);
    if (now - quietSince >= o.probeAfterMs) {
      this.probeSentAt = now;
      this.sendPing(PROBE_ID_BASE + (this.nextProbe++ % PROBE_ID_BASE));
      this.arm(o.frozenTimeoutMs);
    } else {
      this.arm(quietSince + o.probeAfterMs - now);
    }
  };

  private arm(ms: number): void {
    this.timer = this.clock.setTimeout(this.tick, Math.max(1, ms));
    this.timer.unref?.();
  }
}
