/**
 * Proxima RPC: binary frames over one multiplexed TCP connection per endpoint, typed services with
 * zod schemas, interceptors on both sides, graceful shutdown.
 *
 * @example
 * ```ts
 * const UserApi = defineService('users', {
 *   get: method({ input: z.object({ id: z.string() }), output: User, idempotent: true }),
 * });
 * const server = createServer({ services: [implement(UserApi, { get: async ({ id }) => find(id) })] });
 * const { port } = await server.listen({ port: 7000 });
 * const users = bind(new RpcConnection({ host: '127.0.0.1', port }), UserApi);
 * await users.get({ id: '42' });
 * ```
 */
export * from './service/define.js';
export * from './server/index.js';
export * from './client/index.js';
export * from './connection/index.js';
export * from './interceptors/index.js';
export { type Codec, jsonCodec, msgpackCodec } from './wire/codec.js';
export * from './tls/index.js';
