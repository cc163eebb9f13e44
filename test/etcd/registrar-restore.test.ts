import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/clock.js';
import type { InstanceLossEvent } from '../../src/registrar/events.js';
import { startRegistrar } from '../../src/registrar/index.js';
import { OutageRegistry } from '../../src/registrar/testing/outage-registry.js';
import { openRegistry } from '../../src/backends/open.js';
import { EtcdCluster } from '../support/etcd.js';
import { eventually, ProcessGroup } from '../support/processes.js';

const run = promisify(execFile);

async function etcdctl(endpoint: string, ...args: string[]): Promise<string[]> {
  const { stdout } = await run('etcdctl', ['--endpoints', endpoint, ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
    timeout: 10_000,
  });
  return stdout.split('\n').filter((line) => line !== '');
}

/**
 * Issue 9, item 5 on etcd: a key deleted (or overwritten under another lease) by anyone with etcd
 * access is noticed at the next keep-alive (LeaseTimeToLive lists the lease's keys) and put back.
 */
describe('etcd backend: a registrar restores an instance removed behind its back', () => {
  const group = new ProcessGroup();
  let etcd: EtcdCluster;

  beforeAll(async () => {
    etcd = await EtcdCluster.start(group);
  });

  afterAll(async () => {
    await etcd?.stop();
    await group.killAll();
  });

  it('etcdctl del of the instance key: restored by the next keep-alive under the same lease', async () => {
    const live = etcd.endpoints[0] as string;
    await using registry = await openRegistry(etcd.url('/restore'));
    const outage = new OutageRegistry(registry, systemClock);
    await using registrar = await startRegistrar({
      registry: outage,
      instance: { service: 'billing', id: 'b1', address: '127.0.0.1:24000' },
      ttlMs: 3_000,
      env: {},
    });
    const losses: InstanceLossEvent[] = [];
    registrar.onInstanceLost((event) => losses.push(event));
    const lease = registrar.leaseId;

    await etcdctl(live, 'del', '/restore/services/billing/b1');
    const callsAtRemoval = outage.calls.length;
    await eventually(() => losses.length > 0, 20_000);
    expect(losses[0]).toMatchObject({ restored: true, instance: { id: 'b1' } });
    expect(outage.calls.slice(callsAtRemoval, callsAtRemoval + 2).map((c) => c.op)).toEqual([
      'keepAlive',
      'register',
    ]);
    expect(registrar.leaseId).toBe(lease);
    expect((await registry.list('billing')).instances.map((i) => i.address)).toEqual(['127.0.0.1:24000']);
  });
});
