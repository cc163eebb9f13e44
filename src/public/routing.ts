/**
 * Discovery and routing building blocks (`@proxima-rpc/proxima/routing`), for callers that route their own
 * transport: the shared watch-driven discoverer, the locality-tier router and its pickers, the
 * balancers, and the RTT prober. `createClient` composes exactly these.
 */
export {
  createDiscoverer,
  type Discoverer,
  type DiscovererOptions,
  type ServiceSubscription,
} from '../discovery/discoverer.js';
export type { ServiceSnapshot, SnapshotCause, SnapshotUpdate } from '../discovery/snapshot.js';
export type { SelfPreservationOptions } from '../discovery/self-preservation.js';
export { createRouter, type Router, type RouterDeps, type SnapshotExtra } from '../routing/router.js';
export type { RouterOptionsInput } from '../routing/options.js';
export type { ExplainedEndpoint, ExplainedRoute } from '../routing/explain.js';
export type {
  CallTracker,
  Endpoint,
  OutcomeKind,
  PickContext,
  Picker,
  PickResult,
} from '../balancer/picker.js';
export { createBalancer, type BalancerName, type BalancerSpecInput } from '../balancer/factory.js';
export type { HealthOptionsInput } from '../health/options.js';
export { RttTable, type RttSource } from '../probe/rtt-source.js';
export {
  Prober,
  startProber,
  type ProberOptions,
  type ProbeTarget,
  type ProbeTargets,
} from '../probe/prober.js';
export { tcpConnectTime } from '../probe/tcp-probe.js';
// Where this process runs (options, env, Kubernetes, cloud metadata), for tools that report it.
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
  type TopologyReport,
  type TopologySourceName,
} from '../topology/index.js';
export type { Clock, TimerHandle } from '../core/clock.js';
export type { Random } from '../core/random.js';
