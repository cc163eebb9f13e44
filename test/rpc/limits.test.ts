import { afterEach, describe, expect, it } from 'vitest';
import { type ProximaError, isProximaError } from '../../src/core/errors.js';
import { FakeClock } from '../../src/core/testing/fake-clock.js';
import { type Logger, loggerOf } from '../../src/core/logger.js';
import { RpcConnection, type RpcServer, bind, createServer } from '../../src/rpc/index.js';
import { FrameType, GoawayCode } from '../../src/rpc/wire/frame.js';
import { type Observed, TestApi, testService } from './fixtures/test-api.js';
import { RawPeer } from './fixtures/raw-peer.js';

// Each attack of issue 11 as a hostile client would make it, on real sockets against an in-process
// server with lowered limits; timeouts run on a FakeClock.

const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface Logged {
  readonly message: string;
  readonly fields: object;
}

function recorder(into: Logged[]): Logger {
  return loggerOf((_level, first, message) =>
    into.push(
      typeof first === 'string' ? { message: first, fields: {} } : { message: message ?? '', fields: first },
    ),
  );
}

async function start(options: Partial<Parameters<typeof createServer>[0]> = {}, observed?: Observed) {
  const server: RpcServer = createServer({ services: [testService(observed)], ...options });
  const { port } = await server.listen();
  const clock = options.clock;
  cleanup.push(async () => {
    const done = server.shutdown({ graceMs: 0 });
    // A FakeClock's grace timer fires only when time moves.
    if (clock instanceof FakeClock) {
      let over = false;
      void done.then(() => (over = true));
      while (!over) {
        await clock.advance(1);
        await new Promise((r) => setImmediate(r));
      }
    }
    await done;
  });
  return { server, port };
}

function peer(port: number): RawPeer {
  const p = new RawPeer(port);
  cleanup.push(() => p.destroy());
  return p;
}

async function failure(promise: Promise<unknown>): Promise<ProximaError> {
  const error = await promise.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  if (!isProximaError(error)) throw error;
  return error;
}

const MiB = 1024 * 1024;

