import { z } from 'zod';
import type { MemoryRegistry } from '../../src/backends/memory/index.js';
import { createServer } from '../../src/client/index.js';
import type { LocalityInput } from '../../src/core/index.js';
import {
  defineService,
  implement,
  method,
  type RpcServer,
  type ServerObserver,
} from '../../src/rpc/index.js';

/** Every instance answers with its own id, so tests can tell where calls went. */
export const EchoApi = defineService('echo', {
  ask: method({ input: z.object({ n: z.number() }), output: z.object({ id: z.string() }), idempotent: true }),
});

export interface EchoInstance {
  readonly id: string;
  readonly locality: LocalityInput;
  /** Runs before answering: throw to fail the call, await to slow it. */
  readonly before?: () => Promise<void>;
}

/** Starts a registered `echo` server; the caller shuts it down. */
export async function startEcho(
  registry: MemoryRegistry,
  instance: EchoInstance,
  observers: readonly ServerObserver[],
): Promise<RpcServer> {
  const server = createServer({
    services: [
      implement(EchoApi, {
        ask: async () => {
          await instance.before?.();
          return { id: instance.id };
        },
      }),
    ],
    observers,
    register: {
      registry,
      instance: { service: 'echo', id: instance.id, locality: instance.locality },
      ttlMs: 10_000,
      env: {},
    },
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  return server;
}
