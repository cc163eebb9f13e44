import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdRegistry } from '../../src/backends/etcd/index.js';
import type { InstanceInput } from '../../src/core/instance.js';
import type { Lease } from '../../src/registry/registry.js';
import { WatchRecorder } from '../../src/registry/testing/watch-recorder.js';
import { EtcdCluster, type EtcdMember } from '../support/etcd.js';
import { eventually, ProcessGroup } from '../support/processes.js';
import { SessionDriver } from './session-driver.js';
import { eventKeys, idsOf, viewOf } from './view.js';

const TTL_MS = 3_000;
const SESSIONS = 10;
const PER_SESSION = 5;
const SERVICE = 'orders';

function instances(session: number): InstanceInput[] {
  return Array.from({ length: PER_SESSION }, (_, k) => ({
    service: SERVICE,
    id: `s${session}-i${k}`,
    address: `127.0.0.1:${20_000 + session * 10 + k}`,
  }));
}

describe('etcd backend: SIGKILL of the leader of a 3-member cluster', () => {
  const group = new ProcessGroup();
  let etcd: EtcdCluster;
  let registrar: EtcdRegistry;
  let discoverer: EtcdRegistry;

  beforeAll(async () => {
    // A short election timeout makes the new leader appear within about a second.
    etcd = await EtcdCluster.start(group, { members: 3, heartbeatMs: 50, electionMs: 500 });
    registrar = new EtcdRegistry({ endpoints: etcd.endpoints, prefix: '/failover' });
    discoverer = new EtcdRegistry({ endpoints: etcd.endpoints, prefix: '/failover' });
  });

  afterAll(async () => {
    await registrar?.close();
    await discoverer?.close();
    await etcd?.stop();
    await group.killAll();
  });

  it('loses no instance or lease, the watch continues with contiguous revisions, a write right after the kill takes < 2 s', async () => {
    const driver = await SessionDriver.start(
      registrar,
      TTL_MS,
      Array.from({ length: SESSIONS }, (_, s) => instances(s)),
    );
    const watch = WatchRecorder.start(discoverer, SERVICE);
    try {
      await watch.waitFor((events) => viewOf(events).size === SESSIONS * PER_SESSION, 'all 50 instances');

      // Make the member serving the discoverer's watch the leader, so the kill also cuts the watch.
      const watched = await eventually(async () => {
        for (const member of etcd.running) if ((await etcd.watchersOn(member)) > 0) return member;
        return undefined;
      });
      await etcd.moveLeader(watched as EtcdMember);
      const before = watch.events.at(-1)?.revision ?? 0;
      const keepAlivesBefore = driver.counts.keepAlives;

      const killed = await etcd.killLeader();
      expect(killed).toBe(watched);
      const started = performance.now();
      const lease = driver.currentLeases[0] as Lease;
      await registrar.register({ service: SERVICE, id: 'after-kill', address: '127.0.0.1:29000' }, { lease });
      const writeMs = performance.now() - started;
      expect(writeMs).toBeLessThan(2_000);

      // Keep going on two members for two TTLs, writing now and then.
      for (let k = 0; k < 5; k++) {
        await new Promise((resolve) => setTimeout(resolve, (2 * TTL_MS) / 5));
        await registrar.register(
          { service: SERVICE, id: `late-${k}`, address: `127.0.0.1:${29_001 + k}` },
          { lease },
        );
      }
      const listing = await registrar.list(SERVICE);
      expect(listing.instances).toHaveLength(SESSIONS * PER_SESSION + 6);
      await watch.waitFor((events) => (events.at(-1)?.revision ?? 0) >= listing.revision, 'the last write');

      expect(driver.counts.lost).toBe(0);
      expect(driver.currentLeases.every((l) => !l.lost.aborted)).toBe(true);
      expect(driver.counts.keepAlives - keepAlivesBefore).toBeGreaterThanOrEqual(SESSIONS * 4);
      expect(idsOf(viewOf(watch.events).values())).toEqual(idsOf(listing.instances));

      const after = watch.events.filter((e) => e.revision > before);
      expect(after.filter((e) => e.type !== 'upsert')).toEqual([]);
      const keys = eventKeys(after);
      expect(new Set(keys).size).toBe(keys.length);
      const revisions = [...new Set(after.map((e) => e.revision))];
      expect(revisions).toEqual(Array.from({ length: listing.revision - before }, (_, k) => before + 1 + k));

      // The killed member comes back and catches up; the watch still sees every write.
      await etcd.restart(killed);
      await registrar.register(
        { service: SERVICE, id: 'after-restart', address: '127.0.0.1:29010' },
        { lease },
      );
      await watch.waitFor((events) => viewOf(events).has('after-restart'), 'the write after the restart');
      expect(watch.error).toBeUndefined();
      console.info(
        `etcd leader failover: write after SIGKILL took ${Math.round(writeMs)} ms; ` +
          `${driver.counts.keepAlives - keepAlivesBefore} keep-alives ok, ${driver.counts.keepAliveFailures} failed, 0 leases lost`,
      );
    } finally {
      await watch.stop();
      await driver.close();
    }
  }, 90_000);
});
