import { afterAll, describe, expect, it } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { isProximaError } from '../../src/core/errors.js';
import type { WatchEvent } from '../../src/registry/registry.js';
import { startRegistryServer } from '../../src/server/index.js';
import { ProcessGroup } from '../support/processes.js';
import { startServerProcess } from './server-process.js';
import { pino } from 'pino';

const group = new ProcessGroup();
afterAll(() => group.killAll());

/** Collects a watch in the background and lets a test wait for an event it expects. */
function collect(
  registry: HttpRegistry,
  service: string,
): {
  events: WatchEvent[];
  until(predicate: (e: WatchEvent) => boolean, what: string): Promise<void>;
  stop(): Promise<void>;
} {
  const events: WatchEvent[] = [];
  const controller = new AbortController();
  let wake = (): void => undefined;
  const done = (async () => {
    for await (const event of registry.watch(service, { signal: controller.signal })) {
      events.push(event);
      wake();
    }
  })();
  return {
    events,
    async until(predicate, what) {
      const deadline = Date.now() + 20_000;
      while (!events.some(predicate)) {
        if (Date.now() > deadline)
          throw new Error(`no ${what}: ${JSON.stringify(events.map((e) => e.type))}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1_000);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
    async stop() {
      controller.abort();
      await done;
    },
  };
}

describe('http backend across server failures', () => {
  it('after kill -9 and a restart on the same port: keep-alive gets LEASE_LOST, the watch resets and goes on', async () => {
    const first = await startServerProcess(group, { name: 'registry-1' });
    const client = new HttpRegistry({ url: first.url, requestTimeoutMs: 2_000, backoff: { maxMs: 500 } });
    const watcher = new HttpRegistry({ url: first.url, backoff: { maxMs: 500 } });
    const reg = await client.register(
      { service: 'phoenix', id: 'a', address: '127.0.0.1:9001' },
      { ttlMs: 30_000 },
    );
    const w = collect(watcher, 'phoenix');
    await w.until((e) => e.type === 'reset', 'first reset');
    expect(w.events[0]).toMatchObject({ type: 'reset', instances: [{ id: 'a' }] });

    await first.process.kill();
    const down = await reg.keepAlive().catch((e: unknown) => e);
    expect(isProximaError(down) && [down.code, down.retryable]).toEqual(['UNAVAILABLE', true]);
    expect(reg.lost.aborted).toBe(false);

    await startServerProcess(group, { name: 'registry-2', port: first.port });
    // The watch reconnects by itself; the new server cannot replay, so it resets to the empty set.
    await w.until((e) => e.type === 'reset' && e.instances.length === 0, 'reset after the restart');
    const lost = await reg.keepAlive().catch((e: unknown) => e);
    expect(isProximaError(lost) && lost.code).toBe('LEASE_LOST');
    expect(reg.lost.aborted).toBe(true);

    // Re-registering (what the registrar does on `lost`) shows up on the same watch.
    const again = await client.register({ service: 'phoenix', id: 'a', address: '127.0.0.1:9001' });
    await w.until((e) => e.type === 'upsert', 'upsert after re-registering');
    const revisions = w.events.map((e) => e.revision);
    expect([...revisions].sort((x, y) => x - y)).toEqual(revisions);
    await again.deregister();
    await w.stop();
    await client.close();
    await watcher.close();
  });

  it('a watch whose stream goes silent reconnects and resumes from its last revision without a reset', async () => {
    // A server that never heartbeats, and a client that gives up on silence after 300 ms.
    const server = await startRegistryServer({
      port: 0,
      logger: pino({ level: 'silent' }),
      heartbeatMs: 3_600_000,
    });
    let connects = 0;
    const match = server.router.match('GET', '/v1/services/x/watch');
    if (match.kind !== 'found') throw new Error('watch route missing');
    const original = match.route.handler;
    server.router.mount({
      ...match.route,
      handler: (ctx) => {
        connects += 1;
        return original(ctx);
      },
    });
    const registry = new HttpRegistry({ url: server.url, watchIdleTimeoutMs: 300, backoff: { maxMs: 50 } });
    const w = collect(registry, 'quiet');
    await w.until((e) => e.type === 'reset', 'reset');
    const lease = await registry.grant({ ttlMs: 30_000 });
    for (let i = 0; i < 3; i++) {
      const before = connects;
      while (connects === before) await new Promise((r) => setTimeout(r, 100));
      await registry.register({ service: 'quiet', id: `i${i}`, address: `127.0.0.1:${9000 + i}` }, { lease });
      await w.until((e) => e.type === 'upsert' && e.instance.id === `i${i}`, `upsert of i${i}`);
    }
    expect(connects).toBeGreaterThanOrEqual(4);
    expect(w.events.map((e) => e.type)).toEqual(['reset', 'upsert', 'upsert', 'upsert']);
    await w.stop();
    await registry.close();
    await server.close();
  });
});
