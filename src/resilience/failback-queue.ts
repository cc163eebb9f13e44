import { lazySchema } from '../core/zod.js';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.js';
import { toProximaError, type ProximaError } from '../core/errors.js';
import { Emitter, type Event } from '../core/event.js';
import { systemRandom, type Random } from '../core/random.js';
import { parseWith } from '../core/validate.js';
import { fullJitterBackoff, type Backoff } from './backoff.js';
import { isLogger, type Logger } from '../core/logger.js';

/** One background try of a failed call: resolve when it went through, throw when it failed. */
export type FailbackTask = (signal: AbortSignal, retry: number) => Promise<unknown>;

/** Options of a {@link FailbackQueue}. */
export interface FailbackQueueOptions {
  /** Calls waiting or retrying at most (default 100); beyond, `enqueue` refuses. */
  readonly maxSize?: number;
  /** Background tries per call (default 3). */
  readonly maxRetries?: number;
  /** Full-jitter backoff before each try: first window, ms (default 1000). */
  readonly initialBackoffMs?: number;
  /** Full-jitter backoff: largest window, ms (default 30 000). */
  readonly maxBackoffMs?: number;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: Logger | undefined;
}

/** Why a queued call left the queue without going through. */
export interface FailbackDrop {
  readonly label: string;
  readonly error: ProximaError;
  readonly retries: number;
}

const optionsSchema = lazySchema((z) =>
  z
    .object({
      maxSize: z.number().int().min(1).max(1_000_000).optional(),
      maxRetries: z.number().int().min(1).max(100).optional(),
      initialBackoffMs: z.number().finite().nonnegative().optional(),
      maxBackoffMs: z.number().finite().nonnegative().optional(),
      clock: z.custom<Clock>((v) => typeof v === 'object' && v !== null).optional(),
      random: z.custom<Random>((v) => typeof v === 'function').optional(),
      logger: z.custom<Logger>(isLogger).optional(),
    })
    .strict(),
);

interface Entry {
  readonly task: FailbackTask;
  readonly shouldRetry: (error: ProximaError) => boolean;
  readonly label: string;
  backoff: Backoff;
  timer: TimerHandle | undefined;
}

/**
 * The background retry queue of the `failback` fail mode (Dubbo's FailbackClusterInvoker): a call
 * that failed is retried later, with full-jitter backoff, a bounded number of times, while the
 * caller has long moved on. Bounded in size so an outage cannot grow it without limit; owns its
 * timers, so dispose it (`await using`) with the client.
 *
 * @example
 * ```ts
 * await using queue = new FailbackQueue({ maxSize: 1000, logger });
 * const policy = callPolicy({ getPicker, failMode: 'failback', failbackQueue: queue });
 * ```
 */
export class FailbackQueue implements AsyncDisposable {
  private readonly entries = new Set<Entry>();
  private readonly running = new Set<Promise<void>>();
  private readonly controller = new AbortController();
  private readonly dropped = new Emitter<FailbackDrop>();
  private readonly maxSize: number;
  private readonly maxRetries: number;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly backoffStart: Backoff;

  /** Fires when a queued call is given up (retries exhausted, non-retryable error, disposal). */
  readonly onDrop: Event<FailbackDrop> = this.dropped.event;

  constructor(options: FailbackQueueOptions = {}) {
    const o = parseWith(optionsSchema(), options, 'failbackQueue');
    this.maxSize = o.maxSize ?? 100;
    this.maxRetries = o.maxRetries ?? 3;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
    const initialMs = o.initialBackoffMs ?? 1000;
    this.backoffStart = fullJitterBackoff({
      initialMs,
      maxMs: Math.max(initialMs, o.maxBackoffMs ?? 30_000),
      random: options.random ?? systemRandom,
    });
  }

  /** Calls waiting or being retried. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Queues `task` for background retries. `shouldRetry` decides whether a failed try may be
   * followed by another. Returns false, queuing nothing, when the queue is full or disposed.
   */
  enqueue(task: FailbackTask, shouldRetry: (error: ProximaError) => boolean, label = 'call'): boolean {
    if (this.controller.signal.aborted || this.entries.size >= this.maxSize) return false;
    const entry: Entry = { task, shouldRetry, label, backoff: this.backoffStart, timer: undefined };
    this.entries.add(entry);
    this.schedule(entry);
    return true;
  }

  /** Cancels every pending retry and waits for the tries in flight to end. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.controller.abort();
    for (const entry of [...this.entries]) {
      if (entry.timer !== undefined) {
        this.clock.clearTimeout(entry.timer);
        this.drop(entry, toProximaError(this.controller.signal.reason));
      }
    }
    await Promise.all([...this.running]);
    this.dropped.clear();
  }

  private schedule(entry: Entry): void {
    entry.backoff = entry.backoff.next();
    entry.timer = this.clock.setTimeout(() => {
      entry.timer = undefined;
      const running = this.tryOnce(entry);
      this.running.add(running);
      void running.finally(() => this.running.delete(running));
    }, entry.backoff.delayMs);
    entry.timer.unref?.();
  }

  private async tryOnce(entry: Entry): Promise<void> {
    try {
      await entry.task(this.controller.signal, entry.backoff.retries);
      this.entries.delete(entry);
    } catch (thrown) {
      const error = toProximaError(thrown);
      if (
        this.controller.signal.aborted ||
        entry.backoff.retries >= this.maxRetries ||
        !entry.shouldRetry(error)
      ) {
        this.drop(entry, error);
      } else {
        this.schedule(entry);
      }
    }
  }

  private drop(entry: Entry, error: ProximaError): void {
    this.entries.delete(entry);
    const retries = entry.backoff.retries;
    this.logger?.warn(
      { err: error, code: error.code, label: entry.label, retries },
      'failback: call dropped',
    );
    this.dropped.emit({ label: entry.label, error, retries });
  }
}
