/**
 * The `proxima-client` row of the RPC benchmark: the same echo server as the `proxima` row, called
 * through the whole client stack instead of one bare connection — discovery (a watch on an
 * in-process registry holding the server's address), the locality router, peak-EWMA P2C, the
 * failover policy with its retry budget, a client interceptor standing in for metrics hooks, and
 * the pooled connection. The difference between the two rows is what the stack costs per call.
 */
import { performance } from 'node:perf_hooks';
import { Registry } from 'prom-client';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { createClient } from '../../src/client/index.js';
import { clientMetrics } from '../../src/observability/index.js';
import type { ClientInterceptor } from '../../src/rpc/index.js';
import { EchoApi, PAYLOAD } from './echo-api.js';

/**
 * What a metrics interceptor does per attempt: time it and count the outcome (kept in memory here
 * instead of a prom-client histogram, so the row measures the hook, not the metrics library).
 */
function metricsHook(): ClientInterceptor {
  const stats = { calls: 0, failures: 0, totalMs: 0 };
  return (next) => (method, request, options) => {
    const started = performance.now();
    return next(method, request, options).then(
      (value) => {
        stats.calls++;
        stats.totalMs += performance.now() - started;
        return value;
      },
      (error: unknown) => {
        stats.failures++;
        throw error;
      },
    );
  };
}

/**
 * A client of the echo server at `host:port` through discovery, routing and policy. `hooks`: the
 * stand-in interceptor (`hook`, the `proxima-client` row), nothing (`none`), or every client metric
 * Proxima has, into a prom-client registry (`metrics`).
 */
export async function fullStackClient(
  host: string,
  port: number,
  hooks: 'hook' | 'none' | 'metrics' = 'hook',
): Promise<{ call: () => Promise<unknown>; stop: () => Promise<void> }> {
  const registry = new MemoryRegistry();
  const registration = await registry.register(
    { service: EchoApi.name, id: 'bench-server', address: `${host}:${port}` },
    { ttlMs: 3_600_000 },
  );
  const metrics = new Registry();
  const client = await createClient({
    registry,
    env: {},
    ...(hooks === 'hook' ? { interceptors: [metricsHook()] } : {}),
    ...(hooks === 'metrics' ? { observers: [clientMetrics(metrics)] } : {}),
  });
  await client.ready(EchoApi.name);
  const api = client.bind(EchoApi);
  await api.echo(PAYLOAD); // connect before the clock starts, as the other rows do
  return {
    call: () => api.echo(PAYLOAD, { deadlineMs: 5_000 }),
    stop: async () => {
      await client.close();
      await registration.deregister();
      await registry.close();
    },
  };
}
