/**
 * Registry server benchmark: registrations/s, keep-alives/s, list requests/s, and watch
 * propagation latency (write sent → event parsed by every watcher) to 1, 100 and 1000 SSE watchers.
 * The server runs in its own process (`src/server/main.ts`); clients are the http backend in this
 * process. Bounded: about 30 s in all.
 *
 *   node --import tsx bench/registry/registry-bench.ts [--record]
 *
 * `--record` also writes the table into the `## Registry server` section of BENCHMARKS.md.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { HttpRegistry } from '../../src/backends/http/index.js';
import type { Lease } from '../../src/registry/registry.js';
import { runPropagation, type Propagation } from './propagation.js';
import { recordSection as recordSectionIn } from '../support/record-section.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = fileURLToPath(new URL('../../src/server/main.ts', import.meta.url));
const PHASE_MS = 3_000;
const CONCURRENCY = 32;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function startServer(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--port', String(port), '--unlimited'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start within 30 s')), 30_000);
    lines.on('line', (line) => {
      if (!line.includes('registry listening')) return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

/** Runs `op` from `CONCURRENCY` loops for `PHASE_MS`; returns completed operations per second. */
async function throughput(op: (worker: number, n: number) => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + PHASE_MS;
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let n = 0; performance.now() < deadline; n++) {
        await op(worker, n);
        done += 1;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const record = process.argv.includes('--record');
  const server = await startServer();
  const client = new HttpRegistry({ url: server.url, requestTimeoutMs: 30_000 });
  try {
    const leases: Lease[] = await Promise.all(
      Array.from({ length: CONCURRENCY }, () => client.grant({ ttlMs: 120_000 })),
    );
    const lease = (worker: number): Lease => leases[worker] as Lease;
    const registrations = await throughput((worker, n) =>
      client.register(
        {
          service: `bench-reg-${worker % 8}`,
          id: `w${worker}-${n % 500}`,
          address: `127.0.0.1:${1000 + (n % 500)}`,
        },
        { lease: lease(worker) },
      ),
    );
    const keepAlives = await throughput((worker) => lease(worker).keepAlive());
    for (let i = 0; i < 10; i++) {
      await client.register(
        { service: 'bench-list', id: `i${i}`, address: `127.0.0.1:${2000 + i}` },
        { lease: lease(0) },
      );
    }
    const lists = await throughput(() => client.list('bench-list'));
    const listSize = (await client.list('bench-list')).instances.length;
    await Promise.all(leases.map((l) => l.revoke()));

    const propagation: Propagation[] = [];
    for (const watchers of [1, 100, 1000]) {
      propagation.push(await runPropagation(server.url, client, watchers, watchers === 1000 ? 20 : 50));
    }
    const table = render({ registrations, keepAlives, lists, listSize, propagation });
    process.stdout.write(`${table}\n`);
    if (record) await recordSection(table);
  } finally {
    await client.close();
    server.stop();
  }
}

interface Results {
  registrations: number;
  keepAlives: number;
  lists: number;
  listSize: number;
  propagation: Propagation[];
}

function render(r: Results): string {
  const rate = (n: number): string => Math.round(n).toLocaleString('en-US');
  const ms = (n: number): string => n.toFixed(2);
  const lines = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ` +
      `${loadavg()[0]?.toFixed(1)} at the end; server in its own process, ` +
      `${CONCURRENCY} concurrent clients over keep-alive HTTP/1.1, ${PHASE_MS / 1000} s per throughput phase.`,
    '',
    '| operation | result |',
    '| --- | --- |',
    `| registrations/s (POST /v1/instances under a held lease) | ${rate(r.registrations)} |`,
    `| keep-alives/s (one request renews a whole session) | ${rate(r.keepAlives)} |`,
    `| list requests/s (GET /v1/services/:s, ${r.listSize} instances) | ${rate(r.lists)} |`,
    ...r.propagation.map(
      (p) =>
        `| watch propagation to ${p.watchers} watcher${p.watchers === 1 ? '' : 's'}: p50 / p99 / max ms ` +
        `(${p.samples} deliveries) | ${ms(p.p50)} / ${ms(p.p99)} / ${ms(p.max)} |`,
    ),
  ];
  return lines.join('\n');
}

const HEADING = '## Registry server';

async function recordSection(table: string): Promise<void> {
  await recordSectionIn(HEADING, [
    'Command: `node --import tsx bench/registry/registry-bench.ts --record` ' +
      `(run ${new Date().toISOString().slice(0, 10)}).`,
    'Propagation is measured from just before the client sends the update (PATCH) to the moment each',
    'watcher, an http-backend SSE client in the benchmark process, has parsed the event. The load average',
    'shows what else was running on the machine; under load these numbers are lower bounds.',
    '',
    table,
  ]);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
