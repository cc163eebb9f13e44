/**
 * The soak: `npm run soak` (10 minutes) or `npm run soak -- --minutes 3`.
 *
 * Real processes: a registry server, `--stable` chaos-service instances that live for the whole
 * run, a caller at `--rate` idempotent calls/s (2 s deadline) through the registry, and instances
 * joining and leaving every `--churn-ms`: a new one starts, or the oldest newcomer leaves (SIGTERM:
 * drain and deregister; every third one is killed -9 instead, and its lease expires). Every process
 * reports its live heap (after a full GC) and RSS every `--sample-ms`
 * (`bench/soak/memory-reporter.ts`). At the end, per long-lived process (registry, caller, stable
 * instances): the median heap of the second minute and of the last minute, and the slope of the
 * heap from the second minute on. Verdict: heap flat when, for each, last-minute median − second-
 * minute median ≤ `--max-growth-mb` (default 5) and slope ≤ `--max-slope` MB/min (default 0.5);
 * plus calls, failed, achieved rate and p99. Exits 1 when the heap is not flat or a call failed.
 *
 * Flags (or env): --minutes (SOAK_MINUTES, default 10), --rate (SOAK_RATE, 2000), --churn-ms
 * (3000), --stable (3), --sample-ms (5000), --max-growth-mb (5), --max-slope (0.5). Runs shorter
 * than 3 minutes compare the second and last thirds instead of minutes.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startServerProcess } from '../../test/server/server-process.js';
import { type OwnedProcess, ProcessGroup } from '../../test/support/processes.js';
import { startInstance } from '../chaos/fleet.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: process.env.SOAK_MINUTES ?? '10' },
    rate: { type: 'string', default: process.env.SOAK_RATE ?? '2000' },
    'churn-ms': { type: 'string', default: '3000' },
    stable: { type: 'string', default: '3' },
    'sample-ms': { type: 'string', default: '5000' },
    'max-growth-mb': { type: 'string', default: '5' },
    'max-slope': { type: 'string', default: '0.5' },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const churnMs = Number(values['churn-ms']);
const stableCount = Number(values.stable);
const sampleMs = Number(values['sample-ms']);
const maxGrowthMb = Number(values['max-growth-mb']);
const maxSlope = Number(values['max-slope']);
for (const [name, v] of Object.entries({ minutes, rate, churnMs, stableCount, sampleMs })) {
  if (!(v > 0)) throw new Error(`soak: --${name} must be a positive number`);
}

const REPORTER = fileURLToPath(new URL('./memory-reporter.ts', import.meta.url));
const CALLER = fileURLToPath(new URL('./caller.ts', import.meta.url));
const SERVICE = 'soak';
const nodeArgs = ['--expose-gc', '--import', REPORTER];
const env = { SOAK_SAMPLE_MS: String(sampleMs) };
Object.assign(process.env, env); // the children inherit it
const durationMs = Math.round(minutes * 60_000);
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const MB = 1024 * 1024;

interface MemSample {
  readonly t: number;
  readonly heap: number;
  readonly rss: number;
}

function memSamples(p: OwnedProcess): MemSample[] {
  return p.lines.filter((l) => l.startsWith('SOAK-MEM ')).map((l) => JSON.parse(l.slice(9)) as MemSample);
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Least-squares slope of (t, y), y per minute. */
function slopePerMinute(points: readonly MemSample[], y: (s: MemSample) => number): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.t, 0) / n;
  const my = points.reduce((a, p) => a + y(p), 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mx) * (y(p) - my);
    den += (p.t - mx) ** 2;
  }
  return den === 0 ? 0 : (num / den) * 60_000;
}

