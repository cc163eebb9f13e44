import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import type { LocalityInput } from '../../src/core/locality.js';
import { registerProximaResolver, type ProximaResolverRegistration } from '../../src/grpc/index.js';
import type { Registration, Registry } from '../../src/registry/registry.js';
import { startRegistryServer } from '../../src/server/index.js';
import { eventually } from '../support/processes.js';
import { ask, startWhoServer, whoClient, type WhoClient } from './who-server.js';

const EU_A: LocalityInput = { region: 'eu', zone: 'eu-a' };
const EU_B: LocalityInput = { region: 'eu', zone: 'eu-b' };
const US_A: LocalityInput = { region: 'us', zone: 'us-a' };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A registry owned by the test. */
function memoryRegistry(): MemoryRegistry {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  return registry;
}

/** A real grpc-js `Who` server registered as an instance of `who` speaking grpc. */
async function whoInstance(
  registry: Registry,
  id: string,
  locality: LocalityInput,
): Promise<{ server: grpc.Server; registration: Registration }> {
  const { server, address } = await startWhoServer(id);
  cleanups.push(() => server.forceShutdown());
  const registration = await registry.register(
    { service: 'who', id, address, protocol: 'grpc', locality },
    { ttlMs: 60_000 },
  );
  return { server, registration };
}

async function resolver(registry: MemoryRegistry, scheme?: string): Promise<ProximaResolverRegistration> {
  const registration = await registerProximaResolver({
    registry,
    locality: EU_A,
    probe: false,
    ...(scheme === undefined ? {} : { scheme }),
  });
  cleanups.push(() => registration.close());
  return registration;
}

function client(target: string): WhoClient {
  const c = whoClient(target);
  cleanups.push(() => c.close());
  return c;
}