describe('back-pressure: a client that never reads its socket', () => {
  it('stops reading it above the high-water mark, and reads again once it drains', async () => {
    const observed: Observed = { aborts: [], started: 0 };
    const logs: Logged[] = [];
    const { port } = await start(
      { limits: { outboundHighWaterBytes: MiB }, logger: recorder(logs) },
      observed,
    );
    const attacker = peer(port);
    await attacker.connected;
    attacker.socket.pause();
    // One request per write, ~1 MB answers, until the server says it stopped reading.
    let sent = 0;
    while (!logs.some((l) => l.message.includes('stopped reading')) && sent < 400) {
      attacker.send(attacker.request('test.blob', { size: 1_000_000 }));
      sent++;
      await expect
        .poll(() => observed.started >= sent || logs.some((l) => l.message.includes('stopped reading')))
        .toBe(true);
    }
    expect(logs.some((l) => l.message.includes('stopped reading'))).toBe(true);
    const startedWhenPaused = observed.started;
    // More requests while paused: none is decoded, so no handler runs and nothing more is queued.
    for (let i = 0; i < 20; i++) attacker.send(attacker.request('test.blob', { size: 1_000_000 }));
    const healthy = bind(new RpcConnection({ host: '127.0.0.1', port, keepAlive: false }), TestApi);
    expect(await healthy.echo({ msg: 'still here' })).toEqual({ msg: 'still here' });
    expect(observed.started).toBe(startedWhenPaused + 0);
    // The client reads again: the server drains, resumes, and answers everything.
    attacker.socket.resume();
    await expect.poll(() => attacker.count(FrameType.RESPONSE), { timeout: 30_000 }).toBe(sent + 20);
    expect(logs.some((l) => l.message.includes('reading again'))).toBe(true);
  });

  it('closes a connection that does not drain within the grace (GOAWAY RESOURCE_EXHAUSTED), freeing its queue', async () => {
    const clock = new FakeClock();
    const observed: Observed = { aborts: [], started: 0 };
    const logs: Logged[] = [];
    const { server, port } = await start(
      {
        clock,
        limits: { outboundHighWaterBytes: MiB, drainGraceMs: 5_000, idleTimeoutMs: 600_000 },
        logger: recorder(logs),
      },
      observed,
    );
    const attacker = peer(port);
    await attacker.connected;
    attacker.socket.pause();
    for (let i = 0; i < 400 && !logs.some((l) => l.message.includes('stopped reading')); i++) {
      attacker.send(attacker.request('test.blob', { size: 1_000_000 }));
      await expect
        .poll(() => observed.started > i || logs.some((l) => l.message.includes('stopped reading')))
        .toBe(true);
    }
    expect(server.connectionCount).toBe(1);
    await clock.advance(4_999);
    expect(server.connectionCount).toBe(1);
    await clock.advance(1);
    await expect.poll(() => server.connectionCount).toBe(0);
    const closing = logs.find((l) => l.message === 'rpc: closing connection');
    expect(closing?.fields).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
  });

  it('a chunk of requests on a connection whose answers are small starts up to 256 at once; after a large answer, 16', async () => {
    const observed: Observed = { aborts: [], started: 0 };
    const { port } = await start({ limits: { outboundHighWaterBytes: MiB } }, observed);
    const client = peer(port);
    await client.connected;
    // Turns of the event loop that started handlers: a setImmediate spinner notes the count.
    const turns: number[] = [];
    let spinning = true;
    const spin = (): void => {
      if (turns.at(-1) !== observed.started) turns.push(observed.started);
      if (spinning) setImmediate(spin);
    };
    const chunk = (size: number): Buffer =>
      Buffer.concat(Array.from({ length: 200 }, () => client.request('test.blob', { size })));
    // The connection's first answer is small (100 bytes); then 200 small requests in one write.
    client.send(client.request('test.blob', { size: 100 }));
    await expect.poll(() => client.count(FrameType.RESPONSE)).toBe(1);
    spin();
    client.send(chunk(100));
    await expect.poll(() => client.count(FrameType.RESPONSE), { timeout: 30_000 }).toBe(201);
    // One turn for all 200 (two if the kernel split the write), where 16 a turn takes 13.
    expect(turns.filter((n) => n > 1).length).toBeLessThanOrEqual(2);
    // A large answer (256 KiB: half the mark holds 2): the next chunk goes 16 a turn again.
    client.send(client.request('test.blob', { size: 256 * 1024 }));
    await expect.poll(() => client.count(FrameType.RESPONSE), { timeout: 30_000 }).toBe(202);
    turns.length = 0;
    client.send(chunk(100));
    await expect.poll(() => client.count(FrameType.RESPONSE), { timeout: 30_000 }).toBe(402);
    spinning = false;
    expect(turns.filter((n) => n > 202).length).toBeGreaterThanOrEqual(13);
  });

  it('a chunk of requests for large answers starts a batch, not the whole chunk; the rest waits for the drain and is dropped when the peer goes', async () => {
    const observed: Observed = { aborts: [], started: 0 };
    const logs: Logged[] = [];
    const { server, port } = await start(
      { limits: { outboundHighWaterBytes: MiB }, logger: recorder(logs) },
      observed,
    );
    const attacker = peer(port);
    await attacker.connected;
    attacker.socket.pause();
    // 200 requests for 1 MB answers in ONE write (one read on the server). Before: all 200 handlers
    // ran before the first answer was queued.
    attacker.send(
      Buffer.concat(Array.from({ length: 200 }, () => attacker.request('test.blob', { size: 1_000_000 }))),
    );
    await expect.poll(() => logs.some((l) => l.message.includes('stopped reading'))).toBe(true);
    // Let any further turn of decoding happen (there must be none while over the mark).
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    const startedOverMark = observed.started;
    // A batch of 16 (16 MB of answers) passes the 1 MiB mark, unless the kernel's socket buffers
    // took most of it: then a second one does. No more start while the process queues over it.
    expect(startedOverMark).toBeGreaterThan(0);
    expect(startedOverMark).toBeLessThanOrEqual(32);
    // The peer goes away without reading: the requests kept for later run no handler.
    attacker.destroy();
    await expect.poll(() => server.connectionCount).toBe(0);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(observed.started).toBe(startedOverMark);
  });

  it('a chunk held for a turn or a drain is decoded in order once the client reads', async () => {
    const observed: Observed = { aborts: [], started: 0 };
    const { port } = await start({ limits: { outboundHighWaterBytes: MiB } }, observed);
    const attacker = peer(port);
    await attacker.connected;
    attacker.socket.pause();
    attacker.send(
      Buffer.concat([
        ...Array.from({ length: 100 }, () => attacker.request('test.blob', { size: 100_000 })),
        ...Array.from({ length: 100 }, () => attacker.request('test.echo', { msg: 'small' })),
      ]),
    );
    await expect.poll(() => observed.started).toBeGreaterThan(0);
    attacker.socket.resume();
    await expect.poll(() => attacker.count(FrameType.RESPONSE), { timeout: 30_000 }).toBe(200);
    expect(observed.started).toBe(100);
    const ids = attacker.frames.filter((f) => f.type === FrameType.RESPONSE).map((f) => f.streamId);
    expect(new Set(ids).size).toBe(200);
  });

  it('closes a connection whose queue passes the hard cap at once', async () => {
    const observed: Observed = { aborts: [], started: 0 };
    const logs: Logged[] = [];
    const { server, port } = await start(
      { limits: { outboundHighWaterBytes: MiB, outboundHardCapBytes: 2 * MiB }, logger: recorder(logs) },
      observed,
    );
    const attacker = peer(port);
    await attacker.connected;
    attacker.socket.pause();
    // Sixty requests in one write are all decoded before any answer is queued: the answers alone
    // pass the hard cap, and the connection goes.
    attacker.send(
      Buffer.concat(Array.from({ length: 60 }, () => attacker.request('test.blob', { size: 1_000_000 }))),
    );
    await expect.poll(() => server.connectionCount, { timeout: 30_000 }).toBe(0);
    const closing = logs.find((l) => l.message === 'rpc: closing connection');
    expect(closing?.fields).toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
    expect(JSON.stringify(closing?.fields)).toContain('limits.outboundHardCapBytes');
  });
});

