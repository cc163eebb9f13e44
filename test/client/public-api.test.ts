import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as proxima from '../../src/index.js';

const UserApi = proxima.defineService('users', {
  get: proxima.method({
    input: z.object({ id: z.string() }),
    output: z.object({ name: z.string() }),
    idempotent: true,
  }),
});

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

describe('the package entry point', () => {
  it('runs the documented example: a registered server and a typed client', async () => {
    const registry = await proxima.openRegistry('memory:');
    cleanup.push(() => registry.close());
    const server = proxima.createServer({
      services: [proxima.implement(UserApi, { get: ({ id }) => ({ name: `user ${id}` }) })],
      register: { registry, instance: { service: 'users' }, env: {} },
    });
    await server.listen({ host: '127.0.0.1' });
    cleanup.push(() => server.shutdown({ graceMs: 0 }));

    const client = await proxima.createClient({ registry, env: {}, probe: false });
    cleanup.push(() => client.close());
    const users = client.bind(UserApi);
    expect(await users.get({ id: '42' }, { deadlineMs: 2_000 })).toEqual({ name: 'user 42' });
    expect(proxima.formatRoutingTable(client.explain('users'))).toContain('users');
    await expect(client.call('users', 'get', { id: 1 })).rejects.toBeInstanceOf(proxima.ProximaError);
  });

  it('names every group of the API it documents', () => {
    for (const name of [
      'createClient',
      'createServer',
      'defineService',
      'implement',
      'shutdownOnSignals',
      'openRegistry',
      'startRegistrar',
      'startRegistryServer',
      'mountDashboard',
      'formatRoutingTable',
      'ProximaError',
    ]) {
      expect(proxima, name).toHaveProperty(name);
    }
  });
});
