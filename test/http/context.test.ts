import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { createProximaDispatcher } from '../../src/http/index.js';
import { startWhoHttp } from './who-http.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// What OpenTelemetry's undici instrumentation does: read the active context when undici creates
// each request (`undici:request:create`). A retry starts from a socket callback; the dispatcher
// must still run it in the caller's context.
describe('the HTTP dispatcher keeps the caller’s async context', () => {
  it('on every attempt, a retry after a reused connection broke included', async () => {
    const registry = new MemoryRegistry();
    cleanups.push(() => registry.close());
    const locality = { region: 'eu', zone: 'eu-a' };
    const a = await startWhoHttp('a');
    const b = await startWhoHttp('b');
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    for (const s of [a, b]) {
      await registry.register(
        { service: 'who', id: s.id, address: s.address, protocol: 'http', locality },
        { ttlMs: 60_000 },
      );
    }
    const dispatcher = await createProximaDispatcher({
      registry,
      locality,
      probe: false,
      // Round robin: every other request tries the crashing instance first, then retries.
      balancer: { name: 'round-robin' },
    });
    cleanups.push(() => dispatcher.close());
    const store = new AsyncLocalStorage<string>();
    const get = (path: string): Promise<{ id: string }> =>
      request(`http://who${path}`, { dispatcher }).then((res) => res.body.json() as Promise<{ id: string }>);

    // Keep-alive connections to both instances, opened in another context.
    await store.run('warm-up', async () => {
      for (let n = 0; n < 4; n++) await get('/who');
    });

    const seen: Array<{ origin: string; store: string | undefined }> = [];
    const onCreate = (message: unknown): void => {
      const origin = String((message as { request: { origin: string } }).request.origin);
      seen.push({ origin, store: store.getStore() });
    };
    subscribe('undici:request:create', onCreate);
    cleanups.push(() => unsubscribe('undici:request:create', onCreate));
    a.crashing = true; // a destroys the connection of every /crash request
    for (let n = 0; n < 4; n++) {
      expect((await store.run(`request-${n}`, () => get('/crash'))).id).toBe('b');
    }
    const retried = seen.length - 4;
    expect(retried).toBeGreaterThanOrEqual(1);
    // Each attempt ran in its own request's context: the retries after a broken connection too.
    const toA = (s: { origin: string }): boolean => s.origin === `http://${a.address}`;
    expect(
      seen.every((s) => s.store !== undefined && /^request-\d$/.test(s.store)),
      JSON.stringify(seen),
    ).toBe(true);
    for (let i = 0; i < seen.length; i++) {
      if (toA(seen[i]!)) expect(seen[i + 1]?.store, JSON.stringify(seen)).toBe(seen[i]!.store);
    }
  });
});
