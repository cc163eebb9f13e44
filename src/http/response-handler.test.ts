import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { toResponseHandler } from './response-handler.js';

function controller(raw: Buffer[] | null): Dispatcher.DispatchController & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    aborted: false,
    paused: false,
    reason: null,
    rawHeaders: raw,
    rawTrailers: null,
    abort: (reason: Error) => log.push(`abort ${reason.name}`),
    pause: () => log.push('pause'),
    resume: () => log.push('resume'),
  };
}

describe('toResponseHandler', () => {
  it('passes controller-style handlers through unchanged', () => {
    const handler = { onRequestStart: () => undefined };
    expect(toResponseHandler(handler)).toBe(handler);
  });

  it('adapts callback-style handlers: abort, raw headers, back-pressure, completion, errors', () => {
    const seen: unknown[] = [];
    let abort: ((e?: Error) => void) | undefined;
    const adapted = toResponseHandler({
      onConnect: (a) => (abort = a),
      onHeaders: (status, headers, resume) => {
        seen.push(
          status,
          headers.map((b) => b.toString()),
        );
        resume();
        return false;
      },
      onData: (chunk) => {
        seen.push(chunk.toString());
        return true;
      },
      onComplete: (trailers) => seen.push(trailers),
      onError: (error) => seen.push(error.message),
    });
    const c = controller(null);
    adapted.onRequestStart?.(c, {});
    abort?.();
    expect(c.log).toEqual(['abort AbortError']);
    adapted.onResponseStart?.(c, 200, { 'set-cookie': ['a=1', 'b=2'], 'x-one': '1' }, 'OK');
    expect(c.log.slice(1)).toEqual(['resume', 'pause']);
    adapted.onResponseData?.(c, Buffer.from('body'));
    adapted.onResponseEnd?.(c, { 'x-t': 'v' });
    adapted.onResponseError?.(c, new Error('boom'));
    expect(seen).toEqual([
      200,
      ['set-cookie', 'a=1', 'set-cookie', 'b=2', 'x-one', '1'],
      'body',
      ['x-t', 'v'],
      'boom',
    ]);
  });

  it('prefers the raw header buffers the connection kept', () => {
    const raw = [Buffer.from('X-Exact'), Buffer.from('Yes')];
    let got: Buffer[] = [];
    const adapted = toResponseHandler({
      onHeaders: (_s, headers) => {
        got = headers;
        return true;
      },
      onError: () => undefined,
    });
    adapted.onResponseStart?.(controller(raw), 204, { 'x-exact': 'Yes' });
    expect(got).toBe(raw);
  });
});
