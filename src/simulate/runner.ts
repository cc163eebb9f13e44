import { invalidArgument } from '../core/errors.js';
import { parseInstance, type Instance } from '../core/instance.js';
import { seededRandom, type Random } from '../core/random.js';
import { SimClient } from './client-model.js';
import { sampler } from './distributions.js';
import { applyFault, describeFault, type FaultWorld } from './faults.js';
import { Metrics, type MetricsSummary } from './metrics.js';
import { resolvePolicy, NAMED_POLICIES, type SimPolicy } from './policies.js';
import { SimRegistry } from './registry-model.js';
import type { Scenario } from './scenario.js';
import { SimServer, type Window } from './server-model.js';
import { buildTopology, Network } from './topology.js';
import { VirtualClock } from './virtual-clock.js';

/** The outcome of one policy on one scenario (at one load factor of a sweep). */
export interface RunResult extends MetricsSummary {
  readonly policy: string;
  /** The sweep's load factor, when the scenario sweeps. */
  readonly load: number | undefined;
  /** Highest mean utilisation of any instance over the measurement window (0..1). */
  readonly maxUtilisation: number;
  readonly maxUtilisationInstance: string;
  /** Per instance: attempts it received and its mean utilisation (0..1). */
  readonly instances: Readonly<Record<string, { readonly attempts: number; readonly utilisation: number }>>;
  /** Simulation events fired (a measure of the work done). */
  readonly events: number;
}

/** Every run of one scenario: one per policy, times the sweep's load factors. */
export interface SimulationReport {
  readonly scenario: string;
  readonly description: string;
  readonly seed: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly faults: readonly string[];
  /** Zone whose callers the sweep scales, when the scenario sweeps. */
  readonly sweepZone: string | undefined;
  readonly runs: readonly RunResult[];
}

export interface RunOptions {
  /** Overrides the scenario's seed. */
  readonly seed?: number | undefined;
  /** Policy names to run (default: the scenario's list, else every named policy). */
  readonly policies?: readonly string[] | undefined;
}

/**
 * Runs a scenario under each policy (and each load factor of its sweep) and reports the numbers.
 * Deterministic: the same scenario and seed give the same report, run after run.
 *
 * @example
 * ```ts
 * const scenario = parseScenarioText(await readFile('examples/scenarios/three-zones.json', 'utf8'));
 * const report = await runScenario(scenario, { policies: ['round-robin', 'locality+p2c-ewma'] });
 * process.stdout.write(formatReport(report));
 * ```
 */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<SimulationReport> {
  const seed = options.seed ?? scenario.seed;
  const policies = selectPolicies(scenario, options.policies);
  const factors = scenario.sweep?.factors ?? [undefined];
  const runs: RunResult[] = [];
  for (const load of factors) {
    for (const policy of policies) runs.push(await simulate(scenario, policy, { seed, load }));
  }
  return {
    scenario: scenario.name,
    description: scenario.description,
    seed,
    durationMs: scenario.duration,
    warmupMs: scenario.warmup,
    faults: scenario.faults.map(describeFault),
    sweepZone: scenario.sweep?.zone,
    runs,
  };
}

/** The policies a run compares: `names` looked up among the scenario's own, then the named ones. */
export function selectPolicies(scenario: Scenario, names?: readonly string[]): SimPolicy[] {
  const available = (scenario.policies ?? NAMED_POLICIES.map((p) => p.name)).map(resolvePolicy);
  if (names === undefined) return available;
  return names.map((name, i) => {
    const policy = available.find((p) => p.name === name) ?? NAMED_POLICIES.find((p) => p.name === name);
    if (policy === undefined) {
      const known = [...new Set([...available, ...NAMED_POLICIES].map((p) => p.name))];
      throw invalidArgument(`policies.${i}`, `unknown policy "${name}"; known: ${known.join(', ')}`);
    }
    return policy;
  });
}

