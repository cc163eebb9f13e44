import { type Server, type Socket, createServer as createTcpServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import * as proxima from '../../src/index.js';
import { type ProximaError, isProximaError } from '../../src/core/errors.js';
import {
  RpcConnection,
  type RpcServer,
  type ServerInterceptor,
  bind,
  createServer,
} from '../../src/rpc/index.js';
import { FrameType, GoawayCode } from '../../src/rpc/wire/frame.js';
import { PREFACE_MAGIC } from '../../src/rpc/wire/preface.js';
import { TestApi, testService } from './fixtures/test-api.js';
import { RawPeer } from './fixtures/raw-peer.js';

// The connection preface: magic, version and SETTINGS on both sides; version mismatches named;
// announced stream limits honoured by the client; a fleet in the middle of a protocol upgrade.

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function start(options: Partial<Parameters<typeof createServer>[0]> = {}) {
  const server: RpcServer = createServer({ services: [testService()], ...options });
  const { port } = await server.listen();
  cleanup.push(() => server.shutdown({ graceMs: 0 }));
  return { server, port };
}

/** A preface of another protocol version. */
function prefaceOf(version: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(PREFACE_MAGIC, 0);
  b.writeUInt16BE(version, 4);
  return b;
}

/** A raw server that speaks `version`: it sends that preface and closes on whatever it gets. */
async function serverOfVersion(version: number): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.write(prefaceOf(version));
    socket.once('data', () => socket.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(resolve);
      }),
  );
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return address.port;
}

async function failure(promise: Promise<unknown>): Promise<ProximaError> {
  const error = await promise.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  if (!isProximaError(error)) throw error;
  return error;
}

describe('connection preface', () => {
  it('a client meeting a server of another version fails its calls unprocessed, naming both versions', async () => {
    const port = await serverOfVersion(2);
    const connection = new RpcConnection({ host: '127.0.0.1', port, keepAlive: false });
    cleanup.push(() => connection.close());
    const error = await failure(connection.call('test.echo', { msg: 'a' }));
    expect(error.code).toBe('PROTOCOL_ERROR');
    expect(error.message).toContain('the peer speaks version 2, this side speaks version 1');
    expect([error.unprocessed, error.connectionFailed]).toEqual([true, true]);
  });

  it('a server meeting a client of another version answers GOAWAY PROTOCOL_ERROR naming both versions', async () => {
    const { port } = await start();
    const p = new RawPeer(port, false);
    cleanup.push(() => p.destroy());
    p.send(prefaceOf(3));
    await p.done;
    const goaway = p.goaway();
    expect(goaway?.code).toBe(GoawayCode.PROTOCOL_ERROR);
    expect(goaway?.text).toContain('the peer speaks version 3, this side speaks version 1');
  });

  it('a client from before the preface gets a GOAWAY saying so', async () => {
    const { port } = await start();
    const p = new RawPeer(port, false);
    cleanup.push(() => p.destroy());
    p.send(RawPeer.encode((w) => w.control(FrameType.PING, 1)));
    await p.done;
    expect(p.goaway()?.text).toContain('predates protocol version 1');
  });

  it('the client honours the server’s MAX_CONCURRENT_STREAMS by queueing, not by failing', async () => {
    let now = 0;
    let peak = 0;
    const gauge: ServerInterceptor = (next) => async (request, ctx) => {
      peak = Math.max(peak, ++now);
      try {
        return await next(request, ctx);
      } finally {
        now--;
      }
    };
    const { port } = await start({ limits: { maxConcurrentStreams: 3 }, interceptors: [gauge] });
    const connection = new RpcConnection({ host: '127.0.0.1', port });
    cleanup.push(() => connection.close());
    await connection.connect(); // the server's SETTINGS have arrived
    const api = bind(connection, TestApi);
    const answers = await Promise.all(Array.from({ length: 30 }, () => api.wait({ ms: 5 })));
    expect(answers.every((a) => a.done)).toBe(true);
    expect(peak).toBe(3);
  });

  it('a fleet in the middle of an upgrade: calls (even non-idempotent) move off the other-version instance', async () => {
    const registry = await proxima.openRegistry('memory:');
    cleanup.push(() => registry.close());
    for (let i = 0; i < 3; i++) {
      const server = proxima.createServer({
        services: [testService()],
        register: { registry, instance: { service: 'test', id: `v1-${i}` }, env: {} },
      });
      await server.listen({ host: '127.0.0.1' });
      cleanup.push(() => server.shutdown({ graceMs: 0 }));
    }
    const next = await serverOfVersion(2);
    await registry.register({ service: 'test', id: 'v2', address: `127.0.0.1:${next}` }, { ttlMs: 60_000 });
    const client = await proxima.createClient({ registry, env: {}, probe: false });
    cleanup.push(() => client.close());
    await client.ready('test');
    const api = client.bind(TestApi);
    // `whoami` is not idempotent: only an unprocessed failure may move it.
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, () => api.whoami({}, { deadlineMs: 5_000 })),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
  });
});
