/**
 * Where this process runs: explicit options, environment variables, Kubernetes pod and node labels,
 * and AWS / GCP / Azure instance metadata, in a documented order (docs/topology.md).
 */
export { lookupTopology, type TopologyLookupOptions } from './lookup.js';
export { announceTopology, topologyWarning } from './announce.js';
export {
  resolveTopologyConfig,
  type AwsSourceOptions,
  type AzureSourceOptions,
  type GcpSourceOptions,
  type KubernetesSourceOptions,
  type TopologyOptions,
} from './options.js';
export {
  formatSources,
  TOPOLOGY_SOURCES,
  type SourceAnswer,
  type SourceReport,
  type TopologyReport,
  type TopologySourceName,
} from './topology.js';
export { localityFromEnv, resolveLocality, type Env, type LocalityRole } from './env.js';
