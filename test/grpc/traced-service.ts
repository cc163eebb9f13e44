import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const PROTO = fileURLToPath(new URL('./fixtures/traced.proto', import.meta.url));

export interface LookRequest {
  failWith?: number;
}
export interface LookReply {
  traceparent: string;
  sawPickNote: boolean;
}

/** The generated `Traced` client, as a stock grpc-js program would load it. */
export interface TracedClient extends grpc.Client {
  look(request: LookRequest, options: grpc.CallOptions, callback: grpc.requestCallback<LookReply>): void;
  spans(request: object, options: grpc.CallOptions, callback: grpc.requestCallback<{ json: string }>): void;
}

/** The `Traced` service constructor from traced.proto (loaded with proto-loader). */
export function tracedService(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync(PROTO, { keepCase: false, defaults: true });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    proxima: { test: { Traced: grpc.ServiceClientConstructor } };
  };
  return loaded.proxima.test.Traced;
}

/** A promise of one unary call. */
export function unary<T>(
  call: (options: grpc.CallOptions, callback: grpc.requestCallback<T>) => void,
  deadlineMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    call({ deadline: Date.now() + deadlineMs }, (error, reply) => (error ? reject(error) : resolve(reply!)));
  });
}
