import { readFileSync } from 'node:fs';
import { createClient } from '../../src/client/index.js';
import { toProximaError } from '../../src/core/errors.js';
import type { Registry } from '../../src/registry/registry.js';
import { whoApi } from '../../test/client/fixtures/who-api.js';
import { type OwnedProcess, ProcessGroup, eventually } from '../../test/support/processes.js';
import type { ChaosOptions, Drill, DrillContext, DrillRow } from './drill-types.js';
import { DRILLS } from './drills.js';
import { type Fleet, startFleet, startInstance } from './fleet.js';
import { ChaosLoad, quantile } from './load.js';
import { RegistryProbe } from './registry-probe.js';
import { type RegistrySecurity, makeRegistrySecurity } from './registry-security.js';

export type { ChaosOptions, DrillRow } from './drill-types.js';
export { DRILLS } from './drills.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Peak resident set (VmHWM) of a live process, MB. */
function peakRssMb(pid: number): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('VmHWM:'));
    return line === undefined ? undefined : Math.round(Number(line.split(/\s+/)[1]) / 1024);
  } catch {
    return undefined;
  }
}

/** The highest peak RSS of the attacked processes still alive, MB. */
function attackedRssMb(attacked: readonly OwnedProcess[]): number | undefined {
  const peaks = attacked.filter((p) => !p.hasExited).map((p) => peakRssMb(p.pid));
  const known = peaks.filter((mb): mb is number => mb !== undefined);
  return known.length === 0 ? undefined : Math.max(...known);
}

/** What a fleet for these drills needs; a shared fleet needs one answer for all of them. */
function fleetKind(drill: Drill): string {
  return `${drill.backend}${drill.acl === true ? '+acl' : ''}`;
}

/**
 * Runs the drills, each against a fresh fleet (a registry server or a 3-member etcd, ≥ 3 instances
 * in their own processes) under a caller at `rate` calls/s in this process, and returns one row
 * per drill.
 */
export async function runChaos(options: ChaosOptions = {}): Promise<DrillRow[]> {
  const short = options.short ?? false;
  const rate = options.rate ?? (short ? 1_000 : 2_000);
  const names = options.only ?? Object.keys(DRILLS);
  const drills = names.map((name) => {
    const drill = DRILLS[name];
    if (drill === undefined) throw new Error(`unknown drill ${name}`);
    return drill;
  });
  if (options.shareFleet && new Set(drills.map(fleetKind)).size > 1) {
    throw new Error('shareFleet: the drills need different fleets (backend or ACL)');
  }
  // A shared fleet gives each drill an instance of its own, so one attacked process's RSS is not
  // the sum of several attacks (the idle-socket drill after the SIGSTOP backlog read 257 MB).
  const size = options.shareFleet ? Math.max(names.length, 3) : short ? 3 : 4;
  const rows: DrillRow[] = [];
  const shared = options.shareFleet ? new ProcessGroup() : null;
  const startFor = async (group: ProcessGroup, drill: Drill, service: string): Promise<Setup> => {
    const security = drill.acl === true ? await makeRegistrySecurity(service) : undefined;
    const fleet = await startFleet(group, {
      service,
      size,
      backend: drill.backend,
      registryArgs: security?.registryArgs ?? [],
      instanceEnv: security === undefined ? {} : { PROXIMA_TOKEN: security.fleetToken },
    });
    return { fleet, security };
  };
  try {
    const sharedSetup = shared === null ? null : await startFor(shared, drills[0]!, 'chaos');
    for (const [index, name] of names.entries()) {
      const drill = drills[index]!;
      const group = shared ?? new ProcessGroup();
      let setup: Setup | null = sharedSetup;
      try {
        setup ??= await startFor(group, drill, `chaos${index}`);
        const target = sharedSetup === null ? 0 : index % size;
        rows.push(await runDrill(group, setup, name, drill, short, rate, target));
        options.log?.(formatRow(rows.at(-1)!));
      } finally {
        if (shared === null) {
          await group.killAll();
          await setup?.fleet.etcd?.stop();
          await setup?.security?.remove();
        }
      }
    }
  } finally {
    await shared?.killAll();
  }
  return rows;
}

interface Setup {
  readonly fleet: Fleet;
  readonly security: RegistrySecurity | undefined;
}

