import { lazySchema, zod } from '../core/zod.js';
import { systemClock } from '../core/clock.js';
import { invalidArgument } from '../core/errors.js';
import { systemRandom } from '../core/random.js';
import { parseWith } from '../core/validate.js';
import { LatencyEstimator } from './latency-estimator.js';
import {
  FAIL_MODES,
  type CallPolicy,
  type CallPolicyInput,
  type FailMode,
  type HedgingPolicy,
} from './policy.js';
import { RetryBudget } from './retry-budget.js';

const fn = (what: string) =>
  zod().custom<(...args: never[]) => unknown>((v) => typeof v === 'function', `expected ${what}`);
const object = (what: string) =>
  zod().custom<object>((v) => typeof v === 'object' && v !== null, `expected ${what}`);
const ms = lazySchema((z) => z.number().finite().nonnegative());

const inputSchema = lazySchema((z) =>
  z
    .object({
      getPicker: fn('a function returning the current picker'),
      onPickerChange: fn('an Event (subscribe function)').optional(),
      failMode: z.enum(FAIL_MODES).optional(),
      idempotent: z.boolean().optional(),
      retry: z
        .object({
          maxAttempts: z.number().int().min(1).max(10).optional(),
          initialBackoffMs: ms().optional(),
          maxBackoffMs: ms().optional(),
        })
        .strict()
        .optional(),
      budget: z.instanceof(RetryBudget).optional(),
      hedging: z
        .object({
          maxAttempts: z.number().int().min(2).max(5).optional(),
          delayMs: ms().optional(),
          percentile: z.number().gt(0).lt(1).optional(),
          estimator: z.instanceof(LatencyEstimator).optional(),
          minDelayMs: ms().optional(),
        })
        .strict()
        .optional(),
      forks: z.number().int().min(1).max(64).optional(),
      failbackQueue: object('a FailbackQueue').optional(),
      timeoutMs: ms().optional(),
      clock: object('a Clock').optional(),
      random: fn('a Random').optional(),
      logger: object('a logger with warn()').optional(),
      observer: object('a PolicyObserver').optional(),
    })
    .strict(),
);

/**
 * Validates a method's policy and fills in the defaults: failover, 3 attempts, full-jitter backoff
 * 25 ms..1 s, a fresh A6 retry budget (pass a shared one per service), no timeout, system clock and
 * randomness. Throws INVALID_ARGUMENT naming the field, also for combinations that cannot work
 * (hedging a non-idempotent method, failback without a queue).
 *
 * @example
 * ```ts
 * const policy = callPolicy({
 *   getPicker: () => router.picker('users'),
 *   onPickerChange: router.onPickerChange,
 *   idempotent: true,
 *   budget: budgets.for('users'),
 *   hedging: { percentile: 0.95, delayMs: 20 },
 *   timeoutMs: 1000,
 * });
 * const user = await executeCall(policy, (endpoint, ctx) => transport.call(endpoint, 'get', req, ctx));
 * ```
 */
export function callPolicy<M extends FailMode = 'failover'>(
  input: CallPolicyInput<M>,
  field = 'policy',
): CallPolicy<M> {
  parseWith(inputSchema(), input, field);
  const failMode = (input.failMode ?? 'failover') as M;
  const idempotent = input.idempotent ?? false;
  const initialBackoffMs = input.retry?.initialBackoffMs ?? 25;
  const maxBackoffMs = input.retry?.maxBackoffMs ?? Math.max(1000, initialBackoffMs);
  if (maxBackoffMs < initialBackoffMs) {
    throw invalidArgument(`${field}.retry.maxBackoffMs`, 'must not be below initialBackoffMs');
  }
  if (failMode === 'failback' && input.failbackQueue === undefined) {
    throw invalidArgument(`${field}.failbackQueue`, 'required with failMode "failback"');
  }
  return Object.freeze({
    getPicker: input.getPicker,
    onPickerChange: input.onPickerChange,
    failMode,
    idempotent,
    maxAttempts: input.retry?.maxAttempts ?? 3,
    initialBackoffMs,
    maxBackoffMs,
    budget: input.budget ?? new RetryBudget(),
    hedging: resolveHedging(input, failMode, idempotent, field),
    forks: input.forks ?? 2,
    failbackQueue: input.failbackQueue,
    timeoutMs: input.timeoutMs,
    clock: input.clock ?? systemClock,
    random: input.random ?? systemRandom,
    logger: input.logger,
    observer: input.observer,
  });
}

function resolveHedging(
  input: CallPolicyInput<FailMode>,
  failMode: FailMode,
  idempotent: boolean,
  field: string,
): HedgingPolicy | undefined {
  const h = input.hedging;
  if (h === undefined) return undefined;
  if (failMode !== 'failover') {
    throw invalidArgument(`${field}.hedging`, `only with failMode "failover", not "${failMode}"`);
  }
  if (!idempotent) {
    throw invalidArgument(`${field}.hedging`, 'hedging runs a call twice: only for idempotent methods');
  }
  if (h.delayMs === undefined && h.percentile === undefined) {
    throw invalidArgument(`${field}.hedging.delayMs`, 'set delayMs, percentile, or both');
  }
  const percentile = h.percentile;
  return Object.freeze({
    maxAttempts: h.maxAttempts ?? 2,
    // With a percentile only, a cold estimator hedges after 1 s: late, but never a storm.
    delayMs: h.delayMs ?? 1000,
    percentile,
    estimator: percentile === undefined ? h.estimator : (h.estimator ?? new LatencyEstimator()),
    minDelayMs: h.minDelayMs ?? 1,
  });
}
