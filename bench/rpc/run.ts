/**
 * The RPC benchmark: each system's server runs in its own process, and each measurement runs a
 * fresh client process against it; systems alternate within every round so background load hits
 * them alike. Prints calls/s, p50/p99 latency, CPU µs per call (client + server, from /proc: a
 * load-independent cost) and ratios.
 *
 *   node --import tsx bench/rpc/run.ts [--duration 3000] [--warmup 500] [--rounds 2]
 *     [--concurrency 1,64] [--systems raw,proxima,moleculer,grpc]
 *
 * `--systems raw-tls,proxima-tls` measures the TLS floor (the raw framing over node:tls) and Proxima
 * over TLS; certificates are made for the run by openssl (test/support/certs.ts) and handed to the
 * processes as PROXIMA_TLS_* (server: cert + key; client: the CA).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SYSTEMS, type System, floorOf } from './echo-api.js';
import { type TestCertificates, makeTestCertificates } from '../../test/support/certs.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '3000' },
    warmup: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '1,64' },
    systems: { type: 'string', default: SYSTEMS.join(',') },
    'base-port': { type: 'string', default: '17100' },
  },
});
const systems = values.systems.split(',') as System[];
const levels = values.concurrency.split(',').map(Number);
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const certs: TestCertificates | undefined = systems.some((s) => s.endsWith('-tls'))
  ? await makeTestCertificates()
  : undefined;
/** The environment of a system's processes: the TLS rows get their certificates as PROXIMA_TLS_*. */
function envOf(system: System, side: 'server' | 'client'): NodeJS.ProcessEnv {
  if (!system.endsWith('-tls') || certs === undefined) return process.env;
  return side === 'server'
    ? { ...process.env, PROXIMA_TLS_CERT: certs.serverCert, PROXIMA_TLS_KEY: certs.serverKey }
    : { ...process.env, PROXIMA_TLS_CA: certs.ca };
}
const TICK_MS = 10; // USER_HZ 100 on Linux

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  cpuUsPerCall: number;
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime (fields 14, 15 of stat)
}

function startServer(system: System, port: number): Promise<{ pid: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', here('./server.ts'), system, String(port)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: envOf(system, 'server'),
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${system} server exited with ${code}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('READY')) return;
      resolve({
        pid: child.pid!,
        stop: async () => {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}

async function runClient(system: System, port: number, serverPid: number, c: number): Promise<Sample> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', here('./client.ts'), system, String(port), String(c), values.duration, values.warmup],
    { stdio: ['ignore', 'pipe', 'inherit'], env: envOf(system, 'client') },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  // CPU is sampled over the whole client run (setup included), so it slightly overstates per-call cost.
  const serverBefore = cpuTicks(serverPid);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const serverTicks = cpuTicks(serverPid) - serverBefore;
  if (code !== 0) throw new Error(`${system} client exited with ${code}`);
  const result = JSON.parse(out.trim().split('\n').pop()!) as Omit<Sample, 'cpuUsPerCall'> & {
    clientCpuUs: number;
    calls: number;
  };
  const cpuUsPerCall = (result.clientCpuUs + serverTicks * TICK_MS * 1000) / Math.max(1, result.calls);
  return { rps: result.rps, p50: result.p50, p99: result.p99, errors: result.errors, cpuUsPerCall };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)]!;
};

const servers = new Map<System, { pid: number; port: number; stop: () => Promise<void> }>();
let port = Number(values['base-port']);
for (const system of systems) {
  const p = port++;
  servers.set(system, { ...(await startServer(system, p)), port: p });
}

