/**
 * What one accepted-but-idle connection costs a Proxima RPC server:
 * `node --import tsx bench/chaos/idle-cost.ts [--count 10000] [--step 1000] [--system proxima|bare]`.
 *
 * The server runs in a child process started with `--expose-gc` (`proxima`: `createServer` of
 * `src/rpc` with one method; `bare`: a `node:net` server that only reads, the floor Node itself
 * costs). This process opens idle connections in steps (each sends a valid preface + SETTINGS
 * and then nothing, like the chaos drill's attacker) and after each step asks the server for its
 * RSS and V8 heap after a full GC, then prints a table and the cost per 1,000 connections.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type Socket, connect, createServer as createNetServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { z } from 'zod';
import { createServer, defineService, implement, method } from '../../src/rpc/index.js';
import { prefaceBytes } from '../../src/rpc/wire/writer.js';

interface Sample {
  readonly connections: number;
  readonly rssMb: number;
  readonly heapMb: number;
  readonly externalMb: number;
  readonly peakRssMb: number;
}

const SELF = fileURLToPath(import.meta.url);
const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? (args[at + 1] ?? fallback) : fallback;
};

const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

function peakRss(): number {
  const line = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return line === undefined ? 0 : Math.round(Number(line.split(/\s+/)[1]) / 102.4) / 10;
}

/** The child: a server that answers `{ cmd: 'sample', connections }` with its memory after a GC. */
async function serve(system: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run the server with --expose-gc');
  let port: number;
  if (system === 'bare') {
    const sockets = new Set<Socket>();
    const server = createNetServer({ noDelay: true }, (socket) => {
      sockets.add(socket);
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      socket.once('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  } else {
    const Api = defineService('idle', {
      ping: method({ input: z.object({}), output: z.object({}), idempotent: true }),
    });
    const server = createServer({ services: [implement(Api, { ping: () => ({}) })] });
    port = (await server.listen({ host: '127.0.0.1', port: 0 })).port;
  }
  process.on('message', (m: { connections: number; snapshot?: string }) => {
    if (m.snapshot !== undefined) {
      process.send?.({ file: writeHeapSnapshot(m.snapshot) });
      return;
    }
    gc();
    gc();
    const u = process.memoryUsage();
    const sample: Sample = {
      connections: m.connections,
      rssMb: mb(u.rss),
      heapMb: mb(u.heapUsed),
      externalMb: mb(u.external + u.arrayBuffers),
      peakRssMb: peakRss(),
    };
    process.send?.(sample);
  });
  process.send?.({ port });
}

function ask(child: ChildProcess, connections: number): Promise<Sample> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Sample));
    child.send({ connections });
  });
}

function open(port: number, preface: Buffer): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(preface);
      socket.resume();
      resolve(socket);
    });
  });
}

async function measure(): Promise<void> {
  const system = flag('system', 'proxima');
  const count = Number(flag('count', '10000'));
  const step = Number(flag('step', '1000'));
  const child = fork(SELF, ['--serve', system], {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const { port } = await new Promise<{ port: number }>((resolve) =>
      child.once('message', (m) => resolve(m as { port: number })),
    );
    const preface = prefaceBytes();
    const sockets: Socket[] = [];
    const samples: Sample[] = [await ask(child, 0)];
    while (sockets.length < count) {
      const target = Math.min(count, sockets.length + step);
      while (sockets.length < target) {
        const n = Math.min(200, target - sockets.length);
        sockets.push(...(await Promise.all(Array.from({ length: n }, () => open(port, preface)))));
      }
      await new Promise((resolve) => setTimeout(resolve, 300)); // let the server read every preface
      samples.push(await ask(child, sockets.length));
    }
    console.log(`idle connections on a ${system} server (after a full GC in the server)\n`);
    console.log(
      '| connections | RSS (MB) | V8 heap used (MB) | external + array buffers (MB) | peak RSS (MB) |',
    );
    console.log('| ---: | ---: | ---: | ---: | ---: |');
    for (const s of samples)
      console.log(`| ${s.connections} | ${s.rssMb} | ${s.heapMb} | ${s.externalMb} | ${s.peakRssMb} |`);
    const first = samples[0]!;
    const last = samples.at(-1)!;
    const per = (a: number, b: number): string => (((b - a) * 1000) / last.connections).toFixed(2);
    console.log(
      `\nper 1,000 connections: RSS ${per(first.rssMb, last.rssMb)} MB, heap ${per(first.heapMb, last.heapMb)} MB, ` +
        `external ${per(first.externalMb, last.externalMb)} MB, peak RSS ${per(first.peakRssMb, last.peakRssMb)} MB`,
    );
    const snapshot = flag('snapshot', '');
    if (snapshot !== '')
      await new Promise((resolve) => {
        child.once('message', resolve);
        child.send({ connections: sockets.length, snapshot });
      });
    for (const s of sockets) s.destroy();
  } finally {
    child.kill('SIGKILL');
  }
}

if (args[0] === '--serve') await serve(args[1] ?? 'proxima');
else await measure();
