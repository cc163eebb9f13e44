import { afterEach, describe, expect, it } from 'vitest';
import { fetch as undiciFetch, request } from 'undici';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import type { LocalityInput } from '../../src/core/locality.js';
import { createProximaDispatcher, type ProximaDispatcher } from '../../src/http/index.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../support/processes.js';
import { startWhoHttp, type WhoHttp } from './who-http.js';

const EU_A: LocalityInput = { region: 'eu', zone: 'eu-a' };
const EU_B: LocalityInput = { region: 'eu', zone: 'eu-b' };
const US_A: LocalityInput = { region: 'us', zone: 'us-a' };

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function memoryRegistry(): MemoryRegistry {
  const registry = new MemoryRegistry();
  cleanups.push(() => registry.close());
  return registry;
}

/** A real HTTP server registered as an instance of `who` speaking http. */
async function whoInstance(registry: MemoryRegistry, id: string, locality: LocalityInput): Promise<WhoHttp> {
  const server = await startWhoHttp(id);
  cleanups.push(() => server.close());
  await registry.register(
    { service: 'who', id, address: server.address, protocol: 'http', locality },
    { ttlMs: 60_000 },
  );
  return server;
}

async function dispatcherOf(registry: MemoryRegistry): Promise<ProximaDispatcher> {
  const dispatcher = await createProximaDispatcher({ registry, locality: EU_A, probe: false });
  cleanups.push(() => dispatcher.close());
  return dispatcher;
}

/** `GET http://who/who` through undici's request: the instance that answered. */
async function who(dispatcher: ProximaDispatcher, path = '/who'): Promise<{ status: number; id: string }> {
  const res = await request(`http://who${path}`, { dispatcher });
  const body = (await res.body.json()) as { id: string };
  return { status: res.statusCode, id: body.id };
}

async function answers(dispatcher: ProximaDispatcher, calls: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let n = 0; n < calls; n++) {
    const { id } = await who(dispatcher);
    counts[id] = (counts[id] ?? 0) + 1;
  }
  return counts;
}

/** Three zones: the caller's (eu-a), its region's other zone, another region. */
async function threeZones(
  registry: MemoryRegistry,
): Promise<{ local: WhoHttp; region: WhoHttp; remote: WhoHttp }> {
  return {
    local: await whoInstance(registry, 'eu-a-1', EU_A),
    region: await whoInstance(registry, 'eu-b-1', EU_B),
    remote: await whoInstance(registry, 'us-a-1', US_A),
  };
}

