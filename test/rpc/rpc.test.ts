import { afterEach, describe, expect, it } from 'vitest';
import { type ProximaError, isProximaError } from '../../src/core/errors.js';
import { FakeClock } from '../../src/core/testing/fake-clock.js';
import { recordingLogger } from '../../src/core/testing/recording-logger.js';
import {
  RpcConnection,
  type RpcServer,
  bearerToken,
  bind,
  createServer,
  jsonCodec,
  requireToken,
  serverLogging,
  withInterceptors,
} from '../../src/rpc/index.js';
import { freePort } from '../support/ports.js';
import { type Observed, TestApi, testService } from './fixtures/test-api.js';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function start(options: Partial<Parameters<typeof createServer>[0]> = {}, observed?: Observed) {
  const server: RpcServer = createServer({ services: [testService(observed)], ...options });
  const { port } = await server.listen();
  cleanup.push(() => server.shutdown({ graceMs: 0 }));
  return { server, port };
}

function connect(port: number, options: Partial<ConstructorParameters<typeof RpcConnection>[0]> = {}) {
  const connection = new RpcConnection({ host: '127.0.0.1', port, ...options });
  cleanup.push(() => connection.close());
  return connection;
}

async function failure(promise: Promise<unknown>): Promise<ProximaError> {
  const error = await promise.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  if (!isProximaError(error)) throw error;
  return error;
}

