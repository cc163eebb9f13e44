/**
 * Cold import: how long a fresh `node` takes to `import { createClient } from '<package>'` (and the
 * other entry points), from the built `dist/` through the package's own `exports` map, exactly as
 * an installed application resolves it. Each sample is a new process; entries run alternating,
 * round by round, so a busy moment of the machine lands on all of them alike.
 *
 *   node --import tsx bench/import/cold-import.ts [--rounds 15] [--record]
 *
 * Reported per entry: the median time of the `import()` itself inside the process (the figure the
 * target of 150 ms is about), its CPU time, and the median wall time of the whole process minus
 * that of a process that imports nothing (node's own start-up).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { recordSection } from '../support/record-section.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NAME = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { name: string }).name;
const TARGET_MS = 150;

interface Entry {
  readonly label: string;
  /** What the probe imports; undefined for the empty baseline. */
  readonly specifier: string | undefined;
  readonly names: string;
}

const ENTRIES: readonly Entry[] = [
  { label: '(node, nothing imported)', specifier: undefined, names: '' },
  // zod alone: the floor under the root entry (service schemas and options are zod schemas).
  { label: 'zod (peer; floor of the root)', specifier: 'zod', names: 'z' },
  { label: NAME, specifier: NAME, names: 'createClient' },
  { label: `${NAME}/http`, specifier: `${NAME}/http`, names: 'createProximaDispatcher' },
  { label: `${NAME}/metrics`, specifier: `${NAME}/metrics`, names: 'clientMetrics' },
  { label: `${NAME}/grpc`, specifier: `${NAME}/grpc`, names: 'registerProximaResolver' },
  { label: `${NAME}/etcd`, specifier: `${NAME}/etcd`, names: 'EtcdRegistry' },
];

interface Sample {
  readonly importMs: number;
  readonly cpuMs: number;
  readonly processMs: number;
}

/** One fresh process importing `entry`; the probe reports its own import time on stdout. */
function sample(entry: Entry): Sample {
  const probe =
    entry.specifier === undefined
      ? 'console.log(JSON.stringify({ importMs: 0, cpuMs: 0 }))'
      : [
          'const cpu = process.cpuUsage(); const t0 = performance.now();',
          `const { ${entry.names} } = await import(${JSON.stringify(entry.specifier)});`,
          'const importMs = performance.now() - t0; const used = process.cpuUsage(cpu);',
          `if (${entry.names} === undefined) throw new Error('missing export');`,
          'console.log(JSON.stringify({ importMs, cpuMs: (used.user + used.system) / 1000 }));',
        ].join('\n');
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const processMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`${entry.label}: probe failed\n${result.stderr}`);
  const reported = JSON.parse(result.stdout.trim()) as { importMs: number; cpuMs: number };
  return { ...reported, processMs };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const argv = process.argv.slice(2);
const roundsAt = argv.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(argv[roundsAt + 1]) : 15;
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error('cold-import: --rounds: expected a positive integer');
  process.exit(2);
}

const samples = new Map<Entry, Sample[]>(ENTRIES.map((e) => [e, []]));
sample(ENTRIES[1] as Entry); // warm the file-system cache once: "cold" means a new process, not a cold disk
for (let round = 0; round < rounds; round++) {
  for (const entry of ENTRIES) samples.get(entry)?.push(sample(entry));
}

const baseline = median((samples.get(ENTRIES[0] as Entry) ?? []).map((s) => s.processMs));
const rows = ENTRIES.slice(1).map((entry) => {
  const list = samples.get(entry) ?? [];
  return {
    entry: entry.label,
    importMs: median(list.map((s) => s.importMs)),
    cpuMs: median(list.map((s) => s.cpuMs)),
    extraMs: median(list.map((s) => s.processMs)) - baseline,
  };
});
const lines = [
  `Median of ${rounds} fresh \`node\` processes per entry, entries alternating; node ${process.version}.`,
  `Node itself starts in ${baseline.toFixed(0)} ms (a process that imports nothing). Target for the root entry: <= ${TARGET_MS} ms.`,
  '',
  '| entry | import() ms | CPU ms | process ms over node start-up |',
  '| --- | ---: | ---: | ---: |',
  ...rows.map(
    (r) => `| \`${r.entry}\` | ${r.importMs.toFixed(0)} | ${r.cpuMs.toFixed(0)} | ${r.extraMs.toFixed(0)} |`,
  ),
];
console.log(lines.join('\n'));
const root = rows.find((r) => r.entry === NAME);
if (root !== undefined) {
  console.log(
    `\ncold import of ${NAME}: ${root.importMs.toFixed(0)} ms (${root.importMs <= TARGET_MS ? 'within' : 'OVER'} the ${TARGET_MS} ms target)`,
  );
}
if (argv.includes('--record')) {
  await recordSection('## Cold import', [
    'Measured by `npm run bench -- --only import --record` (`bench/import/cold-import.ts`). The root',
    "entry loads zod, msgpackr and Proxima's client modules; undici, pino, cockatiel, prom-client,",
    'etcd3 and @grpc/grpc-js load only when an entry point or a registry URL needs them. The',
    "machine was shared with other engineers' builds and tests: node's own start-up shows how busy.",
    '',
    ...lines,
  ]);
}
