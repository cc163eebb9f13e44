/**
 * Cold import: how long a fresh `node` takes to `import { createClient } from '<package>'` (and the
 * other entry points), from the built `dist/` through the package's own `exports` map, exactly as
 * an installed application resolves it. Each sample is a new process; entries run alternating,
 * round by round, so a busy moment of the machine lands on all of them alike.
 *
 *   node --import tsx bench/import/cold-import.ts [--rounds 15] [--record]
 *
 * Reported per entry: the median time of the measured code inside the process (the `import()`,
 * plus for the "first use" rows what an application does next: createClient, createServer), its
 * CPU time, the median wall time of the whole process minus that of a process that imports
 * nothing (node's own start-up), and that time divided by node's start-up and by zod's import, so
 * a run on a busy machine can still be read against a quiet one.
 *
 * The root entry loads its machinery on first use (createClient, startRegistrar and
 * startRegistryServer import theirs when called; zod and msgpackr load with the first validation
 * or codec), so the "first use" rows are where that cost went.
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
  /** The measured code of the probe (an ES module body); undefined for the empty baseline. */
  readonly code: string | undefined;
}

const imported = (specifier: string, name: string): string =>
  [
    `const { ${name} } = await import(${JSON.stringify(specifier)});`,
    `if (${name} === undefined) throw new Error('missing export ${name}');`,
  ].join('\n');

// A client that needs nothing from the network: `memory:` registry, locality from an empty env.
const firstClient = [
  imported(NAME, 'createClient'),
  "const client = await createClient({ registry: 'memory:', env: {} });",
  'await client.close();',
].join('\n');

const ZOD_LABEL = 'zod (peer)';
const ENTRIES: readonly Entry[] = [
  { label: '(node, nothing imported)', code: undefined },
  // zod alone: what the root entry used to load before anything else (now on first validation).
  { label: ZOD_LABEL, code: imported('zod', 'z') },
  { label: NAME, code: imported(NAME, 'createClient') },
  { label: `${NAME} + first createClient`, code: firstClient },
  // An application that defines its services with zod already has it: createClient takes that copy.
  { label: `zod + ${NAME} + first createClient`, code: `${imported('zod', 'z')}\n${firstClient}` },
  {
    label: `${NAME} + createServer`,
    code: `${imported(NAME, 'createServer')}\ncreateServer({ services: [], env: {} });`,
  },
  { label: `${NAME}/http`, code: imported(`${NAME}/http`, 'createProximaDispatcher') },
  { label: `${NAME}/metrics`, code: imported(`${NAME}/metrics`, 'clientMetrics') },
  { label: `${NAME}/grpc`, code: imported(`${NAME}/grpc`, 'registerProximaResolver') },
  { label: `${NAME}/etcd`, code: imported(`${NAME}/etcd`, 'EtcdRegistry') },
];

interface Sample {
  readonly importMs: number;
  readonly cpuMs: number;
  readonly processMs: number;
}

/** One fresh process running `entry`'s code; the probe reports its own time on stdout. */
function sample(entry: Entry): Sample {
  const probe =
    entry.code === undefined
      ? 'console.log(JSON.stringify({ importMs: 0, cpuMs: 0 }))'
      : [
          'const cpu = process.cpuUsage(); const t0 = performance.now();',
          '{',
          entry.code,
          '}',
          'const importMs = performance.now() - t0; const used = process.cpuUsage(cpu);',
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
for (const entry of ENTRIES) sample(entry); // warm the file-system cache once: "cold" means a new process, not a cold disk
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
const zodMs = rows.find((r) => r.entry === ZOD_LABEL)?.importMs ?? Number.NaN;
const lines = [
  `Median of ${rounds} fresh \`node\` processes per entry, entries alternating; node ${process.version}.`,
  `Node itself starts in ${baseline.toFixed(0)} ms (a process that imports nothing). Target for the root entry: <= ${TARGET_MS} ms.`,
  '',
  '| entry | import() (+ first use) ms | CPU ms | process ms over node start-up | ÷ node start-up | ÷ zod |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| \`${r.entry}\` | ${r.importMs.toFixed(0)} | ${r.cpuMs.toFixed(0)} | ${r.extraMs.toFixed(0)} | ${(r.importMs / baseline).toFixed(2)} | ${(r.importMs / zodMs).toFixed(2)} |`,
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
    'entry loads only the modules its synchronous exports need (createServer, implement,',
    'defineService, mountDashboard, errors); createClient, startRegistrar and startRegistryServer',
    'load their machinery when called, zod loads with the first validation and msgpackr with the',
    'first codec. The "first use" rows show where that cost went. The machine was shared with other',
    "engineers' builds and tests: node's own start-up and zod's import show how busy.",
    '',
    ...lines,
  ]);
}
