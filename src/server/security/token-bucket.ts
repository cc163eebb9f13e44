/**
 * A token bucket: `burst` tokens, refilled at `perSecond`. Time comes from the caller (the
 * server's clock), so tests drive it with the fake clock.
 */
export class TokenBucket {
  private tokens: number;
  private stamp: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.stamp = now;
  }

  /** Takes one token; returns 0 when taken, else the milliseconds until one is available. */
  take(now: number): number {
    if (this.perSecond <= 0) return 0;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.stamp) * this.perSecond) / 1000);
    this.stamp = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
  }

  /** True when the bucket is full again: nothing is lost by forgetting it. */
  idle(now: number): boolean {
    return this.tokens + ((now - this.stamp) * this.perSecond) / 1000 >= this.burst;
  }
}
