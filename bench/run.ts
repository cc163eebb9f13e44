/**
 * `npm run bench`: every benchmark, one after another, each in its own processes (the machine has
 * two cores: running them side by side would measure the contention). Competitors inside one
 * benchmark run alternating, in the same run, and the ratios are printed.
 *
 *   npm run bench                      # all of them
 *   npm run bench -- --only rpc,pick   # some of them
 *   npm run bench -- --record          # also write the registry tables into BENCHMARKS.md
 */
import { spawnSync } from 'node:child_process';

interface Bench {
  readonly name: string;
  readonly what: string;
  readonly args: readonly string[];
  readonly recordable?: boolean;
}

const BENCHES: readonly Bench[] = [
  {
    name: 'import',
    what: "cold import of the package's entry points, fresh processes alternating",
    args: ['bench/import/cold-import.ts'],
    recordable: true,
  },
  {
    name: 'rpc',
    what: 'Proxima RPC (connection and full client stack) vs raw TCP floor vs Moleculer vs @grpc/grpc-js, C = 1 and 64',
    args: ['bench/rpc/run.ts', '--rounds', '3', '--duration', '3000'],
  },
  {
    name: 'rpc-tls',
    what: 'Proxima RPC over TLS vs the raw TLS floor (same framing over node:tls), C = 1 and 64',
    args: ['bench/rpc/run.ts', '--rounds', '3', '--duration', '3000', '--systems', 'raw-tls,proxima-tls'],
  },
  {
    name: 'rpc-metrics',
    what: 'full client stack with every metric on vs off, and the raw TCP floor, C = 1 and 64, alternating',
    args: [
      'bench/rpc/run.ts',
      '--systems',
      'raw,metrics-off,metrics-on',
      '--rounds',
      '5',
      '--duration',
      '3000',
    ],
  },
  {
    name: 'metrics',
    what: 'CPU ns per call of the metrics path: bound cells vs prom-client labels',
    args: ['bench/metrics/run.ts'],
  },
  {
    name: 'pick',
    what: 'pick + outcome cost per balancer, 10/100/1000 endpoints',
    args: ['bench/pick/run.ts'],
  },
  {
    name: 'registry',
    what: 'registry server: registrations/s, keep-alives/s, lists/s, watch propagation',
    args: ['bench/registry/registry-bench.ts'],
    recordable: true,
  },
  {
    name: 'etcd',
    what: 'registry server vs etcd: registration throughput and watch propagation, alternating',
    args: ['bench/etcd-vs-server/main.ts'],
    recordable: true,
  },
  {
    name: 'xds',
    what: "registry change to routing change: stock grpc-js-xds client on the xDS port vs Proxima's resolver",
    args: ['bench/xds/routing-change.ts'],
    recordable: true,
  },
];

const argv = process.argv.slice(2);
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? new Set((argv[onlyAt + 1] ?? '').split(',').filter(Boolean)) : undefined;
const record = argv.includes('--record');
const unknown = only === undefined ? [] : [...only].filter((n) => !BENCHES.some((b) => b.name === n));
if (unknown.length > 0) {
  console.error(
    `bench: --only: unknown benchmark ${unknown.join(', ')} (have ${BENCHES.map((b) => b.name).join(', ')})`,
  );
  process.exit(2);
}

let failed = 0;
for (const bench of BENCHES) {
  if (only !== undefined && !only.has(bench.name)) continue;
  console.log(`\n## ${bench.name}: ${bench.what}\n`);
  const args = ['--import', 'tsx', ...bench.args, ...(record && bench.recordable ? ['--record'] : [])];
  const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    failed++;
    console.error(`bench: ${bench.name} exited with ${result.status ?? result.signal}`);
  }
}
process.exit(failed === 0 ? 0 : 1);
