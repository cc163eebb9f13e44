import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInstance } from '../../src/core/instance.js';
import { recordingLogger } from '../../src/core/testing/recording-logger.js';
import { openRegistry } from '../../src/backends/open.js';
import { WatchRecorder } from '../../src/registry/testing/watch-recorder.js';
import { EtcdCluster } from '../support/etcd.js';
import { freePort } from '../support/ports.js';
import { ProcessGroup } from '../support/processes.js';
import { viewOf } from './view.js';

const run = promisify(execFile);

/** `etcdctl` as an operator (or a program in another language) would use it. */
async function etcdctl(endpoint: string, ...args: string[]): Promise<string[]> {
  const { stdout } = await run('etcdctl', [`--endpoints=${endpoint}`, ...args], {
    env: { ...process.env, ETCDCTL_API: '3' },
    timeout: 10_000,
  });
  return stdout.split('\n').filter((line) => line !== '');
}

describe('etcd backend: opened by URL, readable and writable with etcdctl', () => {
  const group = new ProcessGroup();
  let etcd: EtcdCluster;

  beforeAll(async () => {
    etcd = await EtcdCluster.start(group);
  });

  afterAll(async () => {
    await etcd?.stop();
    await group.killAll();
  });

  it('openRegistry(etcd://dead,live/prefix) skips the dead member; etcdctl sees the JSON; etcdctl writes are discovered', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const live = etcd.endpoints[0] as string;
    await using registry = await openRegistry(`etcd://${dead},${live}/interop`);
    expect(registry.url).toBe(`etcd://${dead},${live}/interop`);

    const watch = WatchRecorder.start(registry, 'search');
    try {
      // Several calls, so some land on the dead member first and must move on.
      const registrations = await Promise.all(
        ['a', 'b', 'c'].map((id, k) =>
          registry.register(
            {
              service: 'search',
              id,
              address: `127.0.0.1:${23_000 + k}`,
              locality: { region: 'eu', zone: 'eu-1' },
            },
            { ttlMs: 10_000 },
          ),
        ),
      );
      const lines = await etcdctl(live, 'get', '--prefix', '/interop/services/search/');
      expect(lines.filter((_, k) => k % 2 === 0)).toEqual([
        '/interop/services/search/a',
        '/interop/services/search/b',
        '/interop/services/search/c',
      ]);
      const stored = lines.filter((_, k) => k % 2 === 1).map((v) => JSON.parse(v) as unknown);
      expect(stored).toEqual(registrations.map((r) => r.instance));

      // A program in another language registers by writing the same layout under its own lease.
      const [grant] = await etcdctl(live, 'lease', 'grant', '10');
      const leaseHex = /lease ([0-9a-f]+) granted/.exec(grant ?? '')?.[1];
      expect(leaseHex).toBeDefined();
      const foreign = { service: 'search', id: 'go-1', address: '127.0.0.1:23100', weight: 50 };
      await etcdctl(
        live,
        'put',
        `--lease=${leaseHex}`,
        '/interop/services/search/go-1',
        JSON.stringify(foreign),
      );
      await watch.waitFor((events) => viewOf(events).has('go-1'), 'the instance written by etcdctl');
      expect(viewOf(watch.events).get('go-1')).toEqual(parseInstance(foreign));
      const listed = await registry.list('search');
      expect(listed.instances.map((i) => i.id)).toEqual(['a', 'b', 'c', 'go-1']);
      expect(await registry.services()).toEqual(['search']);

      // Revoking that lease removes it, as it would when that process dies.
      await etcdctl(live, 'lease', 'revoke', leaseHex as string);
      await watch.waitFor((events) => !viewOf(events).has('go-1'), 'the foreign instance gone');
      await Promise.all(registrations.map((r) => r.deregister()));
      expect(await etcdctl(live, 'get', '--prefix', '/interop/')).toEqual([]);
    } finally {
      await watch.stop();
    }
  }, 60_000);

  it('proxima ls with no service skips a foreign key under the prefix with a warning (exit 0, not a usage error)', async () => {
    const live = etcd.endpoints[0] as string;
    await etcdctl(live, 'put', '/foreign/services/Bad Name!/x', '{}');
    await using registry = await openRegistry(`etcd://${live}/foreign`);
    const reg = await registry.register(
      { service: 'good', id: 'g1', address: '127.0.0.1:24100' },
      { ttlMs: 60_000 }, // outlives a slow CLI start on a loaded machine
    );
    try {
      const ls = group.proxima('ls', ['ls', '--registry', `etcd://${live}/foreign`, '--log-level', 'warn']);
      const { code } = await ls.exited;
      const output = ls.lines.join('\n');
      expect(code).toBe(0);
      expect(output).toContain('g1');
      expect(output).toContain('/foreign/services/Bad Name!/x');
      expect(output).not.toMatch(/usage|INVALID_ARGUMENT/i);
    } finally {
      await reg.deregister();
    }
  }, 60_000);

  it('a value overwritten with garbage is a delete of that key for every reader, with one warning naming it', async () => {
    const live = etcd.endpoints[0] as string;
    const logger = recordingLogger();
    await using registry = await openRegistry(`etcd://${live}/garbage`, { logger });
    const watch = WatchRecorder.start(registry, 'pay');
    try {
      const reg = await registry.register(
        { service: 'pay', id: 'p1', address: '127.0.0.1:24000' },
        { ttlMs: 10_000 },
      );
      await watch.waitFor((events) => viewOf(events).has('p1'), 'the registered instance');
      // Someone overwrites the value (keeping the lease) with something that is not an instance.
      await etcdctl(live, 'put', '--ignore-lease', '/garbage/services/pay/p1', '{"not": "an instance"');
      // A running watcher drops it, exactly as a new client (list) does: no split views.
      await watch.waitFor((events) => !viewOf(events).has('p1'), 'the garbage value treated as a delete');
      expect((await registry.list('pay')).instances).toEqual([]);
      await using fresh = await openRegistry(`etcd://${live}/garbage`);
      expect((await fresh.list('pay')).instances).toEqual([]);
      expect(logger.messages('warn').filter((w) => w.includes('/garbage/services/pay/p1'))).toHaveLength(1);
      await reg.deregister();
    } finally {
      await watch.stop();
    }
  }, 60_000);
});
