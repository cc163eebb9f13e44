import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createClient } from '../../src/client/index.js';
import { type ServerProcess, startServerProcess } from '../../test/server/server-process.js';
import { whoApi } from '../../test/client/fixtures/who-api.js';
import { type OwnedProcess, ProcessGroup, eventually } from '../../test/support/processes.js';
import { ChaosLoad, quantile } from './load.js';

const SERVICE = fileURLToPath(new URL('./chaos-service.ts', import.meta.url));
const ATTACKER = fileURLToPath(new URL('./attacker.ts', import.meta.url));

/** One row of the chaos table. */
export interface DrillRow {
  readonly drill: string;
  readonly calls: number;
  readonly failed: number;
  /** p99 of the calls started from the attack to the end of the drill. */
  readonly p99Ms: number;
  /** p99 of the calls before the attack. */
  readonly baselineP99Ms: number;
  /** Peak RSS (VmHWM) of the attacked process, MB; undefined when it was killed. */
  readonly peakRssMb: number | undefined;
  /** From the attack's start to the last call that failed or took over 2× the baseline p99. */
  readonly recoverMs: number;
  readonly firstErrors: readonly string[];
}

export interface ChaosOptions {
  /** Seconds-long drills for the test suite instead of the full run. */
  readonly short?: boolean;
  /** Drill names to run (default all). */
  readonly only?: readonly string[];
  /** Caller load, calls/s (default 1 000 short, 2 000 full). */
  readonly rate?: number;
  readonly log?: (line: string) => void;
  /**
   * Run every drill against one fleet (started once): only for drills that leave it whole
   * (SIGSTOP/SIGCONT and the attackers), to keep the test suite's version short.
   */
  readonly shareFleet?: boolean;
}

interface Fleet {
  readonly registry: ServerProcess;
  readonly instances: OwnedProcess[];
  readonly ports: number[];
  readonly service: string;
}

interface DrillContext {
  readonly group: ProcessGroup;
  readonly fleet: Fleet;
  readonly short: boolean;
  readonly holdMs: number;
  /**
   * The instance the drill attacks: 0 on a fresh fleet; on a shared one each drill takes the next,
   * because peak RSS (VmHWM) is a lifetime figure and would blame a drill for its predecessor.
   */
  readonly target: number;
  /** Starts instance `i` of the fleet anew (after a kill or stop). */
  restart(i: number, suffix: string): Promise<void>;
}

/** A drill: runs its attack; resolves when it is over; returns the attacked process. */
type Attack = (ctx: DrillContext) => Promise<OwnedProcess | undefined>;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function attacker(ctx: DrillContext, mode: string, port: number, count = 1): OwnedProcess {
  return ctx.group.start(`attacker-${mode}`, process.execPath, [
    '--import',
    'tsx',
    ATTACKER,
    mode,
    String(port),
    String(count),
  ]);
}

/** Hold an attack for the drill's time, then end the attacker. */
async function hold(ctx: DrillContext, child: OwnedProcess): Promise<void> {
  await child.waitForLine(/^ATTACKING/, 300_000);
  await pause(ctx.holdMs);
  await child.kill();
}

export const DRILLS: Readonly<Record<string, Attack>> = {
  'kill -9 an instance': async (ctx) => {
    await ctx.fleet.instances[ctx.target]!.kill();
    await pause(ctx.holdMs);
    return undefined;
  },
  'rolling SIGTERM restart of all': async (ctx) => {
    for (let i = 0; i < ctx.fleet.instances.length; i++) {
      await ctx.fleet.instances[i]!.stop(10_000);
      await ctx.restart(i, 'b');
    }
    return undefined;
  },
  'kill -9 the registry, restart after 5 s': async (ctx) => {
    const registry = ctx.fleet.registry;
    await registry.process.kill();
    await pause(ctx.short ? 2_000 : 5_000);
    const again = await startServerProcess(ctx.group, { port: registry.port, name: 'registry-2' });
    return again.process;
  },
  'SIGSTOP/SIGCONT a server': async (ctx) => {
    const target = ctx.fleet.instances[ctx.target]!;
    target.signal('SIGSTOP');
    await pause(ctx.holdMs);
    target.signal('SIGCONT');
    return target;
  },
  'a client that never reads': async (ctx) => {
    await hold(ctx, attacker(ctx, 'never-read', ctx.fleet.ports[ctx.target]!));
    return ctx.fleet.instances[ctx.target];
  },
  'idle connections': async (ctx) => {
    await hold(ctx, attacker(ctx, 'idle', ctx.fleet.ports[ctx.target]!, ctx.short ? 2_000 : 19_500));
    return ctx.fleet.instances[ctx.target];
  },
  '300 half-sent frames': async (ctx) => {
    await hold(ctx, attacker(ctx, 'half-frames', ctx.fleet.ports[ctx.target]!, 300));
    return ctx.fleet.instances[ctx.target];
  },
};

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

/**
 * Starts one chaos-service instance (`bench/chaos/chaos-service.ts`) registered with `registry`
 * and waits until it listens. `nodeArgs` go to node after tsx (the soak adds its memory reporter).
 */
