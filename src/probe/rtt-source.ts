import { Emitter, type Event } from '../core/event.js';

/**
 * Where round-trip times come from. TCP connect probes report into it today; RPC PING/PONG frames
 * on live connections report into the same interface later. The router reads it to order remote
 * regions and to show RTTs in `explain()`.
 */
export interface RttSource {
  /** Smoothed RTT to an endpoint in ms, or undefined when never measured. */
  rtt(endpointId: string): number | undefined;
  /** Feeds one measurement (a probe, a PING). */
  report(endpointId: string, rttMs: number): void;
  /** Fires after measurements changed (at most once per synchronous burst of reports). */
  readonly changed: Event<void>;
}

/** One endpoint's RTT history. */
export interface RttHistory {
  /** EWMA of samples. */
  readonly ewmaMs: number;
  /** Last sample. */
  readonly lastMs: number;
  readonly samples: number;
}

/**
 * An {@link RttSource} that smooths samples with an EWMA (`ewma += alpha · (sample − ewma)`); the
 * first sample is taken as is. Change notification is coalesced into one microtask per burst.
 *
 * @example
 * ```ts
 * const rtts = new RttTable();
 * rtts.report('users-1', 0.4);
 * rtts.rtt('users-1'); // 0.4
 * ```
 */
export class RttTable implements RttSource {
  private readonly histories = new Map<string, { ewmaMs: number; lastMs: number; samples: number }>();
  private readonly emitter = new Emitter<void>();
  private notifyQueued = false;
  readonly changed: Event<void> = this.emitter.event;

  constructor(private readonly alpha = 0.3) {}

  rtt(endpointId: string): number | undefined {
    return this.histories.get(endpointId)?.ewmaMs;
  }

  history(endpointId: string): RttHistory | undefined {
    return this.histories.get(endpointId);
  }

  report(endpointId: string, rttMs: number): void {
    if (!Number.isFinite(rttMs) || rttMs < 0) return;
    const h = this.histories.get(endpointId);
    if (h === undefined) {
      this.histories.set(endpointId, { ewmaMs: rttMs, lastMs: rttMs, samples: 1 });
    } else {
      h.ewmaMs += this.alpha * (rttMs - h.ewmaMs);
      h.lastMs = rttMs;
      h.samples++;
    }
    if (!this.notifyQueued) {
      this.notifyQueued = true;
      queueMicrotask(() => {
        this.notifyQueued = false;
        this.emitter.emit();
      });
    }
  }

  /** Drops endpoints no longer listed. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.histories.keys()) if (!ids.has(id)) this.histories.delete(id);
  }
}
