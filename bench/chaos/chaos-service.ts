/**
 * A chaos-drill instance in its own process: the `who` service of the failure tests (answers its
 * own id, idempotent) plus `chaos.blob` (answers `size` bytes) for the never-reading client.
 * Env: PROXIMA_REGISTRY, WHO_SERVICE, WHO_ID, WHO_TTL_MS. Prints `READY <port>`; SIGTERM drains.
 */
import { z } from 'zod';
import { createServer } from '../../src/client/index.js';
import { defineService, implement, method, shutdownOnSignals } from '../../src/rpc/index.js';
import { whoApi } from '../../test/client/fixtures/who-api.js';

export const BlobApi = defineService('chaos', {
  blob: method({
    input: z.object({ size: z.number().int().nonnegative().max(4_000_000) }),
    output: z.object({ data: z.string() }),
    idempotent: true,
  }),
});

const env = process.env;
const service = env.WHO_SERVICE ?? 'who';
const id = env.WHO_ID ?? `who-${process.pid}`;
const api = whoApi(service);

const server = createServer({
  services: [
    api.implement({ ask: () => ({ id }) }),
    implement(BlobApi, { blob: ({ size }) => ({ data: 'x'.repeat(size) }) }),
  ],
  register: {
    registry: env.PROXIMA_REGISTRY ?? 'http://127.0.0.1:7070',
    instance: { service, id },
    ttlMs: Number(env.WHO_TTL_MS ?? '2000'),
    env: {},
  },
});
const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
shutdownOnSignals(server, {
  graceMs: 5_000,
  onDone: () => {
    console.log('DRAINED');
    process.exit(0);
  },
  onError: (error) => {
    console.error(error);
    process.exit(1);
  },
});
console.log(`READY ${port}`);
