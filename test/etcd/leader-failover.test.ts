import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdRegistry } from '../../src/backends/etcd/index.js';
import { createDiscoverer } from '../../src/discovery/index.js';
import type { RegistrarInstanceInput } from '../../src/registrar/index.js';
import { WatchRecorder } from '../../src/registry/testing/watch-recorder.js';
import { EtcdCluster, type EtcdMember } from '../support/etcd.js';
import { eventually, ProcessGroup } from '../support/processes.js';
import { RegistrarFleet } from './registrars.js';
import { eventKeys, idsOf, viewOf } from './view.js';

const TTL_MS = 3_000;
const PROCESSES = 10;
const PER_SESSION = 5;
const SERVICE = 'orders';

function instances(session: number): RegistrarInstanceInput[] {
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

  it('10 registrars × 5 instances: loses no instance or lease, the watch continues with contiguous revisions, a write right after the kill succeeds', async () => {
    const fleet = await RegistrarFleet.start(
      registrar,
      TTL_MS,
      Array.from({ length: PROCESSES }, (_, s) => instances(s)),
    );
    const watch = WatchRecorder.start(discoverer, SERVICE);
    // A real discoverer too, with self-preservation off so any disappearance would show.
    const discovery = createDiscoverer({ registry: discoverer, selfPreservation: false, env: {} });
    const subscription = discovery.subscribe(SERVICE);
    const sizes: number[] = [];
    subscription.updated(({ snapshot }) => sizes.push(snapshot.instances.length));
    // The probe writes go through the registrars' own client, under a lease of their own.
    const lease = await registrar.grant({ ttlMs: 60_000 });
    try {
      await watch.waitFor((events) => viewOf(events).size === PROCESSES * PER_SESSION, 'all 50 instances');

      // Make the member serving the discoverer's watch the leader, so the kill also cuts the watch.
      const watched = await eventually(async () => {
        for (const member of etcd.running) if ((await etcd.watchersOn(member)) > 0) return member;
        return undefined;
      });
      await etcd.moveLeader(watched as EtcdMember);
      const before = watch.events.at(-1)?.revision ?? 0;
      const leasesBefore = fleet.leaseIds();
      await eventually(() => subscription.current()?.instances.length === PROCESSES * PER_SESSION);
      const sizesBefore = sizes.length;

      const killed = await etcd.killLeader();
      expect(killed).toBe(watched);
      const started = performance.now();
      await registrar.register({ service: SERVICE, id: 'after-kill', address: '127.0.0.1:29000' }, { lease });
      // It succeeded: a call that waited for etcd's own request timeout would have failed past the
      // client's call budget. How long it took is printed below (a busy machine may be slow).
      const writeMs = performance.now() - started;

      // Keep going on two members for two TTLs, writing now and then.
      for (let k = 0; k < 5; k++) {
        await new Promise((resolve) => setTimeout(resolve, (2 * TTL_MS) / 5));
        await registrar.register(
          { service: SERVICE, id: `late-${k}`, address: `127.0.0.1:${29_001 + k}` },
          { lease },
        );
      }
      const listing = await registrar.list(SERVICE);
      expect(listing.instances).toHaveLength(PROCESSES * PER_SESSION + 6);
      await watch.waitFor((events) => (events.at(-1)?.revision ?? 0) >= listing.revision, 'the last write');

      expect(fleet.counts.lost).toBe(0);
      expect(fleet.counts.reregistered).toBe(0);
      expect(fleet.leaseIds()).toEqual(leasesBefore);
      expect(fleet.registrars.every((r) => r.state === 'registered')).toBe(true);
      expect(idsOf(viewOf(watch.events).values())).toEqual(idsOf(listing.instances));
      await eventually(() => subscription.current()?.instances.length === listing.instances.length);
      expect(Math.min(...sizes.slice(sizesBefore))).toBeGreaterThanOrEqual(PROCESSES * PER_SESSION);
      expect(subscription.current()?.stale).toBe(false);

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
          `${fleet.counts.keepAliveErrors} keep-alive errors, 0 leases lost`,
      );
    } finally {
      subscription[Symbol.dispose]();
      await discovery.close();
      await watch.stop();
      await lease.revoke();
      await fleet.close();
    }
  }, 90_000);
});