describe('timeouts', () => {
  async function timed(limits: NonNullable<Parameters<typeof createServer>[0]['limits']>) {
    const clock = new FakeClock();
    const { server, port } = await start({ clock, limits });
    return { clock, server, port };
  }

  it('closes connections holding half-sent frames after the frame read timeout (GOAWAY FRAME_TIMEOUT)', async () => {
    const { clock, server, port } = await timed({ frameReadTimeoutMs: 10_000 });
    const peers = Array.from({ length: 30 }, () => peer(port));
    await Promise.all(peers.map((p) => p.connected));
    const whole = peers[0]!.request('test.echo', { msg: 'x'.repeat(100) });
    for (const p of peers) {
      p.ping();
      p.send(whole.subarray(0, 40));
    }
    await expect.poll(() => peers.every((p) => p.count(FrameType.PONG) === 1)).toBe(true);
    await expect.poll(() => server.connectionCount).toBe(30);
    await clock.advance(9_999);
    expect(peers.filter((p) => p.closed)).toHaveLength(0);
    await clock.advance(1);
    await Promise.all(peers.map((p) => p.done));
    expect(peers.map((p) => p.goaway()?.code)).toEqual(peers.map(() => GoawayCode.FRAME_TIMEOUT));
    expect(server.connectionCount).toBe(0);
  });

  it('a frame that keeps trickling in is still timed from its first byte (slowloris)', async () => {
    const { clock, port } = await timed({ frameReadTimeoutMs: 10_000 });
    const p = peer(port);
    await p.connected;
    p.ping();
    await expect.poll(() => p.count(FrameType.PONG)).toBe(1);
    const whole = p.request('test.echo', { msg: 'x'.repeat(100) });
    const trickle = async (i: number): Promise<void> => {
      p.send(whole.subarray(i, i + 1));
      await new Promise((r) => setTimeout(r, 20)); // let the byte arrive before time moves
      await clock.advance(1_000);
    };
    for (let i = 0; i < 9; i++) await trickle(i);
    expect(p.closed).toBe(false);
    // A byte a second keeps coming; the frame is still closed at 10 s after its first byte.
    for (let i = 9; i < 14 && !p.closed; i++) await trickle(i);
    await p.done;
    expect(p.goaway()?.code).toBe(GoawayCode.FRAME_TIMEOUT);
  });

  it('closes a connection that sends nothing valid after connecting (GOAWAY FIRST_FRAME_TIMEOUT)', async () => {
    const { clock, server, port } = await timed({ firstFrameTimeoutMs: 3_000 });
    const silent = new RawPeer(port, false);
    cleanup.push(() => silent.destroy());
    await silent.connected;
    await expect.poll(() => server.connectionCount).toBe(1);
    await clock.advance(2_999);
    expect(silent.closed).toBe(false);
    await clock.advance(1);
    await silent.done;
    expect(silent.goaway()?.code).toBe(GoawayCode.FIRST_FRAME_TIMEOUT);
  });

  it('closes an idle connection (GOAWAY IDLE); PINGs from a wanted client keep it', async () => {
    const { clock, port } = await timed({ idleTimeoutMs: 60_000 });
    const kept = peer(port);
    const idle = peer(port);
    await Promise.all([kept.connected, idle.connected]);
    kept.ping(1);
    idle.ping(1);
    await expect.poll(() => kept.count(FrameType.PONG) + idle.count(FrameType.PONG)).toBe(2);
    for (let i = 2; i <= 4; i++) {
      await clock.advance(30_000);
      kept.ping(i);
      await expect.poll(() => kept.count(FrameType.PONG)).toBe(i);
    }
    await idle.done;
    expect(idle.goaway()?.code).toBe(GoawayCode.IDLE);
    expect(kept.closed).toBe(false);
  });

  it('one timer serves the guards of every connection, and each idle one still closes on time', async () => {
    const { clock, server, port } = await timed({ idleTimeoutMs: 60_000 });
    const idle = Array.from({ length: 40 }, () => peer(port));
    await Promise.all(idle.map((p) => p.connected));
    for (const p of idle) p.ping(1);
    await expect.poll(() => idle.every((p) => p.count(FrameType.PONG) === 1)).toBe(true);
    expect(server.connectionCount).toBe(40);
    // Not one timer per socket: 40 idle connections hold one clock timer between them.
    expect(clock.pendingTimers).toBe(1);
    await clock.advance(59_999);
    expect(idle.some((p) => p.closed)).toBe(false);
    await clock.advance(1);
    await Promise.all(idle.map((p) => p.done));
    expect(idle.map((p) => p.goaway()?.code)).toEqual(idle.map(() => GoawayCode.IDLE));
    await expect.poll(() => server.connectionCount).toBe(0);
  });

  it('a connection with a call in progress is not idle', async () => {
    const observed: Observed = { aborts: [], started: 0 };
    const clock = new FakeClock();
    const { port } = await start({ clock, limits: { idleTimeoutMs: 10_000 } }, observed);
    const p = peer(port);
    await p.connected;
    p.send(p.request('test.stuck', {}));
    await expect.poll(() => observed.started).toBe(1);
    await clock.advance(60_000);
    expect(p.closed).toBe(false);
  });
});

