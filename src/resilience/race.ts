import type { CallTracker, Endpoint, PickContext } from '../balancer/picker.js';
import type { TimerHandle } from '../core/clock.js';
import { ErrorCode, ProximaError, toProximaError } from '../core/errors.js';
import { abortError, type Deadline } from './deadline.js';
import { chargeBudget, mayRetry, outcomeOf } from './outcome.js';
import { waitForPick } from './pick.js';
import type { Attempt, CallPolicy } from './policy.js';

/** How a {@link runRace} launches attempts. */
export interface RaceShape {
  /** Attempts launched at once at the start (forking: N; hedging: 1). */
  readonly initial: number;
  /** Attempts in all. */
  readonly maxAttempts: number;
  /** Delay before each further (hedged) attempt; undefined: no timed launches. */
  readonly hedgeDelayMs: number | undefined;
  /**
   * Hedging: a non-retryable error ends the call at once, and a retryable one launches the next
   * attempt without waiting for the delay (gRPC A6). Forking: only the last failure ends the call.
   */
  readonly hedged: boolean;
}

interface Run {
  readonly endpoint: Endpoint;
  readonly tracker: CallTracker;
  readonly start: number;
  readonly controller: AbortController;
  settled: boolean;
}

/**
 * Several attempts of one call in flight on distinct instances; the first success wins and every
 * other attempt is aborted and reported `cancelled`. Used for hedged requests (a backup after a
 * delay) and the `forking` fail mode (N at once).
 */
export function runRace<T>(
  policy: CallPolicy,
  attempt: Attempt<T>,
  signal: AbortSignal | undefined,
  deadline: Deadline | undefined,
  hashKey: string | undefined,
  shape: RaceShape,
): Promise<T> {
  return new Race(policy, attempt, signal, deadline, hashKey, shape).run();
}

const lostRace = (): ProximaError => new ProximaError(ErrorCode.CANCELLED, 'another attempt answered first');

class Race<T> {
  private readonly runs: Run[] = [];
  private readonly tried = new Set<string>();
  private readonly context: PickContext;
  private outstanding = 0;
  private finished = false;
  private lastError: ProximaError | undefined;
  private timer: TimerHandle | undefined;
  private resolve!: (value: T) => void;
  private reject!: (error: ProximaError) => void;

  constructor(
    private readonly policy: CallPolicy,
    private readonly attempt: Attempt<T>,
    private readonly signal: AbortSignal | undefined,
    private readonly deadline: Deadline | undefined,
    hashKey: string | undefined,
    private readonly shape: RaceShape,
  ) {
    this.context = { hashKey, exclude: this.tried };
  }

  async run(): Promise<T> {
    let first = this.policy.getPicker().pick(this.context);
    if (first.kind === 'wait')
      first = await waitForPick(this.policy, this.context, this.signal, this.deadline);
    if (first.kind === 'fail') throw first.error;
    if (this.signal?.aborted) {
      first.tracker.done('cancelled', 0);
      throw abortError(this.signal);
    }
    const done = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.signal?.addEventListener('abort', this, { once: true });
    this.launch(first.endpoint, first.tracker);
    for (let i = 1; i < this.shape.initial && !this.finished; i++) {
      if (!this.launchNext()) break;
    }
    this.scheduleHedge();
    return done;
  }

  /** The caller's signal aborted: every attempt goes with it. */
  handleEvent(): void {
    if (this.signal !== undefined) this.finish(undefined, abortError(this.signal), this.signal.reason);
  }

  private launch(endpoint: Endpoint, tracker: CallTracker): void {
    const run: Run = {
      endpoint,
      tracker,
      start: this.policy.clock.now(),
      controller: new AbortController(),
      settled: false,
    };
    this.runs.push(run);
    this.tried.add(endpoint.id);
    this.outstanding++;
    const context = { signal: run.controller.signal, attempt: this.runs.length, deadline: this.deadline };
    let pending: Promise<T>;
    try {
      pending = this.attempt(endpoint, context);
    } catch (thrown) {
      pending = Promise.reject(thrown);
    }
    pending.then(
      (value) => this.onSuccess(run, value),
      (thrown: unknown) => this.onFailure(run, toProximaError(thrown)),
    );
  }

  /** Launches one more attempt on an instance not tried yet; false when none can be picked now. */
  private launchNext(): boolean {
    const pick = this.policy.getPicker().pick(this.context);
    if (pick.kind !== 'ok') return false;
    this.launch(pick.endpoint, pick.tracker);
    return true;
  }

  private scheduleHedge(): void {
    const delay = this.shape.hedgeDelayMs;
    if (delay === undefined || this.finished || this.runs.length >= this.shape.maxAttempts) return;
    if (this.deadline !== undefined && delay >= this.deadline.remaining()) return;
    if (this.timer !== undefined) this.policy.clock.clearTimeout(this.timer);
    this.timer = this.policy.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.finished || !this.policy.budget.canRetry()) return;
      if (this.launchNext()) this.scheduleHedge();
    }, delay);
  }

  private onSuccess(run: Run, value: T): void {
    run.settled = true;
    this.outstanding--;
    const latency = this.policy.clock.now() - run.start;
    if (this.finished || run.controller.signal.aborted) {
      run.tracker.done('cancelled', latency);
      return;
    }
    run.tracker.done('success', latency);
    this.policy.budget.recordSuccess();
    this.policy.hedging?.estimator?.record(latency);
    this.finish(value, undefined, undefined);
  }

  private onFailure(run: Run, error: ProximaError): void {
    run.settled = true;
    this.outstanding--;
    const kind = outcomeOf(error, run.controller.signal);
    run.tracker.done(kind, this.policy.clock.now() - run.start);
    chargeBudget(this.policy.budget, kind);
    if (this.finished) return;
    this.lastError = error;
    const retryable = mayRetry(error, this.policy.idempotent);
    if (this.shape.hedged) {
      if (!retryable) return this.finish(undefined, error, undefined);
      const mayLaunch =
        this.runs.length < this.shape.maxAttempts && (error.unprocessed || this.policy.budget.canRetry());
      if (mayLaunch && this.launchNext()) return this.scheduleHedge();
    }
    if (this.outstanding === 0) this.finish(undefined, this.lastError, undefined);
  }

  /** Ends the call once: settles it, stops the hedge timer, aborts every attempt still running. */
  private finish(value: T | undefined, error: ProximaError | undefined, abortReason: unknown): void {
    if (this.finished) return;
    this.finished = true;
    this.signal?.removeEventListener('abort', this);
    if (this.timer !== undefined) {
      this.policy.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (const run of this.runs) {
      if (!run.settled) run.controller.abort(abortReason ?? lostRace());
    }
    if (error === undefined) this.resolve(value as T);
    else this.reject(error);
  }
}
