/**
 * The soak's caller, in its own process: `rate` idempotent calls/s (2 s deadline) to `service`
 * through the registry, for `ms`, open loop. Env: PROXIMA_REGISTRY, SOAK_SERVICE, SOAK_RATE,
 * SOAK_MS, SOAK_SAMPLE_MS. Keeps counters and latency histograms, never the calls themselves, so
 * its own memory stays flat; prints `SOAK-START`, then every sample period
 * `SOAK-LOAD {"t","calls","failed","p99","loopMaxMs"}` (cumulative counts; p99 and the worst
 * event-loop delay of this process over the period), and at the end
 * `SOAK-DONE {"calls","failed","p99","p999","seconds","errors"}`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient } from '../../src/client/index.js';
import { whoApi } from '../../test/client/fixtures/who-api.js';
import { ChaosLoad } from '../chaos/load.js';

/** Latencies in 0.1 ms buckets up to 10 s (the last bucket takes everything slower). */
class Histogram {
  private readonly buckets = new Uint32Array(100_001);
  count = 0;

  add(ms: number): void {
    this.buckets[Math.min(100_000, Math.floor(ms * 10))]!++;
    this.count++;
  }

  /** The p-quantile (0..1) in ms, 0 for none. */
  quantile(p: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(p * this.count);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) return (i + 1) / 10;
    }
    return 10_000;
  }

  reset(): void {
    this.buckets.fill(0);
    this.count = 0;
  }
}

const env = process.env;
const service = env.SOAK_SERVICE ?? 'soak';
const rate = Number(env.SOAK_RATE ?? '2000');
const ms = Number(env.SOAK_MS ?? '600000');
const every = Number(env.SOAK_SAMPLE_MS ?? '5000');

const client = await createClient({ registry: env.PROXIMA_REGISTRY ?? '', env: {}, probe: false });
const api = client.bind(whoApi(service).definition);
await client.ready(service);

const total = new Histogram();
const period = new Histogram();
let calls = 0;
let failed = 0;
let n = 0;
const load = new ChaosLoad(
  () => api.ask({ n: n++ }, { deadlineMs: 2_000 }),
  rate,
  (_at, latency, bad) => {
    calls++;
    if (bad) failed++;
    total.add(latency);
    period.add(latency);
  },
);
// How late this process's own event loop ran: tells a starved machine from a slow server.
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const started = performance.now();
console.log('SOAK-START');
load.start();
const report = setInterval(() => {
  const p99 = period.quantile(0.99);
  const loopMaxMs = Math.round(loop.max / 1e6);
  console.log(`SOAK-LOAD ${JSON.stringify({ t: Date.now(), calls, failed, p99, loopMaxMs })}`);
  period.reset();
  loop.reset();
}, every);
await new Promise((resolve) => setTimeout(resolve, ms));
clearInterval(report);
await load.stop();
const seconds = (performance.now() - started) / 1000;
console.log(
  `SOAK-DONE ${JSON.stringify({ calls, failed, p99: total.quantile(0.99), p999: total.quantile(0.999), seconds, errors: load.firstErrors })}`,
);
await client.close();
process.exit(0);
