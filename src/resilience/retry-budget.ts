import { lazySchema } from '../core/zod.js';
import { invalidArgument } from '../core/errors.js';
import { parseWith } from '../core/validate.js';

/** Options of a {@link RetryBudget}; every field has gRPC A6's default. */
export interface RetryBudgetOptions {
  /** Tokens at start and at most (A6: 10). */
  readonly maxTokens?: number;
  /** Tokens earned per successful call (A6: 0.1). */
  readonly tokenRatio?: number;
  /** Tokens lost per failed call (A6: 1). */
  readonly failureCost?: number;
  /** Retries and hedges are allowed only while tokens are above this (A6: maxTokens / 2). */
  readonly threshold?: number;
}

const optionsSchema = lazySchema((z) =>
  z
    .object({
      maxTokens: z.number().positive().max(1_000_000).optional(),
      tokenRatio: z.number().positive().max(1_000_000).optional(),
      failureCost: z.number().positive().max(1_000_000).optional(),
      threshold: z.number().nonnegative().optional(),
    })
    .strict(),
);

// Tokens are kept in integer thousandths so that ten successes of 0.1 add up to exactly 1 (A6
// itself specifies three decimal places); floats would drift around the threshold.
const SCALE = 1000;

/**
 * A token bucket that throttles retries once calls to a service start failing broadly (gRPC A6
 * "retry throttling"). It is shared by every call of one client to one service: each failed call
 * costs a token, each success earns a fraction back, and below the threshold no call retries or
 * hedges, so a struggling service sees at most about its normal load instead of maxAttempts times it.
 *
 * Application errors (the server answered) and calls the server never processed neither cost nor
 * earn: they say nothing about whether retrying adds load to a failing service.
 *
 * @example
 * ```ts
 * const budget = new RetryBudget(); // 10 tokens, −1 per failure, +0.1 per success, retry while > 5
 * budget.recordFailure();
 * if (budget.canRetry()) retry();
 * ```
 */
export class RetryBudget {
  private readonly max: number;
  private readonly earn: number;
  private readonly cost: number;
  private readonly floor: number;
  private milliTokens: number;
  private readonly charged = new WeakSet<object>();

  constructor(options: RetryBudgetOptions = {}) {
    const o = parseWith(optionsSchema(), options, 'retryBudget');
    const maxTokens = o.maxTokens ?? 10;
    this.max = Math.round(maxTokens * SCALE);
    // A6: "Decimal places beyond 3 are ignored (eg. 0.5466 is treated as 0.546)" — truncated, not
    // rounded (the epsilon absorbs binary noise such as 0.1 × 1000 = 100.00000000000001).
    this.earn = Math.max(1, Math.floor((o.tokenRatio ?? 0.1) * SCALE + 1e-9));
    this.cost = Math.max(1, Math.round((o.failureCost ?? 1) * SCALE));
    this.floor = Math.round((o.threshold ?? maxTokens / 2) * SCALE);
    if (this.floor >= this.max) {
      throw invalidArgument('retryBudget.threshold', 'must be below maxTokens');
    }
    this.milliTokens = this.max;
  }

  /** Tokens left (fractional). */
  get tokens(): number {
    return this.milliTokens / SCALE;
  }

  /** True while a retry or hedge may be sent. */
  canRetry(): boolean {
    return this.milliTokens > this.floor;
  }

  /** A call succeeded: earn `tokenRatio`, up to `maxTokens`. */
  recordSuccess(): void {
    const next = this.milliTokens + this.earn;
    this.milliTokens = next > this.max ? this.max : next;
  }

  /**
   * A call failed (failure or timeout): pay `failureCost`, down to zero. Calls that failed through
   * one event (one broken connection cutting off every call it carried) pass that event, and pay
   * once between them: A6 throttles retries of a struggling service, not of one crash.
   */
  recordFailure(event?: object): void {
    if (event !== undefined) {
      if (this.charged.has(event)) return;
      this.charged.add(event);
    }
    const next = this.milliTokens - this.cost;
    this.milliTokens = next < 0 ? 0 : next;
  }
}

/**
 * One {@link RetryBudget} per service, created on first use: A6 shares a budget per client channel,
 * and a Proxima client talks to many services through one object, so the budget is keyed by service
 * to keep one failing service from silencing retries to the healthy ones.
 */
export class RetryBudgets {
  private readonly budgets = new Map<string, RetryBudget>();

  constructor(private readonly options: RetryBudgetOptions = {}) {
    // Validate once, up front, rather than on the first call of some service.
    new RetryBudget(options);
  }

  /** The budget of `service`. */
  for(service: string): RetryBudget {
    let budget = this.budgets.get(service);
    if (budget === undefined) {
      budget = new RetryBudget(this.options);
      this.budgets.set(service, budget);
    }
    return budget;
  }
}
