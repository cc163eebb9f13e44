/**
 * Pick + done cost per balancer at 10, 100 and 1000 endpoints, and peak-EWMA P2C through the full
 * locality router at 1000 endpoints. Real clock (`performance.now()` in every `done`), seeded random.
 *
 *   node --import tsx bench/pick/run.ts [--markdown] [--repeat N] [--cpu]
 *
 * `--cpu` times each run by the process's CPU time (`process.cpuUsage`) instead of the wall clock:
 * on a shared machine a run that is preempted does not count the time it spent waiting for a core.
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../src/core/clock.js';
import { seededRandom } from '../../src/core/random.js';
import { parseInstance, type Instance } from '../../src/core/instance.js';
import { BALANCER_NAMES, balancerSpecSchema, createBalancer } from '../../src/balancer/factory.js';
import type { PickContext, Picker } from '../../src/balancer/picker.js';
import { healthOptionsSchema } from '../../src/health/options.js';
import { StatsPool } from '../../src/health/stats-pool.js';
import { createRouter } from '../../src/routing/router.js';

const SIZES = [10, 100, 1000];
const markdown = process.argv.includes('--markdown');
const cpuTime = process.argv.includes('--cpu');

/** Nanoseconds now: CPU time of this process with `--cpu`, else the wall clock. */
function nowNs(): number {
  if (!cpuTime) return Number(process.hrtime.bigint());
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

function instances(n: number): Instance[] {
  const zones = [
    ['r1', 'a'],
    ['r1', 'b'],
    ['r1', 'c'],
    ['r2', 'x'],
    ['r2', 'y'],
    ['r2', 'z'],
  ] as const;
  return Array.from({ length: n }, (_, i) => {
    const [region, zone] = zones[i % zones.length]!;
    return parseInstance({
      service: 'bench',
      id: `e${i}`,
      address: `127.0.0.1:${10_000 + i}`,
      locality: { region, zone },
    });
  });
}

/**
 * Nanoseconds per pick + done, best of 5 runs after a warm-up. The caller passes its own end-of-call
 * clock reading to `done` (a transport has one: it computed the latency from it), one call per µs;
 * with `readClock` the tracker reads `performance.now()` itself instead.
 */
function measure(
  picker: Picker,
  contexts: readonly PickContext[] | undefined,
  iterations: number,
  readClock = false,
): number {
  let t = 0;
  const run = (count: number): number => {
    const started = nowNs();
    for (let k = 0; k < count; k++) {
      const result = picker.pick(contexts === undefined ? undefined : contexts[k & 1023]);
      if (result.kind !== 'ok') throw new Error(`pick failed: ${result.kind}`);
      t += 0.001;
      if (readClock) result.tracker.done('success', 1 + (k & 7));
      else result.tracker.done('success', 1 + (k & 7), t);
    }
    return (nowNs() - started) / count;
  };
  run(Math.min(iterations, 200_000));
  let best = Infinity;
  for (let r = 0; r < 5; r++) best = Math.min(best, run(iterations));
  return best;
}

const keys: PickContext[] = Array.from({ length: 1024 }, (_, k) => ({ hashKey: `user-${k * 7919}` }));

/** One case, measured in this process: `name` is a balancer, `router` or `router-clock`. */
function runCase(name: string): number[] {
  return SIZES.map((n) => {
    if (name === 'router' || name === 'router-clock') {
      const router = createRouter({
        service: 'bench',
        locality: { region: 'r1', zone: 'a' },
        clock: systemClock,
        random: seededRandom(42),
      });
      router.update(instances(n));
      const ns = measure({ pick: (c) => router.pick(c) }, undefined, 1_000_000, name === 'router-clock');
      router.close();
      return ns;
    }
    const pool = new StatsPool(systemClock, healthOptionsSchema().parse({}), () => {});
    const stats = pool.sync(instances(n).map((instance) => ({ id: instance.id, instance })));
    const picker = createBalancer(balancerSpecSchema().parse({ name }), {
      clock: systemClock,
      random: seededRandom(42),
    }).build(stats);
    const iterations = name === 'weighted-round-robin' ? Math.max(20_000, 2_000_000 / n) : 1_000_000;
    return measure(picker, name === 'consistent-hash' ? keys : undefined, iterations);
  });
}

const only = process.argv.indexOf('--case');
if (only >= 0) {
  console.log(JSON.stringify(runCase(process.argv[only + 1] ?? '')));
} else {
  // Each case runs in its own process: shared call sites would turn megamorphic and slow the
  // cases measured later.
  const LABELS: Record<string, string> = {
    router: 'router (tiers + peak-ewma)',
    'router-clock': 'router (tiers + peak-ewma), done reads the clock',
  };
  // `--repeat N`: N processes per case, the minimum per cell (other load only ever adds time).
  const repeatAt = process.argv.indexOf('--repeat');
  const repeat = repeatAt >= 0 ? Math.max(1, Number(process.argv[repeatAt + 1]) || 1) : 1;
  const script = fileURLToPath(import.meta.url);
  const rows = [...BALANCER_NAMES, 'router', 'router-clock'].map((name) => {
    let cells = SIZES.map(() => Infinity);
    for (let r = 0; r < repeat; r++) {
      const args = [...process.execArgv, script, '--case', name, ...(cpuTime ? ['--cpu'] : [])];
      const run = JSON.parse(execFileSync(process.execPath, args, { encoding: 'utf8' })) as number[];
      cells = cells.map((c, i) => Math.min(c, run[i] ?? Infinity));
    }
    return { name: LABELS[name] ?? name, cells };
  });
  if (markdown) {
    console.log(`| balancer | ${SIZES.map((n) => `${n} endpoints`).join(' | ')} |`);
    console.log(`| --- | ${SIZES.map(() => '---:').join(' | ')} |`);
    for (const row of rows)
      console.log(`| ${row.name} | ${row.cells.map((c) => `${c.toFixed(0)} ns`).join(' | ')} |`);
  } else {
    console.log(
      `pick + done, ns per call (best of 5, ${cpuTime ? 'CPU' : 'wall'} time), node ${process.version}, load ${loadavg()[0]!.toFixed(1)}`,
    );
    for (const row of rows)
      console.log(
        `${row.name.padEnd(50)} ${row.cells.map((c, i) => `${SIZES[i]}: ${c.toFixed(0).padStart(6)} ns`).join('  ')}`,
      );
  }
}
