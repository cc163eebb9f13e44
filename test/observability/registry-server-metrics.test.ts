import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { mountMetrics } from '../../src/observability/index.js';
import type { Registration, WatchEvent } from '../../src/registry/registry.js';
import { startRegistryServer, type RegistryServer } from '../../src/server/index.js';
import { parseExposition, promtoolCheck, sumOf } from './exposition.js';

const silent = pino({ level: 'silent' });

describe('promtool', () => {
  it('is really checking: it rejects a counter without _total', async () => {
    const bad = '# HELP requests Requests.\n# TYPE requests counter\nrequests 1\n';
    const check = await promtoolCheck(bad);
    expect(check.code).not.toBe(0);
    expect(check.output).toContain('_total');
  });
});

describe('GET /metrics on a running registry server', () => {
  let server: RegistryServer;
  let client: HttpRegistry;
  const registry = new Registry();
  let metrics: Disposable;

  beforeAll(async () => {
    server = await startRegistryServer({ port: 0, logger: silent, heartbeatMs: 200 });
    metrics = mountMetrics(server, registry);
    client = new HttpRegistry({ url: server.url });
  });
  afterAll(async () => {
    metrics[Symbol.dispose]();
    await client.close();
    await server.close();
  });

  async function scrape(): Promise<{ text: string; contentType: string }> {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    return { text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
  }

  it('exposes size, watchers, SSE streams, requests and keep-alives that promtool accepts', async () => {
    const registrations: Registration[] = [];
    for (const [service, id, port] of [
      ['users', 'u1', 9001],
      ['users', 'u2', 9002],
      ['orders', 'o1', 9003],
    ] as const) {
      registrations.push(
        await client.register({ service, id, address: `127.0.0.1:${port}` }, { ttlMs: 30_000 }),
      );
    }
    await registrations[0]!.keepAlive();
    await registrations[2]!.keepAlive();

    // Two live watches (SSE streams): each ends after its first reset, once told to stop.
    const stop = new AbortController();
    const seen: WatchEvent[] = [];
    const watches = ['users', 'orders'].map(async (service) => {
      try {
        for await (const event of client.watch(service, { signal: stop.signal })) seen.push(event);
      } catch {
        // aborted
      }
    });
    await expect.poll(() => seen.filter((e) => e.type === 'reset').length, { timeout: 10_000 }).toBe(2);
    const notFound = await fetch(`${server.url}/no/such/path`);
    expect(notFound.status).toBe(404);
    await notFound.text();

    const { text, contentType } = await scrape();
    expect(contentType).toContain('text/plain');
    const check = await promtoolCheck(text);
    expect(check.output).toBe('');
    expect(check.code).toBe(0);

    const samples = parseExposition(text);
    expect(sumOf(samples, 'proxima_registry_services')).toBe(2);
    expect(sumOf(samples, 'proxima_registry_instances')).toBe(3);
    expect(sumOf(samples, 'proxima_registry_leases')).toBeGreaterThanOrEqual(1);
    expect(sumOf(samples, 'proxima_registry_watchers')).toBe(2);
    expect(sumOf(samples, 'proxima_registry_sse_connections')).toBe(2);
    expect(sumOf(samples, 'proxima_registry_keepalives_total', { result: 'renewed' })).toBeGreaterThanOrEqual(
      2,
    );
    expect(
      sumOf(samples, 'proxima_registry_http_requests_total', {
        method: 'POST',
        route: '/v1/instances',
        status: '200',
      }),
    ).toBe(3);
    expect(
      sumOf(samples, 'proxima_registry_http_requests_total', { route: 'unmatched', status: '404' }),
    ).toBe(1);
    // Raw paths never become label values.
    expect(text).not.toContain('/v1/services/users/');
    expect(text).not.toContain('/no/such/path');

    stop.abort();
    await Promise.all(watches);
    await expect
      .poll(async () => sumOf(parseExposition((await scrape()).text), 'proxima_registry_sse_connections'), {
        timeout: 10_000,
      })
      .toBe(0);
    const after = parseExposition((await scrape()).text);
    expect(
      sumOf(after, 'proxima_registry_http_requests_total', {
        route: '/v1/services/:service/watch',
        status: '200',
      }),
    ).toBe(2);
    for (const r of registrations) await r.deregister();
    expect(sumOf(parseExposition((await scrape()).text), 'proxima_registry_instances')).toBe(0);
  });
});
