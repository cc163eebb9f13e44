/**
 * Proxima: topology-aware service registration, discovery and RPC for Node.js.
 *
 * The public API, grouped by what a user does with it. Most programs need only the first two
 * groups: a service calls `createServer(...).listen()` (registered once listening, drained on
 * SIGTERM), a caller calls `createClient(...)` and binds the same service definition.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { createClient, createServer, defineService, implement, method, shutdownOnSignals } from '@proxima-rpc/proxima';
 *
 * export const UserApi = defineService('users', {
 *   get: method({ input: z.object({ id: z.string() }), output: z.object({ name: z.string() }), idempotent: true }),
 * });
 *
 * // the service
 * const server = createServer({
 *   services: [implement(UserApi, { get: async ({ id }) => ({ name: `user ${id}` }) })],
 *   register: { registry: 'http://127.0.0.1:7070', instance: { service: 'users' } },
 * });
 * await server.listen({ port: 7000 });
 * shutdownOnSignals(server, { onDone: () => process.exit(0) });
 *
 * // a caller
 * await using client = await createClient({ registry: 'http://127.0.0.1:7070' });
 * const users = client.bind(UserApi);
 * console.log(await users.get({ id: '42' }, { deadlineMs: 500 }));
 * ```
 */

// ── Calling services ────────────────────────────────────────────────────────────────────────────
export { createClient, type Client } from './client/client.js';
export type { ClientCallOptions, ClientOptions } from './client/options.js';
export type { ServiceClient } from './rpc/client/bind.js';
export type { ClientInterceptor } from './rpc/client/interceptor.js';
export type { ClientObserver } from './client/observer.js';

// ── Defining and serving services ───────────────────────────────────────────────────────────────
export {
  defineService,
  method,
  type InputOf,
  type MethodSpec,
  type OutputOf,
  type ServiceDefinition,
} from './rpc/service/define.js';
export {
  implement,
  type MethodHandler,
  type ServiceHandlers,
  type ServiceImplementation,
} from './rpc/server/implement.js';
export {
  createServer,
  type ProximaServerOptions,
  type ServerMetricsOptions,
} from './client/service-server.js';
export type { OpenTelemetryOptions, OpenTelemetrySetting } from './observability/otel/load.js';
export type { ListenOptions, RpcServer } from './rpc/server/server.js';
export { shutdownOnSignals, type ShutdownSignalOptions } from './rpc/server/shutdown-signals.js';
export type { CallContext, ServerInterceptor } from './rpc/server/context.js';
export type { ClientTlsOptions, PeerIdentity, ServerTlsOptions } from './rpc/tls/index.js';

// ── Registries and registration ─────────────────────────────────────────────────────────────────
export { openRegistry, registryUrlFromEnv, type OpenRegistryOptions } from './backends/open.js';
export type { Registration, RegisterOptions, Registry, WatchEvent } from './registry/registry.js';
export { startRegistrar, type Registrar } from './registrar/registrar.js';
export { formatRegistrarExplanation, type RegistrarExplanation } from './registrar/explain.js';
export type { RegistrarOptions } from './registrar/options.js';
export { startRegistryServer, type RegistryServer } from './server/server.js';
export type { RegistryServerOptions, RegistryXdsOptions } from './server/options.js';
export { mountDashboard, type Dashboard, type DashboardOptions } from './dashboard/routes.js';

// ── Model, errors, explaining routes ────────────────────────────────────────────────────────────
export { ErrorCode, ProximaError, isProximaError } from './core/errors.js';
export type { Instance, InstanceInput } from './core/instance.js';
export type { Locality } from './core/locality.js';
export type { Logger } from './core/logger.js';
export type { TopologyOptions } from './topology/index.js';
export { formatRoutingTable, type RoutingTable } from './routing/explain.js';

// Building blocks live on subpaths: `@proxima-rpc/proxima/rpc` (server, connection, codecs, interceptors),
// `@proxima-rpc/proxima/routing` (discoverer, router, balancers, prober), `@proxima-rpc/proxima/resilience` (call policy,
// retry budget, deadlines), `@proxima-rpc/proxima/simulate`, and the integrations `@proxima-rpc/proxima/grpc`,
// `@proxima-rpc/proxima/http`, `@proxima-rpc/proxima/etcd`, `@proxima-rpc/proxima/metrics`, `@proxima-rpc/proxima/tracing`.