export async function startInstance(
  group: ProcessGroup,
  registry: string,
  service: string,
  id: string,
  nodeArgs: readonly string[] = [],
): Promise<{ child: OwnedProcess; port: number }> {
  const child = group.start(id, process.execPath, ['--import', 'tsx', ...nodeArgs, SERVICE], {
    PROXIMA_REGISTRY: registry,
    WHO_SERVICE: service,
    WHO_ID: id,
  });
  const line = await child.waitForLine(/^READY \d+/, 60_000);
  return { child, port: Number(line.split(' ')[1]) };
}

/**
 * Runs the drills, each against a fresh fleet (one registry server, ≥ 3 instances in their own
 * processes) under a caller at `rate` calls/s in this process, and returns one row per drill.
 */
export async function runChaos(options: ChaosOptions = {}): Promise<DrillRow[]> {
  const short = options.short ?? false;
  const rate = options.rate ?? (short ? 1_000 : 2_000);
  const names = options.only ?? Object.keys(DRILLS);
  // A shared fleet gives each drill an instance of its own, so one attacked process's RSS is not
  // the sum of several attacks (the idle-socket drill after the SIGSTOP backlog read 257 MB).
  const size = options.shareFleet ? Math.max(names.length, 3) : short ? 3 : 4;
  const rows: DrillRow[] = [];
  const shared = options.shareFleet ? new ProcessGroup() : null;
  try {
    const sharedFleet = shared === null ? null : await startFleet(shared, 'chaos', size);
    for (const [index, name] of names.entries()) {
      const attack = DRILLS[name];
      if (attack === undefined) throw new Error(`unknown drill ${name}`);
      const group = shared ?? new ProcessGroup();
      try {
        const fleet = sharedFleet ?? (await startFleet(group, `chaos${index}`, size));
        const target = sharedFleet === null ? 0 : index % size;
        rows.push(await runDrill(group, fleet, name, attack, short, rate, target));
        options.log?.(formatRow(rows.at(-1)!));
      } finally {
        if (shared === null) await group.killAll();
      }
    }
  } finally {
    await shared?.killAll();
  }
  return rows;
}

async function startFleet(group: ProcessGroup, service: string, size: number): Promise<Fleet> {
  const registry = await startServerProcess(group, { name: 'registry' });
  const started = await Promise.all(
    Array.from({ length: size }, (_, i) => startInstance(group, registry.url, service, `${service}-${i}`)),
  );
  return { registry, service, instances: started.map((s) => s.child), ports: started.map((s) => s.port) };
}

async function runDrill(
  group: ProcessGroup,
  fleet: Fleet,
  drill: string,
  attack: Attack,
  short: boolean,
  rate: number,
  target: number,
): Promise<DrillRow> {
  const { registry, service } = fleet;
  const size = fleet.instances.length;
  const client = await createClient({ registry: registry.url, env: {}, probe: false });
  try {
    const api = client.bind(whoApi(service).definition);
    await client.ready(service);
    await eventually(
      () => client.explain(service).routes.flatMap((r) => r.endpoints).length === size,
      30_000,
    );
    let n = 0;
    const load = new ChaosLoad(() => api.ask({ n: n++ }, { deadlineMs: 2_000 }), rate).start();
    await pause(short ? 1_000 : 2_000); // warm-up (connections, JIT): not in the baseline
    const t0 = performance.now();
    await pause(short ? 1_000 : 3_000);
    const attackAt = performance.now();
    const ctx: DrillContext = {
      group,
      fleet,
      short,
      holdMs: short ? 2_000 : 10_000,
      target,
      restart: async (i, suffix) => {
        const next = await startInstance(group, registry.url, service, `${service}-${i}${suffix}`);
        fleet.instances[i] = next.child;
        fleet.ports[i] = next.port;
      },
    };
    const attacked = await attack(ctx);
    await pause(short ? 1_000 : 5_000);
    const rss = attacked === undefined || attacked.hasExited ? undefined : peakRssMb(attacked.pid);
    await load.stop();

    const baseline = load.window(t0, attackAt).map((s) => s.ms);
    const baselineP99 = quantile(baseline, 0.99);
    const during = load.window(attackAt);
    const all = load.window(t0);
    const slow = during.filter((s) => s.failed || s.ms > 2 * baselineP99);
    const recoverMs = slow.length === 0 ? 0 : Math.max(...slow.map((s) => s.at + s.ms)) - attackAt;
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
      recoverMs,
      firstErrors: load.firstErrors,
    };
  } finally {
    await client.close();
  }
}

/** The table's header. */
export const TABLE_HEADER =
  '| drill | calls | failed | p99 during (ms) | baseline p99 (ms) | attacked peak RSS (MB) | time to recover (ms) |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |';

export function formatRow(r: DrillRow): string {
  return `| ${r.drill} | ${r.calls} | ${r.failed} | ${r.p99Ms.toFixed(1)} | ${r.baselineP99Ms.toFixed(1)} | ${r.peakRssMb ?? '–'} | ${Math.round(r.recoverMs)} |`;
}
