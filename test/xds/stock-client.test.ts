/**
 * A stock `@grpc/grpc-js-xds` client, with nothing but a bootstrap pointing at Proxima's xDS port,
 * gets Proxima's locality tiers: real grpc-js servers registered in three zones (r1/a, r1/b,
 * r2/c), clients in their own processes (the xDS client reads its bootstrap once per process),
 * on the registry server's own xDS port and on a standalone xDS server over etcd.
 */
import { fileURLToPath } from 'node:url';
import type { Server } from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import type { Registration, Registry } from '../../src/registry/registry.js';
import { openRegistry } from '../../src/backends/open.js';
import { startRegistryServer } from '../../src/server/server.js';
import { startXdsServer } from '../../src/xds/xds-server.js';
import { startWhoServer } from '../grpc/who-server.js';
import { EtcdCluster } from '../support/etcd.js';
import { ProcessGroup } from '../support/processes.js';
import { StockClient } from './stock-client.js';

const INSTANCE = fileURLToPath(new URL('./who-instance-main.ts', import.meta.url));
const quiet = { level: 'silent' } as const;

interface Backend {
  /** The registry URL instances register with. */
  readonly url: string;
  /** `host:port` of the xDS server. */
  readonly xds: string;
  readonly close: () => Promise<void>;
}

/**
 * The route's retry policy. Four retries, not the default two: when a-1 is killed, the call in
 * flight on it fails with "Connection dropped", and under a second test suite's load a retry can
 * still pick the dead connection before the client has seen it close; grpc-js's backoff (25 ms
 * base, doubling) gives five attempts ~400 ms to see it. Two retries failed 1 run in ~20 there.
 */
const RETRY = { retryOn: ['unavailable' as const], numRetries: 4 };

const group = new ProcessGroup();
const servers: Server[] = [];
afterAll(async () => {
  await group.killAll();
  for (const server of servers) server.forceShutdown();
});

async function instance(registry: Registry, id: string, region: string, zone: string): Promise<Registration> {
  const { server, address } = await startWhoServer(id);
  servers.push(server);
  // A TTL longer than the test: these leases are not kept alive.
  return await registry.register(
    { service: 'who', id, address, protocol: 'grpc', locality: { region, zone } },
    { ttlMs: 600_000 },
  );
}

async function scenario(backend: Backend): Promise<void> {
  const registry = await openRegistry(backend.url);
  try {
    // a-1 runs in its own process so it can be SIGKILLed later.
    const a1 = group.start('a-1', process.execPath, ['--import', 'tsx', INSTANCE], {
      REGISTRY: backend.url,
      ID: 'a-1',
      REGION: 'r1',
      ZONE: 'a',
    });
    await a1.waitForLine('ready', 60_000);
    await instance(registry, 'b-1', 'r1', 'b');
    await instance(registry, 'c-1', 'r2', 'c');
    // Not served over xDS: another protocol, and a host name (xDS clients take IP literals only).
    await registry.register(
      {
        service: 'who',
        id: 'rpc-1',
        address: '127.0.0.1:1',
        protocol: 'proxima',
        locality: { region: 'r1', zone: 'a' },
      },
      { ttlMs: 600_000 },
    );
    await registry.register(
      {
        service: 'who',
        id: 'named-1',
        address: 'localhost:1',
        protocol: 'grpc',
        locality: { region: 'r1', zone: 'a' },
      },
      { ttlMs: 600_000 },
    );

    const zoneA = StockClient.start(group, 'client-r1-a', backend.xds, { region: 'r1', zone: 'a' });
    const regionTwo = StockClient.start(group, 'client-r2-c', backend.xds, { region: 'r2', zone: 'c' });
    // A generous first ceiling: the client processes load grpc-js-xds on a shared 2-core machine.
    await zoneA.settlesOn('a-1', 30, 60_000);
    await regionTwo.settlesOn('c-1', 30, 60_000);
    // From the first call on, each client stays in its own zone.
    expect(new Set(zoneA.calls)).toEqual(new Set(['a-1']));
    expect(new Set(regionTwo.calls)).toEqual(new Set(['c-1']));

    // A new instance in zone a is picked up (round robin inside the zone's locality).
    const a2 = await instance(registry, 'a-2', 'r1', 'a');
    await zoneA.settlesOn('a-2', 1);
    // Drained: a-2 gets no new calls.
    await a2.update({ status: 'DRAINING' });
    await zoneA.settlesOn('a-1', 30);
    // Deregistered: same.
    await a2.deregister();
    const before = zoneA.calls.length;
    await zoneA.settlesOn('a-1', 30);
    expect(zoneA.calls.slice(before).every((c) => c === 'a-1')).toBe(true);

    // The zone's only instance drained: calls move to the rest of the region (r1/b), then come back.
    a1.signal('SIGUSR1');
    await zoneA.settlesOn('b-1', 20);
    a1.signal('SIGUSR2');
    await zoneA.settlesOn('a-1', 20);

    // The zone's last instance killed: calls move to the rest of the region (r1/b), not to r2.
    a1.signal('SIGKILL');
    await a1.exited;
    await zoneA.settlesOn('b-1', 30);
    expect(zoneA.calls.filter((c) => c === 'c-1')).toEqual([]);

    expect(zoneA.errors).toEqual([]);
    expect(regionTwo.errors).toEqual([]);
    expect(new Set(regionTwo.calls)).toEqual(new Set(['c-1']));
    await zoneA.process.stop();
    await regionTwo.process.stop();
  } finally {
    await registry.close();
    await backend.close();
  }
}

describe('a stock grpc-js-xds client', () => {
  it('routes by its own locality and fails over with 0 errors: registry server xDS port', async () => {
    const server = await startRegistryServer({
      port: 0,
      logger: (await import('pino')).pino(quiet),
      xds: { port: 0, ...RETRY },
    });
    await scenario({ url: server.url, xds: server.xds!.address, close: () => server.close() });
  }, 150_000);

  it('routes by its own locality and fails over with 0 errors: standalone xDS server on etcd', async () => {
    const etcd = await EtcdCluster.start(group);
    const url = etcd.url('/xds-test');
    const xdsRegistry = await openRegistry(url);
    const xds = await startXdsServer({
      registry: xdsRegistry,
      port: 0,
      ...RETRY,
      logger: (await import('pino')).pino(quiet),
    });
    await scenario({
      url,
      xds: xds.address,
      close: async () => {
        await xds.close();
        await xdsRegistry.close();
        await etcd.stop();
      },
    });
  }, 150_000);
});
