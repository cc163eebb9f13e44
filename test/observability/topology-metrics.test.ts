import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { createClient, type Client } from '../../src/client/index.js';
import { clientMetrics, topologyMetrics } from '../../src/observability/index.js';
import { formatRoutingTable } from '../../src/routing/explain.js';
import { parseExposition, promtoolCheck, sumOf } from './exposition.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function checked(registry: Registry): Promise<ReturnType<typeof parseExposition>> {
  const text = await registry.metrics();
  const check = await promtoolCheck(text);
  expect(check.output).toBe('');
  expect(check.code).toBe(0);
  return parseExposition(text);
}

describe('proxima_topology_known', () => {
  it('is 0 for a caller without a zone and 1 with one; promtool accepts it; explain says why', async () => {
    const memory = new MemoryRegistry();
    closers.push(() => memory.close());
    const metrics = new Registry();
    const observer = clientMetrics(metrics);
    const lost: Client = await createClient({
      registry: memory,
      env: {},
      probe: false,
      observers: [observer],
    });
    closers.push(() => lost.close());
    await memory.register({
      service: 'users',
      id: 'nowhere',
      address: '127.0.0.1:9',
      locality: { region: 'eu' },
    });
    await lost.ready('users');
    expect(sumOf(await checked(metrics), 'proxima_topology_known', { role: 'client' })).toBe(0);
    const text = formatRoutingTable(lost.explain('users'));
    expect(text).toContain('topology: caller zone unknown: same-zone routing is off for this caller');
    expect(text).toContain('env: empty');
    expect(text).toContain('zone unknown for: nowhere');

    const placed = await createClient({
      registry: memory,
      env: { PROXIMA_REGION: 'eu', CLIENT_ZONE: 'eu-1' },
      probe: false,
      observers: [observer],
    });
    closers.push(() => placed.close());
    await placed.ready('users');
    expect(sumOf(await checked(metrics), 'proxima_topology_known', { role: 'client' })).toBe(1);
    expect(formatRoutingTable(placed.explain('users'))).not.toContain('topology:');

    topologyMetrics(metrics, 'service', { region: 'eu', zone: '', subzone: '' });
    const samples = await checked(metrics);
    expect(sumOf(samples, 'proxima_topology_known', { role: 'service' })).toBe(0);
  });
});
