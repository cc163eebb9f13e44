/**
 * One benchmark client run per process:
 * `node --import tsx bench/rpc/client.ts <system> <port> <concurrency> <durationMs> <warmupMs>`.
 * Runs `concurrency` closed loops of echo calls and prints one JSON line: calls/s, p50, p99 (ms).
 */
import { type Socket, connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { performance } from 'node:perf_hooks';
import * as grpc from '@grpc/grpc-js';
import { ServiceBroker } from 'moleculer';
import { RpcConnection, bind, clientTlsFromEnv, msgpackCodec } from '../../src/rpc/index.js';
import { EchoApi, PAYLOAD, type System } from './echo-api.js';
import { grpcEchoService } from './grpc-service.js';
import { fullStackClient } from './full-stack.js';
import { RawDeframer, RawFramer, rawFrame } from './raw-framing.js';

const [system, portArg, cArg, durationArg, warmupArg] = process.argv.slice(2) as [
  System,
  string,
  string,
  string,
  string,
];
const port = Number(portArg);
const concurrency = Number(cArg);
const durationMs = Number(durationArg);
const warmupMs = Number(warmupArg);
const host = '127.0.0.1';

type Call = () => Promise<unknown>;

/** The CA for the TLS rows (PROXIMA_TLS_CA, set by run.ts). */
function tlsFromEnv() {
  const tls = clientTlsFromEnv(process.env);
  if (tls?.ca === undefined) throw new Error(`${system}: set PROXIMA_TLS_CA`);
  return { ca: tls.ca };
}

async function setup(): Promise<{ call: Call; stop: () => Promise<unknown> }> {
  switch (system) {
    case 'raw':
    case 'raw-tls': {
      let socket: Socket;
      if (system === 'raw') {
        socket = connect({ host, port, noDelay: true });
        await new Promise((resolve) => socket.once('connect', resolve));
      } else {
        socket = connectTls({ host, port, ...tlsFromEnv() });
        socket.setNoDelay(true);
        await new Promise((resolve) => socket.once('secureConnect', resolve));
      }
      const codec = msgpackCodec();
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
      socket.on('data', (chunk) => deframer.push(chunk));
      return {
        call: () =>
          new Promise((resolve) => {
            waiting.push(resolve);
            framer.send(rawFrame(codec.encode(PAYLOAD)));
          }),
        stop: async () => socket.destroy(),
      };
    }
    case 'proxima':
    case 'proxima-tls': {
      const connection = new RpcConnection({
        host,
        port,
        ...(system === 'proxima-tls' ? { tls: tlsFromEnv() } : {}),
      });
      const api = bind(connection, EchoApi);
      await connection.connect();
      return { call: () => api.echo(PAYLOAD, { deadlineMs: 5_000 }), stop: () => connection.close() };
    }
    case 'proxima-client':
      return fullStackClient(host, port);
    case 'metrics-off':
      return fullStackClient(host, port, 'none');
    case 'metrics-on':
      return fullStackClient(host, port, 'metrics');
    case 'moleculer': {
      const broker = new ServiceBroker({
        nodeID: `bench-client-${process.pid}`,
        logger: false,
        transporter: {
          type: 'TCP',
          options: { udpDiscovery: false, urls: [`${host}:${port}/bench-server`] },
        },
      });
      await broker.start();
      await broker.waitForServices('bench', 10_000);
      return { call: () => broker.call('bench.echo', PAYLOAD), stop: () => broker.stop() };
    }
    case 'grpc': {
      const Client = grpc.makeGenericClientConstructor(grpcEchoService, 'Echo');
      const client = new Client(`${host}:${port}`, grpc.credentials.createInsecure());
      const echo = client['echo'] as (req: unknown, cb: (e: Error | null, r: unknown) => void) => void;
      const call: Call = () =>
        new Promise((resolve, reject) => echo.call(client, PAYLOAD, (e, r) => (e ? reject(e) : resolve(r))));
      await call();
      return { call, stop: async () => client.close() };
    }
  }
}

const { call, stop } = await setup();
const latencies = new Float64Array(4_000_000);
let count = 0;
let errors = 0;
let total = 0;
const cpuBefore = process.cpuUsage();
const start = performance.now();
const measureFrom = start + warmupMs;
const end = measureFrom + durationMs;

async function worker(): Promise<void> {
  for (;;) {
    const t0 = performance.now();
    if (t0 >= end) return;
    try {
      await call();
    } catch {
      errors++;
    }
    total++;
    const t1 = performance.now();
    if (t0 >= measureFrom && t1 <= end && count < latencies.length) latencies[count++] = t1 - t0;
  }
}

await Promise.all(Array.from({ length: concurrency }, () => worker()));
const cpu = process.cpuUsage(cpuBefore);
await stop();
const sorted = latencies.subarray(0, count).sort();
const pct = (p: number): number => sorted[Math.min(count - 1, Math.floor((p / 100) * count))] ?? NaN;
console.log(
  JSON.stringify({
    system,
    concurrency,
    rps: Math.round(count / (durationMs / 1000)),
    p50: pct(50),
    p99: pct(99),
    errors,
    calls: total,
    clientCpuUs: cpu.user + cpu.system,
    clientUserUs: cpu.user,
    clientSystemUs: cpu.system,
  }),
);
process.exit(0);
