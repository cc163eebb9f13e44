import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { createClient, createServer } from '../../src/client/index.js';
import { type FakeMetadataServer, startFakeGcp } from '../../src/topology/testing/fake-metadata.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('createServer({ register }) and createClient find their zone through the topology lookup', () => {
  it('from a fake GCE metadata server on loopback', async () => {
    const gcp: FakeMetadataServer = await startFakeGcp({ project: '31', zone: 'europe-west1-d' });
    closers.push(() => gcp.close());
    const registry = new MemoryRegistry();
    closers.push(() => registry.close());
    const env = { GCE_METADATA_HOST: gcp.host };

    const server = createServer({
      services: [],
      register: { registry, instance: { service: 'users' }, env, topology: { cache: false } },
    });
    await server.listen({ host: '127.0.0.1' });
    closers.push(() => server.shutdown({ graceMs: 0 }));
    const [instance] = (await registry.list('users')).instances;
    expect(instance?.locality).toEqual({ region: 'europe-west1', zone: 'europe-west1-d', subzone: '' });

    const client = await createClient({ registry, env, probe: false, topology: { cache: false } });
    closers.push(() => client.close());
    expect(client.locality).toEqual({ region: 'europe-west1', zone: 'europe-west1-d', subzone: '' });
    expect(client.topology.sources.find((s) => s.source === 'gcp')?.answer.kind).toBe('found');
    await client.ready('users');
    expect(client.explain('users').topology).toBeUndefined();
    expect(gcp.requests).toHaveLength(2);
  });
});
