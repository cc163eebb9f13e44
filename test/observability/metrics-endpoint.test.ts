import { connect, type Socket } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { createClient, createServer } from '../../src/client/index.js';
import { clientMetrics, serveMetrics } from '../../src/observability/index.js';
import { implement } from '../../src/rpc/index.js';
import { freePort } from '../support/ports.js';
import { EchoApi } from './fleet.js';
import { parseExposition, promtoolCheck, sumOf } from './exposition.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function scrape(url: string): Promise<ReturnType<typeof parseExposition>> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const check = await promtoolCheck(text);
  expect(check.output).toBe('');
  expect(check.code).toBe(0);
  return parseExposition(text);
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('createServer({ metrics }) and serveMetrics', () => {
  it('serves server and process metrics on /metrics while listening, and counters a dashboard queries start at 0', async () => {
    const registry = new MemoryRegistry();
    closers.push(() => registry.close());
    const port = await freePort();
    const server = createServer({
      services: [implement(EchoApi, { ask: () => ({ id: 'a1' }) })],
      register: { registry, instance: { service: 'echo', id: 'a1' }, env: {} },
      metrics: { port },
    });
    closers.push(() => server.shutdown({ graceMs: 0 }));
    await server.listen({ host: '127.0.0.1', port: 0 });

    const metrics = new Registry();
    const client = await createClient({
      registry,
      env: {},
      probe: false,
      observers: [clientMetrics(metrics)],
    });
    closers.push(() => client.close());
    await client.ready('echo');
    // Before any call: the counters dashboards rate() over exist at 0.
    const before = parseExposition(await metrics.metrics());
    for (const [name, labels] of [
      ['proxima_client_retries_total', { service: 'echo', kind: 'retry' }],
      ['proxima_client_retries_total', { service: 'echo', kind: 'hedge' }],
      ['proxima_client_retry_budget_exhausted_total', { service: 'echo' }],
      ['proxima_client_ejections_total', { service: 'echo' }],
    ] as const) {
      const found = before.filter(
        (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
      );
      expect(
        found.map((s) => s.value),
        `${name} ${JSON.stringify(labels)}`,
      ).toEqual([0]);
    }
    expect(sumOf(before, 'proxima_client_retry_budget_tokens', { service: 'echo' })).toBe(10);
    const check = await promtoolCheck(await metrics.metrics());
    expect(check.output).toBe('');

    const echo = client.bind(EchoApi);
    for (let n = 0; n < 5; n++) await echo.ask({ n });
    const served = await scrape(`http://127.0.0.1:${port}/metrics`);
    expect(
      sumOf(served, 'proxima_rpc_server_calls_total', { service: 'echo', method: 'ask', code: 'OK' }),
    ).toBe(5);
    expect(sumOf(served, 'proxima_rpc_server_call_duration_seconds_count', { method: 'ask' })).toBe(5);
    expect(sumOf(served, 'proxima_rpc_server_calls_in_flight')).toBe(0);
    expect(served.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);
    const calls = await promtoolCheck(await metrics.metrics());
    expect(calls.output).toBe('');
    expect(
      sumOf(parseExposition(await metrics.metrics()), 'proxima_client_calls_total', { code: 'OK' }),
    ).toBe(5);

    await server.shutdown({ graceMs: 0 });
    // The endpoint went with the server.
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('answers 404 and 405 elsewhere, refuses connections beyond maxConnections, rejects bad options naming the field', async () => {
    const registry = new Registry();
    const endpoint = await serveMetrics(registry, { port: 0, maxConnections: 2 });
    closers.push(() => endpoint.close());
    const base = `http://127.0.0.1:${endpoint.address.port}`;
    expect((await fetch(`${base}/other`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST', body: 'x' })).status).toBe(405);

    // Two idle peers hold every slot; the third is dropped without an answer.
    const held = [await open(endpoint.address.port), await open(endpoint.address.port)];
    closers.push(async () => held.forEach((s) => s.destroy()));
    await new Promise((resolve) => setTimeout(resolve, 50)); // let the server accept both
    const third = await open(endpoint.address.port);
    const closed = await new Promise<string>((resolve) => {
      let data = '';
      third.on('data', (d: Buffer) => (data += d.toString()));
      third.once('close', () => resolve(data));
      third.write('GET /metrics HTTP/1.1\r\nhost: x\r\n\r\n');
    });
    expect(closed).toBe('');
    // Once a slot frees up, scraping works again.
    held.forEach((s) => s.destroy());
    await expect
      .poll(async () => (await fetch(`${base}/metrics`).catch(() => undefined))?.status, { timeout: 10_000 })
      .toBe(200);

    await expect(serveMetrics(registry, { port: 70_000 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('metrics.port'),
    });
    await expect(serveMetrics(registry, { port: 0, path: 'metrics' })).rejects.toMatchObject({
      message: expect.stringContaining('metrics.path'),
    });
    expect(() => createServer({ services: [], metrics: { port: -1 } })).toThrow(/server\.metrics\.port/);
  });
});
