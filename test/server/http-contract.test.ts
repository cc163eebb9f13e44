import { afterAll } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { registryContract } from '../../src/registry/registry.contract.js';
import { ProcessGroup } from '../support/processes.js';
import { startServerProcess } from './server-process.js';

const group = new ProcessGroup();
afterAll(() => group.killAll());

// Real time on a shared 2-core machine: a 3 s TTL leaves keep-alives (every TTL/3) and the bursts of
// concurrent registrations in the suite a wide margin even when the machine is loaded.
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
  { ttlMs: 3000, expirySlackMs: 1000 },
);