describe('Proxima RPC over real sockets', () => {
  it('calls typed methods and carries metadata, peer and deadline to the handler', async () => {
    const { port } = await start();
    const api = bind(connect(port), TestApi);
    expect(await api.echo({ msg: 'hi' })).toEqual({ msg: 'hi' });
    expect(await api.getUser({ id: '7' })).toEqual({ id: '7', name: 'user 7' });
    const me = await api.whoami({}, { metadata: { 'x-zone': 'eu-1a' }, deadlineMs: 1_000 });
    expect(me).toEqual({ metadata: { 'x-zone': 'eu-1a' }, peer: '127.0.0.1', deadline: true });
  });

  it('pipelines many concurrent calls on one connection', async () => {
    const { port } = await start();
    const api = bind(connect(port), TestApi);
    const answers = await Promise.all(Array.from({ length: 500 }, (_, i) => api.echo({ msg: `m${i}` })));
    expect(answers.map((a) => a.msg)).toEqual(Array.from({ length: 500 }, (_, i) => `m${i}`));
  });

  it('answers INVALID_ARGUMENT naming the field, UNIMPLEMENTED, NOT_FOUND and INTERNAL', async () => {
    const { port } = await start();
    const connection = connect(port);
    const api = bind(connection, TestApi);
    const invalid = await failure(api.getUser({ id: '' }));
    expect([invalid.code, invalid.field]).toEqual(['INVALID_ARGUMENT', 'request.id']);
    const missing = await failure(connection.call('test.nope', {}));
    expect([missing.code, missing.unprocessed]).toEqual(['UNIMPLEMENTED', true]);
    expect((await failure(api.getUser({ id: 'missing' }))).code).toBe('NOT_FOUND');
    expect((await failure(api.fail({ kind: 'internal' }))).code).toBe('INTERNAL');
    const bad = await failure(api.badOutput({}));
    expect(bad.code).toBe('INTERNAL');
    expect(bad.message).toContain('response.id');
  });

  it('fails the call at its deadline and aborts the handler signal with DEADLINE_EXCEEDED', async () => {
    const observed: Observed = { aborts: [], started: 0 };
    const { port } = await start({}, observed);
    const api = bind(connect(port), TestApi);
    const error = await failure(api.wait({ ms: 10_000 }, { deadlineMs: 100 }));
    expect(error.code).toBe('DEADLINE_EXCEEDED');
    await expect.poll(() => observed.aborts).toEqual([{ method: 'test.wait', code: expect.any(String) }]);
    expect(['DEADLINE_EXCEEDED', 'CANCELLED']).toContain(observed.aborts[0]!.code);
  });

  it('cancels through the AbortSignal: the caller gets CANCELLED and the handler signal aborts', async () => {
    const observed: Observed = { aborts: [], started: 0 };
    const { port } = await start({}, observed);
    const api = bind(connect(port), TestApi);
    const controller = new AbortController();
    const call = api.wait({ ms: 10_000 }, { signal: controller.signal });
    await expect.poll(() => observed.started).toBe(1);
    controller.abort();
    expect((await failure(call)).code).toBe('CANCELLED');
    await expect.poll(() => observed.aborts).toEqual([{ method: 'test.wait', code: 'CANCELLED' }]);
  });

  it('runs interceptors on both sides: auth tokens and logging', async () => {
    const logger = recordingLogger();
    const { port } = await start({
      interceptors: [serverLogging({ logger }), requireToken({ tokens: ['s3cret'], exempt: ['test.echo'] })],
    });
    const anonymous = bind(connect(port), TestApi);
    expect(await anonymous.echo({ msg: 'open' })).toEqual({ msg: 'open' });
    const refused = await failure(anonymous.getUser({ id: '1' }));
    expect([refused.code, refused.unprocessed]).toEqual(['UNAUTHENTICATED', true]);
    const wrong = bind(withInterceptors(connect(port), [bearerToken('nope')]), TestApi);
    expect((await failure(wrong.getUser({ id: '1' }))).code).toBe('UNAUTHENTICATED');
    const authed = bind(withInterceptors(connect(port), [bearerToken(() => 's3cret')]), TestApi);
    expect(await authed.getUser({ id: '1' })).toEqual({ id: '1', name: 'user 1' });
    expect(
      logger.lines.filter((l) => l.level === 'warn').map((l) => [l.fields.method, l.fields.code]),
    ).toEqual([
      ['test.getUser', 'UNAUTHENTICATED'],
      ['test.getUser', 'UNAUTHENTICATED'],
    ]);
  });

  it('serves a JSON-codec client next to msgpack ones', async () => {
    const { port } = await start();
    const api = bind(connect(port, { codec: jsonCodec() }), TestApi);
    expect(await api.echo({ msg: 'json' })).toEqual({ msg: 'json' });
    expect((await failure(api.getUser({ id: '' }))).field).toBe('request.id');
  });

  it('refuses frames over the size limit without sending them', async () => {
    const { port } = await start();
    const api = bind(connect(port, { maxFrameSize: 1024 }), TestApi);
    const error = await failure(api.echo({ msg: 'x'.repeat(2048) }));
    expect([error.code, error.unprocessed]).toEqual(['RESOURCE_EXHAUSTED', true]);
    expect(await api.echo({ msg: 'small' })).toEqual({ msg: 'small' });
  });

  it('backs off after a refused connect (calls fail fast, unprocessed) and reconnects lazily', async () => {
    const port = await freePort();
    const clock = new FakeClock();
    const states: string[] = [];
    const connection = connect(port, { clock, random: () => 0.5, backoff: { initialMs: 1_000 } });
    connection.stateChanged((s) => states.push(s));
    const api = bind(connection, TestApi);
    const refused = await failure(api.echo({ msg: 'a' }));
    expect([refused.code, refused.unprocessed]).toEqual(['UNAVAILABLE', true]);
    expect(connection.state).toBe('backoff');
    const fast = await failure(api.echo({ msg: 'b' }));
    expect(fast.message).toContain('next connect attempt in 500 ms');
    const server = createServer({ services: [testService()] });
    await server.listen({ port });
    cleanup.push(() => server.shutdown({ graceMs: 0 }));
    await clock.advance(500);
    expect(connection.state).toBe('idle');
    expect(await api.echo({ msg: 'c' })).toEqual({ msg: 'c' });
    expect(states).toEqual(['connecting', 'backoff', 'idle', 'connecting', 'ready']);
  });

  it('measures PING round trips for the prober', async () => {
    const { port } = await start();
    const rtts: number[] = [];
    const connection = connect(port, { clock: new FakeClock(), onRtt: (ms) => rtts.push(ms) });
    await connection.connect();
    connection.ping();
    await expect.poll(() => rtts.length).toBe(1);
    expect(rtts[0]).toBeGreaterThanOrEqual(0);
  });
});
