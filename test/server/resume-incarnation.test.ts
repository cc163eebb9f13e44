import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { FakeClock } from '../../src/core/testing/fake-clock.js';
import type { WatchEvent } from '../../src/registry/registry.js';
import { startRegistryServer, type RegistryServer } from '../../src/server/index.js';

/**
 * Issue 12, defect 1: a watch that resumes across a registry restart must never keep a stale view.
 * The servers run on fake clocks whose wall time we choose, so the test does not depend on how the
 * machine's clock moves: the restarted server's clock is earlier (an NTP step, another host), or
 * exactly the same (revisions of the two runs overlap).
 */

const HOUR = 3_600_000;
const T = Date.UTC(2026, 0, 1);
const owned: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const thing of owned.splice(0).reverse()) await thing.close();
});

async function serve(wallStart: number, port = 0): Promise<RegistryServer> {
  const server = await startRegistryServer({
    port,
    clock: new FakeClock(0, wallStart),
    logger: pino({ level: 'silent' }),
  });
  owned.push(server);
  return server;
}

function client(url: string): HttpRegistry {
  const registry = new HttpRegistry({ url, backoff: { initialMs: 10, maxMs: 50 } });
  owned.push(registry);
  return registry;
}

/** The ids a watcher believes in, folded from its events; `until` waits for a view (20 s ceiling). */
function view(registry: HttpRegistry, service: string) {
  const ids = new Set<string>();
  const events: WatchEvent[] = [];
  const controller = new AbortController();
  let wake = (): void => undefined;
  const done = (async () => {
    for await (const event of registry.watch(service, { signal: controller.signal })) {
      events.push(event);
      if (event.type === 'reset') {
        ids.clear();
        for (const i of event.instances) ids.add(i.id);
      } else if (event.type === 'upsert') ids.add(event.instance.id);
      else ids.delete(event.id);
      wake();
    }
  })();
  owned.push({ close: async () => (controller.abort(), await done) });
  const current = (): string[] => [...ids].sort();
  return {
    events,
    current,
    async until(expected: string[]): Promise<void> {
      const deadline = Date.now() + 20_000;
      while (JSON.stringify(current()) !== JSON.stringify(expected)) {
        if (Date.now() > deadline)
          throw new Error(`view ${JSON.stringify(current())}, expected ${JSON.stringify(expected)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 200);
          wake = () => (clearTimeout(timer), resolve());
        });
      }
    },
  };
}

describe('a resumed watch across a registry restart (issue 12, defect 1)', () => {
  it.each([
    ['an earlier clock (revisions of the new run are all lower)', T - HOUR],
    ['the same clock (revisions of the two runs overlap)', T],
  ])(
    'with %s, the watcher resets to the new run’s instances',
    async (_what, secondWall) => {
      const first = await serve(T);
      const w = view(client(first.url), 'phoenix');
      const old = client(first.url);
      const a = await old.register(
        { service: 'phoenix', id: 'a', address: '127.0.0.1:9001' },
        { ttlMs: HOUR },
      );
      for (const weight of [10, 20, 30]) await a.update({ weight });
      await w.until(['a']);

      await first.close();
      const second = await serve(secondWall, first.port);
      const fresh = client(second.url);
      // Five revisions on the new run: the old run's last (4) falls inside them when the clocks agree.
      const b = await fresh.register(
        { service: 'phoenix', id: 'b', address: '127.0.0.1:9002' },
        { ttlMs: HOUR },
      );
      await b.update({ weight: 50 });
      await b.update({ weight: 60 });
      const c = await fresh.register(
        { service: 'phoenix', id: 'c', address: '127.0.0.1:9003' },
        { ttlMs: HOUR },
      );
      await c.update({ weight: 70 });

      // `a` never came back: the watcher must drop it and see both instances of the new run.
      await w.until(['b', 'c']);
      expect(w.events.filter((e) => e.type === 'reset')).toHaveLength(2);
    },
    40_000,
  );

  it('a resume from a revision newer than the head gets a reset, not silence', async () => {
    const server = await serve(T);
    const registry = client(server.url);
    await registry.register({ service: 'ahead', id: 'a', address: '127.0.0.1:9001' }, { ttlMs: HOUR });
    const head = (await registry.list('ahead')).revision;
    const events: WatchEvent[] = [];
    const controller = new AbortController();
    for await (const event of registry.watch('ahead', {
      fromRevision: head + 1000,
      signal: controller.signal,
    })) {
      events.push(event);
      break;
    }
    expect(events[0]).toMatchObject({ type: 'reset', instances: [{ id: 'a' }] });
  }, 40_000);
});
