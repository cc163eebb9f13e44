import { pino, type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { createDiscoverer } from '../../src/discovery/index.js';
import { startRegistryServer, type RegistryServer } from '../../src/server/index.js';
import { eventually } from '../support/processes.js';

// The http backend reconnects inside its own watch and never throws for an outage; the discoverer
// learns of it through `onConnectivity` and must serve the last snapshot marked stale meanwhile.
describe('discoverer on the http backend', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup.length = 0;
  });

  it('marks the snapshot stale while the server is down and fresh when it is back', async () => {
    const first: RegistryServer = await startRegistryServer({ port: 0, logger: silent() });
    const port = first.port;
    const registry = new HttpRegistry({ url: first.url, backoff: { initialMs: 20, maxMs: 200 } });
    const discoverer = createDiscoverer({ registry });
    cleanup.push(async () => {
      await discoverer.close();
      await registry.close();
    });

    await registry.register({ service: 'users', id: 'u1', address: '127.0.0.1:9001' }, { ttlMs: 60_000 });
    const subscription = discoverer.subscribe('users');
    cleanup.push(async () => subscription[Symbol.dispose]());
    const ready = await discoverer.ready('users');
    expect(ready.instances.map((i) => i.id)).toEqual(['u1']);
    expect(ready.stale).toBe(false);

    await first.close();
    const stale = await eventually(() => {
      const s = discoverer.current('users');
      return s?.stale ? s : undefined;
    });
    expect(stale?.instances.map((i) => i.id)).toEqual(['u1']);

    const second = await startRegistryServer({ port, logger: silent() });
    cleanup.push(() => second.close());
    await eventually(() => discoverer.current('users')?.stale === false);
  });
});

function silent(): Logger {
  return pino({ level: 'silent' });
}