describe('HTTP through the Proxima dispatcher', () => {
  it('routes fetch, request and the built-in fetch to the same-zone instance', async () => {
    const registry = memoryRegistry();
    await threeZones(registry);
    await registry.register(
      { service: 'who', id: 'eu-a-grpc', address: '127.0.0.1:9', protocol: 'grpc', locality: EU_A },
      { ttlMs: 60_000 },
    );
    const dispatcher = await dispatcherOf(registry);

    expect(await answers(dispatcher, 20)).toEqual({ 'eu-a-1': 20 });
    const viaFetch = await undiciFetch('http://who/who', { method: 'POST', body: 'hello', dispatcher });
    expect(viaFetch.headers.get('x-instance')).toBe('eu-a-1');
    expect(await viaFetch.json()).toEqual({ id: 'eu-a-1', body: 'hello' });
    // Node 20's own fetch (its bundled undici speaks the older handler interface).
    const builtin = await fetch('http://who/who', { dispatcher } as unknown as RequestInit);
    expect(await builtin.json()).toMatchObject({ id: 'eu-a-1' });
    expect(dispatcher.explain('who')?.locality).toBe('eu/eu-a');
  });

  it('moves requests to the same region when the same-zone server is gone, losing none', async () => {
    const registry = memoryRegistry();
    const { local, remote } = await threeZones(registry);
    const dispatcher = await dispatcherOf(registry);
    expect(await answers(dispatcher, 5)).toEqual({ 'eu-a-1': 5 });

    await local.close(); // still registered: connections are refused
    expect(await answers(dispatcher, 20)).toEqual({ 'eu-b-1': 20 });
    // Refused connections count as failures: the dead endpoint is ejected, not retried forever.
    const zone = dispatcher.explain('who')?.tiers.find((t) => t.kind === 'zone');
    expect(zone).toMatchObject({ healthy: 0, total: 1 });
    expect(remote.hits.size).toBe(0);

    // A refused connection reached no server: even a POST moves on.
    const posted = await request('http://who/who', { method: 'POST', body: 'x', dispatcher });
    expect(posted.statusCode).toBe(200);
    expect(await posted.body.json()).toMatchObject({ id: 'eu-b-1', body: 'x' });
  });

  it('fetch with a request body moves on from a refused connection too (the body was never sent)', async () => {
    // One live and one dead endpoint in the caller's zone: every POST must reach the live one,
    // with its body intact, whether the first pick was the dead one or not.
    const registry = memoryRegistry();
    await whoInstance(registry, 'eu-a-live', EU_A);
    const deadPort = await freePort();
    await registry.register(
      { service: 'who', id: 'eu-a-dead', address: `127.0.0.1:${deadPort}`, protocol: 'http', locality: EU_A },
      { ttlMs: 60_000 },
    );
    const dispatcher = await createProximaDispatcher({
      registry,
      locality: EU_A,
      probe: false,
      // Keep the dead endpoint in the pool: every call may be sent there first.
      routing: { health: { outlier: { enabled: false }, breaker: { enabled: false }, weights: 'none' } },
    });
    cleanups.push(() => dispatcher.close());
    const failures: string[] = [];
    for (let n = 0; n < 40; n++) {
      try {
        const res = await undiciFetch('http://who/who', { method: 'POST', body: `call-${n}`, dispatcher });
        const body = (await res.json()) as { id: string; body: string };
        if (body.id !== 'eu-a-live' || body.body !== `call-${n}`) failures.push(JSON.stringify(body));
      } catch (error) {
        failures.push(String((error as { cause?: unknown }).cause ?? error));
      }
    }
    expect(failures).toEqual([]);
  });

  it('picks up a new instance in the caller zone through the watch', async () => {
    const registry = memoryRegistry();
    await whoInstance(registry, 'eu-b-1', EU_B);
    const dispatcher = await dispatcherOf(registry);
    expect(await answers(dispatcher, 3)).toEqual({ 'eu-b-1': 3 });
    await whoInstance(registry, 'eu-a-2', EU_A);
    await eventually(async () => (await who(dispatcher)).id === 'eu-a-2');
    expect(await answers(dispatcher, 10)).toEqual({ 'eu-a-2': 10 });
  });

  it('counts 5xx answers as failures (and hands them to the caller unchanged)', async () => {
    const registry = memoryRegistry();
    const { local } = await threeZones(registry);
    local.failing = true;
    const dispatcher = await dispatcherOf(registry);
    for (let n = 0; n < 5; n++) expect(await who(dispatcher, '/fail')).toEqual({ status: 503, id: 'eu-a-1' });
    expect(await answers(dispatcher, 10)).toEqual({ 'eu-b-1': 10 });
  });

  it('retries an idempotent request broken mid-flight on another endpoint, but not a POST', async () => {
    const registry = memoryRegistry();
    const { local, region } = await threeZones(registry);
    local.crashing = true;
    const dispatcher = await dispatcherOf(registry);

    expect(await who(dispatcher, '/crash')).toEqual({ status: 200, id: 'eu-b-1' });
    expect(local.hits.get('/crash')).toBe(1);

    await expect(
      request('http://who/crash', { method: 'POST', body: 'once', dispatcher }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/UND_ERR_SOCKET|ECONNRESET/) });
    expect(local.hits.get('/crash')).toBe(2);
    expect(region.hits.get('/crash')).toBe(1);
  });

  it('gives up after maxAttempts endpoints and reports the last connection error', async () => {
    const registry = memoryRegistry();
    const servers = await threeZones(registry);
    for (const s of Object.values(servers)) s.crashing = true;
    const dispatcher = await createProximaDispatcher({
      registry,
      locality: EU_A,
      probe: false,
      retry: { maxAttempts: 2 },
    });
    cleanups.push(() => dispatcher.close());
    await expect(request('http://who/crash', { dispatcher })).rejects.toMatchObject({
      code: expect.stringMatching(/UND_ERR_SOCKET|ECONNRESET/),
    });
    const hits = Object.values(servers).reduce((sum, s) => sum + (s.hits.get('/crash') ?? 0), 0);
    expect(hits).toBe(2);
  });

  it('aborts a request in flight when the caller aborts', async () => {
    const registry = memoryRegistry();
    const { local } = await threeZones(registry);
    local.slowMs = 30_000;
    const dispatcher = await dispatcherOf(registry);
    const controller = new AbortController();
    const pending = request('http://who/slow', { dispatcher, signal: controller.signal });
    await eventually(() => local.hits.get('/slow') === 1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    expect(await answers(dispatcher, 3)).toEqual({ 'eu-a-1': 3 });
  });

  it('rejects URLs that do not name a service, and services without http instances', async () => {
    const registry = memoryRegistry();
    const dispatcher = await dispatcherOf(registry);
    await expect(request('https://who/x', { dispatcher })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'origin',
    });
    await expect(request('http://nobody/x', { dispatcher })).rejects.toMatchObject({ code: 'NO_ENDPOINTS' });
  });

  it('bounds the wait for discovery, and ends waiting requests when closed', async () => {
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const dispatcher = await createProximaDispatcher({
      registry: unreachable,
      readyTimeoutMs: 300,
      probe: false,
    });
    await expect(request('http://who/x', { dispatcher })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const waiting = expect(request('http://other/x', { dispatcher })).rejects.toMatchObject({
      code: 'CANCELLED',
      message: 'the dispatcher was closed',
    });
    await dispatcher.close();
    await waiting;
  });

  it('validates its options, naming the field', async () => {
    const registry = memoryRegistry();
    await expect(createProximaDispatcher({ registry, retry: { maxAttempts: 0 } })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'http.retry.maxAttempts',
    });
    await expect(createProximaDispatcher({})).rejects.toMatchObject({ field: 'http.registry' });
  });
});
