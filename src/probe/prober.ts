import type { Clock, TimerHandle } from '../core/clock.js';
import { ErrorCode, isProximaError } from '../core/errors.js';
import type { Random } from '../core/random.js';
import type { RttSource } from './rtt-source.js';
import { tcpConnectTime } from './tcp-probe.js';

/** Something to probe. */
export interface ProbeTarget {
  readonly id: string;
  readonly address: string;
}

/** Who to probe this round: all of `preferred` and a random sample of `others`. */
export interface ProbeTargets {
  readonly preferred: readonly ProbeTarget[];
  readonly others: readonly ProbeTarget[];
}

/** Measures one target's RTT in ms (TCP connect by default). */
export type ProbeFn = (target: ProbeTarget, signal: AbortSignal) => Promise<number>;

export interface ProberOptions {
  readonly clock: Clock;
  readonly random: Random;
  /** Where measurements go. */
  readonly rtt: RttSource;
  /** Asked at every round (the router's current tiers). */
  readonly targets: () => ProbeTargets;
  /** Mean time between rounds. */
  readonly intervalMs?: number;
  /** Each delay is `intervalMs × (1 ± jitter)`, so many callers do not probe in step. */
  readonly jitter?: number;
  /** Non-preferred endpoints sampled per round. */
  readonly othersPerRound?: number;
  readonly timeoutMs?: number;
  readonly probe?: ProbeFn;
}

/**
 * Probes RTTs in the background: every jittered interval it measures all endpoints of the preferred
 * tier plus a few random others (so remote regions stay ranked without probing the world) and
 * reports into an {@link RttSource}. A probe that cannot connect reports a failure there: after a
 * few in a row the endpoint is unreachable and the router sends it nothing until a probe connects
 * (active health, as Envoy's TCP health checks).
 *
 * @example
 * ```ts
 * await using prober = startProber({ clock, random, rtt, targets: () => router.probeTargets() });
 * ```
 */
export class Prober implements AsyncDisposable {
  private readonly intervalMs: number;
  private readonly jitter: number;
  private readonly othersPerRound: number;
  private readonly probe: ProbeFn;
  private readonly abort = new AbortController();
  private timer: TimerHandle | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: ProberOptions) {
    this.intervalMs = options.intervalMs ?? 5000;
    this.jitter = options.jitter ?? 0.2;
    this.othersPerRound = options.othersPerRound ?? 3;
    const timeoutMs = options.timeoutMs ?? 1000;
    this.probe = options.probe ?? ((t, signal) => tcpConnectTime(t.address, { timeoutMs, signal }));
  }

  /** Runs one round now: resolves when every probe of the round settled. */
  async round(): Promise<void> {
    const { preferred, others } = this.options.targets();
    const chosen = [...preferred, ...sample(others, this.othersPerRound, this.options.random)];
    await Promise.all(
      chosen.map(async (target) => {
        try {
          const ms = await this.probe(target, this.abort.signal);
          if (!this.abort.signal.aborted) this.options.rtt.report(target.id, ms);
        } catch (error) {
          // No connection: active health (the source marks it unreachable after a few in a row).
          // A probe cancelled by stop() says nothing about the endpoint.
          if (!this.abort.signal.aborted && !isCancellation(error)) this.options.rtt.reportFailure(target.id);
        }
      }),
    );
  }

  /** Starts the jittered schedule (first round after one delay). */
  start(): this {
    if (this.timer === undefined && !this.abort.signal.aborted) this.schedule();
    return this;
  }

  /** Stops scheduling and aborts probes in flight; resolves when the current round ended. */
  async stop(): Promise<void> {
    this.abort.abort();
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  private schedule(): void {
    const spread = 1 + this.jitter * (2 * this.options.random() - 1);
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.running = this.round().finally(() => {
        this.running = undefined;
        if (!this.abort.signal.aborted) this.schedule();
      });
    }, this.intervalMs * spread);
    this.timer.unref?.();
  }
}

/** Creates and starts a {@link Prober}. */
export function startProber(options: ProberOptions): Prober {
  return new Prober(options).start();
}

/** True for the errors of a probe stopped on purpose (aborted, CANCELLED). */
function isCancellation(error: unknown): boolean {
  if (isProximaError(error)) return error.code === ErrorCode.CANCELLED;
  return error instanceof Error && error.name === 'AbortError';
}

/** Up to `k` distinct items drawn at random (partial Fisher-Yates on a copy). */
function sample<T>(items: readonly T[], k: number, random: Random): T[] {
  const copy = items.slice();
  const n = Math.min(k, copy.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}
