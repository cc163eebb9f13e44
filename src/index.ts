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
 * import { createClient, createServer, defineService, implement, method, shutdownOnSignals } from 'proxima';
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
export {
  CLIENT_FAIL_MODES,
  type ClientCallOptions,
  type ClientFailMode,
  type ClientLogger,
  type ClientOptions,
  type ConnectionOptions,
  type ProbeOptions,
} from './client/options.js';
export {
  bind,
  type BindOptions,
  type Caller,
  type MethodInfo,
  type ServiceClient,
} from './rpc/client/bind.js';
export {
  composeClient,
  withInterceptors,
  type ClientHandler,
  type ClientInterceptor,
} from './rpc/client/interceptor.js';

// ── Defining and serving services ───────────────────────────────────────────────────────────────
export {
  defineService,
  fullMethodName,
  method,
  type InputOf,
  type MethodSpec,
  type OutputOf,
  type ParsedInputOf,
  type ReturnOf,
  type ServiceDefinition,
} from './rpc/service/define.js';
export {
  implement,
  type ImplementOptions,
  type MethodHandler,
  type ServiceHandlers,
  type ServiceImplementation,
} from './rpc/server/implement.js';
export {
  createServer,
  type ProximaServerOptions,
  type ServerMetricsOptions,
} from './client/service-server.js';
export {
  registerOnListen,
  type ServerRegistration,
  type ServerRegistrationOptions,
} from './client/registration.js';
export { propagateCallContext } from './client/call-context.js';
export {
  RpcServer,
  type ListenAddress,
  type ListenOptions,
  type RegistrarHook,
  type ServerOptions,
  type ServerState,
  type ShutdownOptions,
} from './rpc/server/server.js';
export { shutdownOnSignals, type ShutdownSignalOptions } from './rpc/server/shutdown-signals.js';
export type { CallContext, Peer, ServerHandler, ServerInterceptor } from './rpc/server/context.js';
export * from './rpc/interceptors/index.js';
export type { RpcLogger } from './rpc/logger.js';
export {
  PLAINTEXT_REFUSAL,
  type ClientTlsOptions,
  type PeerIdentity,
  type Pem,
  type ServerTlsOptions,
} from './rpc/tls/index.js';

// ── Transport (one endpoint, no discovery) ──────────────────────────────────────────────────────
export { RpcConnection, type RpcConnectionOptions, type KeepAliveOptions } from './rpc/connection/index.js';
export { jsonCodec, msgpackCodec, type Codec } from './rpc/wire/codec.js';
export type {
  CallOptions as TransportCallOptions,
  Metadata,
  Transport,
  TransportEndpoint,
  TransportFactory,
  TransportState,
} from './transport/transport.js';

// ── Registries and registration ─────────────────────────────────────────────────────────────────
export {
  DEFAULT_REGISTRY_URL,
  openRegistry,
  registrySchemes,
  registryUrlFromEnv,
  type OpenRegistryOptions,
} from './registry/open.js';
export {
  DEFAULT_TTL_MS,
  type Lease,
  type LeaseOptions,
  type Registration,
  type RegisterOptions,
  type Registry,
  type ServiceListing,
  type WatchEvent,
  type WatchOptions,
} from './registry/registry.js';
export { MemoryRegistry, type MemoryRegistryOptions } from './backends/memory/index.js';
export { HttpRegistry, type HttpRegistryOptions } from './backends/http/index.js';
// The etcd backend is the subpath `proxima/etcd` (it loads the etcd/gRPC client); `openRegistry`
// with an `etcd://` URL loads it on demand.
export type { WatchConnectivity } from './registry/registry.js';
export {
  localityFromEnv,
  startRegistrar,
  type InstanceLossEvent,
  type RegisteredEvent,
  type Registrar,
  type RegistrarErrorEvent,
  type RegistrarInstanceInput,
  type RegistrarLogger,
  type RegistrarOptions,
  type RegistrarState,
} from './registrar/index.js';
export {
  startRegistryServer,
  type RegistryServer,
  type RegistryServerOptions,
  type RegistryXdsOptions,
} from './server/index.js';
export {
  lookupTopology,
  topologyWarning,
  type AwsSourceOptions,
  type AzureSourceOptions,
  type GcpSourceOptions,
  type KubernetesSourceOptions,
  type SourceAnswer,
  type SourceReport,
  type TopologyLookupOptions,
  type TopologyOptions,
  type TopologyReport,
  type TopologySourceName,
} from './topology/index.js';

