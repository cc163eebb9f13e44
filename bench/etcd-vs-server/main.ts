/**
 * The registry server and etcd side by side, on the same machine, in one run: registration
 * throughput and watch-propagation latency, measured through the same `Registry` interface
 * (`openRegistry('http://…')` vs `openRegistry('etcd://…')`), in alternating rounds so that drift in
 * the machine's load hits both alike. Bounded: about a minute.
 *
 *   node --import tsx bench/etcd-vs-server/main.ts [--record]
 *
 * `--record` writes the table into the `## Registry server vs etcd` section of BENCHMARKS.md.
 */
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { openRegistry } from '../../src/backends/open.js';
import type { Registry } from '../../src/registry/registry.js';
import { EtcdCluster } from '../../test/support/etcd.js';
import { freePort } from '../../test/support/ports.js';
import { ProcessGroup } from '../../test/support/processes.js';
import { median, propagationSamples, quantile, registrationThroughput } from './measure.js';
import { recordSection as recordSectionIn } from '../support/record-section.js';

const SERVER_MAIN = fileURLToPath(new URL('../../src/server/main.ts', import.meta.url));
const HEADING = '## Registry server vs etcd';
const ROUNDS = 5;
const CONCURRENCY = 32;
const THROUGHPUT_MS = 2_000;
const PROPAGATION = [
  { watchers: 1, writes: 30 },
  { watchers: 100, writes: 15 },
] as const;

interface Backend {
  readonly name: string;
  /** The writer: registrations and updates. */
  readonly writer: Registry;
  /** Another client, as a discovering process would be. */
  readonly watcher: Registry;
  readonly registrations: number[];
  readonly propagation: number[][];
}

async function main(): Promise<void> {
  const record = process.argv.includes('--record');
  const group = new ProcessGroup();
  const backends: Backend[] = [];
  try {
    const port = await freePort();
    const server = group.start('registry-server', process.execPath, [
      '--import',
      'tsx',
      SERVER_MAIN,
      '--port',
      String(port),
      '--unlimited',
    ]);
    await server.waitForLine('registry listening', 30_000);
    const etcd = await EtcdCluster.start(group);
    for (const [name, url] of [
      ['registry server', `http://127.0.0.1:${port}`],
      ['etcd 3.4 (1 member)', etcd.url('/bench')],
    ] as const) {
      backends.push({
        name,
        writer: await openRegistry(url),
        watcher: await openRegistry(url),
        registrations: [],
        propagation: PROPAGATION.map(() => []),
      });
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? backends : [...backends].reverse();
      for (const backend of order) {
        backend.registrations.push(
          await registrationThroughput(backend.writer, `bench-reg-${round}`, CONCURRENCY, THROUGHPUT_MS),
        );
        for (const [k, { watchers, writes }] of PROPAGATION.entries()) {
          const samples = await propagationSamples(
            backend.writer,
            backend.watcher,
            `bench-prop-${round}-${k}`,
            watchers,
            writes,
          );
          backend.propagation[k]?.push(...samples);
        }
        process.stderr.write(`round ${round + 1}/${ROUNDS}: ${backend.name} done\n`);
      }
    }
    const table = render(backends);
    process.stdout.write(`${table}\n`);
    if (record) await recordSection(table);
  } finally {
    await Promise.allSettled(backends.flatMap((b) => [b.writer.close(), b.watcher.close()]));
    await group.killAll();
  }
}

function render(backends: readonly Backend[]): string {
  const fmt = (n: number): string => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));
  const rows: string[][] = [
    [
      `registrations/s (${CONCURRENCY} sessions, each under its own lease; median [min–max] of ${ROUNDS} rounds of ${THROUGHPUT_MS / 1000} s)`,
      ...backends.map(
        (b) =>
          `${fmt(median(b.registrations))} [${fmt(Math.min(...b.registrations))}–${fmt(Math.max(...b.registrations))}]`,
      ),
    ],
    ...PROPAGATION.map(({ watchers }, k) => [
      `watch propagation to ${watchers} watcher${watchers === 1 ? '' : 's'}: p50 / p99 / max ms`,
      ...backends.map((b) => {
        const samples = b.propagation[k] ?? [];
        return `${fmt(quantile(samples, 0.5))} / ${fmt(quantile(samples, 0.99))} / ${fmt(Math.max(...samples))} (${samples.length} deliveries)`;
      }),
    ]),
  ];
  const machine =
    `Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}, ` +
    `load average ${loadavg()[0]?.toFixed(1)} at the end (other work was running; compare the columns, not absolute values).`;
  return [
    machine,
    '',
    `| measure | ${backends.map((b) => b.name).join(' | ')} |`,
    `| --- | ${backends.map(() => '---').join(' | ')} |`,
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ].join('\n');
}

async function recordSection(table: string): Promise<void> {
  await recordSectionIn(HEADING, [
    `Command: \`node --import tsx bench/etcd-vs-server/main.ts --record\` (run ${new Date().toISOString().slice(0, 10)}).`,
    'Both registries run on this machine in their own processes (the Proxima registry server from',
    "`src/server/main.ts`; Debian's etcd 3.4, data dir on the local ext4 disk, fsync on) and are driven",
    'through the same `Registry` interface from one benchmark process, in alternating rounds.',
    'Registration = one `register()` (HTTP POST vs etcd put with a lease); propagation = from just',
    'before `update()` is sent until a watcher (another client: SSE vs an etcd gRPC watch stream) has',
    'the event.',
    '',
    table,
  ]);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
