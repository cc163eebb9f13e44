import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { createClient, createServer, type Client } from '../../src/client/index.js';
import { ProximaError, type LocalityInput } from '../../src/core/index.js';
import type { Registration } from '../../src/registry/registry.js';
import {
  createServer as createRpcServer,
  defineService,
  implement,
  method,
  type RpcServer,
} from '../../src/rpc/index.js';

/** Every instance answers with its own id, so tests count where calls went. */
const WhoApi = defineService('who', {
  ask: method({ input: z.object({ n: z.number() }), output: z.object({ id: z.string() }), idempotent: true }),
  write: method({ input: z.object({ n: z.number() }), output: z.object({ id: z.string() }) }),
});

const owned: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of owned.splice(0).reverse()) await o.close();
});

function track<T extends { close(): Promise<void> }>(thing: T): T {
  owned.push(thing);
  return thing;
}

/** A `who` instance registered by its server once listening. */
async function whoServer(
  registry: MemoryRegistry,
  id: string,
  locality: LocalityInput,
  handlers: { fail?: () => ProximaError | undefined } = {},
): Promise<RpcServer> {
  const answer = async (): Promise<{ id: string }> => {
    const error = handlers.fail?.();
    if (error !== undefined) throw error;
    return { id };
  };
  const server = createServer({
    services: [implement(WhoApi, { ask: answer, write: answer })],
    register: { registry, instance: { service: 'who', id, locality }, ttlMs: 5_000, env: {} },
  });
  await server.listen({ host: '127.0.0.1', port: 0 });
  track({ close: () => server.shutdown({ graceMs: 0 }) });
  return server;
}

async function client(registry: MemoryRegistry, locality: LocalityInput): Promise<Client> {
  return track(await createClient({ registry, locality, env: {}, probe: false }));
}

