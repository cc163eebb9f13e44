import { toProximaError } from '../../src/core/errors.js';

/** One finished call of a chaos run: when it started, how long it took, whether it failed. */
interface Sample {
  readonly at: number;
  readonly ms: number;
  readonly failed: boolean;
}

/** Told of every finished call (the soak keeps counters and a histogram instead of samples). */
export type SampleSink = (at: number, ms: number, failed: boolean) => void;

/**
 * Open-loop load for the drills: `rate` calls/s in ticks of 10 ms whatever the answers do, with
 * every call's start, latency and outcome kept for the windows a drill reports on (or, given a
 * `sink`, handed to it and not kept: a long run's memory stays flat).
 */
export class ChaosLoad {
  private readonly samples: Sample[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  readonly firstErrors: string[] = [];
  private readonly record: SampleSink;

  constructor(
    private readonly call: () => Promise<unknown>,
    private readonly rate: number,
    sink?: SampleSink,
  ) {
    this.record = sink ?? ((at, ms, failed) => void this.samples.push({ at, ms, failed }));
  }

  start(): this {
    let owed = 0;
    let last = performance.now();
    this.timer = setInterval(() => {
      // Catch up on ticks the event loop delayed, so the rate holds on a busy machine.
      const now = performance.now();
      owed += ((now - last) * this.rate) / 1000;
      last = now;
      for (; owed >= 1; owed--) this.send();
    }, 10);
    return this;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
  }

  /** Calls that started in [from, to). */
  window(from: number, to = Number.POSITIVE_INFINITY): readonly Sample[] {
    return this.samples.filter((s) => s.at >= from && s.at < to);
  }

  private send(): void {
    const at = performance.now();
    const done = this.call().then(
      () => this.record(at, performance.now() - at, false),
      (thrown: unknown) => {
        this.record(at, performance.now() - at, true);
        const error = toProximaError(thrown);
        if (this.firstErrors.length < 5) this.firstErrors.push(`${error.code}: ${error.message}`);
      },
    );
    const tracked = done.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }
}

/** The p-quantile (0..1) of `values`, 0 for none. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
