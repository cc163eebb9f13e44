import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RetryBudget, RetryBudgets } from './retry-budget.js';

describe('RetryBudget (gRPC A6)', () => {
  it('starts full and allows retries while tokens > 5', () => {
    const budget = new RetryBudget();
    expect(budget.tokens).toBe(10);
    for (let i = 0; i < 4; i++) budget.recordFailure();
    expect(budget.tokens).toBe(6);
    expect(budget.canRetry()).toBe(true);
    budget.recordFailure();
    expect(budget.tokens).toBe(5);
    expect(budget.canRetry()).toBe(false);
  });

  it('earns back exactly 0.1 per success, without float drift, up to the max', () => {
    const budget = new RetryBudget();
    for (let i = 0; i < 5; i++) budget.recordFailure();
    for (let i = 0; i < 10; i++) budget.recordSuccess();
    expect(budget.tokens).toBe(6);
    expect(budget.canRetry()).toBe(true);
    for (let i = 0; i < 1000; i++) budget.recordSuccess();
    expect(budget.tokens).toBe(10);
  });

  it('never goes below zero and honours custom settings', () => {
    const budget = new RetryBudget({ maxTokens: 4, tokenRatio: 0.5, threshold: 1 });
    for (let i = 0; i < 10; i++) budget.recordFailure();
    expect(budget.tokens).toBe(0);
    budget.recordSuccess();
    budget.recordSuccess();
    expect(budget.tokens).toBe(1);
    expect(budget.canRetry()).toBe(false);
    budget.recordSuccess();
    expect(budget.canRetry()).toBe(true);
  });

  it('rejects bad options naming the field', () => {
    expect(() => new RetryBudget({ maxTokens: -1 })).toThrow(/retryBudget\.maxTokens/);
    expect(() => new RetryBudget({ maxTokens: 4, threshold: 4 })).toThrow(/retryBudget\.threshold/);
    expect(() => new RetryBudgets({ tokenRatio: 0 })).toThrow(/retryBudget\.tokenRatio/);
  });

  it('stays within [0, max] for any sequence of outcomes', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 300 }), (outcomes) => {
        const budget = new RetryBudget();
        for (const ok of outcomes) {
          if (ok) budget.recordSuccess();
          else budget.recordFailure();
          expect(budget.tokens).toBeGreaterThanOrEqual(0);
          expect(budget.tokens).toBeLessThanOrEqual(10);
          expect(budget.canRetry()).toBe(budget.tokens > 5);
        }
      }),
    );
  });
});

describe('RetryBudgets', () => {
  it('keeps one budget per service', () => {
    const budgets = new RetryBudgets();
    expect(budgets.for('users')).toBe(budgets.for('users'));
    for (let i = 0; i < 5; i++) budgets.for('users').recordFailure();
    expect(budgets.for('users').canRetry()).toBe(false);
    expect(budgets.for('orders').canRetry()).toBe(true);
  });
});