describe('caps', () => {
  it('refuses connections over the cap with GOAWAY RESOURCE_EXHAUSTED; existing clients are unaffected', async () => {
    const { server, port } = await start({ limits: { maxConnections: 5 } });
    const first = Array.from({ length: 5 }, () => peer(port));
    await Promise.all(first.map((p) => p.connected));
    await expect.poll(() => server.connectionCount).toBe(5);
    const extra = Array.from({ length: 20 }, () => peer(port));
    await Promise.all(extra.map((p) => p.done));
    for (const p of extra) expect(p.goaway()?.code).toBe(GoawayCode.RESOURCE_EXHAUSTED);
    expect(extra[0]!.goaway()?.text).toContain('limits.maxConnections');
    for (const p of first) p.ping(7);
    await expect.poll(() => first.every((p) => p.count(FrameType.PONG) === 1)).toBe(true);
    expect(server.connectionCount).toBe(5);
  });

  it('refuses streams over maxConcurrentStreams and calls over maxInFlightCalls as unprocessed', async () => {
    const observed: Observed = { aborts: [], started: 0 };
    const { port } = await start({ limits: { maxConcurrentStreams: 2, maxInFlightCalls: 3 } }, observed);
    const a = new RpcConnection({ host: '127.0.0.1', port, keepAlive: false });
    const b = new RpcConnection({ host: '127.0.0.1', port, keepAlive: false });
    cleanup.push(
      () => a.close(),
      () => b.close(),
    );
    const apiA = bind(a, TestApi);
    const apiB = bind(b, TestApi);
    void apiA.stuck({}).catch(() => undefined);
    void apiA.stuck({}).catch(() => undefined);
    const third = await failure(apiA.stuck({}));
    expect([third.code, third.unprocessed]).toEqual(['RESOURCE_EXHAUSTED', true]);
    expect(third.message).toContain('limits.maxConcurrentStreams');
    void apiB.stuck({}).catch(() => undefined);
    await expect.poll(() => observed.started).toBe(3);
    const fourth = await failure(apiB.stuck({}));
    expect([fourth.code, fourth.unprocessed]).toEqual(['RESOURCE_EXHAUSTED', true]);
    expect(fourth.message).toContain('limits.maxInFlightCalls');
  });

  it('validates every limit, naming the field', () => {
    expect(() => createServer({ services: [], limits: { maxConnections: 0 } })).toThrow(
      /limits\.maxConnections/,
    );
    expect(() => createServer({ services: [], limits: { idleTimeoutMs: -1 } })).toThrow(
      /limits\.idleTimeoutMs/,
    );
    expect(() =>
      createServer({ services: [], limits: { outboundHighWaterBytes: 10, outboundHardCapBytes: 5 } }),
    ).toThrow(/limits\.outboundHardCapBytes/);
    expect(() => createServer({ services: [], limits: { nope: 1 } as never })).toThrow(/limits/);
  });
});

