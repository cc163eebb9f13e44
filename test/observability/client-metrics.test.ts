import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { createClient, type Client } from '../../src/client/index.js';
import { ProximaError } from '../../src/core/index.js';
import { clientMetrics, serverMetrics } from '../../src/observability/index.js';
import type { RpcServer } from '../../src/rpc/index.js';
import { EchoApi, startEcho } from './fleet.js';
import { parseExposition, promtoolCheck, sumOf } from './exposition.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function ownServer(server: RpcServer): RpcServer {
  closers.push(() => server.shutdown({ graceMs: 0 }));
  return server;
}

async function ownClient(client: Promise<Client>): Promise<Client> {
  const c = await client;
  closers.push(() => c.close());
  return c;
}

async function checked(registry: Registry): Promise<ReturnType<typeof parseExposition>> {
  const text = await registry.metrics();
  const check = await promtoolCheck(text);
  expect(check.output).toBe('');
  expect(check.code).toBe(0);
  return parseExposition(text);
}

describe('client and RPC metrics after real calls', () => {
  it('count calls, attempts, retries, picks by zone and ejections, and promtool accepts them', async () => {
    const registry = new MemoryRegistry();
    closers.push(() => registry.close());
    const serverRegistry = new Registry();
    const served = serverMetrics(serverRegistry);
    const unavailable = (): Promise<void> =>
      Promise.reject(new ProximaError('UNAVAILABLE', 'flaky on purpose'));
    ownServer(
      await startEcho(registry, { id: 'a1', locality: { region: 'eu', zone: 'eu-a' }, before: unavailable }, [
        served,
      ]),
    );
    ownServer(await startEcho(registry, { id: 'a2', locality: { region: 'eu', zone: 'eu-a' } }, [served]));
    ownServer(await startEcho(registry, { id: 'b1', locality: { region: 'eu', zone: 'eu-b' } }, [served]));
    ownServer(await startEcho(registry, { id: 'u1', locality: { region: 'us', zone: 'us-a' } }, [served]));

    const clientRegistry = new Registry();
    const client = await ownClient(
      createClient({
        registry,
        locality: { region: 'eu', zone: 'eu-a' },
        env: {},
        probe: false,
        // Round robin keeps sending to the flaky instance until outlier detection ejects it.
        balancer: { name: 'round-robin' },
        observers: [clientMetrics(clientRegistry)],
      }),
    );
    await client.ready('echo');
    const echo = client.bind(EchoApi);
    const CALLS = 100;
    let failed = 0;
    for (let n = 0; n < CALLS; n++) {
      await echo.ask({ n }).catch(() => failed++);
    }

    const c = await checked(clientRegistry);
    const s = await checked(serverRegistry);
    const echoCalls = { service: 'echo', method: 'ask' };
    expect(sumOf(c, 'proxima_client_calls_total', echoCalls)).toBe(CALLS);
    expect(sumOf(c, 'proxima_client_calls_total', { ...echoCalls, code: 'OK' })).toBe(CALLS - failed);
    expect(sumOf(c, 'proxima_client_call_duration_seconds_count', echoCalls)).toBe(CALLS);

    const attempts = sumOf(c, 'proxima_client_attempts_total', { service: 'echo' });
    expect(sumOf(c, 'proxima_client_attempts_total', { kind: 'first' })).toBe(CALLS);
    const retries = sumOf(c, 'proxima_client_retries_total', { service: 'echo', kind: 'retry' });
    expect(retries).toBeGreaterThanOrEqual(1);
    expect(attempts).toBe(CALLS + retries);
    // Every attempt was a pick, and went over the wire once.
    expect(sumOf(c, 'proxima_client_picks_total', { service: 'echo' })).toBe(attempts);
    expect(sumOf(c, 'proxima_rpc_client_calls_total', echoCalls)).toBe(attempts);
    expect(
      sumOf(c, 'proxima_client_picks_total', {
        caller_zone: 'eu-a',
        endpoint_zone: 'eu-a',
        scope: 'same-zone',
      }),
    ).toBeGreaterThan(0);

    // With the flaky instance out, eu-a holds half its endpoints: 1.4 × 50% = 70% stays, 30% spills
    // to eu-b (P(no spill in ~90 calls) = 0.7^90).
    expect(
      sumOf(c, 'proxima_client_picks_total', { endpoint_zone: 'eu-b', scope: 'same-region' }),
    ).toBeGreaterThan(0);
    // The flaky instance got ejected once, and is still out.
    expect(sumOf(c, 'proxima_client_ejections_total', { service: 'echo' })).toBe(1);
    expect(sumOf(c, 'proxima_client_endpoints_ejected', { service: 'echo' })).toBe(1);
    expect(sumOf(c, 'proxima_client_endpoints', { service: 'echo', state: 'ejected' })).toBe(1);
    expect(sumOf(c, 'proxima_client_endpoints', { service: 'echo' })).toBe(4);

    // Server side: what the wire carried, from the servers' view.
    const unavailableAttempts = sumOf(c, 'proxima_client_attempts_total', { code: 'UNAVAILABLE' });
    expect(sumOf(s, 'proxima_rpc_server_calls_total', { ...echoCalls, code: 'UNAVAILABLE' })).toBe(
      unavailableAttempts,
    );
    expect(sumOf(s, 'proxima_rpc_server_calls_total', { ...echoCalls, code: 'OK' })).toBe(CALLS - failed);
    expect(sumOf(s, 'proxima_rpc_server_calls_in_flight')).toBe(0);
    // Broadcasts count as one logical call, one attempt per instance; a call to a service with no
    // instances fails with its code.
    await client.broadcast('echo', 'ask', { n: 0 }).catch(() => undefined);
    await expect(client.call('nobody', 'ask', {}, { deadlineMs: 200 })).rejects.toBeDefined();
    const after = parseExposition(await clientRegistry.metrics());
    expect(sumOf(after, 'proxima_client_calls_total', { service: 'echo', method: 'ask' })).toBe(CALLS + 1);
    expect(sumOf(after, 'proxima_client_attempts_total', { kind: 'broadcast' })).toBeGreaterThanOrEqual(3);
    const nobody = after.filter(
      (x) => x.name === 'proxima_client_calls_total' && x.labels.service === 'nobody',
    );
    expect(nobody.map((x) => [x.labels.code, x.value])).toHaveLength(1);
    expect(nobody[0]?.labels.code).not.toBe('OK');
    // No instance ids unless asked for.
    expect(c.some((x) => Object.values(x.labels).includes('a1'))).toBe(false);
  });

  it('counts hedged requests by kind', async () => {
    const registry = new MemoryRegistry();
    closers.push(() => registry.close());
    let slowCalls = 0;
    const slow = async (): Promise<void> => {
      slowCalls++;
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    ownServer(
      await startEcho(registry, { id: 'slow', locality: { region: 'eu', zone: 'eu-a' }, before: slow }, []),
    );
    ownServer(await startEcho(registry, { id: 'fast', locality: { region: 'eu', zone: 'eu-a' } }, []));
    const metrics = new Registry();
    const client = await ownClient(
      createClient({
        registry,
        locality: { region: 'eu', zone: 'eu-a' },
        env: {},
        probe: false,
        // Round robin makes every other call try the slow instance first (peak-EWMA would learn to avoid it).
        balancer: { name: 'round-robin' },
        hedging: { delayMs: 20, maxAttempts: 2 },
        observers: [clientMetrics(metrics, { perEndpoint: true })],
      }),
    );
    await client.ready('echo');
    const echo = client.bind(EchoApi);
    for (let n = 0; n < 20; n++) expect((await echo.ask({ n })).id).toBeTypeOf('string');

    const c = await checked(metrics);
    const hedges = sumOf(c, 'proxima_client_retries_total', { service: 'echo', kind: 'hedge' });
    // Every call that went to the slow instance first was hedged to the fast one.
    expect(hedges).toBeGreaterThanOrEqual(5);
    expect(hedges).toBe(sumOf(c, 'proxima_client_attempts_total', { kind: 'hedge' }));
    expect(sumOf(c, 'proxima_client_calls_total', { code: 'OK' })).toBe(20);
    expect(slowCalls).toBeGreaterThanOrEqual(hedges);
    // Opted in: per-endpoint series carry instance ids.
    expect(sumOf(c, 'proxima_client_endpoint_pending', { endpoint: 'fast' })).toBe(0);
    expect(
      c.some(
        (x) => x.name === 'proxima_client_endpoint_latency_ewma_seconds' && x.labels.endpoint === 'slow',
      ),
    ).toBe(true);
  });
});
