import { isIP } from 'node:net';
import { type Instance, splitAddress } from '../core/instance.js';
import type { Locality } from '../core/locality.js';

/** Envoy's default over-provisioning factor (1.4), the one Proxima's router uses as well. */
export const OVERPROVISIONING_FACTOR = 140;

/** `HealthStatus` of an `LbEndpoint`, from Proxima's status. */
export type XdsHealth = 'HEALTHY' | 'DRAINING' | 'UNHEALTHY';

export interface XdsLbEndpoint {
  readonly endpoint: {
    readonly address: { readonly socket_address: { readonly address: string; readonly port_value: number } };
  };
  readonly health_status: XdsHealth;
  readonly load_balancing_weight: { readonly value: number };
}

export interface XdsLocalityEndpoints {
  readonly locality: { readonly region: string; readonly zone: string; readonly sub_zone: string };
  readonly lb_endpoints: readonly XdsLbEndpoint[];
  readonly load_balancing_weight: { readonly value: number };
  readonly priority: number;
}

/** A `ClusterLoadAssignment` as plain data (protobufjs `fromObject` shape, snake_case). */
export interface XdsLoadAssignment {
  readonly cluster_name: string;
  readonly endpoints: readonly XdsLocalityEndpoints[];
  readonly policy: { readonly overprovisioning_factor: { readonly value: number } };
}

/**
 * Health of one instance for xDS. DRAINING and DOWN map to Envoy's DRAINING and UNHEALTHY (clients
 * stop sending new calls); weight 0 means "registered but out of weighted picks", which xDS can
 * only say as DRAINING, since an endpoint weight must be at least 1.
 */
export function xdsHealth(instance: Instance): XdsHealth {
  if (instance.status === 'DOWN') return 'UNHEALTHY';
  if (instance.status === 'DRAINING' || instance.weight === 0) return 'DRAINING';
  return 'HEALTHY';
}

/**
 * The tier rank of `locality` for a caller at `caller`, as Proxima's router orders tiers: the
 * caller's zone, then the rest of its region, then other regions (by name: the xDS server has no
 * RTT of its own). An unknown caller region puts everything in one tier.
 */
function tierKey(locality: Locality, caller: Locality): string {
  if (caller.region === '') return '0';
  if (locality.region === caller.region)
    return caller.zone !== '' && locality.zone === caller.zone ? '0' : '1';
  // Other regions sort after '1' and among themselves by name ('2:' + '' for an unknown region first).
  return `2:${locality.region}`;
}

/**
 * The `ClusterLoadAssignment` of `service` for one caller: instances speaking gRPC with an IP
 * literal address (xDS clients do not resolve names), grouped by locality; priorities 0, 1, 2… without
 * gaps from the caller's tiers; every locality weighted by its healthy instances' weights (at least
 * 1: a locality without a weight is silently dropped by grpc-js); one endpoint per address.
 */
export function loadAssignment(
  service: string,
  instances: readonly Instance[],
  caller: Locality,
): XdsLoadAssignment {
  const groups = new Map<
    string,
    { locality: Locality; tier: string; endpoints: XdsLbEndpoint[]; weight: number }
  >();
  const seen = new Set<string>();
  for (const instance of instances) {
    if (instance.protocol !== 'grpc') continue;
    const hostPort = splitAddress(instance.address);
    if (hostPort === undefined || isIP(hostPort.host) === 0) continue;
    const key = `${hostPort.host}|${hostPort.port}`;
    if (seen.has(key)) continue; // clients NACK an assignment listing one address twice
    seen.add(key);
    const l = instance.locality;
    const localityKey = `${l.region}/${l.zone}/${l.subzone}`;
    let group = groups.get(localityKey);
    if (group === undefined) {
      group = { locality: l, tier: tierKey(l, caller), endpoints: [], weight: 0 };
      groups.set(localityKey, group);
    }
    const health = xdsHealth(instance);
    if (health === 'HEALTHY') group.weight += instance.weight;
    group.endpoints.push({
      endpoint: { address: { socket_address: { address: hostPort.host, port_value: hostPort.port } } },
      health_status: health,
      load_balancing_weight: { value: Math.max(1, instance.weight) },
    });
  }
  const tiers = [...new Set([...groups.values()].map((g) => g.tier))].sort();
  const priorityOf = new Map(tiers.map((tier, index) => [tier, index]));
  const endpoints = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => ({
      locality: { region: g.locality.region, zone: g.locality.zone, sub_zone: g.locality.subzone },
      lb_endpoints: g.endpoints,
      load_balancing_weight: { value: Math.max(1, g.weight) },
      priority: priorityOf.get(g.tier) ?? 0,
    }));
  return {
    cluster_name: service,
    endpoints,
    policy: { overprovisioning_factor: { value: OVERPROVISIONING_FACTOR } },
  };
}
