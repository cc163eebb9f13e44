import { afterAll, describe, expect, it } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { once } from '../../src/core/event.js';
import { startRegistrar } from '../../src/registrar/index.js';
import type { RegistrarErrorEvent } from '../../src/registrar/index.js';
import { WatchRecorder } from '../../src/registry/testing/watch-recorder.js';
import { startServerProcess } from '../server/server-process.js';
import { ProcessGroup } from '../support/processes.js';

const group = new ProcessGroup();
afterAll(() => group.killAll());

const TTL = 1500;

describe('registrar against a real registry server', () => {
  it('re-registers on its own after kill -9 and a restart on the same port, and drains at the end', async () => {
    const first = await startServerProcess(group, { name: 'registry-1' });
    const registry = new HttpRegistry({ url: first.url, requestTimeoutMs: 1000, backoff: { maxMs: 300 } });
    const watcher = new HttpRegistry({ url: first.url, backoff: { maxMs: 300 } });
    const registrar = await startRegistrar({
      registry,
      instance: { service: 'phoenix', address: '127.0.0.1:9001', locality: { region: 'eu', zone: 'eu-1' } },
      ttlMs: TTL,
      retry: { initialMs: 50, maxMs: 300 },
      env: {},
    });
    const errors: RegistrarErrorEvent[] = [];
    registrar.onError((e) => errors.push(e));
    const firstLease = registrar.leaseId;
    expect((await watcher.list('phoenix')).instances).toMatchObject([{ locality: { zone: 'eu-1' } }]);

    // The registry stays down until the registrar has seen it unreachable (a keep-alive failed), so
    // the restart below is one it must notice, not one that happened between two keep-alives.
    const outage = once(registrar.onError);
    await first.process.kill();
    expect((await outage).error.code).toBe('UNAVAILABLE');
    const reregistered = once(registrar.onReregistered);
    const second = await startServerProcess(group, { name: 'registry-2', port: first.port });
    // Re-registered on its own once the server is back (how soon is the registrar's backoff, tested
    // on a fake clock in src/registrar): a new lease, and the instance listed again.
    const event = await reregistered;
    expect(event.leaseId).not.toBe(firstLease);
    expect((await watcher.list('phoenix')).instances.map((i) => i.id)).toEqual(['127.0.0.1:9001']);
    expect(errors.some((e) => e.error.code === 'UNAVAILABLE')).toBe(true);

    const w = WatchRecorder.start(watcher, 'phoenix');
    await w.waitForCount(1);
    await registrar.drain();
    await w.waitFor((events) => events.some((e) => e.type === 'delete'), 'the delete');
    expect(w.describe()).toMatch(
      /^reset@\d+\[127\.0\.0\.1:9001\] upsert@\d+\(127\.0\.0\.1:9001:DRAINING\) delete@\d+/,
    );
    await w.stop();
    await registry.close();
    await watcher.close();
    await second.process.stop();
  }, 60_000);
});
