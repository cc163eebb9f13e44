/**
 * The slow-instance run of the RPC benchmark: p99 through the full client stack against four
 * echo servers (each its own process), all healthy vs one of them 50 ms slower, in alternating
 * rounds with a fresh client each time (so every round starts cold and includes the learning).
 *
 *   node --import tsx bench/rpc/slow-instance.ts [--duration 3000] [--warmup 1000] [--rounds 3]
 *     [--concurrency 64] [--delay 50] [--base-port 17200]
 *
 * Also runs as one server: `slow-instance.ts --serve PORT DELAY_MS` (prints `READY PORT`).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { createClient } from '../../src/client/index.js';
import { createServer, implement } from '../../src/rpc/index.js';
import { EchoApi, PAYLOAD } from './echo-api.js';

const { values } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    duration: { type: 'string', default: '3000' },
    warmup: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '64' },
    delay: { type: 'string', default: '50' },
    'base-port': { type: 'string', default: '17200' },
  },
  allowPositionals: true,
});
const host = '127.0.0.1';

async function serve(port: number, delayMs: number): Promise<void> {
  const wait = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, delayMs));
  const server = createServer({
    services: [implement(EchoApi, { echo: async (req) => (delayMs > 0 ? wait().then(() => req) : req) })],
  });
  await server.listen({ host, port });
  console.log(`READY ${port}`);
  process.once('SIGTERM', () => void server.shutdown({ graceMs: 100 }).finally(() => process.exit(0)));
}

interface Server {
  readonly id: string;
  readonly port: number;
  stop(): Promise<void>;
}

function startServer(id: string, port: number, delayMs: number): Promise<Server> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, '--serve', String(port), String(delayMs)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server ${id} exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('READY')) return;
      resolve({
        id,
        port,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    });
  });
}

interface Result {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  /** Share of measured calls answered by the slow instance. */
  readonly slowShare: number;
}

/** One closed-loop run through a fresh client over `servers` (ids answer in the echo's `msg`). */
async function measure(servers: readonly Server[], slowId: string | undefined): Promise<Result> {
  const registry = new MemoryRegistry();
  for (const s of servers) {
    await registry.register(
      { service: EchoApi.name, id: s.id, address: `${host}:${s.port}` },
      { ttlMs: 3_600_000 },
    );
  }
  const client = await createClient({ registry, env: {}, probe: false });
  const api = client.bind(EchoApi);
  await client.ready(EchoApi.name);
  const concurrency = Number(values.concurrency);
  const durationMs = Number(values.duration);
  const latencies: number[] = [];
  let errors = 0;
  let slowCalls = 0;
  const measureFrom = performance.now() + Number(values.warmup);
  const end = measureFrom + durationMs;
  const worker = async (): Promise<void> => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end) return;
      try {
        await api.echo(PAYLOAD, { deadlineMs: 5_000 });
      } catch {
        errors++;
      }
      const t1 = performance.now();
      if (t0 >= measureFrom && t1 <= end) {
        latencies.push(t1 - t0);
        // The slow instance is the only one that takes ≥ its delay to answer an echo.
        if (slowId !== undefined && t1 - t0 >= Number(values.delay)) slowCalls++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  await client.close();
  await registry.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return {
    rps: Math.round(latencies.length / (durationMs / 1000)),
    p50: pct(0.5),
    p99: pct(0.99),
    errors,
    slowShare: latencies.length === 0 ? 0 : slowCalls / latencies.length,
  };
}

async function orchestrate(): Promise<void> {
  let port = Number(values['base-port']);
  const fast = await Promise.all(['a', 'b', 'c', 'd'].map((id) => startServer(id, port++, 0)));
  const slow = await startServer('a-slow', port++, Number(values.delay));
  const healthySet = fast;
  const slowSet = [slow, ...fast.slice(1)];
  const runs: Record<'healthy' | 'slow', Result[]> = { healthy: [], slow: [] };
  try {
    for (let round = 0; round < Number(values.rounds); round++) {
      const order = round % 2 === 0 ? (['healthy', 'slow'] as const) : (['slow', 'healthy'] as const);
      for (const kind of order) {
        const result = await measure(
          kind === 'healthy' ? healthySet : slowSet,
          kind === 'slow' ? slow.id : undefined,
        );
        runs[kind].push(result);
        process.stderr.write(
          `round ${round + 1} ${kind}: ${result.rps} calls/s p50 ${result.p50.toFixed(3)} p99 ${result.p99.toFixed(3)} ms, slow share ${(100 * result.slowShare).toFixed(2)}%\n`,
        );
      }
    }
  } finally {
    await Promise.all([...fast, slow].map((s) => s.stop()));
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
  console.log(
    `\nFull client stack, 4 echo servers in their own processes, C = ${values.concurrency}; median of ${values.rounds} rounds of ${values.duration} ms after ${values.warmup} ms warm-up`,
  );
  console.log('| run | calls/s | p50 ms | p99 ms | calls ≥ delay (≈ to the slow instance) | errors |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const kind of ['healthy', 'slow'] as const) {
    const xs = runs[kind];
    const share = kind === 'slow' ? `${(100 * median(xs.map((x) => x.slowShare))).toFixed(2)}%` : '–';
    console.log(
      `| ${kind === 'healthy' ? '4 healthy' : `1 of 4 +${values.delay} ms`} | ${median(xs.map((x) => x.rps))} | ${median(xs.map((x) => x.p50)).toFixed(3)} | ${median(xs.map((x) => x.p99)).toFixed(3)} | ${share} | ${xs.reduce((n, x) => n + x.errors, 0)} |`,
    );
  }
}

if (values.serve) {
  const [port, delay] = process.argv.slice(2).filter((a) => /^\d+$/.test(a));
  await serve(Number(port), Number(delay));
} else {
  await orchestrate();
}
