import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../../src/resilience/retry-budget.js';

/**
 * Retry throttling from gRFC A6 (grpc/proposal `A6-client-retries.md`, "Throttling Retry Attempts
 * and Hedged RPCs" and "Validation of retryThrottling"): `token_count` starts at `maxTokens`, stays
 * within [0, maxTokens], loses 1 per failed RPC and gains `tokenRatio` per success; retries and
 * hedges are allowed only while `token_count` is greater than `maxTokens / 2`; `tokenRatio` keeps
 * three decimal places ("0.5466 is treated as 0.546"). Expected values below are worked by hand
 * from those rules (maxTokens 10, tokenRatio 0.1 unless stated).
 */

type Step = ['fail' | 'ok', number, number, boolean];

/** Applies `count` events of one kind, then checks tokens and whether a retry may go. */
function run(budget: RetryBudget, steps: readonly Step[]): void {
  for (const [kind, count, tokens, canRetry] of steps) {
    for (let k = 0; k < count; k++) {
      if (kind === 'fail') budget.recordFailure();
      else budget.recordSuccess();
    }
    expect([budget.tokens, budget.canRetry()]).toEqual([tokens, canRetry]);
  }
}

describe('gRFC A6 retry throttling', () => {
  it('starts full, and stops retrying exactly at the threshold (≤ maxTokens / 2)', () => {
    const budget = new RetryBudget();
    expect([budget.tokens, budget.canRetry()]).toEqual([10, true]);
    run(budget, [
      ['fail', 4, 6, true],
      ['fail', 1, 5, false], // 5 is not greater than 5
      ['ok', 1, 5.1, true],
      ['fail', 1, 4.1, false],
      ['ok', 9, 5, false], // back to exactly the threshold: still throttled
      ['ok', 1, 5.1, true],
    ]);
  });

  it('never goes below 0 nor above maxTokens, and ten successes of 0.1 make exactly 1', () => {
    const budget = new RetryBudget();
    run(budget, [
      ['fail', 25, 0, false],
      ['ok', 50, 5, false],
      ['ok', 1, 5.1, true],
      ['ok', 49, 10, true],
      ['ok', 20, 10, true],
      ['fail', 1, 9, true],
    ]);
  });

  it('a 109-event trace: 30 failures, 60 successes, 19 failures', () => {
    const budget = new RetryBudget();
    run(budget, [
      ['fail', 30, 0, false],
      ['ok', 60, 6, true],
      ['fail', 1, 5, false],
      ['fail', 18, 0, false],
    ]);
  });

  it('tokenRatio keeps three decimal places: 0.5466 counts as 0.546', () => {
    const budget = new RetryBudget({ maxTokens: 10, tokenRatio: 0.5466 });
    run(budget, [
      ['fail', 10, 0, false],
      ['ok', 1, 0.546, false],
      ['ok', 9, 5.46, true],
    ]);
  });

  it('maxTokens 4, tokenRatio 1 (threshold 2): at 2 throttled, at 3 not', () => {
    const budget = new RetryBudget({ maxTokens: 4, tokenRatio: 1 });
    run(budget, [
      ['fail', 2, 2, false],
      ['ok', 1, 3, true],
      ['fail', 3, 0, false],
      ['ok', 2, 2, false],
      ['ok', 1, 3, true],
    ]);
  });
});
