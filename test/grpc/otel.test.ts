import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { registerProximaResolver, type ProximaResolverRegistration } from '../../src/grpc/index.js';
import { registerSdk, type SpanJson } from '../observability/fixtures/otel-sdk.js';
import { ProcessGroup } from '../support/processes.js';
import { tracedService, unary, type TracedClient } from './traced-service.js';

const SERVER = fileURLToPath(new URL('./fixtures/otel-grpc-server.ts', import.meta.url));
const LOOK = 'proxima.test.Traced/Look';

// The SDK is registered before the resolver, as applications do.
const sdk = registerSdk('test');
const group = new ProcessGroup();
const registry = new MemoryRegistry();
let proxima: ProximaResolverRegistration;
let client: TracedClient;
let serverPort = 0;

beforeAll(async () => {
  const server = group.start('otel-grpc-server', process.execPath, ['--import', 'tsx', SERVER]);
  serverPort = Number((await server.waitForLine(/^READY \d+/, 30_000)).split(' ')[1]);
  await registry.register(
    {
      service: 'traced',
      id: 'traced-1',
      address: `127.0.0.1:${serverPort}`,
      protocol: 'grpc',
      locality: { region: 'eu', zone: 'eu-b' },
    },
    { ttlMs: 60_000 },
  );
  proxima = await registerProximaResolver({
    registry,
    locality: { region: 'eu', zone: 'eu-a' },
    probe: false,
    scheme: 'proxima-otel',
  });
  const Traced = tracedService();
  client = new Traced(proxima.target('traced'), grpc.credentials.createInsecure(), {
    interceptors: [...proxima.interceptors],
  }) as unknown as TracedClient;
}, 60_000);

afterAll(async () => {
  client.close();
  await proxima.close();
  await registry.close();
  group.killAll();
  await sdk.shutdown();
});

const one = (spans: readonly SpanJson[], test: (s: SpanJson) => boolean, what: string): SpanJson => {
  const found = spans.filter(test);
  expect(found, what).toHaveLength(1);
  return found[0]!;
};

/** Spans of the server process and of this one that belong to `traceId`. */
async function traceOf(traceId: string): Promise<SpanJson[]> {
  const { json } = await unary<{ json: string }>((o, cb) => client.spans({}, o, cb));
  const remote = JSON.parse(json) as SpanJson[];
  return [...sdk.spans(), ...remote].filter((s) => s.traceId === traceId);
}

