import { describe, expect, it } from 'vitest';
import { ProximaError, type ErrorCode } from '../core/errors.js';
import { chargeBudget, mayRetry, outcomeOf } from './outcome.js';
import { RetryBudget } from './retry-budget.js';

const error = (code: ErrorCode, options: ConstructorParameters<typeof ProximaError>[2] = {}) =>
  new ProximaError(code, 'x', options);

describe('outcomeOf', () => {
  it('a failed connection is a strike even when the call was never processed', () => {
    const refused = error('UNAVAILABLE', { unprocessed: true, connectionFailed: true });
    expect(outcomeOf(refused, undefined)).toBe('failure');
    // …and it may still go anywhere, like any unprocessed call.
    expect(mayRetry(refused, false)).toBe(true);
  });

  it('a graceful refusal (GOAWAY, draining, a limit before dispatch) is no strike', () => {
    expect(outcomeOf(error('UNAVAILABLE', { unprocessed: true }), undefined)).toBe('unprocessed');
    expect(outcomeOf(error('RESOURCE_EXHAUSTED', { unprocessed: true }), undefined)).toBe('unprocessed');
  });

  it('sorts answered errors into endpoint failures and application errors', () => {
    expect(outcomeOf(error('UNAVAILABLE'), undefined)).toBe('failure');
    expect(outcomeOf(error('INTERNAL'), undefined)).toBe('failure');
    expect(outcomeOf(error('NOT_FOUND'), undefined)).toBe('app-error');
    expect(outcomeOf(error('INVALID_ARGUMENT'), undefined)).toBe('app-error');
    expect(outcomeOf(error('DEADLINE_EXCEEDED'), undefined)).toBe('timeout');
    expect(outcomeOf(error('CANCELLED'), undefined)).toBe('cancelled');
  });

  it('once the attempt’s signal aborted, its reason decides, whatever the error says', () => {
    const refused = error('UNAVAILABLE', { unprocessed: true, connectionFailed: true });
    expect(outcomeOf(refused, AbortSignal.abort(error('DEADLINE_EXCEEDED')))).toBe('timeout');
    expect(outcomeOf(refused, AbortSignal.abort())).toBe('cancelled');
  });

  it('the retry budget pays for failures and timeouts only', () => {
    const budget = new RetryBudget();
    const before = budget.tokens;
    chargeBudget(budget, 'unprocessed');
    chargeBudget(budget, 'app-error');
    expect(budget.tokens).toBe(before);
    chargeBudget(budget, 'failure');
    expect(budget.tokens).toBe(before - 1);
  });

  it('charges one broken connection once, however many calls it cut off', () => {
    const budget = new RetryBudget();
    const before = budget.tokens;
    const crash = error('UNAVAILABLE', { connectionFailed: true });
    for (let i = 0; i < 20; i++) {
      const cutOff = new ProximaError('UNAVAILABLE', 'connection reset', {
        cause: crash,
        connectionFailed: true,
      });
      chargeBudget(budget, outcomeOf(cutOff, undefined), cutOff);
    }
    expect(budget.tokens).toBe(before - 1);
    expect(budget.canRetry()).toBe(true);
    // Unrelated failures (no shared connection failure) each pay.
    chargeBudget(budget, 'failure', error('INTERNAL'));
    chargeBudget(budget, 'failure', error('INTERNAL'));
    expect(budget.tokens).toBe(before - 3);
  });
});

describe('connectionFailed', () => {
  it('stays on this side of the wire', () => {
    const e = error('UNAVAILABLE', { unprocessed: true, connectionFailed: true });
    expect(e.connectionFailed).toBe(true);
    expect(e.toJSON()).toEqual({ code: 'UNAVAILABLE', message: 'x', retryable: true, unprocessed: true });
    expect(error('UNAVAILABLE').connectionFailed).toBe(false);
  });
});