/** One run: `policy` on `scenario`, with the sweep zone's callers scaled by `load`. */
export async function simulate(
  scenario: Scenario,
  policy: SimPolicy,
  options: { readonly seed?: number | undefined; readonly load?: number | undefined } = {},
): Promise<RunResult> {
  const seed = options.seed ?? scenario.seed;
  const stream = (label: string): Random => seededRandom(deriveSeed(seed, label));
  const clock = new VirtualClock();
  const window: Window = { start: scenario.warmup, end: scenario.duration };
  const topology = buildTopology(scenario);
  const network = new Network(scenario.network, topology.regionOf, stream('network'));
  const servers = new Map<string, SimServer>();
  for (const spec of topology.instances) {
    servers.set(
      spec.id,
      new SimServer(spec, clock, sampler(spec.serviceTime, stream(`service/${spec.id}`)), window),
    );
  }
  const metrics = new Metrics();
  const env = {
    clock,
    network,
    servers,
    metrics,
    scenario,
    policy,
    callerInstances: callerInstances(scenario, topology.regionOf),
    window,
    load: { inflight: 0 },
  };
  const clients: SimClient[] = [];
  scenario.callers.forEach((caller, ci) => {
    const factor = scenario.sweep?.zone === caller.zone ? (options.load ?? 1) : 1;
    for (let k = 0; k < caller.clients; k++) {
      const label = `client/${ci}/${k}`;
      clients.push(
        new SimClient(
          env,
          caller.zone,
          topology.regionOf.get(caller.zone) ?? '',
          (caller.ratePerSec * factor) / caller.clients,
          {
            arrivals: stream(`${label}/arrivals`),
            router: stream(`${label}/router`),
            policy: stream(`${label}/policy`),
            prober: stream(`${label}/prober`),
          },
        ),
      );
    }
  });
  const specs = new Map(topology.instances.map((s) => [s.id, s]));
  const registry = new SimRegistry(
    clock,
    topology.instances.map((s) => s.instance),
    scenario.discovery.propagation,
    scenario.discovery.deadAfter,
  );
  for (const client of clients) registry.subscribe((list) => client.update(list));
  const world: FaultWorld = {
    resolve: (target) =>
      topology.instances
        .filter((s) => s.id === target || s.zone === target || s.region === target)
        .map((s) => s.id),
    kill: (ids) =>
      ids.forEach((id) => {
        servers.get(id)?.kill();
        registry.killed(id);
      }),
    recover: (ids) =>
      ids.forEach((id) => {
        servers.get(id)?.recover();
        const spec = specs.get(id);
        if (spec !== undefined)
          clock.schedule(scenario.discovery.propagation, () => registry.recovered(id, spec.instance));
      }),
    slow: (ids, addMs) => ids.forEach((id) => ((servers.get(id) ?? { slowMs: 0 }).slowMs = addMs)),
    drain: (ids) =>
      ids.forEach((id) => {
        const server = servers.get(id);
        if (server !== undefined) server.draining = true;
        registry.draining(id);
      }),
    overload: (zone, factor) =>
      clients.filter((c) => c.zone === zone).forEach((c) => c.setRateFactor(factor)),
  };
  for (const fault of scenario.faults) clock.scheduleAt(fault.at, () => applyFault(world, fault));
  for (const client of clients) client.start();
  // After the last call started, wait for those in flight (each is bounded by the call timeout).
  const limit = scenario.duration + scenario.timeout + 1000;
  await clock.run(() => clock.now() >= scenario.duration && env.load.inflight === 0, limit);
  let maxUtilisation = 0;
  let maxUtilisationInstance = '';
  const instances: Record<string, { attempts: number; utilisation: number }> = {};
  for (const server of servers.values()) {
    const u = server.utilisation();
    instances[server.id] = { attempts: metrics.attemptsOn(server.id), utilisation: u };
    if (u > maxUtilisation) {
      maxUtilisation = u;
      maxUtilisationInstance = server.id;
    }
  }
  for (const client of clients) await client.stop();
  return {
    policy: policy.name,
    load: options.load,
    ...metrics.summary(),
    maxUtilisation,
    maxUtilisationInstance,
    instances,
    events: clock.events,
  };
}

/** The calling service's instances: `instances` (default one per client) in each caller's zone. */
function callerInstances(scenario: Scenario, regionOf: ReadonlyMap<string, string>): Instance[] {
  const list: Instance[] = [];
  let port = 40_000;
  scenario.callers.forEach((caller, ci) => {
    const n = caller.instances ?? caller.clients;
    for (let k = 0; k < n; k++) {
      list.push(
        parseInstance({
          service: 'caller',
          id: `caller-${ci}-${k}`,
          address: `127.0.0.1:${port++}`,
          locality: { region: regionOf.get(caller.zone) ?? '', zone: caller.zone },
        }),
      );
    }
  });
  return list;
}

/** An independent seed per random stream (FNV-1a of the label, mixed with the run's seed). */
export function deriveSeed(seed: number, label: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}
