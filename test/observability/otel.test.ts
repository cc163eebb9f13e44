import { fileURLToPath } from 'node:url';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { createClient, createServer } from '../../src/client/index.js';
import { ProximaError } from '../../src/core/index.js';
import { defineService, implement, method, type RpcServer } from '../../src/rpc/index.js';
import { ProcessGroup } from '../support/processes.js';
import { registerSdk, type SpanJson } from './fixtures/otel-sdk.js';

const FRONT = fileURLToPath(new URL('./fixtures/otel-front.ts', import.meta.url));

const BackApi = defineService('back', {
  look: method({ input: z.object({}), output: z.object({ traceparent: z.string() }) }),
});
const FrontApi = defineService('front', {
  relay: method({ input: z.object({}), output: z.object({ back: z.object({ traceparent: z.string() }) }) }),
});
const DumpApi = defineService('dump', {
  spans: method({ input: z.object({}), output: z.array(z.unknown()) }),
});

// The SDK is registered before any Proxima client or server exists, as applications do.
const sdk = registerSdk('test');
const group = new ProcessGroup();
const servers: RpcServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.shutdown({ graceMs: 0 });
  group.killAll();
  await sdk.shutdown();
});

async function backServer(
  registry: MemoryRegistry | undefined,
  id: string,
  fail = false,
): Promise<RpcServer> {
  const server = createServer({
    services: [
      implement(BackApi, {
        look: (_request, ctx) => {
          if (fail) throw new ProximaError('UNAVAILABLE', 'failing on purpose');
          return { traceparent: ctx.metadata.traceparent ?? '' };
        },
      }),
    ],
    ...(registry === undefined
      ? {}
      : { register: { registry, instance: { service: 'back', id }, env: {}, ttlMs: 60_000 } }),
  });
  servers.push(server);
  await server.listen({ host: '127.0.0.1', port: 0 });
  return server;
}

const one = (spans: readonly SpanJson[], test: (s: SpanJson) => boolean, what: string): SpanJson => {
  const found = spans.filter(test);
  expect(found, what).toHaveLength(1);
  return found[0]!;
};

