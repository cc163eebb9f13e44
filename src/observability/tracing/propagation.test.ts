import { describe, expect, it } from 'vitest';
import { ProximaError } from '../../core/errors.js';
import { FakeClock } from '../../core/testing/fake-clock.js';
import { currentDeadline, withDeadline } from '../../resilience/deadline-context.js';
import { Deadline } from '../../resilience/deadline.js';
import type { CallContext } from '../../rpc/server/context.js';
import type { CallOptions } from '../../transport/transport.js';
import { currentTrace, withTrace } from './context.js';
import { traceClient, traceServer } from './propagation.js';
import type { SpanEnd, SpanRecord } from './span.js';
import type { IdGenerator, TraceContext } from './trace-context.js';

/** Ids 1, 2, 3, … so tests can name spans. */
function countingIds(): IdGenerator {
  let n = 0;
  return {
    traceId: () => (++n).toString(16).padStart(32, '0'),
    spanId: () => (++n).toString(16).padStart(16, '0'),
  };
}

function serverCtx(metadata: Record<string, string>): CallContext {
  return {
    method: 'svc.m',
    service: 'svc',
    methodName: 'm',
    idempotent: false,
    metadata,
    peer: { address: '127.0.0.1', port: 1, tls: false },
    signal: new AbortController().signal,
    remainingMs: () => undefined,
  };
}

const PARENT: TraceContext = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), flags: 1 };

describe('traceClient', () => {
  it('sends a child of the current context and keeps other metadata', async () => {
    let sent: CallOptions | undefined;
    const handler = traceClient({ ids: countingIds() })(async (_m, _r, o) => {
      sent = o;
      return 'ok';
    });
    await withTrace(PARENT, () => handler('svc.m', {}, { metadata: { authorization: 'Bearer x' } }));
    expect(sent?.metadata).toEqual({
      authorization: 'Bearer x',
      traceparent: `00-${'a'.repeat(32)}-${'1'.padStart(16, '0')}-01`,
    });
  });

  it('sends nothing outside a trace when told not to start traces; unsampled roots by sampleRoot', async () => {
    const seen: Array<CallOptions> = [];
    const next = async (_m: string, _r: unknown, o: CallOptions): Promise<string> => {
      seen.push(o);
      return 'ok';
    };
    await traceClient({ startTraces: false })(next)('svc.m', {}, {});
    expect(seen[0]?.metadata).toBeUndefined();
    await traceClient({ sampleRoot: () => false })(next)('svc.m', {}, {});
    expect(seen[1]?.metadata?.traceparent).toMatch(/-00$/);
  });

  it('ends a span exactly once with the error code when the call throws synchronously', async () => {
    const ends: SpanEnd[] = [];
    const handler = traceClient({ hooks: { onEnd: (_s, e) => ends.push(e) } })(() => {
      throw new ProximaError('UNAVAILABLE', 'down');
    });
    await expect(handler('svc.m', {}, {})).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(ends.map((e) => e.code)).toEqual(['UNAVAILABLE']);
  });
});

describe('traceServer', () => {
  it('makes a child of the incoming context current for the handler, and only there', async () => {
    const spans: SpanRecord[] = [];
    const clock = new FakeClock();
    let inside: TraceContext | undefined;
    const handler = traceServer({ ids: countingIds(), clock, hooks: { onStart: (s) => spans.push(s) } })(
      async () => {
        inside = currentTrace();
        return 'ok';
      },
    );
    const incoming = `00-${PARENT.traceId}-${PARENT.spanId}-01`;
    await handler({}, serverCtx({ traceparent: incoming, tracestate: 'k=v' }));
    expect(inside).toEqual({
      traceId: PARENT.traceId,
      spanId: '1'.padStart(16, '0'),
      flags: 1,
      state: 'k=v',
    });
    expect(spans[0]).toMatchObject({
      kind: 'server',
      name: 'svc.m',
      parentSpanId: PARENT.spanId,
      attributes: {
        'rpc.system': 'proxima',
        'rpc.service': 'svc',
        'rpc.method': 'm',
        'client.address': '127.0.0.1',
      },
    });
    expect(currentTrace()).toBeUndefined();
  });

  it('starts a root span for a malformed traceparent and keeps the inherited deadline', async () => {
    const clock = new FakeClock();
    let inside: TraceContext | undefined;
    let deadline: Deadline | undefined;
    const handler = traceServer({ ids: countingIds() })(async () => {
      inside = currentTrace();
      deadline = currentDeadline();
      return 'ok';
    });
    const outer = Deadline.after(clock, 1000);
    await withDeadline(outer, () => handler({}, serverCtx({ traceparent: 'garbage' })));
    expect(inside?.traceId).toBe('1'.padStart(32, '0'));
    expect(deadline).toBe(outer);
  });

  it('runs the handler through hooks.run, for a tracer of its own', async () => {
    const ran: string[] = [];
    const handler = traceServer({
      hooks: {
        run: (context, fn) => {
          ran.push(context.traceId);
          return fn();
        },
      },
    })(async () => currentTrace()?.traceId);
    const result = await handler({}, serverCtx({ traceparent: `00-${PARENT.traceId}-${PARENT.spanId}-01` }));
    expect(ran).toEqual([PARENT.traceId]);
    expect(result).toBe(PARENT.traceId);
  });
});
