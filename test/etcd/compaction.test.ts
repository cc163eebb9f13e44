import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdRegistry } from '../../src/backends/etcd/index.js';
import type { Registration } from '../../src/registry/registry.js';
import { WatchRecorder } from '../../src/registry/testing/watch-recorder.js';
import { EtcdCluster } from '../support/etcd.js';
import { ProcessGroup } from '../support/processes.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { idsOf, viewOf } from './view.js';

const SERVICE = 'ledger';

describe('etcd backend: compaction past a live watcher', () => {
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

  it('a watcher cut off while history is compacted gets a reset with the full current set', async () => {
    const writer = new EtcdRegistry({ endpoints: etcd.endpoints, prefix: '/compaction' });
    const watcher = new EtcdRegistry({ endpoints: [proxy.endpoint], prefix: '/compaction' });
    const registrations: Registration[] = [];
    const register = async (id: string, port: number): Promise<void> => {
      registrations.push(
        await writer.register({ service: SERVICE, id, address: `127.0.0.1:${port}` }, { ttlMs: 30_000 }),
      );
    };
    const watch = WatchRecorder.start(watcher, SERVICE);
    try {
      for (let k = 0; k < 3; k++) await register(`old-${k}`, 22_000 + k);
      await watch.waitFor((events) => viewOf(events).size === 3, 'the first three');
      const seen = watch.events.length;

      // Cut the watcher off, change things, compact everything it has not seen, then let it back.
      proxy.pause();
      for (let k = 0; k < 4; k++) await register(`new-${k}`, 22_100 + k);
      await registrations[0]?.deregister();
      await registrations[1]?.update({ status: 'DRAINING' });
      const compactedAt = await etcd.compact();
      proxy.dropAll();
      proxy.resume();

      const listing = await writer.list(SERVICE);
      await watch.waitFor((events) => events.slice(seen).some((e) => e.type === 'reset'), 'a reset', 20_000);
      const fresh = watch.events.slice(seen);
      // Nothing from the compacted history leaked out before the reset.
      expect(fresh[0]).toMatchObject({ type: 'reset', service: SERVICE });
      const reset = fresh[0];
      if (reset?.type !== 'reset') throw new Error('expected a reset');
      expect(reset.revision).toBeGreaterThanOrEqual(compactedAt);
      expect(idsOf(reset.instances)).toEqual(idsOf(listing.instances));
      expect(idsOf(reset.instances)).toEqual(['new-0', 'new-1', 'new-2', 'new-3', 'old-1', 'old-2']);
      expect(reset.instances.find((i) => i.id === 'old-1')?.status).toBe('DRAINING');

      // And it keeps watching from there.
      await register('after', 22_200);
      await watch.waitFor((events) => viewOf(events).has('after'), 'the write after the reset');
      expect(watch.events.at(-1)).toMatchObject({ type: 'upsert', instance: { id: 'after' } });
      expect(watch.error).toBeUndefined();
    } finally {
      await watch.stop();
      await Promise.allSettled(registrations.map((r) => r.deregister()));
      await writer.close();
      await watcher.close();
    }
  }, 60_000);
});