// ── Discovery, routing and balancing (the client's parts, for composing your own) ───────────────
export {
  createDiscoverer,
  type Discoverer,
  type DiscovererOptions,
  type ServiceSubscription,
} from './discovery/discoverer.js';
export type { ServiceSnapshot, SnapshotCause, SnapshotUpdate } from './discovery/snapshot.js';
export type { SelfPreservationOptions } from './discovery/self-preservation.js';
export { createRouter, type Router, type RouterDeps, type SnapshotExtra } from './routing/router.js';
export type { RouterOptionsInput } from './routing/options.js';
export {
  formatRoutingTable,
  type ExplainedEndpoint,
  type ExplainedRoute,
  type RoutingTable,
} from './routing/explain.js';
export type {
  CallTracker,
  Endpoint,
  OutcomeKind,
  PickContext,
  Picker,
  PickResult,
} from './balancer/picker.js';
export { createBalancer, type BalancerName, type BalancerSpecInput } from './balancer/factory.js';
export type { HealthOptionsInput } from './health/options.js';
export { RttTable, type RttSource } from './probe/rtt-source.js';
export {
  Prober,
  startProber,
  type ProberOptions,
  type ProbeTarget,
  type ProbeTargets,
} from './probe/prober.js';
export { tcpConnectTime } from './probe/tcp-probe.js';

// ── Observability: Prometheus metrics, W3C trace context (docs/observability.md) ────────────────
export {
  clientMetrics,
  collectProcessMetrics,
  collectRouterMetrics,
  collectXdsMetrics,
  metricsInterceptor,
  metricsRoute,
  mountMetrics,
  RouterMetrics,
  serverMetrics,
  serveMetrics,
  registrarMetrics,
  CounterFamily,
  GaugeFamily,
  HistogramFamily,
  openTelemetryServer,
  resolveOpenTelemetry,
  traceClient,
  traceServer,
  currentTrace,
  withTrace,
  formatTraceparent,
  parseTraceparent,
  randomIds,
  type ClientMetricsOptions,
  type IdGenerator,
  type MetricsEndpoint,
  type ServeMetricsOptions,
  type OpenTelemetryOptions,
  type OpenTelemetrySetting,
  type MetricsOptions,
  type RegistryServerMetricsOptions,
  type RouterMetricsOptions,
  type RpcMetricsOptions,
  type SpanEnd,
  type SpanRecord,
  type TraceClientOptions,
  type TraceContext,
  type TraceHooks,
  type TraceOptions,
} from './observability/index.js';
export type { AttemptKind, ClientObserver, ObservedMethod, ObservedService } from './client/observer.js';
export type { PolicyObserver } from './resilience/observer.js';
export type { ServerObserver, ServedMethodObserver } from './rpc/server/observer.js';
export type { ServedRequest } from './server/server.js';

// ── Call policy: fail modes, retries, hedging, deadlines ────────────────────────────────────────
export { callPolicy } from './resilience/call-policy.js';
export { executeCall } from './resilience/execute-call.js';
export {
  FAIL_MODES,
  type Attempt,
  type AttemptContext,
  type BroadcastReply,
  type CallOptions as PolicyCallOptions,
  type CallPolicy,
  type CallPolicyInput,
  type CallResult,
  type FailMode,
  type HedgingOptions,
  type RetryOptions,
} from './resilience/policy.js';
export { RetryBudget, type RetryBudgetOptions } from './resilience/retry-budget.js';
export { LatencyEstimator } from './resilience/latency-estimator.js';
export { FailbackQueue } from './resilience/failback-queue.js';
export { Deadline } from './resilience/deadline.js';
export { currentDeadline, currentSignal, withDeadline } from './resilience/deadline-context.js';

// ── Model, errors, time ─────────────────────────────────────────────────────────────────────────
export {
  ErrorCode,
  ProximaError,
  errorFromJson,
  invalidArgument,
  isErrorCode,
  isProximaError,
  toProximaError,
  type ProximaErrorJson,
  type ProximaErrorOptions,
} from './core/errors.js';
export {
  instanceSchema,
  parseInstance,
  splitAddress,
  joinAddress,
  servesTls,
  TLS_METADATA_KEY,
  type Instance,
  type InstanceInput,
  type InstancePatch,
  type InstanceStatus,
  type Protocol,
} from './core/instance.js';
export { formatLocality, type Locality, type LocalityInput } from './core/locality.js';
export { sleep, systemClock, type Clock, type TimerHandle } from './core/clock.js';
export { seededRandom, systemRandom, type Random } from './core/random.js';
export { Emitter, once, type Event } from './core/event.js';
export { formatDuration, parseDuration } from './core/duration.js';
