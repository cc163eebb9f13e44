import { Emitter, type Event } from '../core/event.js';

/**
 * Where round-trip times come from. TCP connect probes report into it today; RPC PING/PONG frames
 * on live connections report into the same interface later. The router reads it to order remote
 * regions, to show RTTs in `explain()`, and — active health — to stop sending calls to an endpoint
 * that probes cannot connect to.
 */
export interface RttSource {
  /** Smoothed RTT to an endpoint in ms, or undefined when never measured. */
  rtt(endpointId: string): number | undefined;
  /** Feeds one measurement (a probe, a PING): the endpoint answered. */
  report(endpointId: string, rttMs: number): void;
  /** Feeds one failed probe: no connection (refused, reset, timed out). */
  reportFailure(endpointId: string): void;
  /** True while the endpoint failed its last probes in a row (see {@link RttTable}). */
  unreachable(endpointId: string): boolean;
  /** Fires after measurements or reachability changed (at most once per synchronous burst). */
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
 * first sample is taken as is. An endpoint is unreachable after `unreachableAfter` failed probes in
 * a row (Envoy's active health check `unhealthy_threshold`) and reachable again at the first probe
 * that connects. Change notification is coalesced into one microtask per burst.
 *
 * @example
 * ```ts
 * const rtts = new RttTable();
 * rtts.report('users-1', 0.4);
 * rtts.rtt('users-1'); // 0.4
 * rtts.reportFailure('users-2');
 * rtts.reportFailure('users-2');
 * rtts.unreachable('users-2'); // true
 * ```
 */
export class RttTable implements RttSource {
  private readonly histories = new Map<string, { ewmaMs: number; lastMs: number; samples: number }>();
  /** Failed probes in a row, per endpoint (absent: the last probe connected, or none failed). */
  private readonly failures = new Map<string, number>();
  private readonly emitter = new Emitter<void>();
  private notifyQueued = false;
  readonly changed: Event<void> = this.emitter.event;

  constructor(
    private readonly alpha = 0.3,
    private readonly unreachableAfter = 2,
  ) {}

  rtt(endpointId: string): number | undefined {
    return this.histories.get(endpointId)?.ewmaMs;
  }

  history(endpointId: string): RttHistory | undefined {
    return this.histories.get(endpointId);
  }

  unreachable(endpointId: string): boolean {
    return (this.failures.get(endpointId) ?? 0) >= this.unreachableAfter;
  }

  report(endpointId: string, rttMs: number): void {
    if (!Number.isFinite(rttMs) || rttMs < 0) return;
    this.failures.delete(endpointId);
    const h = this.histories.get(endpointId);
    if (h === undefined) {
      this.histories.set(endpointId, { ewmaMs: rttMs, lastMs: rttMs, samples: 1 });
    } else {
      h.ewmaMs += this.alpha * (rttMs - h.ewmaMs);
      h.lastMs = rttMs;
      h.samples++;
    }
    this.notify();
  }

  reportFailure(endpointId: string): void {
    const n = (this.failures.get(endpointId) ?? 0) + 1;
    this.failures.set(endpointId, n);
    if (n === this.unreachableAfter) this.notify();
  }

  /**
   * A transport's own connection state (a gRPC subchannel in TRANSIENT_FAILURE, or READY again):
   * unreachable at once, or reachable again, without touching the RTT history.
   */
  reportConnection(endpointId: string, connected: boolean): void {
    const was = this.unreachable(endpointId);
    if (connected) this.failures.delete(endpointId);
    else this.failures.set(endpointId, Math.max(this.unreachableAfter, this.failures.get(endpointId) ?? 0));
    if (was !== this.unreachable(endpointId)) this.notify();
  }

  /** Drops endpoints no longer listed. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.histories.keys()) if (!ids.has(id)) this.histories.delete(id);
    for (const id of this.failures.keys()) if (!ids.has(id)) this.failures.delete(id);
  }

  private notify(): void {
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    queueMicrotask(() => {
      this.notifyQueued = false;
      this.emitter.emit();
    });
  }
}
