/**
 * One benchmark server per process: `node --import tsx bench/rpc/server.ts <system> <port>`.
 * Prints `READY <port>` when listening; exits on SIGTERM.
 */
import { type Socket, createServer as createNetServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { ServiceBroker } from 'moleculer';
import { Registry } from 'prom-client';
import { serverMetrics } from '../../src/observability/index.js';
import { createServer, implement, msgpackCodec, serverTlsFromEnv } from '../../src/rpc/index.js';
import { EchoApi, type System } from './echo-api.js';
import { RawDeframer, RawFramer, rawFrame } from './raw-framing.js';
import { grpcEchoService } from './grpc-service.js';

const [system, portArg] = process.argv.slice(2) as [System, string];
const port = Number(portArg);
const host = '127.0.0.1';

/** The raw floor's echo loop on one connection. */
function rawEcho(socket: Socket): void {
  socket.setNoDelay(true);
  const framer = new RawFramer(socket);
  const codec = msgpackCodec();
  const deframer = new RawDeframer((frame) =>
    framer.send(rawFrame(codec.encode(codec.decode(frame, 4, frame.length)))),
  );
  socket.on('data', (chunk: Buffer) => deframer.push(chunk));
  socket.on('error', () => undefined);
}

/** Server certificate and key for the TLS rows (PROXIMA_TLS_CERT / PROXIMA_TLS_KEY, set by run.ts). */
function tlsFromEnv() {
  const tls = serverTlsFromEnv(process.env);
  if (tls === undefined) throw new Error(`${system}: set PROXIMA_TLS_CERT and PROXIMA_TLS_KEY`);
  return tls;
}

async function start(): Promise<() => Promise<void>> {
  switch (system) {
    case 'raw':
    case 'raw-tls': {
      const server =
        system === 'raw'
          ? createNetServer({ noDelay: true }, rawEcho)
          : createTlsServer({ ...tlsFromEnv() }, rawEcho);
      await new Promise<void>((resolve) => server.listen(port, host, resolve));
      return () => new Promise((resolve) => server.close(() => resolve()));
    }
    case 'proxima':
    case 'proxima-client':
    case 'proxima-tls':
    case 'metrics-off':
    case 'metrics-on': {
      // The plain RPC server for every row (as before); metrics-on adds what
      // `createServer({ metrics })` adds: serverMetrics, bound once per method.
      const server = createServer({
        services: [implement(EchoApi, { echo: (req) => req })],
        ...(system === 'proxima-tls' ? { tls: tlsFromEnv() } : {}),
        ...(system === 'metrics-on' ? { observers: [serverMetrics(new Registry())] } : {}),
      });
      await server.listen({ host, port });
      return () => server.shutdown({ graceMs: 100 });
    }
    case 'moleculer': {
      const broker = new ServiceBroker({
        nodeID: 'bench-server',
        logger: false,
        transporter: {
          type: 'TCP',
          options: { udpDiscovery: false, port, urls: [`${host}:${port}/bench-server`] },
        },
      });
      broker.createService({ name: 'bench', actions: { echo: (ctx) => ctx.params } });
      await broker.start();
      return () => broker.stop();
    }
    case 'grpc': {
      const server = new grpc.Server();
      server.addService(grpcEchoService, {
        echo: (call: grpc.ServerUnaryCall<unknown, unknown>, cb: grpc.sendUnaryData<unknown>) =>
          cb(null, call.request),
      });
      await new Promise<void>((resolve, reject) =>
        server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (e) =>
          e ? reject(e) : resolve(),
        ),
      );
      return () => new Promise((resolve) => server.tryShutdown(() => resolve()));
    }
  }
}

const stop = await start();
console.log(`READY ${port}`);
process.once('SIGTERM', () => {
  void stop().finally(() => process.exit(0));
});
