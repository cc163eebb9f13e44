import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdRegistry } from '../../src/backends/etcd/index.js';
import type { RegistrarInstanceInput } from '../../src/registrar/index.js';
import { WatchRecorder } from '../../src/registry/testing/watch-recorder.js';
import { EtcdCluster } from '../support/etcd.js';
import { eventually, ProcessGroup } from '../support/processes.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { RegistrarFleet } from './registrars.js';
import { eventKeys, idsOf, viewOf } from './view.js';

const TTL_MS = 2_000;
const SERVICE = 'payments';
const SESSIONS = 4;
const PER_SESSION = 5;

function instances(session: number): RegistrarInstanceInput[] {
  return Array.from({ length: PER_SESSION }, (_, k) => ({
    service: SERVICE,
    id: `p${session}-${k}`,
    address: `127.0.0.1:${21_000 + session * 10 + k}`,
  }));
}

describe('etcd backend: a partition longer than the TTL (TCP proxy paused)', () => {
  const group = new ProcessGroup();
  let etcd: EtcdCluster;
  let proxy: TcpProxy;

  beforeAll(async () => {
    etcd = await EtcdCluster.start(group);
    proxy = await TcpProxy.start(etcd.endpoints[0] as string);
  });

  afterAll(async () => {
    await proxy?.close();
    await etcd?.stop();
    await group.killAll();
  });

  it('4 registrars × 5 instances come back by re-registration on their own, and both discoverers converge', async () => {
    // The service side and one discoverer sit behind the proxy; another discoverer talks to etcd directly.
    const behind = new EtcdRegistry({
      endpoints: [proxy.endpoint],
      prefix: '/partition',
      watchProbeMs: 1_000,
      callTimeoutMs: 2_000,
    });
    const direct = new EtcdRegistry({ endpoints: etcd.endpoints, prefix: '/partition' });
    const fleet = await RegistrarFleet.start(
      behind,
      TTL_MS,
      Array.from({ length: SESSIONS }, (_, s) => instances(s)),
    );
    const total = SESSIONS * PER_SESSION;
    const near = WatchRecorder.start(direct, SERVICE);
    const connectivity: boolean[] = [];
    const far = WatchRecorder.start(behind, SERVICE, {
      onConnectivity: (state) => connectivity.push(state.connected),
    });
    try {
      await near.waitFor((events) => viewOf(events).size === total, 'all instances (direct)');
      await far.waitFor((events) => viewOf(events).size === total, 'all instances (behind the proxy)');
      const leasesBefore = fleet.leaseIds();

      proxy.pause();
      // etcd expires every lease while nothing gets through; the direct discoverer sees them go.
      await near.waitFor((events) => viewOf(events).size === 0, 'every instance expired', TTL_MS * 4);
      // Hold on past the client's call budget, so keep-alives fail UNAVAILABLE, as in a real partition.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      proxy.resume();

      await near.waitFor((events) => viewOf(events).size === total, 'every instance back (direct)', 20_000);
      await far.waitFor((events) => viewOf(events).size === total, 'every instance back (behind)', 20_000);
      const listing = await direct.list(SERVICE);
      await near.waitFor((events) => (events.at(-1)?.revision ?? 0) >= listing.revision, 'caught up');
      await far.waitFor((events) => (events.at(-1)?.revision ?? 0) >= listing.revision, 'caught up');

      expect(idsOf(listing.instances)).toHaveLength(total);
      expect(idsOf(viewOf(near.events).values())).toEqual(idsOf(listing.instances));
      expect(idsOf(viewOf(far.events).values())).toEqual(idsOf(listing.instances));
      // The watch behind the proxy noticed the silent stream (probe unanswered) and its recovery.
      expect(connectivity).toEqual([false, true]);
      // Every session noticed its loss once and registered again under a new lease.
      await eventually(() => fleet.counts.reregistered === SESSIONS);
      expect(fleet.counts.lost).toBe(SESSIONS);
      expect(fleet.counts.reregistered).toBe(SESSIONS);
      const leasesAfter = fleet.leaseIds();
      expect(leasesAfter.filter((id) => leasesBefore.includes(id))).toEqual([]);
      expect(fleet.counts.keepAliveErrors).toBeGreaterThan(0);
      expect(fleet.errors.filter((e) => e.code !== 'UNAVAILABLE' && e.code !== 'LEASE_LOST')).toEqual([]);
      for (const recorder of [near, far]) {
        const keys = eventKeys(recorder.events);
        expect(new Set(keys).size).toBe(keys.length);
        expect(recorder.error).toBeUndefined();
      }
      // The direct discoverer saw each instance deleted once (expiry) and put once again.
      const deletes = near.events.filter((e) => e.type === 'delete');
      expect(deletes).toHaveLength(total);
      expect(new Set(deletes.map((e) => e.revision)).size).toBe(SESSIONS);
    } finally {
      await near.stop();
      await far.stop();
      await fleet.close();
      await behind.close();
      await direct.close();
    }
  }, 60_000);
});
