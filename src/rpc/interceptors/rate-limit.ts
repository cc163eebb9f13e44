import { type Clock, systemClock } from '../../core/clock.js';
import { ProximaError, invalidArgument } from '../../core/errors.js';
import type { CallContext, ServerInterceptor } from '../server/context.js';

export interface RateLimitOptions {
  /** Sustained calls per second per key. */
  readonly perSecond: number;
  /** Calls allowed in a burst; default `perSecond`. */
  readonly burst?: number;
  /** Groups calls into buckets; default one bucket per method. */
  readonly key?: (ctx: CallContext) => string;
  /** Bounds memory when keys are many (e.g. per peer); the least recently used bucket goes first. Default 10 000. */
  readonly maxKeys?: number;
  readonly clock?: Clock;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Server side: a token bucket per key; calls over the rate get RESOURCE_EXHAUSTED before the handler
 * runs (`unprocessed`, so a client may try another instance). Refill is computed from the clock on
 * each call — no timers.
 *
 * @example
 * ```ts
 * createServer({ services, interceptors: [rateLimit({ perSecond: 1000, key: (ctx) => ctx.peer.address })] });
 * ```
 */
export function rateLimit(options: RateLimitOptions): ServerInterceptor {
  if (!(options.perSecond > 0)) throw invalidArgument('rateLimit.perSecond', 'must be positive');
  const clock = options.clock ?? systemClock;
  const burst = options.burst ?? options.perSecond;
  const maxKeys = options.maxKeys ?? 10_000;
  const keyOf = options.key ?? ((ctx: CallContext) => ctx.method);
  const buckets = new Map<string, Bucket>();
  const take = (key: string): boolean => {
    const now = clock.now();
    let bucket = buckets.get(key);
    if (bucket === undefined) {
      if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!);
      bucket = { tokens: burst, at: now };
    } else {
      buckets.delete(key); // re-insert: Map order doubles as LRU order
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * options.perSecond);
      bucket.at = now;
    }
    buckets.set(key, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  };
  return (next) => (request, ctx) => {
    if (take(keyOf(ctx))) return next(request, ctx);
    return Promise.reject(
      new ProximaError('RESOURCE_EXHAUSTED', `${ctx.method}: rate limit of ${options.perSecond}/s exceeded`, {
        unprocessed: true,
      }),
    );
  };
}
