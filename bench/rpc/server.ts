/**
 * One benchmark server per process: `node --import tsx bench/rpc/server.ts <system> <port>`.
 * Prints `READY <port>` when listening; exits on SIGTERM.
 */
import { createServer as createNetServer } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { ServiceBroker } from 'moleculer';
import { createServer, implement, msgpackCodec } from '../../src/rpc/index.js';
import { EchoApi, type System } from './echo-api.js';
import { RawDeframer, RawFramer, rawFrame } from './raw-framing.js';
import { grpcEchoService } from './grpc-service.js';

const [system, portArg] = process.argv.slice(2) as [System, string];
const port = Number(portArg);
const host = '127.0.0.1';

async function start(): Promise<() => Promise<void>> {
  switch (system) {
    case 'raw': {
      const server = createNetServer({ noDelay: true }, (socket) => {
        const framer = new RawFramer(socket);
        const codec = msgpackCodec();
        const deframer = new RawDeframer((frame) =>
          framer.send(rawFrame(codec.encode(codec.decode(frame, 4, frame.length)))),
        );
        socket.on('data', (chunk) => deframer.push(chunk));
        socket.on('error', () => undefined);
      });
      await new Promise<void>((resolve) => server.listen(port, host, resolve));
      return () => new Promise((resolve) => server.close(() => resolve()));
    }
    case 'proxima':
    case 'proxima-client': {
      const server = createServer({ services: [implement(EchoApi, { echo: (req) => req })] });
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
