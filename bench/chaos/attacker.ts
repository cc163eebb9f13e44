/**
 * Hostile clients for the chaos drills, in their own process so the caller's event loop is not
 * theirs: `node --import tsx bench/chaos/attacker.ts MODE PORT [COUNT]`.
 *
 * - `never-read`: one connection requesting 1 MB answers (one every 2 ms) and never reading.
 * - `idle`: COUNT connections that send a valid preface and then nothing.
 * - `half-frames`: COUNT connections that send a preface and half a frame, then nothing.
 *
 * Prints `ATTACKING` once under way and `CLOSED n` whenever the server has closed n of them.
 */
import { type Socket, connect } from 'node:net';
import { msgpackCodec } from '../../src/rpc/wire/codec.js';
import { prefaceBytes, FrameWriter } from '../../src/rpc/wire/writer.js';

const [mode, portArg, countArg] = process.argv.slice(2);
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
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
