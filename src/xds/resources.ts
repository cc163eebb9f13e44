import { ProximaError } from '../core/errors.js';
import type { Locality } from '../core/locality.js';
import type { Instance } from '../core/instance.js';
import { loadAssignment } from './load-assignment.js';
import type { XdsProtos } from './protos.js';
import { HTTP_CONNECTION_MANAGER_TYPE_URL, ROUTER_TYPE_URL, TYPE_URL } from './type-urls.js';

/** A `google.protobuf.Any` as protobufjs encodes it. */
export interface AnyMessage {
  readonly type_url: string;
  readonly value: Uint8Array;
}

/** What the inline route of every Listener carries besides the cluster. */
export interface RouteSettings {
  /**
   * gRPC status names (`unavailable`, `cancelled`, `deadline-exceeded`, `internal`,
   * `resource-exhausted`) the client retries on, with {@link numRetries}; empty: no retry policy.
   */
  readonly retryOn: readonly string[];
  readonly numRetries: number;
}

/**
 * Encodes `value` as the message `typeName` inside an Any. protobufjs writes an Any whose type it
 * does not know as empty bytes without an error; this refuses that (and any message that comes out
 * empty when `nonEmpty`), so a missing proto shows up as an error here and not as a silent client
 * failure.
 */
export function packAny(protos: XdsProtos, typeUrl: string, value: object, nonEmpty: boolean): AnyMessage {
  const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
  const type = protos.type(typeName);
  const bytes = type.encode(type.fromObject(value)).finish();
  if (nonEmpty && bytes.length === 0)
    throw new ProximaError('INTERNAL', `xDS resource ${typeName} encoded to zero bytes`);
  return { type_url: typeUrl, value: bytes };
}

/**
 * The Listener a gRPC client asks for when it dials `xds:///SERVICE`: an `api_listener` holding an
 * HttpConnectionManager with an inline route (every domain, every path) to the cluster `SERVICE`,
 * and the router filter last (gRPC requires it as the terminal filter).
 */
export function listenerResource(protos: XdsProtos, service: string, route: RouteSettings): AnyMessage {
  const action: Record<string, unknown> = { cluster: service };
  if (route.retryOn.length > 0)
    action.retry_policy = { retry_on: route.retryOn.join(','), num_retries: { value: route.numRetries } };
  const manager = {
    stat_prefix: service,
    route_config: {
      name: service,
      virtual_hosts: [{ name: service, domains: ['*'], routes: [{ match: { prefix: '' }, route: action }] }],
    },
    http_filters: [
      { name: 'envoy.filters.http.router', typed_config: packAny(protos, ROUTER_TYPE_URL, {}, false) },
    ],
  };
  return packAny(
    protos,
    TYPE_URL.listener,
    {
      name: service,
      api_listener: { api_listener: packAny(protos, HTTP_CONNECTION_MANAGER_TYPE_URL, manager, true) },
    },
    true,
  );
}

/** The Cluster of `service`: endpoints from EDS over the same ADS stream, round robin. */
export function clusterResource(protos: XdsProtos, service: string): AnyMessage {
  return packAny(
    protos,
    TYPE_URL.cluster,
    {
      name: service,
      type: 'EDS',
      eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: service },
      lb_policy: 'ROUND_ROBIN',
    },
    true,
  );
}

/** The ClusterLoadAssignment of `service` as seen from `caller` (see {@link loadAssignment}). */
export function endpointsResource(
  protos: XdsProtos,
  service: string,
  instances: readonly Instance[],
  caller: Locality,
): AnyMessage {
  return packAny(protos, TYPE_URL.endpoints, loadAssignment(service, instances, caller), true);
}