/** Where `calls` sequential calls were answered. */
async function answers(c: WhoClient, calls: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let n = 0; n < calls; n++) {
    const { id } = await ask(c, { n });
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

/** Calls the router still counts in flight: 0 once every call reported its end. */
function inFlight(proxima: ProximaResolverRegistration): number {
  const routes = proxima.explain('who')?.routes ?? [];
  return routes.flatMap((r) => r.endpoints).reduce((sum, e) => sum + e.pending, 0);
}

/** Calls until one is answered by `id` (failed calls during a failover are expected). */
async function untilAnsweredBy(c: WhoClient, id: string): Promise<void> {
  await eventually(async () => (await ask(c, { n: 0 }, 2_000)).id === id, 20_000);
}

describe('gRPC through the proxima resolver and LB policy', () => {
  it('sends every call of a stock client to the same-zone server, never to other protocols', async () => {
    const registry = memoryRegistry();
    await whoInstance(registry, 'eu-a-1', EU_A);
    await whoInstance(registry, 'eu-b-1', EU_B);
    await whoInstance(registry, 'us-a-1', US_A);
    // Same service and zone, but not gRPC: must never be dialled.
    await registry.register(
      { service: 'who', id: 'eu-a-http', address: '127.0.0.1:9', protocol: 'http', locality: EU_A },
      { ttlMs: 60_000 },
    );
    const proxima = await resolver(registry);

    const c = client(proxima.target('who'));
    expect(await answers(c, 30)).toEqual({ 'eu-a-1': 30 });
    expect(inFlight(proxima)).toBe(0);

    const table = proxima.explain('who');
    expect(table?.service).toBe('who');
    expect(JSON.stringify(table)).not.toContain('eu-a-http');
  });

  it('fails over to the same region when the same-zone server dies, and back to a new one', async () => {
    const registry = memoryRegistry();
    const local = await whoInstance(registry, 'eu-a-1', EU_A);
    await whoInstance(registry, 'eu-b-1', EU_B);
    await whoInstance(registry, 'us-a-1', US_A);
    const proxima = await resolver(registry);
    const c = client('proxima:///who');
    expect(await answers(c, 10)).toEqual({ 'eu-a-1': 10 });

    // A crash: the registry still lists eu-a-1 (its lease has not expired), its connection is gone.
    local.server.forceShutdown();
    await untilAnsweredBy(c, 'eu-b-1');
    expect(await answers(c, 20)).toEqual({ 'eu-b-1': 20 });
    const concurrent = await Promise.all(Array.from({ length: 50 }, (_, n) => ask(c, { n })));
    expect(new Set(concurrent.map((r) => r.id))).toEqual(new Set(['eu-b-1']));
    expect(inFlight(proxima)).toBe(0);

    // A new instance in the caller's zone appears through the watch and takes the traffic back.
    // The dead eu-a-1 is still listed and unreachable, so the zone is 50% healthy and keeps 70%
    // of the calls (Envoy's over-provisioning 1.4); the rest spills to eu-b as before.
    await whoInstance(registry, 'eu-a-2', EU_A);
    await untilAnsweredBy(c, 'eu-a-2');
    const back = await answers(c, 100);
    expect(back['eu-a-1']).toBeUndefined();
    expect(back['eu-a-2']).toBeGreaterThanOrEqual(50);
    const zone = proxima.explain('who')?.tiers.find((t) => t.kind === 'zone');
    expect(zone).toMatchObject({ healthy: 1, total: 2 });
    expect(proxima.explain('who')?.service).toBe('who');
  });

  it('works over the registry server: a deregistered instance stops getting calls', async () => {
    const server = await startRegistryServer({ port: 0, logger: pino({ level: 'silent' }) });
    cleanups.push(() => server.close());
    const registry = new HttpRegistry({ url: server.url });
    cleanups.push(() => registry.close());
    const local = await whoInstance(registry, 'eu-a-1', EU_A);
    await whoInstance(registry, 'eu-b-1', EU_B);
    // The resolver opens (and on close, closes) its own client of the server from the URL.
    const proxima = await registerProximaResolver({
      registry: server.url,
      locality: EU_A,
      scheme: 'proxima-srv',
    });
    cleanups.push(() => proxima.close());
    const c = client('proxima-srv:///who');
    expect(await answers(c, 10)).toEqual({ 'eu-a-1': 10 });

    await local.registration.deregister(); // the server keeps running: a graceful exit
    await untilAnsweredBy(c, 'eu-b-1');
    expect(await answers(c, 10)).toEqual({ 'eu-b-1': 10 });
  });

  it('feeds call outcomes back: UNAVAILABLE answers eject the local server', async () => {
    const registry = memoryRegistry();
    await whoInstance(registry, 'eu-a-1', EU_A);
    await whoInstance(registry, 'eu-b-1', EU_B);
    const proxima = await resolver(registry);
    const c = client(proxima.target('who'));
    expect(await answers(c, 3)).toEqual({ 'eu-a-1': 3 });

    // Five consecutive strikes (the outlier-ejection default) from the only same-zone server.
    for (let n = 0; n < 5; n++) {
      await expect(ask(c, { n, failWith: grpc.status.UNAVAILABLE })).rejects.toMatchObject({
        code: grpc.status.UNAVAILABLE,
      });
    }
    expect(await answers(c, 10)).toEqual({ 'eu-b-1': 10 });
    const zone = proxima.explain('who')?.tiers.find((t) => t.kind === 'zone');
    expect(zone).toMatchObject({ healthy: 0, total: 1 });
  });

  it('answers NOT_FOUND-like application errors without penalising the server', async () => {
    const registry = memoryRegistry();
    await whoInstance(registry, 'eu-a-1', EU_A);
    await whoInstance(registry, 'eu-b-1', EU_B);
    const proxima = await resolver(registry);
    const c = client(proxima.target('who'));
    for (let n = 0; n < 8; n++) {
      await expect(ask(c, { n, failWith: grpc.status.NOT_FOUND })).rejects.toMatchObject({
        code: grpc.status.NOT_FOUND,
      });
    }
    expect(await answers(c, 5)).toEqual({ 'eu-a-1': 5 });
  });

  it('fails calls with UNAVAILABLE when no instance speaks grpc, and recovers when one registers', async () => {
    const registry = memoryRegistry();
    const proxima = await resolver(registry, 'proxima-empty');
    const c = client('proxima-empty:///who');
    await expect(ask(c, { n: 0 })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    await whoInstance(registry, 'eu-b-1', EU_B);
    await untilAnsweredBy(c, 'eu-b-1');
    expect(proxima.scheme).toBe('proxima-empty');
  });

  it('keeps the user’s grpc.service_config: stock grpc-js retries an UNAVAILABLE attempt', async () => {
    const registry = memoryRegistry();
    const { server, address, attempts } = await startWhoServer('eu-a-flaky', undefined, {
      failFirst: grpc.status.UNAVAILABLE,
    });
    cleanups.push(() => server.forceShutdown());
    await registry.register(
      { service: 'who', id: 'eu-a-flaky', address, protocol: 'grpc', locality: EU_A },
      { ttlMs: 60_000 },
    );
    const proxima = await resolver(registry);
    const retrying = whoClient(proxima.target('who'), grpc.credentials.createInsecure(), {
      'grpc.service_config': JSON.stringify({
        methodConfig: [
          {
            name: [{ service: 'proxima.test.Who' }],
            retryPolicy: {
              maxAttempts: 3,
              initialBackoff: '0.01s',
              maxBackoff: '0.1s',
              backoffMultiplier: 2,
              retryableStatusCodes: ['UNAVAILABLE'],
            },
          },
        ],
      }),
    });
    cleanups.push(() => retrying.close());
    for (let n = 1; n <= 5; n++) expect(await ask(retrying, { n })).toEqual({ id: 'eu-a-flaky' });
    expect([...attempts.values()]).toEqual([2, 2, 2, 2, 2]);
    // Still routed by Proxima: the call outcomes reached the router.
    expect(proxima.explain('who')?.routes[0]?.endpoints.map((e) => e.id)).toEqual(['eu-a-flaky']);
  });

  it('explain() follows the connection: a killed server leaves the routes as soon as its channel fails', async () => {
    const registry = memoryRegistry();
    const local = await whoInstance(registry, 'eu-a-1', EU_A);
    await whoInstance(registry, 'eu-a-2', EU_A);
    const proxima = await resolver(registry);
    const c = client(proxima.target('who'));
    await answers(c, 20);
    const listed = (): string[] =>
      (proxima.explain('who')?.routes ?? []).flatMap((r) =>
        r.share > 0 ? r.endpoints.map((e) => e.id) : [],
      );
    expect(listed().sort()).toEqual(['eu-a-1', 'eu-a-2']);
    local.server.forceShutdown(); // still registered
    // Calls keep working (they go to eu-a-2), and the table stops offering eu-a-1 once the
    // subchannel reports the failure — not only after outlier detection or a deregistration.
    await eventually(async () => {
      await ask(c, { n: 0 }, 2_000).catch(() => undefined);
      return !listed().includes('eu-a-1');
    }, 20_000);
    expect(listed()).toEqual(['eu-a-2']);
    expect(proxima.explain('who')?.unhealthy.map((u) => u.id)).toEqual(['eu-a-1']);
  }, 40_000);

  it('rejects a target that is not a service name when the client is built', async () => {
    const registry = memoryRegistry();
    await resolver(registry, 'proxima-bad');
    expect(() => whoClient('proxima-bad:///not a service!')).toThrow(/target/);
  });

  it('fails its channels with UNAVAILABLE once closed', async () => {
    const registry = memoryRegistry();
    await whoInstance(registry, 'eu-a-1', EU_A);
    const proxima = await resolver(registry, 'proxima-closing');
    const c = client('proxima-closing:///who');
    expect(await answers(c, 2)).toEqual({ 'eu-a-1': 2 });
    await proxima.close();
    await eventually(async () => {
      try {
        await ask(c, { n: 0 }, 1_000);
        return false;
      } catch (error) {
        return (error as grpc.ServiceError).code === grpc.status.UNAVAILABLE;
      }
    });
  });
});
