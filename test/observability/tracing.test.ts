import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { createClient, createServer, type Client } from '../../src/client/index.js';
import {
  currentTrace,
  parseTraceparent,
  type SpanEnd,
  type SpanRecord,
  traceClient,
  type TraceContext,
  type TraceHooks,
  traceServer,
  withTrace,
} from '../../src/observability/index.js';
import { currentDeadline } from '../../src/resilience/deadline-context.js';
import { defineService, implement, method, type RpcServer } from '../../src/rpc/index.js';

/** What each hop saw: the metadata that arrived and the trace context its handler ran in. */
const Seen = z.object({
  traceparent: z.string().optional(),
  tracestate: z.string().optional(),
  current: z.object({ traceId: z.string(), spanId: z.string() }).optional(),
  hadDeadline: z.boolean(),
});
type Seen = z.infer<typeof Seen>;

const BackApi = defineService('back', {
  look: method({ input: z.object({}), output: Seen }),
});
const FrontApi = defineService('front', {
  relay: method({ input: z.object({}), output: z.object({ front: Seen, back: Seen }) }),
});

function seen(ctx: { metadata: Readonly<Record<string, string>> }): Seen {
  const current = currentTrace();
  return {
    ...(ctx.metadata.traceparent === undefined ? {} : { traceparent: ctx.metadata.traceparent }),
    ...(ctx.metadata.tracestate === undefined ? {} : { tracestate: ctx.metadata.tracestate }),
    ...(current === undefined ? {} : { current: { traceId: current.traceId, spanId: current.spanId } }),
    hadDeadline: currentDeadline() !== undefined,
  };
}

