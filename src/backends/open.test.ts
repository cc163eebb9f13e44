import { describe, expect, it } from 'vitest';
import { isProximaError } from '../core/errors.js';
import { MemoryRegistry } from './memory/index.js';
import { DEFAULT_REGISTRY_URL, openRegistry, registrySchemes, registryUrlFromEnv } from './open.js';

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('openRegistry', () => {
  it('opens a new, empty in-process registry for every memory: URL', async () => {
    const one = await openRegistry('memory:');
    const two = await openRegistry('memory:');
    expect(one).toBeInstanceOf(MemoryRegistry);
    expect(one.url).toBe('memory:');
    await one.register({ service: 'users', id: 'a', address: '127.0.0.1:9000' }, { ttlMs: 60_000 });
    expect((await two.list('users')).instances).toEqual([]);
    await one.close();
    await two.close();
  });

  it('rejects unknown schemes and non-URLs naming `registry`', async () => {
    for (const url of ['ftp://127.0.0.1:21', 'not a url', '', 'consul://x']) {
      const error = await errorOf(openRegistry(url));
      expect(isProximaError(error) && [error.code, error.field]).toEqual(['INVALID_ARGUMENT', 'registry']);
    }
    expect(registrySchemes()).toContain('memory:');
  });
});

describe('registryUrlFromEnv', () => {
  it('reads PROXIMA_REGISTRY, defaulting to the local registry server', () => {
    expect(registryUrlFromEnv({})).toBe(DEFAULT_REGISTRY_URL);
    expect(registryUrlFromEnv({ PROXIMA_REGISTRY: '  ' })).toBe('http://127.0.0.1:7070');
    expect(registryUrlFromEnv({ PROXIMA_REGISTRY: 'memory:' })).toBe('memory:');
  });
});
