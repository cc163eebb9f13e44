/**
 * Hostile clients for the chaos drills, in their own process so the caller's event loop is not
 * theirs: `node --import tsx bench/chaos/attacker.ts MODE PORT [COUNT]`.
 *
 * - `never-read`: one connection requesting 1 MB answers (one every 2 ms) and never reading.
 * - `idle`: COUNT connections that send a valid preface and then nothing.
 * - `half-frames`: COUNT connections that send a preface and half a frame, then nothing.
 * - `slowloris`: COUNT HTTP connections to the registry from 127.0.0.2, half sending a header one
 *   byte a second and never ending it, half sending a body one byte a second; each one the server
 *   closes is opened again after 200 ms (a determined attacker keeps the pressure).
 * - `lease-flood`: COUNT requests in flight at once granting 1-hour leases from 127.0.0.2, as fast
 *   as the registry answers; with a TOKEN, a third carry it, a third a wrong token, a third none.
 *
 * Prints `ATTACKING` once under way and `CLOSED n` whenever the server has closed n of them
 * (the lease flood prints `STATUS` with the count of each HTTP status instead).
 */
import { request as httpRequest, Agent } from 'node:http';
import { type Socket, connect } from 'node:net';
import { msgpackCodec } from '../../src/rpc/wire/codec.js';
import { prefaceBytes, FrameWriter } from '../../src/rpc/wire/writer.js';

const [mode, portArg, countArg, token] = process.argv.slice(2);
/** Attackers come from their own loopback address: per-address limits must not hit real clients. */
const FROM = '127.0.0.2';
const port = Number(portArg);
const count = Number(countArg ?? '1');
const codec = msgpackCodec();
let closed = 0;
let reported = -1;
setInterval(() => {
  if (closed !== reported) console.log(`CLOSED ${closed}`);
  reported = closed;
}, 250).unref();

function frames(fill: (w: FrameWriter) => void): Buffer {
  const chunks: Buffer[] = [];
  const writer = new FrameWriter({ maxFramesPerFlush: 1_000_000 });
  fill(writer);
  writer.attach({ write: (c: Buffer) => chunks.push(Buffer.from(c)) });
  return Buffer.concat(chunks);
}

function open(): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    socket.once('close', () => closed++);
    socket.once('connect', () => resolve(socket));
  });
}

const preface = prefaceBytes();
if (mode === 'never-read') {
  const socket = await open();
  socket.pause();
  socket.write(preface);
  let id = 1;
  const timer = setInterval(() => {
    if (socket.destroyed) return clearInterval(timer);
    const stream = id++;
    socket.write(
      frames((w) => w.request(stream, 0, 'chaos.blob', undefined, codec.encode({ size: 1_000_000 }), 0)),
    );
  }, 2);
  console.log('ATTACKING');
} else if (mode === 'idle' || mode === 'half-frames') {
  const half = frames((w) =>
    w.request(1, 0, 'chaos.blob', undefined, codec.encode({ size: 10 }), 0),
  ).subarray(0, 12);
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i += 200) {
    const batch = await Promise.all(Array.from({ length: Math.min(200, count - i) }, () => open()));
    for (const s of batch) {
      s.write(mode === 'idle' ? preface : Buffer.concat([preface, half]));
      s.resume();
    }
    sockets.push(...batch);
  }
  console.log(`ATTACKING ${sockets.length}`);
} else if (mode === 'slowloris') {
  const slow: Socket[] = [];
  const lorisOpen = (i: number): void => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: FROM });
    socket.on('error', () => undefined);
    socket.once('connect', () => {
      socket.write(
        i % 2 === 0
          ? `GET /v1/services HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `
          : `POST /v1/leases HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
              'content-type: application/json\r\ncontent-length: 100000\r\n\r\n{"ttlMs":',
      );
    });
    socket.once('close', () => {
      closed++;
      setTimeout(() => lorisOpen(i), 200);
    });
    socket.resume();
    slow[i] = socket;
  };
  for (let i = 0; i < count; i++) {
    lorisOpen(i);
    if (i % 200 === 199) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  setInterval(() => {
    for (const s of slow) if (s.writable && !s.connecting) s.write('1');
  }, 1_000);
  console.log(`ATTACKING ${count}`);
} else if (mode === 'lease-flood') {
  const agent = new Agent({ keepAlive: true, maxSockets: count, localAddress: FROM });
  const statuses = new Map<string, number>();
  const body = JSON.stringify({ ttlMs: 3_600_000 });
  let sent = 0;
  const one = (): void => {
    const n = sent++;
    const which = token === undefined ? 0 : n % 3;
    const auth = which === 0 && token !== undefined ? { authorization: `Bearer ${token}` } : {};
    const wrong = which === 1 ? { authorization: `Bearer wrong-${n}-${Math.random().toString(36)}` } : {};
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/leases',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', ...auth, ...wrong },
      },
      (res) => {
        const key = String(res.statusCode);
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        res.resume();
        res.once('end', one);
      },
    );
    req.on('error', () => {
      statuses.set('error', (statuses.get('error') ?? 0) + 1);
      setTimeout(one, 10);
    });
    req.end(body);
  };
  for (let i = 0; i < count; i++) one();
  setInterval(() => {
    console.log(`STATUS ${[...statuses].map(([k, v]) => `${k}:${v}`).join(' ')}`);
  }, 1_000).unref();
  console.log(`ATTACKING ${count}`);
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
