/**
 * What Proxima serves, checked two ways: its content (priorities from the caller's tiers, weights,
 * health) and acceptance by the peer, grpc-js-xds 1.14.1's own resource validators (the code that
 * decides, inside a stock client, whether a resource is used or NACKed).
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { type Instance, parseInstance } from '../../src/core/instance.js';
import { UNKNOWN_LOCALITY } from '../../src/core/locality.js';
import { xdsBootstrap } from '../../src/xds/bootstrap.js';
import { loadAssignment } from '../../src/xds/load-assignment.js';
import { clusterResource, endpointsResource, listenerResource, packAny } from '../../src/xds/resources.js';
import { decodeResource, protos } from './raw-ads-client.js';

const require = createRequire(import.meta.url);
interface PeerType {
  decode(context: unknown, resource: { type_url: string; value: Buffer }): { name: string; error?: string };
}
type PeerTypeClass = new () => PeerType;
const peer = (file: string, name: string): PeerType =>
  new (require(`@grpc/grpc-js-xds/build/src/xds-resource-type/${file}.js`) as Record<string, PeerTypeClass>)[
    name
  ]!();
// The client's filter registry (router filter included) is filled by register().
(require('@grpc/grpc-js-xds') as { register(): void }).register();
const peerContext = { server: {}, bootstrap: { certificateProviders: {} } };

let port = 1000;
function instance(id: string, region: string, zone: string, extra: Partial<Instance> = {}): Instance {
  return parseInstance({
    service: 'who',
    id,
    address: `10.0.0.1:${port++}`,
    protocol: 'grpc',
    locality: { region, zone },
    ...extra,
  });
}

const fleet = [
  instance('a1', 'r1', 'a'),
  instance('a2', 'r1', 'a', { weight: 50 }),
  instance('a3', 'r1', 'a', { status: 'DRAINING' }),
  instance('b1', 'r1', 'b', { status: 'DOWN' }),
  instance('b2', 'r1', 'b'),
  instance('d1', 'r3', 'd'),
  instance('c1', 'r2', 'c', { weight: 0 }),
  instance('c2', 'r2', 'c'),
  instance('x1', 'r1', 'a', { protocol: 'proxima' }),
  parseInstance({
    service: 'who',
    id: 'h1',
    address: 'host.example:80',
    protocol: 'grpc',
    locality: { region: 'r1', zone: 'a' },
  }),
];

describe('ClusterLoadAssignment per caller', () => {
  it("orders priorities by the caller's tiers: its zone, its region, then other regions", () => {
    const cla = loadAssignment('who', fleet, { region: 'r1', zone: 'a', subzone: '' });
    const summary = cla.endpoints.map((e) => ({
      zone: `${e.locality.region}/${e.locality.zone}`,
      priority: e.priority,
      weight: e.load_balancing_weight.value,
      health: e.lb_endpoints.map((l) => l.health_status),
    }));
    expect(summary).toEqual([
      // healthy weights only: a1 100 + a2 50 (a3 is draining)
      { zone: 'r1/a', priority: 0, weight: 150, health: ['HEALTHY', 'HEALTHY', 'DRAINING'] },
      { zone: 'r1/b', priority: 1, weight: 100, health: ['UNHEALTHY', 'HEALTHY'] },
      // weight 0 is "out of weighted picks": served as DRAINING
      { zone: 'r2/c', priority: 2, weight: 100, health: ['DRAINING', 'HEALTHY'] },
      { zone: 'r3/d', priority: 3, weight: 100, health: ['HEALTHY'] },
    ]);
    expect(cla.policy.overprovisioning_factor.value).toBe(140);
  });

  it('gives a caller in another region its own priorities, without gaps', () => {
    const cla = loadAssignment('who', fleet, { region: 'r2', zone: 'z', subzone: '' });
    const byZone = Object.fromEntries(
      cla.endpoints.map((e) => [`${e.locality.region}/${e.locality.zone}`, e.priority]),
    );
    // r2 has no zone z: its region comes first; r1 and r3 follow by name.
    expect(byZone).toEqual({ 'r2/c': 0, 'r1/a': 1, 'r1/b': 1, 'r3/d': 2 });
  });

  it('puts everything in priority 0 for a caller of unknown locality', () => {
    const cla = loadAssignment('who', fleet, UNKNOWN_LOCALITY);
    expect(new Set(cla.endpoints.map((e) => e.priority))).toEqual(new Set([0]));
  });

  it('serves only grpc instances with IP literal addresses, one endpoint per address', () => {
    const twin = parseInstance({ ...fleet[0]!, id: 'a1-twin' });
    const cla = loadAssignment('who', [...fleet, twin], UNKNOWN_LOCALITY);
    const addresses = cla.endpoints.flatMap((e) =>
      e.lb_endpoints.map((l) => l.endpoint.address.socket_address.address),
    );
    expect(addresses).toHaveLength(8);
    expect(addresses.every((a) => a === '10.0.0.1')).toBe(true);
  });

  it('weights a locality without healthy instances 1, not 0 (grpc-js drops a locality without a weight)', () => {
    const cla = loadAssignment('who', [instance('z1', 'r1', 'a', { status: 'DRAINING' })], UNKNOWN_LOCALITY);
    expect(cla.endpoints[0]!.load_balancing_weight.value).toBe(1);
  });
});

describe('encoded resources', () => {
  const caller = { region: 'r1', zone: 'a', subzone: '' };
  const resources = {
    listener: listenerResource(protos, 'who', { retryOn: ['unavailable'], numRetries: 2 }),
    cluster: clusterResource(protos, 'who'),
    endpoints: endpointsResource(protos, 'who', fleet, caller),
  };

  it('are never empty, and decode to what was meant', () => {
    for (const resource of Object.values(resources)) expect(resource.value.length).toBeGreaterThan(0);
    const listener = decodeResource(resources.listener) as {
      name: string;
      api_listener: { api_listener: { type_url: string; value: Uint8Array } };
    };
    expect(listener.name).toBe('who');
    const manager = decodeResource(listener.api_listener.api_listener) as {
      route_config: {
        virtual_hosts: {
          domains: string[];
          routes: { match: { prefix: string }; route: { cluster: string } }[];
        }[];
      };
      http_filters: { name: string; typed_config: { type_url: string } }[];
    };
    expect(manager.route_config.virtual_hosts[0]!.domains).toEqual(['*']);
    expect(manager.route_config.virtual_hosts[0]!.routes[0]!.match.prefix).toBe('');
    expect(manager.route_config.virtual_hosts[0]!.routes[0]!.route.cluster).toBe('who');
    expect(manager.http_filters.at(-1)!.typed_config.type_url).toMatch(/router\.v3\.Router$/);
    const cluster = decodeResource(resources.cluster) as {
      type: string;
      lb_policy?: string;
      eds_cluster_config: { eds_config: { ads: object } };
    };
    expect(cluster.type).toBe('EDS');
    expect(cluster.eds_cluster_config.eds_config.ads).toEqual({});
    expect(cluster.lb_policy ?? 'ROUND_ROBIN').toBe('ROUND_ROBIN'); // the enum default is ROUND_ROBIN
    const cla = decodeResource(resources.endpoints) as { endpoints: { priority?: number }[] };
    expect(cla.endpoints.map((e) => e.priority ?? 0)).toEqual([0, 1, 2, 3]);
  });

  it("pass grpc-js-xds's own validators", () => {
    const check = (file: string, name: string, resource: { type_url: string; value: Uint8Array }): void => {
      const result = peer(file, name).decode(peerContext, {
        type_url: resource.type_url,
        value: Buffer.from(resource.value),
      });
      expect(result.error).toBeUndefined();
      expect(result.name).toBe('who');
    };
    check('listener-resource-type', 'ListenerResourceType', resources.listener);
    check('cluster-resource-type', 'ClusterResourceType', resources.cluster);
    check('endpoint-resource-type', 'EndpointResourceType', resources.endpoints);
  });

  it('refuses to pack a message whose type was not loaded (protobufjs would write it empty)', () => {
    expect(() =>
      packAny(protos, 'type.googleapis.com/envoy.config.route.v3.RouteConfigurationX', { name: 'x' }, true),
    ).toThrow(/was not loaded/);
  });
});

describe('bootstrap', () => {
  it('points a client at the server and names its locality', () => {
    expect(xdsBootstrap({ nodeId: 'web-1', region: 'eu', zone: 'eu-a', server: '127.0.0.1:18000' })).toEqual({
      xds_servers: [
        { server_uri: '127.0.0.1:18000', channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
      ],
      node: { id: 'web-1', locality: { region: 'eu', zone: 'eu-a' } },
    });
  });

  it('names the bad field', () => {
    expect(() => xdsBootstrap({ nodeId: 'x', server: 'nope' })).toThrow(/bootstrap\.server/);
    expect(() => xdsBootstrap({ nodeId: '' })).toThrow(/bootstrap\.nodeId/);
  });
});
