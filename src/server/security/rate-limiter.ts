import { ErrorCode } from '../../core/errors.js';
import { HttpError } from '../http-io.js';
import type { Limits } from './limits.js';
import { TokenBucket } from './token-bucket.js';

/** Which bucket a request draws from: keep-alives are counted apart from everything else. */
export type RequestKind = 'request' | 'keep-alive';

/** Most identities with a bucket at once; past it, full (idle) buckets are dropped, then the oldest. */
export const DEFAULT_MAX_RATE_KEYS = 10_000;

/**
 * Per-identity request rate: one token bucket per identity and kind. A request over the rate gets
 * `429 RESOURCE_EXHAUSTED` with `Retry-After` (whole seconds, at least 1). The map is keyed by
 * peer input (token names, client addresses), so it is bounded.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly maxKeys = DEFAULT_MAX_RATE_KEYS) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Admits one request of `key`, or throws the 429. */
  admit(key: string, kind: RequestKind, limits: Limits, now: number): void {
    const perSecond = kind === 'keep-alive' ? limits.keepAlivesPerSecond : limits.requestsPerSecond;
    if (perSecond <= 0) return;
    const burst = kind === 'keep-alive' ? limits.keepAliveBurst : limits.requestBurst;
    const id = `${kind}\u0000${key}`;
    let bucket = this.buckets.get(id);
    if (bucket === undefined) {
      this.makeRoom(now);
      bucket = new TokenBucket(perSecond, burst, now);
      this.buckets.set(id, bucket);
    }
    const waitMs = bucket.take(now);
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      throw new HttpError(
        429,
        ErrorCode.RESOURCE_EXHAUSTED,
        `rate limit: more than ${perSecond} ${kind === 'keep-alive' ? 'keep-alives' : 'requests'}/s for ${key}; retry in ${seconds} s`,
        // Retryable: a watch or registrar backs off and comes back instead of giving up.
        { headers: { 'retry-after': String(seconds) }, retryable: true },
      );
    }
  }

  /** Forgets every bucket (limits changed: an ACL reload). */
  clear(): void {
    this.buckets.clear();
  }

  private makeRoom(now: number): void {
    if (this.buckets.size < this.maxKeys) return;
    for (const [id, bucket] of this.buckets) if (bucket.idle(now)) this.buckets.delete(id);
    while (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next();
      if (oldest.done === true) break;
      this.buckets.delete(oldest.value);
    }
  }
}
