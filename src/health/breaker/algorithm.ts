/**
 * A breaker *algorithm* decides when failures are bad enough to open; the breaker *state machine*
 * ({@link BreakerStateMachine}) owns closed / open / half-open and timing. Keeping them apart
 * (cockatiel's lesson) lets a new trip rule plug in without touching the transitions.
 *
 * One algorithm instance belongs to one endpoint's breaker and sees only calls made while closed.
 */
export interface BreakerAlgorithm {
  /** A call succeeded while the breaker was closed. */
  onSuccess(now: number): void;
  /** A call failed while closed; returns true when the breaker should open. */
  onFailure(now: number): boolean;
  /** The breaker closed again (after a good half-open probe): forget the history. */
  reset(): void;
}

/** Opens after `threshold` failures in a row (cockatiel's ConsecutiveBreaker). */
export class ConsecutiveBreaker implements BreakerAlgorithm {
  private failures = 0;

  constructor(private readonly threshold: number) {}

  onSuccess(): void {
    this.failures = 0;
  }

  onFailure(): boolean {
    this.failures++;
    return this.failures >= this.threshold;
  }

  reset(): void {
    this.failures = 0;
  }
}

/**
 * Opens when, over a sliding window of `windowMs` split into `buckets`, at least `minCalls` calls
 * were seen and the failure ratio reached `threshold` (cockatiel's SamplingBreaker, bucketed so
 * memory stays fixed per endpoint).
 */
export class FailureRateBreaker implements BreakerAlgorithm {
  private readonly ok: Float64Array;
  private readonly bad: Float64Array;
  private readonly bucketMs: number;
  private current = 0;
  private currentStart = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly threshold: number,
    private readonly minCalls: number,
    windowMs: number,
    buckets = 10,
  ) {
    this.ok = new Float64Array(buckets);
    this.bad = new Float64Array(buckets);
    this.bucketMs = windowMs / buckets;
  }

  onSuccess(now: number): void {
    this.rotate(now);
    this.ok[this.current]! += 1;
  }

  onFailure(now: number): boolean {
    this.rotate(now);
    this.bad[this.current]! += 1;
    let ok = 0;
    let bad = 0;
    for (let i = 0; i < this.ok.length; i++) {
      ok += this.ok[i]!;
      bad += this.bad[i]!;
    }
    const total = ok + bad;
    return total >= this.minCalls && bad / total >= this.threshold;
  }

  reset(): void {
    this.ok.fill(0);
    this.bad.fill(0);
    this.currentStart = Number.NEGATIVE_INFINITY;
  }

  private rotate(now: number): void {
    if (now < this.currentStart + this.bucketMs) return;
    const steps = Number.isFinite(this.currentStart)
      ? Math.min(this.ok.length, Math.floor((now - this.currentStart) / this.bucketMs))
      : this.ok.length;
    for (let i = 0; i < steps; i++) {
      this.current = (this.current + 1) % this.ok.length;
      this.ok[this.current] = 0;
      this.bad[this.current] = 0;
    }
    this.currentStart =
      now - ((now - (Number.isFinite(this.currentStart) ? this.currentStart : now)) % this.bucketMs);
  }
}
