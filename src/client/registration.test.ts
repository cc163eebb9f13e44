import { describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../backends/memory/index.js';
import { registerOnListen } from './registration.js';

const noInterfaces = () => ({ eth0: [{ address: '10.1.2.3', family: 'IPv4', internal: false }] }) as never;

describe('registerOnListen', () => {
  it('registers the bound address, marks DRAINING, then deregisters', async () => {
    await using registry = new MemoryRegistry();
    const hook = registerOnListen({ registry, instance: { service: 'users' }, env: {} });
    await hook.register?.({ host: '127.0.0.1', port: 7100 });
    expect((await registry.list('users')).instances).toMatchObject([
      { id: '127.0.0.1:7100', address: '127.0.0.1:7100', status: 'UP' },
    ]);
    await hook.drain();
    expect((await registry.list('users')).instances).toMatchObject([{ status: 'DRAINING' }]);
    await hook.deregister?.();
    expect((await registry.list('users')).instances).toEqual([]);
  });

  it('writes DRAINING once on shutdown: one revision, one watch event (drain, then deregister)', async () => {
    await using registry = new MemoryRegistry();
    const hook = registerOnListen({ registry, instance: { service: 'users' }, env: {} });
    await hook.register?.({ host: '127.0.0.1', port: 7100 });
    const from = (await registry.list('users')).revision + 1;
    await hook.drain();
    await hook.deregister?.();
    const seen: string[] = [];
    const controller = new AbortController();
    for await (const event of registry.watch('users', { fromRevision: from, signal: controller.signal })) {
      seen.push(event.type === 'upsert' ? `upsert:${event.instance.status}` : event.type);
      if (event.type === 'delete') break;
    }
    expect(seen).toEqual(['upsert:DRAINING', 'delete']);
  });

  it('advertises a detected address for a wildcard listener, and an explicit one as given', async () => {
    await using registry = new MemoryRegistry();
    const wildcard = registerOnListen({
      registry,
      instance: { service: 'a', locality: { zone: 'z1' } },
      env: {},
      networkInterfaces: noInterfaces,
    });
    await wildcard.register?.({ host: '0.0.0.0', port: 7200 });
    const explicit = registerOnListen({
      registry,
      instance: { service: 'b', address: 'users.internal:443', id: 'b-1' },
      env: {},
    });
    await explicit.register?.({ host: '127.0.0.1', port: 7300 });
    expect((await registry.list('a')).instances).toMatchObject([
      { address: '10.1.2.3:7200', locality: { zone: 'z1' } },
    ]);
    expect((await registry.list('b')).instances).toMatchObject([
      { id: 'b-1', address: 'users.internal:443' },
    ]);
    await wildcard.deregister?.();
    await explicit.deregister?.();
  });

  it('does nothing on drain when it never registered', async () => {
    const hook = registerOnListen({ registry: 'memory:', instance: { service: 'a' }, env: {} });
    await hook.drain();
    await hook.deregister?.();
    expect(hook.registrar).toBeUndefined();
  });
});
