import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO = fileURLToPath(new URL('./fixtures/who.proto', import.meta.url));

export interface AskRequest {
  n: number;
  failWith?: number;
}
export interface AskReply {
  id: string;
}

/** The generated `Who` client constructor, as a stock grpc-js program would load it. */
export interface WhoClient extends grpc.Client {
  ask(request: AskRequest, options: grpc.CallOptions, callback: grpc.requestCallback<AskReply>): void;
}

type WhoPackage = {
  proxima: { test: { Who: grpc.ServiceClientConstructor } };
};

function load(): WhoPackage {
  const definition = protoLoader.loadSync(PROTO, { keepCase: false, defaults: true });
  return grpc.loadPackageDefinition(definition) as unknown as WhoPackage;
}

/** A client of `Who` for `target` (e.g. `proxima:///who`); insecure unless given credentials. */
export function whoClient(
  target: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  options: grpc.ChannelOptions = {},
): WhoClient {
  const Who = load().proxima.test.Who;
  return new Who(target, credentials, options) as unknown as WhoClient;
}

/** One unary call as a promise. */
export function ask(client: WhoClient, request: AskRequest, deadlineMs = 5_000): Promise<AskReply> {
  return new Promise((resolve, reject) => {
    client.ask(request, { deadline: Date.now() + deadlineMs }, (error, reply) => {
      if (error) reject(error);
      else resolve(reply!);
    });
  });
}

/**
 * A real grpc-js server answering `Who.Ask` with `id`, listening on a free loopback port. With
 * `failFirst`, the first attempt of each request number `n` fails with that code (a retry succeeds);
 * `attempts` counts the attempts per `n`.
 */
export async function startWhoServer(
  id: string,
  credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(),
  options: { failFirst?: number } = {},
): Promise<{ server: grpc.Server; address: string; attempts: Map<number, number> }> {
  const Who = load().proxima.test.Who;
  const server = new grpc.Server();
  const attempts = new Map<number, number>();
  server.addService(Who.service, {
    ask: (call: grpc.ServerUnaryCall<AskRequest, AskReply>, callback: grpc.sendUnaryData<AskReply>) => {
      const seen = (attempts.get(call.request.n) ?? 0) + 1;
      attempts.set(call.request.n, seen);
      const failWith = call.request.failWith ?? 0;
      if (failWith !== 0) callback({ code: failWith, details: `${id} fails as asked` });
      else if (options.failFirst !== undefined && seen === 1)
        callback({ code: options.failFirst, details: `${id} fails the first attempt` });
      else callback(null, { id });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { server, address: `127.0.0.1:${port}`, attempts };
}
