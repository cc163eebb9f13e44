/** The v3 resource types Proxima serves over ADS (state of the world). */
export const TYPE_URL = {
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  endpoints: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
} as const;

export type ResourceKind = keyof typeof TYPE_URL;
export const RESOURCE_KINDS: readonly ResourceKind[] = ['listener', 'cluster', 'endpoints'];

/** The kind of a type URL Proxima serves, or undefined (RDS, SDS, anything else). */
export function kindOfTypeUrl(typeUrl: string): ResourceKind | undefined {
  for (const kind of RESOURCE_KINDS) if (TYPE_URL[kind] === typeUrl) return kind;
  return undefined;
}

/** Type URL of the HttpConnectionManager carried in a Listener's `api_listener`. */
export const HTTP_CONNECTION_MANAGER_TYPE_URL =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
/** Type URL of the router HTTP filter, the last (and only) filter of the chain. */
export const ROUTER_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
