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
  /** 1 for the first attempt launched, 2 for the next, … */
  readonly n: number;
  readonly tracker: CallTracker;
  readonly start: number;
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

// Immutable and shared: building an Error (its stack) for every hedged call would cost more than
// the rest of the race.
const LOST_RACE: ProximaError = Object.freeze(
  new ProximaError(ErrorCode.CANCELLED, 'another attempt answered first', { retryable: false }),
);

class Race<T> {
  // One signal for all attempts: losers are only ever cancelled together, when the race ends, and
  // an AbortSignal is the most expensive object on this path (microseconds in Node 20).
  private readonly controller = new AbortController();
  private launched = 0;
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
    this.launched++;
    const run: Run = { endpoint, n: this.launched, tracker, start: this.policy.clock.now() };
    this.tried.add(endpoint.id);
    this.outstanding++;
    const context = { signal: this.controller.signal, attempt: this.launched, deadline: this.deadline };
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

  /**
   * (Re)arms the hedge timer for the next attempt. A timer armed for an earlier attempt is always
   * cleared first: left running after the last allowed attempt was launched (a failure launches the
   * next attempt at once), it would launch one more than `maxAttempts`.
   */
  private scheduleHedge(): void {
    if (this.timer !== undefined) {
      this.policy.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    const delay = this.shape.hedgeDelayMs;
    if (delay === undefined || this.finished || this.launched >= this.shape.maxAttempts) return;
    if (this.deadline !== undefined && delay >= this.deadline.remaining()) return;
    this.timer = this.policy.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.finished || this.launched >= this.shape.maxAttempts) return;
      if (!this.policy.budget.canRetry()) {
        this.policy.observer?.budgetExhausted();
        return;
      }
      if (this.launchNext()) this.scheduleHedge();
    }, delay);
  }

  private onSuccess(run: Run, value: T): void {
    this.outstanding--;
    const latency = this.policy.clock.now() - run.start;
    if (this.finished) {
      run.tracker.done('cancelled', latency);
      this.policy.observer?.attemptEnded(run.endpoint, run.n, LOST_RACE, latency);
      return;
    }
    run.tracker.done('success', latency);
    this.policy.observer?.attemptEnded(run.endpoint, run.n, undefined, latency);
    this.policy.budget.recordSuccess();
    this.policy.hedging?.estimator?.record(latency);
    this.finish(value, undefined, undefined);
  }

  private onFailure(run: Run, error: ProximaError): void {
    this.outstanding--;
    const kind = outcomeOf(error, this.controller.signal);
    const latency = this.policy.clock.now() - run.start;
    run.tracker.done(kind, latency);
    chargeBudget(this.policy.budget, kind, error);
    this.policy.observer?.attemptEnded(run.endpoint, run.n, error, latency);
    if (this.finished) return;
    this.lastError = error;
    const retryable = mayRetry(error, this.policy.idempotent);
    if (this.shape.hedged) {
      if (!retryable) return this.finish(undefined, error, undefined);
      const left = this.launched < this.shape.maxAttempts;
      const mayLaunch = left && (error.unprocessed || this.policy.budget.canRetry());
      if (left && !mayLaunch) this.policy.observer?.budgetExhausted();
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
    if (this.outstanding > 0) this.controller.abort(abortReason ?? LOST_RACE);
    if (error === undefined) this.resolve(value as T);
    else this.reject(error);
  }
}
