import { afterAll } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { registryContract } from '../../src/registry/registry.contract.js';
import { ProcessGroup } from '../support/processes.js';
import { startServerProcess } from './server-process.js';

const group = new ProcessGroup();
afterAll(() => group.killAll());

registryContract(
  'http (real server process)',
  async () => {
    const server = await startServerProcess(group, { args: ['--admin'] });
    const registry = new HttpRegistry({ url: server.url });
    return {
      registry,
      connect: async () => new HttpRegistry({ url: server.url }),
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      compact: async () => {
        const response = await fetch(`${server.url}/v1/admin/compact`, { method: 'POST' });
        if (response.status !== 204) throw new Error(`compact: HTTP ${response.status}`);
      },
      close: async () => {
        await registry.close();
        await server.process.stop();
      },
    };
  },
  { ttlMs: 1000, expirySlackMs: 500 },
);
