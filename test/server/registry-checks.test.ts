import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { startRegistryServer, type RegistryServer } from '../../src/server/index.js';
import { eventually } from '../support/processes.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function app(
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; address: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function registry(checks: NonNullable<Parameters<typeof startRegistryServer>[0]>['checks']): Promise<{
  server: RegistryServer;
  client: HttpRegistry;
}> {
  const server = await startRegistryServer({
    port: 0,
    logger: pino({ level: 'silent' }),
    ...(checks ? { checks } : {}),
  });
  const client = new HttpRegistry({ url: server.url });
  closers.push(() => server.close());
  closers.push(() => client.close());
  return { server, client };
}

describe('registry-side checks', () => {
  it('are off by default: a dead address stays UP while a checking registry marks it DOWN', async () => {
    const { client } = await registry(undefined);
    const checking = await registry({ intervalMs: 100, timeoutMs: 200 });
    for (const c of [client, checking.client])
      await c.register({ service: 's', id: 'dead', address: '127.0.0.1:1' }, { ttlMs: 30_000 });
    await eventually(async () => (await checking.client.list('s')).instances[0]?.status === 'DOWN', 10_000);
    expect((await client.list('s')).instances[0]?.status).toBe('UP');
  });

  it('mark an instance DOWN after 3 missed HTTP checks and UP after 2 passes; TCP for the rest', async () => {
    let healthy = true;
    const web = await app((req, res) => res.writeHead(req.url === '/healthz' && healthy ? 200 : 500).end());
    const tcp = await app((_req, res) => res.end());
    const { client } = await registry({ intervalMs: 100, timeoutMs: 200 });
    await client.register(
      { service: 's', id: 'web', address: web.address, metadata: { 'proxima.check': '/healthz' } },
      { ttlMs: 30_000 },
    );
    await client.register({ service: 's', id: 'tcp', address: tcp.address }, { ttlMs: 30_000 });
    const status = async (id: string): Promise<string | undefined> =>
      (await client.list('s')).instances.find((i) => i.id === id)?.status;

    healthy = false;
    await eventually(async () => (await status('web')) === 'DOWN', 10_000);
    expect(await status('tcp')).toBe('UP');
    healthy = true;
    await eventually(async () => (await status('web')) === 'UP', 10_000);

    tcp.server.closeAllConnections();
    await new Promise<void>((resolve) => tcp.server.close(() => resolve()));
    await eventually(async () => (await status('tcp')) === 'DOWN', 10_000);
    expect((await client.list('s')).instances).toHaveLength(2); // listed, not routed
  });

  it('keep at most `concurrency` checks in flight', async () => {
    let open = 0;
    let peak = 0;
    const slow = await app((_req, res) => {
      open++;
      peak = Math.max(peak, open);
      res.on('close', () => open--);
      // Never answers: each check runs until its timeout.
    });
    const { client } = await registry({ intervalMs: 100, timeoutMs: 150, concurrency: 3 });
    for (let i = 0; i < 12; i++) {
      await client.register(
        { service: 'many', id: `i${i}`, address: slow.address, metadata: { 'proxima.check': '/' } },
        { ttlMs: 30_000 },
      );
    }
    await eventually(
      async () => (await client.list('many')).instances.every((i) => i.status === 'DOWN'),
      20_000,
    );
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(3);
  });

  it('name a bad option before listening', async () => {
    await expect(
      startRegistryServer({ port: 0, logger: pino({ level: 'silent' }), checks: { intervalMs: 1 } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'options.checks.intervalMs' });
  });
});
