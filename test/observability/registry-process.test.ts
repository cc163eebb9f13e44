import { afterAll, describe, expect, it } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { freePort } from '../support/ports.js';
import { ProcessGroup } from '../support/processes.js';
import { parseExposition, promtoolCheck, sumOf } from './exposition.js';

// `proxima registry` as operators run it: /metrics on the daemon itself, scraped while a service
// is registered and watched, and valid for Prometheus.
describe('proxima registry serves /metrics', () => {
  const group = new ProcessGroup();
  afterAll(() => group.killAll());

  it('exposes registry, request and process metrics that promtool accepts', async () => {
    const port = await freePort();
    const daemon = group.proxima('registry', ['registry', '--port', String(port)]);
    await daemon.waitForLine(/registry listening on/, 20_000);
    const url = `http://127.0.0.1:${port}`;
    const client = new HttpRegistry({ url });
    try {
      const registration = await client.register({ service: 'pay', id: 'p1', address: '127.0.0.1:9100' });
      const stop = new AbortController();
      let resets = 0;
      const watching = (async () => {
        try {
          for await (const e of client.watch('pay', { signal: stop.signal }))
            if (e.type === 'reset') resets++;
        } catch {
          // aborted
        }
      })();
      await expect.poll(() => resets, { timeout: 10_000 }).toBe(1);

      const res = await fetch(`${url}/metrics`);
      const text = await res.text();
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const check = await promtoolCheck(text);
      expect(check.output).toBe('');
      expect(check.code).toBe(0);
      const samples = parseExposition(text);
      expect(sumOf(samples, 'proxima_registry_instances')).toBe(1);
      expect(sumOf(samples, 'proxima_registry_sse_connections')).toBe(1);
      expect(sumOf(samples, 'proxima_registry_http_requests_total', { route: '/v1/instances' })).toBe(1);
      expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);

      stop.abort();
      await watching;
      await registration.deregister();
    } finally {
      await client.close();
    }
    daemon.signal('SIGTERM');
    expect((await daemon.exited).code).toBe(0);
  }, 60_000);
});