describe('OpenTelemetry spans through the application tracer', () => {
  let frontPort = 0;
  beforeAll(async () => {
    const back = await backServer(undefined, 'back-1');
    const front = group.start('otel-front', process.execPath, [
      '--import',
      'tsx',
      FRONT,
      `127.0.0.1:${back.address.port}`,
    ]);
    frontPort = Number((await front.waitForLine(/^READY \d+/, 30_000)).split(' ')[1]);
  }, 60_000);

  it('makes one trace across two processes, with parent/child links and RPC and routing attributes', async () => {
    const registry = new MemoryRegistry();
    await registry.register(
      {
        service: 'front',
        id: 'front-1',
        address: `127.0.0.1:${frontPort}`,
        locality: { region: 'eu', zone: 'eu-b' },
      },
      { ttlMs: 60_000 },
    );
    await registry.register(
      { service: 'dump', id: 'dump-1', address: `127.0.0.1:${frontPort}` },
      { ttlMs: 60_000 },
    );
    const client = await createClient({
      registry,
      env: {},
      probe: false,
      locality: { region: 'eu', zone: 'eu-a' },
    });
    try {
      const tracer = trace.getTracer('test-app');
      const reply = await tracer.startActiveSpan('root', async (root) => {
        try {
          return await client.bind(FrontApi).relay({});
        } finally {
          root.end();
        }
      });
      const remote = (await client.bind(DumpApi).spans({})) as SpanJson[];
      const local = sdk.spans();
      const rootSpan = one(local, (s) => s.name === 'root', 'root');
      const spans = [...local, ...remote].filter((s) => s.traceId === rootSpan.traceId);
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      const parentOf = (s: SpanJson): SpanJson | undefined =>
        s.parentSpanId === undefined ? undefined : byId.get(s.parentSpanId);

      // test: root → front/relay (call) → front/relay (attempt) ⇒ front: front/relay (server)
      // → front-work → back/look (call) → back/look (attempt) ⇒ test: back/look (server)
      const frontCall = one(
        spans,
        (s) => s.name === 'front/relay' && s.kind === SpanKind.INTERNAL,
        'front call',
      );
      const frontAttempt = one(
        spans,
        (s) => s.name === 'front/relay' && s.kind === SpanKind.CLIENT,
        'front attempt',
      );
      const frontServer = one(
        spans,
        (s) => s.name === 'front/relay' && s.kind === SpanKind.SERVER,
        'front server',
      );
      const work = one(spans, (s) => s.name === 'front-work', 'handler span');
      const backCall = one(spans, (s) => s.name === 'back/look' && s.kind === SpanKind.INTERNAL, 'back call');
      const backAttempt = one(
        spans,
        (s) => s.name === 'back/look' && s.kind === SpanKind.CLIENT,
        'back attempt',
      );
      const backServerSpan = one(
        spans,
        (s) => s.name === 'back/look' && s.kind === SpanKind.SERVER,
        'back server',
      );
      expect(spans).toHaveLength(8);
      expect(parentOf(frontCall)).toBe(rootSpan);
      expect(parentOf(frontAttempt)).toBe(frontCall);
      expect(parentOf(frontServer)).toBe(frontAttempt);
      expect(parentOf(work)).toBe(frontServer);
      expect(parentOf(backCall)).toBe(work);
      expect(parentOf(backAttempt)).toBe(backCall);
      expect(parentOf(backServerSpan)).toBe(backAttempt);
      expect([frontServer, work, backCall, backAttempt].map((s) => s.process)).toEqual(
        Array(4).fill('front'),
      );
      expect([rootSpan, frontCall, frontAttempt, backServerSpan].map((s) => s.process)).toEqual(
        Array(4).fill('test'),
      );
      // What crossed the wire is the W3C header of the attempt span.
      expect(reply.back.traceparent).toBe(`00-${rootSpan.traceId}-${backAttempt.spanId}-01`);

      expect(frontAttempt.attributes).toMatchObject({
        'rpc.system': 'proxima',
        'rpc.service': 'front',
        'rpc.method': 'relay',
        'server.address': '127.0.0.1',
        'server.port': frontPort,
        'proxima.caller.zone': 'eu-a',
        'proxima.endpoint.zone': 'eu-b',
        'proxima.endpoint.id': 'front-1',
        'proxima.tier': 'same-region',
        'proxima.attempt': 1,
        'proxima.attempt.kind': 'first',
        'proxima.retried': false,
        'proxima.hedged': false,
        'rpc.response.status_code': 'OK',
      });
      expect(frontCall.attributes).toMatchObject({ 'rpc.service': 'front', 'proxima.attempts': 1 });
      expect(frontServer.attributes).toMatchObject({
        'rpc.system': 'proxima',
        'rpc.service': 'front',
        'rpc.method': 'relay',
        'client.address': '127.0.0.1',
      });
      expect(backAttempt.attributes).toMatchObject({ 'proxima.caller.zone': 'eu-b', 'rpc.service': 'back' });
      expect(spans.every((s) => s.status !== SpanStatusCode.ERROR)).toBe(true);
    } finally {
      await client.close();
      await registry.close();
    }
  }, 60_000);

  it('shows a retry as a second attempt span under the call, the failed one with its error type', async () => {
    const registry = new MemoryRegistry();
    await backServer(registry, 'bad', true);
    await backServer(registry, 'good');
    const client = await createClient({
      registry,
      env: {},
      probe: false,
      // Round robin: one of two calls starts on the failing instance and fails over to the other.
      balancer: { name: 'round-robin' },
    });
    try {
      await client.ready('back');
      // Idempotent: an UNAVAILABLE answer may be retried elsewhere.
      await client.call('back', 'look', {}, { idempotent: true });
      await client.call('back', 'look', {}, { idempotent: true });
      const spans = sdk.spans();
      const calls = spans.filter((s) => s.name === 'back/look' && s.kind === SpanKind.INTERNAL);
      const attempts = spans.filter((s) => s.name === 'back/look' && s.kind === SpanKind.CLIENT);
      const retried = calls.filter((c) => c.attributes['proxima.attempts'] === 2);
      // Every attempt on the failing instance was followed by a retry on the other one.
      const failed = attempts.filter((a) => a.attributes['proxima.endpoint.id'] === 'bad');
      expect(failed.length).toBeGreaterThanOrEqual(1);
      expect(retried).toHaveLength(failed.length);
      for (const call of retried) {
        const children = attempts.filter((a) => a.parentSpanId === call.spanId);
        expect(children.map((a) => a.attributes['proxima.attempt'])).toEqual([1, 2]);
        expect(children[0]).toMatchObject({
          status: SpanStatusCode.ERROR,
          attributes: {
            'error.type': 'UNAVAILABLE',
            'proxima.endpoint.id': 'bad',
            'proxima.attempt.kind': 'first',
          },
        });
        expect(children[1]).toMatchObject({
          status: SpanStatusCode.UNSET,
          attributes: {
            'proxima.attempt.kind': 'retry',
            'proxima.retried': true,
            'proxima.endpoint.id': 'good',
          },
        });
        expect(call.status).toBe(SpanStatusCode.UNSET);
      }
    } finally {
      await client.close();
      await registry.close();
    }
  }, 60_000);
});
