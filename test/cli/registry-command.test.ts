import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcessGroup } from '../support/processes.js';
import { freePort } from '../support/ports.js';
import { runOnce, startRegistry } from './cli-support.js';

const group = new ProcessGroup();
afterAll(() => group.killAll());

describe('proxima registry', () => {
  it('serves the dashboard at /ui, with the registered instances in its live feed', async () => {
    const registry = await startRegistry(group, 'registry-ui', await freePort());
    await registry.process.waitForLine(/^dashboard: http:\/\/.*\/ui$/, 10_000);

    const page = await fetch(`${registry.url}/ui`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('app.js');
    expect((await fetch(`${registry.url}/ui/app.js`)).status).toBe(200);

    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${registry.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const lease = (await (await post('/v1/leases', { ttlMs: 10_000 })).json()) as { id: string };
    const registered = await post('/v1/instances', {
      lease: lease.id,
      instance: { service: 'users', id: 'u1', address: '127.0.0.1:9001' },
    });
    expect(registered.status).toBe(200);
    const feed = await fetch(`${registry.url}/ui/events`);
    const reader = (feed.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('"u1"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).toContain('"u1"');
  });

  it('says a busy port in words and exits 2', async () => {
    const port = await freePort();
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve));
    try {
      const { code, output } = await runOnce(group, 'registry-busy', ['registry', '--port', String(port)]);
      expect(code).toBe(2);
      expect(output).toContain(`port ${port} is in use; pass --port 0 for any free port`);
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });
});
