import { parseInstance, type Instance } from '../core/instance.js';
import type { Random } from '../core/random.js';
import type { Distribution } from './distributions.js';
import { instanceId, type NetworkSpec, type Scenario } from './scenario.js';

/** One modelled instance of the service. */
export interface InstanceSpec {
  readonly id: string;
  readonly zone: string;
  readonly region: string;
  readonly capacity: number;
  readonly serviceTime: Distribution;
  /** As the registry lists it (UP). Addresses are loopback placeholders: nothing connects. */
  readonly instance: Instance;
}

/** The instances of a scenario, zone by zone, and where each zone lies. */
export interface Topology {
  readonly instances: readonly InstanceSpec[];
  /** Zone → region. */
  readonly regionOf: ReadonlyMap<string, string>;
}

/** Expands a scenario's regions and zones into instances (ids `ZONE-INDEX`). */
export function buildTopology(scenario: Scenario): Topology {
  const instances: InstanceSpec[] = [];
  const regionOf = new Map<string, string>();
  let port = 20_000;
  for (const region of scenario.regions) {
    for (const zone of region.zones) {
      regionOf.set(zone.name, region.name);
      for (let i = 0; i < zone.instances; i++) {
        const id = instanceId(zone.name, i);
        instances.push({
          id,
          zone: zone.name,
          region: region.name,
          capacity: zone.capacity ?? scenario.defaults.capacity,
          serviceTime: zone.serviceTime ?? scenario.defaults.serviceTime,
          instance: parseInstance({
            service: scenario.service,
            id,
            address: `127.0.0.1:${port++}`,
            locality: { region: region.name, zone: zone.name },
          }),
        });
      }
    }
  }
  return { instances, regionOf };
}

/**
 * Network delays between zones: the scenario's same-zone / same-region / cross-region RTTs, or an
 * explicit pair (zone pairs before region pairs), with uniform jitter on every one-way trip.
 */
export class Network {
  private readonly cache = new Map<string, number>();

  constructor(
    private readonly spec: NetworkSpec,
    private readonly regionOf: ReadonlyMap<string, string>,
    private readonly random: Random,
  ) {}

  /** The nominal round-trip time between two zones, in ms. */
  rttMs(from: string, to: string): number {
    const key = `${from}\u0000${to}`;
    let rtt = this.cache.get(key);
    if (rtt === undefined) {
      rtt = this.lookup(from, to);
      this.cache.set(key, rtt);
    }
    return rtt;
  }

  /** One trip's delay (half the RTT, jittered). */
  oneWayMs(from: string, to: string): number {
    const { jitter } = this.spec;
    const half = this.rttMs(from, to) / 2;
    return jitter === 0 ? half : half * (1 + jitter * (2 * this.random() - 1));
  }

  private lookup(from: string, to: string): number {
    const rf = this.regionOf.get(from) ?? '';
    const rt = this.regionOf.get(to) ?? '';
    const pair = (a: string, b: string) =>
      this.spec.pairs.find((p) => (p.from === a && p.to === b) || (p.from === b && p.to === a));
    const zones = pair(from, to);
    if (zones !== undefined) return zones.rttMs;
    if (from === to) return this.spec.sameZoneMs;
    const explicit = pair(from, rt) ?? pair(rf, to) ?? pair(rf, rt);
    if (explicit !== undefined) return explicit.rttMs;
    return rf === rt ? this.spec.sameRegionMs : this.spec.crossRegionMs;
  }
}
