import { describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../backends/memory/index.js';
import { createDiscoverer } from '../discovery/discoverer.js';
import { serviceOfOrigin } from './dispatcher.js';
import { RoutingSource } from './routing-source.js';

describe('RoutingSource', () => {
  it('shares one ServiceRoutes per service and protocol, closed with the last lease', async () => {
    await using registry = new MemoryRegistry();
    await registry.register({ service: 'users', id: 'g1', address: '127.0.0.1:9001', protocol: 'grpc' });
    await registry.register({ service: 'users', id: 'h1', address: '127.0.0.1:9002', protocol: 'http' });
    await using source = await RoutingSource.open({ registry, probe: false, env: {} }, 'test', {});
    const a = source.acquire('users', 'grpc');
    const b = source.acquire('users', 'grpc');
    const http = source.acquire('users', 'http');
    expect(a.routes).toBe(b.routes);
    expect(http.routes).not.toBe(a.routes);
    expect((await a.routes.ready()).map((i) => i.id)).toEqual(['g1']);
    expect((await http.routes.ready()).map((i) => i.id)).toEqual(['h1']);
    a[Symbol.dispose]();
    a[Symbol.dispose]();
    expect(source.peek('users', 'grpc')).toBe(b.routes);
    b[Symbol.dispose]();
    expect(source.peek('users', 'grpc')).toBeUndefined();
    http[Symbol.dispose]();
  });

  it('uses a given discoverer without closing it, and its locality unless told otherwise', async () => {
    await using registry = new MemoryRegistry();
    await using discoverer = createDiscoverer({
      registry,
      locality: { region: 'eu', zone: 'eu-a' },
      env: {},
    });
    const source = await RoutingSource.open({ discoverer, probe: false }, 'test', {});
    expect(source.locality).toMatchObject({ region: 'eu', zone: 'eu-a' });
    await source.close();
    using subscription = discoverer.subscribe('users');
    expect(subscription.service).toBe('users');
    const other = await RoutingSource.open({ discoverer, locality: { region: 'us' } }, 'test', {});
    expect(other.locality.region).toBe('us');
    await other.close();
  });

  it('names the bad option', async () => {
    await using registry = new MemoryRegistry();
    await expect(
      RoutingSource.open({ registry, probe: { intervalMs: -1 } }, 'grpc', {}),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'grpc.probe.intervalMs',
    });
    await expect(
      RoutingSource.open({ registry, locality: { zone: 'a b' } }, 'grpc', {}),
    ).rejects.toMatchObject({
      field: 'grpc.locality.zone',
    });
    const source = await RoutingSource.open({ registry, env: {} }, 'grpc', {});
    await source.close();
    expect(() => source.acquire('users', 'grpc')).toThrow(/closed/);
  });
});

describe('serviceOfOrigin', () => {
  it('reads the service from http://service origins', () => {
    expect(serviceOfOrigin('http://users')).toBe('users');
    expect(serviceOfOrigin(new URL('http://users.internal:8080'))).toBe('users.internal');
  });

  it('refuses other schemes and hosts that are not service names', () => {
    expect(() => serviceOfOrigin('https://users')).toThrow(/origin/);
    expect(() => serviceOfOrigin('not a url')).toThrow(/origin/);
    expect(() => serviceOfOrigin(undefined)).toThrow(/origin/);
  });
});
