/**
 * Measures the per-instance costs that docs/scale.md multiplies out: registry memory per instance
 * (the embedded store and etcd), bytes of one watch event on the wire, and bytes of one batched
 * keep-alive. Run: `node --expose-gc --import tsx bench/scale/measure.ts`.
 */
import { execFileSync } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { pino } from 'pino';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { openRegistry } from '../../src/backends/open.js';
import type { Registry } from '../../src/registry/registry.js';
import { startRegistryServer } from '../../src/server/index.js';
import { EtcdCluster } from '../../test/support/etcd.js';
import { ProcessGroup } from '../../test/support/processes.js';

const INSTANCES = 20_000;
const PER_LEASE = 10;
const SERVICES = 200;

function typical(i: number): {
  service: string;
  id: string;
  address: string;
  locality: { region: string; zone: string };
  metadata: Record<string, string>;
} {
  const zone = ['a', 'b', 'c'][i % 3] ?? 'a';
  return {
    service: `service-${i % SERVICES}`,
    id: `10.0.${(i >> 8) & 255}.${i & 255}:8080`,
    address: `10.0.${(i >> 8) & 255}.${i & 255}:8080`,
    locality: { region: 'eu-west', zone: `eu-west-1${zone}` },
    metadata: { version: '1.42.0', build: 'a1b2c3d', pod: `pod-${i}` },
  };
}

async function fill(registry: Registry, count: number): Promise<void> {
  for (let i = 0; i < count; i += PER_LEASE) {
    const lease = await registry.grant({ ttlMs: 600_000 });
    await Promise.all(
      Array.from({ length: Math.min(PER_LEASE, count - i) }, (_, k) =>
        registry.register(typical(i + k), { lease }),
      ),
    );
  }
}

function heap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

async function storeBytesPerInstance(): Promise<number> {
  const before = heap();
  const registry = new MemoryRegistry({});
  await fill(registry, INSTANCES);
  const after = heap();
  await registry.close();
  return (after - before) / INSTANCES;
}

/** A TCP relay that counts the bytes each way. */
async function countingProxy(
  target: number,
): Promise<{ port: number; bytes: () => number; close: () => void }> {
  let total = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => {
      total += d.length;
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      total += d.length;
      client.write(d);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    bytes: () => total,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

async function wireCosts(): Promise<{ keepAliveBytes: number; eventBytes: number }> {
  const server = await startRegistryServer({ port: 0, logger: pino({ level: 'silent' }) });
  const proxy = await countingProxy(server.port);
  const registry = new HttpRegistry({ url: `http://127.0.0.1:${proxy.port}` });
  const lease = await registry.grant({ ttlMs: 60_000 });
  await registry.register(typical(1), { lease });
  await lease.keepAlive(); // the connection is open and warm
  const start = proxy.bytes();
  const rounds = 200;
  for (let i = 0; i < rounds; i++) await lease.keepAlive();
  const keepAliveBytes = (proxy.bytes() - start) / rounds;

  // One SSE change message for a typical instance, as the server writes it.
  const chunks: string[] = [];
  const watching = new Promise<void>((resolve) => {
    const req = request(`${server.url}/v1/services/service-1/watch`, (res) => {
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        chunks.push(text);
        if (text.includes('event: change')) {
          req.destroy();
          resolve();
        }
      });
    });
    req.end();
  });
  await new Promise((r) => setTimeout(r, 200));
  await registry.register({ ...typical(1), id: 'second', address: '10.9.9.9:8080' }, { lease });
  await watching;
  const change =
    chunks
      .join('')
      .split('\n\n')
      .find((m) => m.includes('event: change')) ?? '';
  await registry.close();
  proxy.close();
  await server.close();
  return { keepAliveBytes, eventBytes: Buffer.byteLength(`${change}\n\n`) };
}

async function etcdBytesPerInstance(): Promise<number> {
  const group = new ProcessGroup();
  try {
    const cluster = await EtcdCluster.start(group);
    const endpoint = cluster.endpoints[0] ?? '';
    const size = (): number => {
      const out = execFileSync('etcdctl', ['--endpoints', endpoint, 'endpoint', 'status', '-w', 'json'], {
        encoding: 'utf8',
        env: { ...process.env, ETCDCTL_API: '3' },
      });
      const status = JSON.parse(out) as Array<{ Status: { dbSize: number } }>;
      return status[0]?.Status.dbSize ?? 0;
    };
    const registry = await openRegistry(cluster.url('/proxima'));
    const count = 5_000;
    const before = size();
    await fill(registry, count);
    const after = size();
    await registry.close();
    return (after - before) / count;
  } finally {
    await group.killAll();
  }
}

const storeBytes = await storeBytesPerInstance();
const { keepAliveBytes, eventBytes } = await wireCosts();
const etcdBytes = await etcdBytesPerInstance();
const valueBytes = Buffer.byteLength(JSON.stringify(typical(12_345)));
console.log(
  `| embedded store, heap per instance (${INSTANCES} instances, ${PER_LEASE} per lease) | ${Math.round(storeBytes)} B |`,
);
console.log(`| etcd 3.4, db size per instance key (5000 keys) | ${Math.round(etcdBytes)} B |`);
console.log(`| instance JSON value | ${valueBytes} B |`);
console.log(`| one watch event on the wire (SSE change, one upsert) | ${eventBytes} B |`);
console.log(`| one batched keep-alive, request + response on the wire | ${Math.round(keepAliveBytes)} B |`);