async function countAnswers(calls: number, ask: () => Promise<{ id: string }>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < calls; i++) {
    const { id } = await ask();
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe('createClient on the memory backend', () => {
  it('sends every call to the instance in its own zone while it is healthy', async () => {
    const registry = track(new MemoryRegistry());
    await whoServer(registry, 'eu-a', { region: 'eu', zone: 'eu-a' });
    await whoServer(registry, 'eu-b', { region: 'eu', zone: 'eu-b' });
    await whoServer(registry, 'us-a', { region: 'us', zone: 'us-a' });
    const c = await client(registry, { region: 'eu', zone: 'eu-a' });
    const who = c.bind(WhoApi);
    await c.ready('who');

    const counts = await countAnswers(200, () => who.ask({ n: 1 }));
    expect(Object.fromEntries(counts)).toEqual({ 'eu-a': 200 });
    const table = c.explain('who');
    expect(table.locality).toBe('eu/eu-a');
    expect(table.routes[0]?.endpoints.map((e) => e.id)).toEqual(['eu-a']);
  });

  it('fails over to the next zone when the local instance dies while still registered', async () => {
    const registry = track(new MemoryRegistry());
    // Registered by hand, so that the process "dying" leaves the registration in place.
    const local = createRpcServer({
      services: [implement(WhoApi, { ask: () => ({ id: 'eu-a' }), write: () => ({ id: 'eu-a' }) })],
    });
    const { port } = await local.listen({ host: '127.0.0.1', port: 0 });
    const registration: Registration = await registry.register(
      { service: 'who', id: 'eu-a', address: `127.0.0.1:${port}`, locality: { region: 'eu', zone: 'eu-a' } },
      { ttlMs: 60_000 },
    );
    track({ close: () => registration.deregister() });
    await whoServer(registry, 'eu-b', { region: 'eu', zone: 'eu-b' });
    await whoServer(registry, 'us-a', { region: 'us', zone: 'us-a' });
    const c = await client(registry, { region: 'eu', zone: 'eu-a' });
    const who = c.bind(WhoApi);
    await c.ready('who');
    expect(Object.fromEntries(await countAnswers(20, () => who.ask({ n: 1 })))).toEqual({ 'eu-a': 20 });

    await local.shutdown({ graceMs: 0 });
    // Every call still succeeds; none of them reaches the other region while eu-b is fine.
    const after = await countAnswers(200, () => who.ask({ n: 2 }));
    expect(Object.fromEntries(after)).toEqual({ 'eu-b': 200 });
    // Non-idempotent calls are fine too: a refused connection was never processed.
    const writes = await countAnswers(50, () => who.write({ n: 3 }));
    expect(Object.fromEntries(writes)).toEqual({ 'eu-b': 50 });
  });

  it('gives typed methods from the definition and INVALID_ARGUMENT naming the field', async () => {
    const registry = track(new MemoryRegistry());
    await whoServer(registry, 'only', { region: 'eu', zone: 'eu-a' });
    const c = await client(registry, {});
    const who = c.bind(WhoApi);
    const answer: { id: string } = await who.ask({ n: 7 }, { deadlineMs: 2_000 });
    expect(answer).toEqual({ id: 'only' });
    expect(await c.call('who', 'ask', { n: 8 })).toEqual({ id: 'only' });
    // @ts-expect-error n must be a number
    const bad = who.ask({ n: 'seven' });
    await expect(bad).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'request.n' });
    await expect(c.call('who', 'nope', {})).rejects.toMatchObject({ code: 'UNIMPLEMENTED' });
    await expect(c.call('no-such-service', 'ask', {}, { deadlineMs: 200 })).rejects.toMatchObject({
      code: 'NO_ENDPOINTS',
    });
  });

  it('retries a non-idempotent method only when the server never processed it', async () => {
    const registry = track(new MemoryRegistry());
    let processed = 0;
    const flaky = (): ProximaError => {
      processed++;
      return new ProximaError('UNAVAILABLE', 'backend broke mid-call');
    };
    await whoServer(registry, 'a', {}, { fail: flaky });
    await whoServer(registry, 'b', {}, { fail: flaky });
    const c = await client(registry, {});
    const who = c.bind(WhoApi);
    await c.ready('who');

    await expect(who.write({ n: 1 })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(processed).toBe(1);
    processed = 0;
    await expect(who.ask({ n: 1 })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(processed).toBe(2); // failover: each instance once, then out of instances
  });

  it('passes the remaining deadline to calls made inside a handler', async () => {
    const registry = track(new MemoryRegistry());
    const seen: Array<number | undefined> = [];
    const Back = defineService('back', {
      slow: method({ input: z.object({ ms: z.number() }), output: z.object({ ok: z.boolean() }) }),
    });
    const Front = defineService('front', {
      relay: method({ input: z.object({ ms: z.number() }), output: z.object({ ok: z.boolean() }) }),
    });
    const inner = await client(registry, {});
    const back = createServer({
      services: [
        implement(Back, {
          slow: async ({ ms }, ctx) => {
            seen.push(ctx.remainingMs());
            await new Promise((resolve) => setTimeout(resolve, ms));
            return { ok: true };
          },
        }),
      ],
      register: { registry, instance: { service: 'back' }, env: {} },
    });
    await back.listen({ host: '127.0.0.1' });
    track({ close: () => back.shutdown({ graceMs: 0 }) });
    const front = createServer({
      services: [implement(Front, { relay: (request) => inner.bind(Back).slow(request) })],
      register: { registry, instance: { service: 'front' }, env: {} },
    });
    await front.listen({ host: '127.0.0.1' });
    track({ close: () => front.shutdown({ graceMs: 0 }) });
    const outer = await client(registry, {});
    const relay = outer.bind(Front);

    expect(await relay.relay({ ms: 0 }, { deadlineMs: 5_000 })).toEqual({ ok: true });
    expect(seen[0]).toBeGreaterThan(0);
    expect(seen[0]).toBeLessThanOrEqual(5_000);
    // The nested call carries the outer deadline, although the inner client has no timeout: the
    // inner handler saw at most 300 ms left.
    await expect(relay.relay({ ms: 3_000 }, { deadlineMs: 300 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    expect(seen[1]).toBeGreaterThan(0);
    expect(seen[1]).toBeLessThanOrEqual(300);
  });

  it('splits calls across zones by the caller service spread (zone-aware residual routing)', async () => {
    const registry = track(new MemoryRegistry());
    const put = (service: string, id: string, zone: string, port: number) =>
      registry.register(
        { service, id, address: `127.0.0.1:${port}`, locality: { region: 'eu', zone } },
        { ttlMs: 60_000 },
      );
    // Upstreams: half in each zone. Callers: three quarters in eu-a.
    for (const [i, zone] of ['eu-a', 'eu-a', 'eu-a', 'eu-b', 'eu-b', 'eu-b'].entries())
      await put('who', `w${i}`, zone, 9000 + i);
    for (const [i, zone] of ['eu-a', 'eu-a', 'eu-a', 'eu-b'].entries())
      await put('front', `f${i}`, zone, 9100 + i);
    const c = track(
      await createClient({
        registry,
        locality: { region: 'eu', zone: 'eu-a' },
        callerService: 'front',
        env: {},
        probe: false,
      }),
    );
    await c.ready('who');
    await c.ready('front');
    const table = c.explain('who');
    expect(table.zoneAware?.callerPercent).toBeDefined();
    const share = (zone: string) =>
      table.routes
        .filter((r) => r.endpoints.some((e) => e.locality === `eu/${zone}`))
        .reduce((n, r) => n + r.share, 0);
    // Local share = upstream% / caller% = 50 / 75; the rest goes to the under-served zone.
    expect(share('eu-a')).toBeCloseTo(2 / 3, 2);
    expect(share('eu-b')).toBeCloseTo(1 / 3, 2);
  });
});