const samples = new Map<string, Sample[]>();
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const c of levels) {
      for (const system of round % 2 === 0 ? systems : [...systems].reverse()) {
        const server = servers.get(system)!;
        const sample = await runClient(system, server.port, server.pid, c);
        const key = `${system}@${c}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
        process.stderr.write(
          `round ${round + 1} ${key}: ${sample.rps} calls/s p99 ${sample.p99.toFixed(2)} ms ${sample.cpuUsPerCall.toFixed(1)} µs/call\n`,
        );
      }
    }
  }
} finally {
  for (const server of servers.values()) await server.stop();
  await certs?.remove();
}

console.log(
  `\nRPC echo, client and server in separate processes; median of ${values.rounds} rounds of ${values.duration} ms`,
);
for (const c of levels) {
  const row = (s: System): Sample => {
    const xs = samples.get(`${s}@${c}`)!;
    return {
      rps: median(xs.map((x) => x.rps)),
      p50: median(xs.map((x) => x.p50)),
      p99: median(xs.map((x) => x.p99)),
      errors: xs.reduce((n, x) => n + x.errors, 0),
      cpuUsPerCall: median(xs.map((x) => x.cpuUsPerCall)),
    };
  };
  console.log(`\nC = ${c}`);
  const full = systems.includes('proxima-client') ? row('proxima-client') : undefined;
  const fullColumn = full === undefined ? '' : ' full stack ÷ system |';
  console.log(
    `| system | calls/s | p50 ms | p99 ms | CPU µs/call | errors | vs its floor | proxima ÷ system |${fullColumn}`,
  );
  console.log(
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |${full === undefined ? '' : ' ---: |'}`,
  );
  const raw = systems.includes('raw') ? row('raw') : undefined;
  const proxima = systems.includes('proxima') ? row('proxima') : undefined;
  const floor = (s: System): Sample | undefined =>
    systems.includes(floorOf(s)) ? row(floorOf(s)) : undefined;
  const times = (a: Sample | undefined, b: Sample, self: System, s: System): string =>
    a === undefined || s === self ? '–' : (a.rps / b.rps).toFixed(2) + '×';
  for (const s of systems) {
    const r = row(s);
    const base = floor(s);
    const vsRaw = base ? (r.rps / base.rps).toFixed(2) + '×' : '–';
    const fullCell = full === undefined ? '' : ` ${times(full, r, 'proxima-client', s)} |`;
    console.log(
      `| ${s} | ${r.rps} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.cpuUsPerCall.toFixed(1)} | ${r.errors} | ${vsRaw} | ${times(proxima, r, 'proxima', s)} |${fullCell}`,
    );
  }
  if (systems.includes('proxima-tls') && systems.includes('raw-tls')) {
    // Paired per round, like the full-stack ratio below.
    const tls = samples.get(`proxima-tls@${c}`)!;
    const floors = samples.get(`raw-tls@${c}`)!;
    const perRound = tls.map((t, i) => t.rps / floors[i]!.rps);
    console.log(
      `\nproxima over TLS ÷ raw TLS, per round: ${perRound.map((x) => x.toFixed(2)).join(', ')} (median ${median(perRound).toFixed(2)})`,
    );
  }
  if (systems.includes('metrics-on') && systems.includes('metrics-off')) {
    // Paired per round, like the full-stack ratio below: both measured within seconds.
    const ons = samples.get(`metrics-on@${c}`)!;
    const offs = samples.get(`metrics-off@${c}`)!;
    const perRound = ons.map((on, i) => on.rps / offs[i]!.rps);
    const raws = samples.get(`raw@${c}`);
    const vsRaw =
      raws === undefined
        ? ''
        : `; metrics on ÷ raw, per round: ${ons.map((on, i) => (on.rps / raws[i]!.rps).toFixed(2)).join(', ')}`;
    console.log(
      `\nmetrics on ÷ off, per round: ${perRound.map((x) => x.toFixed(2)).join(', ')} (median ${median(perRound).toFixed(2)})${vsRaw}`,
    );
  }
  if (full !== undefined && raw !== undefined) {
    // Paired: each round measured both within seconds, so a burst of background load skews both.
    const fulls = samples.get(`proxima-client@${c}`)!;
    const raws = samples.get(`raw@${c}`)!;
    const perRound = fulls.map((f, i) => f.rps / raws[i]!.rps);
    console.log(
      `\nfull stack ÷ raw, per round: ${perRound.map((x) => x.toFixed(2)).join(', ')} (median ${median(perRound).toFixed(2)}); ` +
        `raw ÷ full stack CPU µs/call: ${(raw.cpuUsPerCall / full.cpuUsPerCall).toFixed(2)}`,
    );
  }
}
