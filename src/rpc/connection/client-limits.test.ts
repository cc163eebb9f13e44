import { type Server, type Socket, createServer as createTcpServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isProximaError, type ProximaError } from '../../core/errors.js';
import { FakeClock } from '../../core/testing/fake-clock.js';
import { FrameDecoder } from '../wire/decoder.js';
import { FrameType, GoawayCode } from '../wire/frame.js';
import { FrameWriter } from '../wire/writer.js';
import { RpcConnection, type RpcConnectionOptions } from './rpc-connection.js';

// The server side of the attacks, aimed at a client: a server that never reads, never answers,
// answers with oversized frames or turns the client away; raw sockets on loopback, time on a FakeClock.

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A raw server; it sends a valid preface and SETTINGS first unless `preface` is false. */
async function listen(onSocket: (socket: Socket) => void, preface = true): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    if (preface) socket.write(control((w) => w.preface({})));
    onSocket(socket);
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

function connect(port: number, options: Partial<RpcConnectionOptions> = {}): RpcConnection {
  const connection = new RpcConnection({ host: '127.0.0.1', port, random: () => 0.5, ...options });
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

function control(fill: (w: FrameWriter) => void): Buffer {
  const chunks: Buffer[] = [];
  const writer = new FrameWriter();
  fill(writer);
  writer.attach({ write: (c: Buffer) => chunks.push(Buffer.from(c)) });
  return Buffer.concat(chunks);
}

/** Counts PINGs a raw server receives (and answers them when `pong`). */
function pingCounter(socket: Socket, seen: { pings: number }, pong: boolean): void {
  const decoder = new FrameDecoder(
    {
      onFrame: (f) => {
        if (f.type !== FrameType.PING) return;
        seen.pings++;
        if (pong) socket.write(control((w) => w.control(FrameType.PONG, f.streamId)));
      },
    },
    undefined,
    true,
  );
  socket.on('data', (chunk: Buffer) => decoder.push(chunk));
}

describe('frozen peers', () => {
  it('fails the calls of a connection with no byte for 1 s after a PING, as a connection failure', async () => {
    const clock = new FakeClock();
    const seen = { pings: 0 };
    const port = await listen((socket) => pingCounter(socket, seen, false));
    const connection = connect(port, { clock });
    await connection.connect();
    const call = failure(connection.call('test.echo', { msg: 'a' }, undefined));
    await clock.advance(200);
    await expect.poll(() => seen.pings).toBe(1);
    await clock.advance(999);
    await clock.advance(2); // the deadline, then one more round of I/O before concluding
    const error = await call;
    expect(error.message).toContain('frozen peer');
    expect([error.code, error.connectionFailed, error.retryable]).toEqual(['UNAVAILABLE', true, true]);
  });

  it('a slow server that still answers PINGs is not frozen', async () => {
    const clock = new FakeClock();
    const seen = { pings: 0 };
    const port = await listen((socket) => pingCounter(socket, seen, true));
    const connection = connect(port, { clock });
    await connection.connect();
    let settled = false;
    void connection
      .call('test.echo', { msg: 'a' }, undefined)
      .finally(() => (settled = true))
      .catch(() => undefined);
    for (let i = 1; i <= 5; i++) {
      await clock.advance(200);
      await expect.poll(() => seen.pings).toBe(i);
      await new Promise((r) => setTimeout(r, 20)); // the PONG arrives
      await clock.advance(1_000);
    }
    expect(settled).toBe(false);
  });

  it('the probe timings are options, validated with the field named', () => {
    expect(
      () => new RpcConnection({ host: '127.0.0.1', port: 1, keepAlive: { frozenTimeoutMs: 0 } }),
    ).toThrow(/keepAlive\.frozenTimeoutMs/);
    expect(() => new RpcConnection({ host: '127.0.0.1', port: 1, limits: { drainGraceMs: -5 } })).toThrow(
      /limits\.drainGraceMs/,
    );
  });
});

describe('a server that does not read', () => {
  const big = { msg: 'x'.repeat(512 * 1024) };

  it('above the high-water mark new calls go elsewhere (unprocessed); past the grace the connection fails', async () => {
    const clock = new FakeClock();
    const port = await listen((socket) => socket.pause());
    const connection = connect(port, {
      clock,
      keepAlive: false,
      limits: { outboundHighWaterBytes: 1024 * 1024, outboundHardCapBytes: 1024 ** 3, drainGraceMs: 5_000 },
    });
    await connection.connect();
    const calls: Array<Promise<ProximaError>> = [];
    let refused: ProximaError | undefined;
    for (let i = 0; i < 200 && refused === undefined; i++) {
      const call = failure(connection.call('test.echo', big, undefined));
      calls.push(call);
      await new Promise((r) => setImmediate(r));
      const early = await Promise.race([call, Promise.resolve(undefined)]);
      if (early?.code === 'RESOURCE_EXHAUSTED') refused = early;
    }
    expect(refused?.unprocessed).toBe(true);
    expect(refused?.connectionFailed).toBe(true);
    expect(refused?.message).toContain('outboundHighWaterBytes');
    await clock.advance(5_000);
    const cut = await calls[0]!;
    expect(cut.message).toContain('limits.drainGraceMs');
    expect(cut.connectionFailed).toBe(true);
  });

  it('past the hard cap the connection fails at once', async () => {
    const port = await listen((socket) => socket.pause());
    const connection = connect(port, {
      keepAlive: false,
      limits: { outboundHighWaterBytes: 8 * 1024 * 1024, outboundHardCapBytes: 8 * 1024 * 1024 },
    });
    await connection.connect();
    // 40 × 512 KiB in one batch: 20 MiB queued at one flush, over the 8 MiB cap.
    const calls = Array.from({ length: 40 }, () => failure(connection.call('test.echo', big, undefined)));
    const first = await calls[0]!;
    expect(first.message).toContain('limits.outboundHardCapBytes');
    expect(first.connectionFailed).toBe(true);
  });
});

describe('a server that answers badly', () => {
  it('an oversized frame fails the connection as a protocol error (a strike for the endpoint)', async () => {
    const port = await listen((socket) => {
      socket.once('data', () => {
        const header = Buffer.alloc(8);
        header.writeUInt32BE(64 * 1024 * 1024, 0);
        socket.write(header);
      });
    });
    const connection = connect(port, { keepAlive: false });
    const error = await failure(connection.call('test.echo', { msg: 'a' }, undefined));
    expect([error.code, error.connectionFailed]).toEqual(['PROTOCOL_ERROR', true]);
  });

  it('GOAWAY RESOURCE_EXHAUSTED (connection cap) fails pending calls unprocessed, as the endpoint’s failure', async () => {
    const port = await listen((socket) => {
      socket.write(
        control((w) =>
          w.control(FrameType.GOAWAY, 0, 0, 'too many connections', GoawayCode.RESOURCE_EXHAUSTED),
        ),
      );
      socket.end();
    });
    const connection = connect(port, { keepAlive: false });
    const error = await failure(connection.call('test.echo', { msg: 'a' }, undefined));
    expect([error.code, error.unprocessed, error.connectionFailed]).toEqual([
      'RESOURCE_EXHAUSTED',
      true,
      true,
    ]);
    expect(error.message).toContain('too many connections');
  });
});
