import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { createServer } from '../../src/client/index.js';
import type { RpcServer } from '../../src/rpc/index.js';
import { eventually } from '../support/processes.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('createServer({ register: { check } })', () => {
  it('marks the served instance DOWN while its own check fails, UP once it passes again', async () => {
    const registry = new MemoryRegistry();
    closers.push(() => registry.close());
    let healthy = true;
    const server: RpcServer = createServer({
      services: [],
      register: {
        registry,
        instance: { service: 'users', locality: { region: 'eu', zone: 'eu-1' } },
        env: {},
        check: {
          target: () => (healthy ? Promise.resolve() : Promise.reject(new Error('database unreachable'))),
          intervalMs: 50,
        },
      },
    });
    await server.listen({ host: '127.0.0.1' });
    closers.push(() => server.shutdown({ graceMs: 0 }));
    const status = async (): Promise<string | undefined> =>
      (await registry.list('users')).instances[0]?.status;
    expect(await status()).toBe('UP');
    healthy = false;
    await eventually(async () => (await status()) === 'DOWN', 10_000);
    healthy = true;
    await eventually(async () => (await status()) === 'UP', 10_000);
  });
});