describe('cancellation reaches handlers', () => {
  it('a disconnect aborts the handlers of that connection', async () => {
    const observed: Observed = { aborts: [], started: 0 };
    const { port } = await start({}, observed);
    const p = peer(port);
    await p.connected;
    p.send(Buffer.concat([p.request('test.wait', { ms: 60_000 }), p.request('test.wait', { ms: 60_000 })]));
    await expect.poll(() => observed.started).toBe(2);
    p.destroy();
    await expect.poll(() => observed.aborts.length).toBe(2);
    expect(observed.aborts.map((a) => a.code)).toEqual(['CANCELLED', 'CANCELLED']);
  });

  it('an expired deadline aborts the handler and its result is dropped, not sent', async () => {
    const observed: Observed = { aborts: [], started: 0 };
    const clock = new FakeClock();
    const { port } = await start({ clock }, observed);
    const p = peer(port);
    await p.connected;
    p.send(p.request('test.wait', { ms: 60_000 }, 500));
    await expect.poll(() => observed.started).toBe(1);
    await clock.advance(500);
    await expect.poll(() => observed.aborts).toEqual([{ method: 'test.wait', code: 'DEADLINE_EXCEEDED' }]);
    // A PONG after the handler settled: an answer, had one been sent, would have come before it.
    p.ping(9);
    await expect.poll(() => p.count(FrameType.PONG)).toBe(1);
    expect(p.count(FrameType.RESPONSE) + p.count(FrameType.ERROR)).toBe(0);
  });
});