async function runDrill(
  group: ProcessGroup,
  setup: Setup,
  drill: string,
  spec: Drill,
  short: boolean,
  rate: number,
  target: number,
): Promise<DrillRow> {
  const { fleet, security } = setup;
  const { service } = fleet;
  const size = fleet.instances.length;
  // The caller reads only (with an ACL, anonymous may read).
  const client = await createClient({ registry: fleet.registryUrl, env: {}, probe: false });
  const probe =
    spec.onRegistry === true && fleet.registry !== undefined
      ? // The short version runs in `npm test` on loaded machines: a generous ceiling there.
        new RegistryProbe(fleet.registry.url, service, 50, short ? 30_000 : 10_000)
      : undefined;
  try {
    const api = client.bind(whoApi(service).definition);
    await client.ready(service);
    const routed = (): number => client.explain(service).routes.flatMap((r) => r.endpoints).length;
    await eventually(() => routed() === size, 60_000);
    // The short version runs in `npm test`, where another test (or another `npm test`) can starve
    // the cores for seconds; it asserts no latency, so its calls carry a deadline that tolerates
    // that. The frozen-server drill holds its freeze past this deadline (it still proves failover).
    const deadlineMs = short ? 5_000 : 2_000;
    let n = 0;
    const load = new ChaosLoad(() => api.ask({ n: n++ }, { deadlineMs }), rate).start();
    probe?.start();
    await pause(short ? 1_000 : 2_000); // warm-up (connections, JIT): not in the baseline
    const t0 = performance.now();
    await pause(short ? 1_000 : 3_000);
    const attackAt = performance.now();
    const notes: string[] = [];
    let joined = 0;
    const ctx: DrillContext = {
      group,
      fleet,
      short,
      holdMs: short ? 2_000 : 10_000,
      deadlineMs,
      target,
      security,
      notes,
      restart: async (i, suffix) => {
        const next = await startInstance(group, fleet, `${service}-${i}${suffix}`);
        fleet.instances[i] = next.child;
        fleet.ports[i] = next.port;
      },
      registerNow: async () => {
        const started = performance.now();
        const failures = await registerAndList(fleet, `during-${joined++}`);
        return { ms: performance.now() - started, failures };
      },
      recovered: async () => {
        await eventually(() => routed() >= size, 120_000);
        return await backendRecovered(fleet, size);
      },
    };
    const outcome = await spec.attack(ctx);
    await pause(short ? 1_000 : 5_000);
    const rss = attackedRssMb(outcome.attacked);
    await load.stop();
    await probe?.stop();

    const baseline = load.window(t0, attackAt).map((s) => s.ms);
    const baselineP99 = quantile(baseline, 0.99);
    const during = load.window(attackAt);
    const all = load.window(t0);
    const slow = during.filter((s) => s.failed || s.ms > 2 * baselineP99);
    const recoverCalls = slow.length === 0 ? 0 : Math.max(...slow.map((s) => s.at + s.ms)) - attackAt;
    const recoverBackend = outcome.recoveredAt === undefined ? 0 : outcome.recoveredAt - attackAt;
    const recoverProbe = probe?.lastFailureEnd(attackAt) ?? 0;
    return {
      drill,
      calls: all.length,
      failed: all.filter((s) => s.failed).length,
      p99Ms: quantile(
        during.map((s) => s.ms),
        0.99,
      ),
      baselineP99Ms: baselineP99,
      peakRssMb: rss,
      recoverMs: Math.max(recoverCalls, recoverBackend, recoverProbe),
      registry:
        probe === undefined
          ? undefined
          : { baseline: probe.summary(t0, attackAt), during: probe.summary(attackAt) },
      notes,
      firstErrors: [...load.firstErrors, ...(probe?.firstErrors ?? []).map((e) => `registry probe: ${e}`)],
    };
  } finally {
    await client.close();
  }
}

/** A registry client as an instance of the fleet has it (its token, when the registry has an ACL). */
async function fleetRegistry(fleet: Fleet): Promise<Registry> {
  const { openRegistry } = await import('../../src/backends/open.js');
  return openRegistry(fleet.registryUrl, { env: { PROXIMA_TOKEN: fleet.instanceEnv.PROXIMA_TOKEN } });
}

/** The service of the drills' own registrations: the caller must not route to their addresses. */
const probeService = (fleet: Fleet): string => `${fleet.service}-probe`;

/**
 * Registers `id` through a new client, retrying as a registrar would (each try bounded by the
 * client's 5 s request timeout, within a generous ceiling), and waits until another new client
 * lists it. Resolves with the failed tries, which the row's notes report.
 */
async function registerAndList(fleet: Fleet, id: string): Promise<string[]> {
  const writer = await fleetRegistry(fleet);
  const reader = await fleetRegistry(fleet);
  const failures: string[] = [];
  try {
    const registration = await eventually(
      async () => {
        try {
          return await writer.register(
            { service: probeService(fleet), id, address: '127.0.0.1:9' },
            { ttlMs: 30_000 },
          );
        } catch (error) {
          failures.push(toProximaError(error).message);
          throw error;
        }
      },
      180_000,
      200,
    );
    await eventually(
      async () => (await reader.list(probeService(fleet))).instances.some((i) => i.id === id),
      120_000,
      100,
    );
    await registration.deregister();
    return failures;
  } finally {
    await writer.close();
    await reader.close();
  }
}

/**
 * Waits until the registry takes a write (a registration on a lease of its own, each try bounded
 * by 2 s) and lists every instance of the fleet; resolves with that time (performance.now()).
 */
async function backendRecovered(fleet: Fleet, size: number): Promise<number> {
  const registry = await fleetRegistry(fleet);
  try {
    let k = 0;
    await eventually(
      async () => {
        const signal = AbortSignal.timeout(2_000);
        const registration = await registry.register(
          { service: probeService(fleet), id: `recovery-probe-${k++}`, address: '127.0.0.1:9' },
          { ttlMs: 10_000, signal },
        );
        await registration.deregister({ signal });
        return true;
      },
      180_000,
      100,
    );
    await eventually(async () => (await registry.list(fleet.service)).instances.length >= size, 180_000, 100);
    return performance.now();
  } finally {
    await registry.close();
  }
}

/** The table's header. */
export const TABLE_HEADER =
  '| drill | calls | failed | p99 during (ms) | baseline p99 (ms) | attacked peak RSS (MB) | time to recover (ms) | registry probes during: failed / p99 (baseline p99) |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';

export function formatRow(r: DrillRow): string {
  const registry =
    r.registry === undefined
      ? '–'
      : `${r.registry.during.failed} of ${r.registry.during.probes} / ${r.registry.during.p99Ms.toFixed(1)} ms (${r.registry.baseline.p99Ms.toFixed(1)})`;
  return `| ${r.drill} | ${r.calls} | ${r.failed} | ${r.p99Ms.toFixed(1)} | ${r.baselineP99Ms.toFixed(1)} | ${r.peakRssMb ?? '–'} | ${Math.round(r.recoverMs)} | ${registry} |`;
}