describe('gRPC calls through Proxima in OpenTelemetry spans', () => {
  it('makes one trace across two processes: root → CLIENT span (with the pick) ⇒ SERVER span → handler span', async () => {
    expect(proxima.interceptors).toHaveLength(1);
    const tracer = trace.getTracer('test-app');
    const reply = await tracer.startActiveSpan('root', async (root) => {
      try {
        return await unary<{ traceparent: string; sawPickNote: boolean }>((o, cb) => client.look({}, o, cb));
      } finally {
        root.end();
      }
    });
    const rootSpan = one(sdk.spans(), (s) => s.name === 'root', 'root');
    const spans = await traceOf(rootSpan.traceId);
    const clientSpan = one(spans, (s) => s.name === LOOK && s.kind === SpanKind.CLIENT, 'client span');
    const serverSpan = one(spans, (s) => s.name === LOOK && s.kind === SpanKind.SERVER, 'server span');
    const work = one(spans, (s) => s.name === 'server-work', 'handler span');
    expect(spans).toHaveLength(4);
    expect(clientSpan.parentSpanId).toBe(rootSpan.spanId);
    expect(serverSpan.parentSpanId).toBe(clientSpan.spanId);
    expect(work.parentSpanId).toBe(serverSpan.spanId);
    expect([rootSpan.process, clientSpan.process]).toEqual(['test', 'test']);
    expect([serverSpan.process, work.process]).toEqual(['server', 'server']);

    // What crossed the wire is the W3C header of the client span, and nothing of Proxima's own.
    expect(reply.traceparent).toBe(`00-${rootSpan.traceId}-${clientSpan.spanId}-01`);
    expect(reply.sawPickNote).toBe(false);

    expect(clientSpan.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'proxima.test.Traced',
      'rpc.method': 'Look',
      'rpc.grpc.status_code': grpc.status.OK,
      'rpc.response.status_code': 'OK',
      'server.address': '127.0.0.1',
      'server.port': serverPort,
      'proxima.caller.zone': 'eu-a',
      'proxima.caller.region': 'eu',
      'proxima.endpoint.id': 'traced-1',
      'proxima.endpoint.zone': 'eu-b',
      'proxima.endpoint.region': 'eu',
      'proxima.tier': 'same-region',
      'proxima.attempt': 1,
    });
    expect(serverSpan.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'proxima.test.Traced',
      'rpc.method': 'Look',
      'rpc.grpc.status_code': grpc.status.OK,
      'client.address': '127.0.0.1',
    });
    expect(spans.every((s) => s.status !== SpanStatusCode.ERROR)).toBe(true);
  }, 60_000);

  it('ends both spans with the error status of a failed call', async () => {
    const tracer = trace.getTracer('test-app');
    const error = await tracer.startActiveSpan('failing-root', async (root) => {
      try {
        return await unary((o, cb) => client.look({ failWith: grpc.status.UNAVAILABLE }, o, cb)).then(
          () => undefined,
          (e: unknown) => e as grpc.ServiceError,
        );
      } finally {
        root.end();
      }
    });
    expect(error?.code).toBe(grpc.status.UNAVAILABLE);
    const rootSpan = one(sdk.spans(), (s) => s.name === 'failing-root', 'root');
    const spans = await traceOf(rootSpan.traceId);
    const clientSpan = one(spans, (s) => s.name === LOOK && s.kind === SpanKind.CLIENT, 'client span');
    const serverSpan = one(spans, (s) => s.name === LOOK && s.kind === SpanKind.SERVER, 'server span');
    expect(serverSpan.parentSpanId).toBe(clientSpan.spanId);
    for (const span of [clientSpan, serverSpan]) {
      expect(span).toMatchObject({
        status: SpanStatusCode.ERROR,
        attributes: {
          'rpc.grpc.status_code': grpc.status.UNAVAILABLE,
          'rpc.response.status_code': 'UNAVAILABLE',
          'error.type': 'UNAVAILABLE',
        },
      });
    }
  }, 60_000);

  it('shows grpc-js retries in the client span: one pick per attempt, counted in proxima.attempt', async () => {
    const Traced = tracedService();
    const retrying = new Traced(proxima.target('traced'), grpc.credentials.createInsecure(), {
      interceptors: [...proxima.interceptors],
      'grpc.service_config': JSON.stringify({
        methodConfig: [
          {
            name: [{ service: 'proxima.test.Traced', method: 'Look' }],
            retryPolicy: {
              maxAttempts: 3,
              initialBackoff: '0.01s',
              maxBackoff: '0.05s',
              backoffMultiplier: 2,
              retryableStatusCodes: ['UNAVAILABLE'],
            },
          },
        ],
      }),
    }) as unknown as TracedClient;
    try {
      const tracer = trace.getTracer('test-app');
      await tracer.startActiveSpan('retried-root', async (root) => {
        try {
          await unary((o, cb) => retrying.look({ failWith: grpc.status.UNAVAILABLE }, o, cb)).catch(
            () => undefined,
          );
        } finally {
          root.end();
        }
      });
      const rootSpan = one(sdk.spans(), (s) => s.name === 'retried-root', 'root');
      const spans = await traceOf(rootSpan.traceId);
      const clientSpan = one(spans, (s) => s.name === LOOK && s.kind === SpanKind.CLIENT, 'client span');
      const served = spans.filter((s) => s.name === LOOK && s.kind === SpanKind.SERVER);
      // Every attempt reached the server as a child of the one client span.
      expect(served).toHaveLength(3);
      expect(served.every((s) => s.parentSpanId === clientSpan.spanId)).toBe(true);
      expect(clientSpan.attributes).toMatchObject({
        'proxima.attempt': 3,
        'proxima.endpoint.id': 'traced-1',
        'error.type': 'UNAVAILABLE',
      });
    } finally {
      retrying.close();
    }
  }, 60_000);
});
