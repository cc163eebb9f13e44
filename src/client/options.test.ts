import { describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../backends/memory/index.js';
import { createClient } from './client.js';
import type { ClientOptions } from './options.js';

describe('createClient options', () => {
  it('names the bad option', async () => {
    await using registry = new MemoryRegistry();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ failMode: 'broadcast' }, 'client.failMode'],
      [{ timeoutMs: -1 }, 'client.timeoutMs'],
      [{ probe: { intervalMs: 0 } }, 'client.probe'],
      [{ connection: { keepAlive: true } }, 'client.connection.keepAlive'],
      [{ nope: 1 }, 'client'],
      [{ locality: { zone: 'bad zone!' } }, 'locality.zone'],
      [{ budget: { maxTokens: -1 } }, 'retryBudget.maxTokens'],
      [{ routing: { panicThreshold: 2 } }, 'client.routing.panicThreshold'],
      [{ balancer: { name: 'nope' } }, 'client.routing.balancer'],
      [{ retry: { maxAttempts: 99 } }, 'client.retry.maxAttempts'],
      [{ failMode: 'failfast', hedging: { delayMs: 5 } }, 'client.hedging'],
      [{ callerService: 'no spaces' }, 'client.callerService'],
    ];
    for (const [extra, field] of cases) {
      const options = { registry, env: {}, probe: false, ...extra } as unknown as ClientOptions;
      const attempt = createClient(options).then((c) => c.call('s', 'm', {}).finally(() => c.close()));
      await expect(attempt, JSON.stringify(extra)).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
        field: expect.stringContaining(field) as unknown,
      });
    }
  });

  it('takes its locality from the environment unless given in code', async () => {
    await using registry = new MemoryRegistry();
    const env = { PROXIMA_REGION: 'eu', CLIENT_ZONE: 'eu-1' };
    await using fromEnv = await createClient({ registry, env, probe: false });
    expect(fromEnv.locality).toEqual({ region: 'eu', zone: 'eu-1', subzone: '' });
    await using inCode = await createClient({ registry, env, locality: { zone: 'eu-2' }, probe: false });
    expect(inCode.locality).toEqual({ region: 'eu', zone: 'eu-2', subzone: '' });
  });

  it('opens a registry from a URL, and rejects calls once closed', async () => {
    const client = await createClient({ registry: 'memory:', env: {}, probe: false });
    await expect(client.call('s', 'm', {}, { deadlineMs: 100 })).rejects.toMatchObject({
      code: 'NO_ENDPOINTS',
    });
    await client.close();
    await expect(client.call('s', 'm', {})).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    await expect(createClient({ registry: 'ftp://x', probe: false })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'registry',
    });
  });
});
