/**
 * CPU cost of one call over TLS, both ends in ONE process: the raw TLS floor (the framing of
 * `raw-framing.ts` over node:tls) against Proxima's RPC over TLS, C concurrent closed loops,
 * alternating, `--repeat` times. On a shared machine the calls/s of the two-process benchmark
 * (`run.ts --systems raw-tls,proxima-tls`) swing with other jobs; CPU time per call (client +
 * server, `process.cpuUsage`) moves much less.
 *
 *   node --import tsx bench/rpc/tls-cpu.ts [--calls 64000] [--concurrency 64] [--repeat 5]
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, createServer as createTlsServer } from 'node:tls';
import { parseArgs } from 'node:util';
import { makeTestCertificates } from '../../test/support/certs.js';
import { RpcConnection, bind, createServer, implement, msgpackCodec } from '../../src/rpc/index.js';
import { EchoApi, PAYLOAD } from './echo-api.js';
import { RawDeframer, RawFramer, rawFrame } from './raw-framing.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '64000' },
    concurrency: { type: 'string', default: '64' },
    repeat: { type: 'string', default: '5' },
  },
});
const total = Number(values.calls);
const c = Number(values.concurrency);
const certs = await makeTestCertificates();
const serverTls = { cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey) };
const ca = readFileSync(certs.ca);

type Call = () => Promise<unknown>;

async function rawTls(): Promise<{ call: Call; stop: () => Promise<void> }> {
  const codec = msgpackCodec();
  const server = createTlsServer(serverTls, (socket) => {
    socket.setNoDelay(true);
    const framer = new RawFramer(socket);
    const deframer = new RawDeframer((f) =>
      framer.send(rawFrame(codec.encode(codec.decode(f, 4, f.length)))),
    );
    socket.on('data', (chunk: Buffer) => deframer.push(chunk));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const socket = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ca });
  socket.setNoDelay(true);
  await new Promise((resolve) => socket.once('secureConnect', resolve));
  const waiting: Array<(v: unknown) => void> = [];
  let head = 0;
  const framer = new RawFramer(socket);
  const deframer = new RawDeframer((f) => {
    const resolve = waiting[head]!;
    waiting[head++] = undefined as never;
    if (head === waiting.length) {
      waiting.length = 0;
      head = 0;
    }
    resolve(codec.decode(f, 4, f.length));
  });
  socket.on('data', (chunk: Buffer) => deframer.push(chunk));
  return {
    call: () =>
      new Promise((resolve) => {
        waiting.push(resolve);
        framer.send(rawFrame(codec.encode(PAYLOAD)));
      }),
    stop: async () => {
      socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function proximaTls(): Promise<{ call: Call; stop: () => Promise<void> }> {
  const server = createServer({ services: [implement(EchoApi, { echo: (r) => r })], tls: serverTls });
  const { port } = await server.listen();
  const connection = new RpcConnection({ host: '127.0.0.1', port, tls: { ca } });
  const api = bind(connection, EchoApi);
  await connection.connect();
  return {
    call: () => api.echo(PAYLOAD, { deadlineMs: 5_000 }),
    stop: async () => {
      await connection.close();
      await server.shutdown({ graceMs: 0 });
    },
  };
}

async function measure(setup: () => Promise<{ call: Call; stop: () => Promise<void> }>): Promise<number> {
  const { call, stop } = await setup();
  for (let i = 0; i < 1_000; i++) await call(); // warm-up
  const before = process.cpuUsage();
  const perLoop = Math.ceil(total / c);
  await Promise.all(
    Array.from({ length: c }, async () => {
      for (let i = 0; i < perLoop; i++) await call();
    }),
  );
  const cpu = process.cpuUsage(before);
  await stop();
  return (cpu.user + cpu.system) / (perLoop * c);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const raw: number[] = [];
const proxima: number[] = [];
try {
  for (let i = 0; i < Number(values.repeat); i++) {
    const first = i % 2 === 0;
    if (first) raw.push(await measure(rawTls));
    proxima.push(await measure(proximaTls));
    if (!first) raw.push(await measure(rawTls));
  }
} finally {
  await certs.remove();
}
const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(', ');
console.log(`C = ${c}, ${total} calls per run, client and server in one process`);
console.log(`raw TLS floor  CPU µs/call: ${fmt(raw)} (median ${median(raw).toFixed(2)})`);
console.log(`proxima TLS    CPU µs/call: ${fmt(proxima)} (median ${median(proxima).toFixed(2)})`);
console.log(`floor ÷ proxima (CPU per call): ${(median(raw) / median(proxima)).toFixed(2)}×`);
