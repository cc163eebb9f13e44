import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { errorCode, httpRetryOptionsSchema, isTimeout, isUnreachable, RetryRules } from './retry-rules.js';

const coded = (code: string): Error => Object.assign(new Error(code), { code });
const defaults = new RetryRules(httpRetryOptionsSchema().parse({}));

describe('RetryRules (undici RetryHandler semantics, on another endpoint)', () => {
  it('retries idempotent methods on connection errors, up to maxAttempts', () => {
    expect(defaults.mayRetry('GET', null, coded('ECONNRESET'), 1)).toBe(true);
    expect(defaults.mayRetry('PUT', 'body', coded('UND_ERR_SOCKET'), 2)).toBe(true);
    expect(defaults.mayRetry('GET', null, coded('ECONNRESET'), 3)).toBe(false);
  });

  it('never retries a POST that may have reached a server, but does when nothing was sent', () => {
    expect(defaults.mayRetry('POST', 'x', coded('ECONNRESET'), 1)).toBe(false);
    expect(defaults.mayRetry('POST', 'x', coded('ECONNREFUSED'), 1)).toBe(true);
    expect(defaults.mayRetry('PATCH', null, coded('UND_ERR_CONNECT_TIMEOUT'), 1)).toBe(true);
  });

  it('does not retry errors outside the list (timeouts, aborts, application errors)', () => {
    expect(defaults.mayRetry('GET', null, coded('UND_ERR_HEADERS_TIMEOUT'), 1)).toBe(false);
    expect(defaults.mayRetry('GET', null, new Error('no code'), 1)).toBe(false);
  });

  it('retries only bodies it can send again', () => {
    const fresh = Readable.from(['a']);
    expect(defaults.mayRetry('PUT', fresh, coded('ECONNRESET'), 1)).toBe(true);
    const consumed = Readable.from(['a']);
    consumed.read();
    expect(defaults.mayRetry('PUT', consumed, coded('ECONNRESET'), 1)).toBe(false);
    const iterable = (async function* () {
      yield 'a';
    })();
    expect(defaults.mayRetry('PUT', iterable, coded('ECONNRESET'), 1)).toBe(false);
    // Refused: no connection, so nothing of the body was read, whatever its kind (fetch's bodies).
    expect(defaults.mayRetry('POST', iterable, coded('ECONNREFUSED'), 1)).toBe(true);
    expect(defaults.mayRetry('POST', consumed, coded('ECONNREFUSED'), 1)).toBe(false);
  });

  it('honours custom lists and `false`', () => {
    const custom = new RetryRules(
      httpRetryOptionsSchema().parse({ methods: ['POST'], errorCodes: ['EPIPE'] }),
    );
    expect(custom.mayRetry('POST', null, coded('EPIPE'), 1)).toBe(true);
    expect(custom.mayRetry('GET', null, coded('ECONNRESET'), 1)).toBe(false);
    expect(new RetryRules(false).mayRetry('GET', null, coded('ECONNREFUSED'), 1)).toBe(false);
  });

  it('classifies errors by code', () => {
    expect(errorCode({ code: 42 })).toBe('');
    expect(isTimeout(coded('UND_ERR_BODY_TIMEOUT'))).toBe(true);
    expect(isUnreachable(coded('ECONNREFUSED'))).toBe(true);
    expect(isUnreachable(coded('ECONNRESET'))).toBe(false);
  });
});