const group = new ProcessGroup();
let exitCode = 1;
try {
  const started = Date.now();
  console.log(
    `soak: ${minutes} min at ${rate} calls/s, ${stableCount} stable instances, one instance joining or leaving every ${churnMs} ms (started ${new Date(started).toISOString()})`,
  );
  const registry = await startServerProcess(group, { name: 'registry', nodeArgs });
  const fleet = { registryUrl: registry.url, service: SERVICE, instanceEnv: {} };
  const stable = await Promise.all(
    Array.from({ length: stableCount }, (_, i) =>
      startInstance(group, fleet, `${SERVICE}-stable-${i}`, nodeArgs),
    ),
  );
  const caller = group.start('caller', process.execPath, ['--import', 'tsx', ...nodeArgs, CALLER], {
    PROXIMA_REGISTRY: registry.url,
    SOAK_SERVICE: SERVICE,
    SOAK_RATE: String(rate),
    SOAK_MS: String(durationMs),
  });
  await caller.waitForLine('SOAK-START', 60_000);
  const loadStart = Date.now();

  // Churn: instances join and leave until the caller is done.
  const newcomers: OwnedProcess[] = [];
  let joined = 0;
  let left = 0;
  let killed = 0;
  let seq = 0;
  let done = false;
  const churnLog: Array<{ t: number; kind: 'join' | 'leave' | 'kill' }> = [];
  const finished = caller.waitForLine('SOAK-DONE', durationMs + 120_000).finally(() => (done = true));
  const churn = (async () => {
    while (!done) {
      const stepStart = Date.now();
      if (newcomers.length < 2) {
        const next = await startInstance(group, fleet, `${SERVICE}-new-${seq++}`, nodeArgs);
        newcomers.push(next.child);
        joined++;
        churnLog.push({ t: Date.now(), kind: 'join' });
      } else {
        const leaving = newcomers.shift()!;
        if (++left % 3 === 0) {
          killed++;
          churnLog.push({ t: Date.now(), kind: 'kill' });
          await leaving.kill();
        } else {
          churnLog.push({ t: Date.now(), kind: 'leave' });
          await leaving.stop(10_000);
        }
      }
      await pause(Math.max(0, churnMs - (Date.now() - stepStart)));
    }
  })();

  // A line a minute while it runs.
  const progress = setInterval(() => {
    const load = caller.lines.filter((l) => l.startsWith('SOAK-LOAD ')).at(-1);
    const heaps = [registry.process, caller, ...stable.map((s) => s.child)]
      .map((p) => `${p.name} ${((memSamples(p).at(-1)?.heap ?? 0) / MB).toFixed(1)}`)
      .join(', ');
    console.log(
      `  ${((Date.now() - loadStart) / 60_000).toFixed(1)} min: ${load?.slice(10) ?? '-'}; joined ${joined}, left ${left}; heap MB: ${heaps}`,
    );
  }, 60_000);
  const doneLine = await finished;
  clearInterval(progress);
  await churn;
  const result = JSON.parse(doneLine.slice(10)) as {
    calls: number;
    failed: number;
    p99: number;
    p999: number;
    seconds: number;
    errors: string[];
  };

  // Verdict on the long-lived processes' heaps.
  const end = Date.now();
  const window = Math.min(60_000, (end - loadStart) / 3);
  const warmFrom = loadStart + window;
  const rows: string[] = [];
  let flat = true;
  for (const p of [registry.process, caller, ...stable.map((s) => s.child)]) {
    const samples = memSamples(p).filter((s) => s.t >= warmFrom);
    const warm = samples.filter((s) => s.t < warmFrom + window);
    const last = samples.filter((s) => s.t >= end - window);
    const warmHeap = median(warm.map((s) => s.heap)) / MB;
    const lastHeap = median(last.map((s) => s.heap)) / MB;
    const growth = lastHeap - warmHeap;
    const slope = slopePerMinute(samples, (s) => s.heap / MB);
    const rssWarm = median(warm.map((s) => s.rss)) / MB;
    const rssLast = median(last.map((s) => s.rss)) / MB;
    const ok = Number.isFinite(growth) && growth <= maxGrowthMb && slope <= maxSlope;
    flat &&= ok;
    rows.push(
      `| ${p.name} | ${warmHeap.toFixed(1)} | ${lastHeap.toFixed(1)} | ${growth >= 0 ? '+' : ''}${growth.toFixed(2)} | ${slope.toFixed(3)} | ${rssWarm.toFixed(0)} → ${rssLast.toFixed(0)} | ${ok ? 'flat' : 'GROWS'} |`,
    );
  }
  // Minute by minute: rate, failures, the worst period p99, how late the caller's own loop ran.
  const loads = caller.lines
    .filter((l) => l.startsWith('SOAK-LOAD '))
    .map(
      (l) =>
        JSON.parse(l.slice(10)) as {
          t: number;
          calls: number;
          failed: number;
          p99: number;
          loopMaxMs: number;
        },
    );
  const timeline: string[] = [];
  let before = { calls: 0, failed: 0 };
  for (let m = 0; m * 60_000 < end - loadStart; m++) {
    const inMinute = loads.filter((l) => l.t > loadStart + m * 60_000 && l.t <= loadStart + (m + 1) * 60_000);
    const last = inMinute.at(-1);
    if (last === undefined) continue;
    const events = churnLog.filter(
      (e) => e.t > loadStart + m * 60_000 && e.t <= loadStart + (m + 1) * 60_000,
    );
    timeline.push(
      `| ${m + 1} | ${((last.calls - before.calls) / ((last.t - (m === 0 ? loadStart : loadStart + m * 60_000)) / 1000)).toFixed(0)} | ${last.failed - before.failed} | ${Math.max(...inMinute.map((l) => l.p99)).toFixed(1)} | ${Math.max(...inMinute.map((l) => l.loopMaxMs))} | ${events.filter((e) => e.kind === 'join').length} / ${events.filter((e) => e.kind === 'leave').length} / ${events.filter((e) => e.kind === 'kill').length} |`,
    );
    before = last;
  }
  const achieved = result.calls / result.seconds;
  console.log(
    `\nsoak finished ${new Date(end).toISOString()}: ${((end - loadStart) / 60_000).toFixed(1)} min of load`,
  );
  console.log(
    `calls ${result.calls} (${achieved.toFixed(0)}/s of ${rate} asked), failed ${result.failed}, p99 ${result.p99.toFixed(1)} ms, p99.9 ${result.p999.toFixed(1)} ms; instances joined ${joined}, left ${left} (${killed} of them by kill -9)`,
  );
  if (result.errors.length > 0) console.log(`first errors: ${result.errors.join('; ')}`);
  console.log(
    '\n| minute | calls/s | failed | worst p99 of a period (ms) | caller event-loop delay, max (ms) | joined / left / killed -9 |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of timeline) console.log(r);
  const windowName = window === 60_000 ? 'minute' : 'third';
  console.log(
    `\n| process | heap, 2nd ${windowName} (MB, median) | heap, last ${windowName} (MB, median) | growth (MB) | slope (MB/min) | RSS (MB, medians) | verdict |`,
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of rows) console.log(r);
  console.log(
    `\nverdict: heap ${flat ? 'FLAT' : 'NOT FLAT'} (bound: growth ≤ +${maxGrowthMb} MB and slope ≤ ${maxSlope} MB/min per process, live heap after a full GC every ${sampleMs} ms); ${result.failed === 0 ? '0 failed calls' : `${result.failed} FAILED calls`}`,
  );
  exitCode = flat && result.failed === 0 ? 0 : 1;
} finally {
  await group.killAll();
}
process.exit(exitCode);