/** Records every span of every process-in-the-test, as an OpenTelemetry bridge would. */
class SpanLog implements TraceHooks {
  readonly started: SpanRecord[] = [];
  readonly ended: Array<{ span: SpanRecord; end: SpanEnd }> = [];
  onStart(span: SpanRecord): void {
    this.started.push(span);
  }
  onEnd(span: SpanRecord, end: SpanEnd): void {
    this.ended.push({ span, end });
  }
  one(kind: SpanRecord['kind'], name: string): SpanRecord {
    const found = this.ended.filter((e) => e.span.kind === kind && e.span.name === name);
    expect(found).toHaveLength(1);
    return found[0]!.span;
  }
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** caller → front (service A) → back (service B), each a real RPC server registered in `registry`. */
async function twoHops(log: SpanLog): Promise<{ registry: MemoryRegistry; caller: Client }> {
  const registry = new MemoryRegistry();
  closers.push(() => registry.close());
  const locality = { region: 'eu', zone: 'eu-a' };
  const backServer: RpcServer = createServer({
    services: [implement(BackApi, { look: (_req, ctx) => seen(ctx) })],
    interceptors: [traceServer({ hooks: log })],
    register: { registry, instance: { service: 'back', id: 'b1', locality }, env: {} },
  });
  await backServer.listen({ host: '127.0.0.1', port: 0 });
  closers.push(() => backServer.shutdown({ graceMs: 0 }));

  const frontClient = await createClient({
    registry,
    locality,
    env: {},
    probe: false,
    interceptors: [traceClient({ hooks: log })],
  });
  closers.push(() => frontClient.close());
  const back = frontClient.bind(BackApi);
  const frontServer = createServer({
    services: [
      implement(FrontApi, {
        relay: async (_req, ctx) => {
          const front = seen(ctx);
          return { front, back: await back.look({}) };
        },
      }),
    ],
    interceptors: [traceServer({ hooks: log })],
    register: { registry, instance: { service: 'front', id: 'f1', locality }, env: {} },
  });
  await frontServer.listen({ host: '127.0.0.1', port: 0 });
  closers.push(() => frontServer.shutdown({ graceMs: 0 }));

  const caller = await createClient({
    registry,
    locality,
    env: {},
    probe: false,
    interceptors: [traceClient({ hooks: log })],
  });
  closers.push(() => caller.close());
  return { registry, caller };
}

describe('W3C trace context across two RPC hops', () => {
  it('carries one trace id caller → A → B, each span the child of the one before', async () => {
    const log = new SpanLog();
    const { caller } = await twoHops(log);
    const root: TraceContext = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      flags: 1,
      state: 'vendor=abc,other=1',
    };
    const answer = await withTrace(root, () => caller.bind(FrontApi).relay({}, { deadlineMs: 5_000 }));

    const callerSpan = log.one('client', 'front.relay');
    const frontSpan = log.one('server', 'front.relay');
    const frontOut = log.one('client', 'back.look');
    const backSpan = log.one('server', 'back.look');
    for (const span of [callerSpan, frontSpan, frontOut, backSpan]) {
      expect(span.context.traceId).toBe(root.traceId);
      expect(span.context.state).toBe(root.state);
    }
    expect(callerSpan.parentSpanId).toBe(root.spanId);
    expect(frontSpan.parentSpanId).toBe(callerSpan.context.spanId);
    expect(frontOut.parentSpanId).toBe(frontSpan.context.spanId);
    expect(backSpan.parentSpanId).toBe(frontOut.context.spanId);
    expect(
      new Set(
        [root, callerSpan, frontSpan, frontOut, backSpan].map((s) =>
          'context' in s ? s.context.spanId : s.spanId,
        ),
      ).size,
    ).toBe(5);

    // What travelled on the wire, and what the handlers ran in.
    expect(answer.front.traceparent).toBe(`00-${root.traceId}-${callerSpan.context.spanId}-01`);
    expect(answer.back.traceparent).toBe(`00-${root.traceId}-${frontOut.context.spanId}-01`);
    expect(answer.back.tracestate).toBe(root.state);
    expect(answer.front.current).toEqual({ traceId: root.traceId, spanId: frontSpan.context.spanId });
    expect(answer.back.current).toEqual({ traceId: root.traceId, spanId: backSpan.context.spanId });
    // The deadline still travels beside the trace.
    expect(answer.front.hadDeadline).toBe(true);
    expect(answer.back.hadDeadline).toBe(true);

    expect(log.ended.map((e) => e.end.code)).toEqual(['OK', 'OK', 'OK', 'OK']);
    expect(log.started).toHaveLength(4);
    expect(currentTrace()).toBeUndefined();
  });

  it('starts a new sampled trace for a call made outside any trace', async () => {
    const log = new SpanLog();
    const { caller } = await twoHops(log);
    const answer = await caller.bind(FrontApi).relay({});
    const callerSpan = log.one('client', 'front.relay');
    expect(callerSpan.parentSpanId).toBeUndefined();
    const wire = parseTraceparent(answer.back.traceparent);
    expect(wire?.traceId).toBe(callerSpan.context.traceId);
    expect(wire?.flags).toBe(1);
    expect(log.one('server', 'back.look').context.traceId).toBe(callerSpan.context.traceId);
  });

  it('takes the current context from hooks.current (an OpenTelemetry bridge) and ends failed spans with the code', async () => {
    const log = new SpanLog();
    const { registry } = await twoHops(log);
    const otelActive: TraceContext = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), flags: 0 };
    const bridged = await createClient({
      registry,
      locality: { region: 'eu', zone: 'eu-a' },
      env: {},
      probe: false,
      failMode: 'failfast',
      interceptors: [traceClient({ hooks: { ...hooksOf(log), current: () => otelActive } })],
    });
    closers.push(() => bridged.close());
    const answer = await bridged.bind(FrontApi).relay({});
    expect(answer.front.traceparent).toMatch(new RegExp(`^00-${'a'.repeat(32)}-[0-9a-f]{16}-00$`));
    expect(log.one('server', 'back.look').context).toMatchObject({ traceId: otelActive.traceId, flags: 0 });

    await expect(bridged.call('front', 'nope', {})).rejects.toMatchObject({ code: 'UNIMPLEMENTED' });
    const failed = log.ended.find((e) => e.span.name === 'front.nope');
    expect(failed?.end.code).toBe('UNIMPLEMENTED');
  });
});

function hooksOf(log: SpanLog): TraceHooks {
  return { onStart: (s) => log.onStart(s), onEnd: (s, e) => log.onEnd(s, e) };
}
