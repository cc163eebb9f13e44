import { afterAll, describe, expect, it } from 'vitest';
import { eventually, type OwnedProcess, ProcessGroup } from '../support/processes.js';
import { freePort } from '../support/ports.js';
import { msUntilLine, runOnce, startRegistry, watchedIds, watchEvents } from './cli-support.js';

const group = new ProcessGroup();
afterAll(() => group.killAll());

const TTL_MS = 2_000;

function register(id: string, zone: string, env: Record<string, string>, ttl = `${TTL_MS}ms`): OwnedProcess {
  const args = [
    'register',
    '--service',
    'users',
    '--id',
    id,
    '--address',
    `127.0.0.1:${9000 + id.charCodeAt(0)}`,
  ];
  return group.proxima(`register-${id}`, [...args, '--ttl', ttl], {
    ...env,
    PROXIMA_REGION: 'eu',
    PROXIMA_ZONE: zone,
    PROXIMA_LOG_LEVEL: 'warn',
  });
}

describe('proxima CLI processes', () => {
  it('lists two zones with their locality, expires a killed registrar and drains a stopped one', async () => {
    const registry = await startRegistry(group, 'registry', await freePort());
    const env = { PROXIMA_REGISTRY: registry.url };
    const watch = group.proxima('watch', ['watch', 'users', '--json'], { ...env, PROXIMA_LOG_LEVEL: 'warn' });
    const a = register('a', 'eu-1a', env);
    const b = register('b', 'eu-1b', env);
    await Promise.all([
      a.waitForLine(/^registered users\/a/, 30_000),
      b.waitForLine(/^registered users\/b/, 30_000),
      watch.waitForLine(/^\{"type":"reset"/, 30_000),
    ]);

    const ls = await runOnce(group, 'ls', ['ls', '--json'], env);
    expect(ls.code).toBe(0);
    const { services } = JSON.parse(ls.output) as {
      services: Array<{
        service: string;
        instances: Array<{ id: string; locality: object; status: string }>;
      }>;
    };
    expect(services.map((s) => s.service)).toEqual(['users']);
    expect(services[0]?.instances.map((i) => [i.id, i.locality, i.status]).sort()).toEqual([
      ['a', { region: 'eu', zone: 'eu-1a', subzone: '' }, 'UP'],
      ['b', { region: 'eu', zone: 'eu-1b', subzone: '' }, 'UP'],
    ]);

    // kill -9: no drain, no deregister; the lease runs out on the server and deletes it. (How soon is
    // the server's sweep, tested on a fake clock; here a busy machine may only be slow.)
    await eventually(() => watchedIds(watchEvents(watch)).join() === 'a,b', 15_000);
    const killed = a.kill();
    const expiredAfterMs = await msUntilLine(watch, /^\{"type":"delete".*"id":"a"/, TTL_MS + 60_000);
    await killed;
    expect(
      watchEvents(watch).some(
        (e) => e.type === 'upsert' && e.instance?.id === 'a' && e.instance.status === 'DRAINING',
      ),
    ).toBe(false);

    // SIGTERM: DRAINING first, then the delete, promptly; the process exits 0.
    b.signal('SIGTERM');
    const start = performance.now();
    await watch.waitForLine(/^\{"type":"upsert".*"status":"DRAINING"/, 30_000);
    await watch.waitForLine(/^\{"type":"delete".*"id":"b"/, 30_000);
    const drainedAfterMs = performance.now() - start;
    expect((await b.exited).code).toBe(0);
    expect(b.lines).toContain('deregistered users/b');

    const order = watchEvents(watch).map((e) =>
      `${e.type} ${e.id ?? e.instance?.id ?? ''} ${e.instance?.status ?? ''}`.trim(),
    );
    expect(order.slice(-2)).toEqual(['upsert b DRAINING', 'delete b']);
    process.stderr.write(
      `cli: kill -9 → gone after ${Math.round(expiredAfterMs)} ms (TTL ${TTL_MS}); SIGTERM → delete after ${Math.round(drainedAfterMs)} ms\n`,
    );

    watch.signal('SIGINT');
    expect((await watch.exited).code).toBe(0);
    registry.process.signal('SIGTERM');
    expect((await registry.process.exited).code).toBe(0);
  }, 90_000);

  it('recovers on its own when the registry server is killed and restarted on the same port', async () => {
    const port = await freePort();
    const first = await startRegistry(group, 'registry-1', port);
    const env = { PROXIMA_REGISTRY: first.url };
    const watch = group.proxima('watch', ['watch', 'users', '--json'], { ...env, PROXIMA_LOG_LEVEL: 'warn' });
    const ttlMs = 4_500;
    const keepAliveMs = ttlMs / 3;
    const c = register('c', 'eu-1a', env, `${ttlMs}ms`);
    await c.waitForLine(/^registered users\/c/, 30_000);
    await eventually(() => watchedIds(watchEvents(watch)).join() === 'c', 15_000);
    const before = watchEvents(watch).length;

    await first.process.kill();
    const second = await startRegistry(group, 'registry-2', port);
    // Re-registered in time is what the watch shows below: c is never deleted.
    const reregisteredAfterMs = await msUntilLine(c, /^re-registered users\/c/, 60_000);

    // The watcher says the registry is gone (`stale`: it keeps serving the last snapshot), then resumes
    // by itself: the new server cannot replay, so a `reset` comes (with c held as unconfirmed by
    // self-preservation if c was not back yet), and c is confirmed again.
    const after = await eventually(() => {
      const events = watchEvents(watch).slice(before);
      const back = events.some(
        (e) =>
          (e.type === 'upsert' && e.instance?.id === 'c') ||
          (e.type === 'reset' && e.instances?.some((i) => i.id === 'c')),
      );
      return back ? events : undefined;
    }, 15_000);
    if (after === undefined) throw new Error('unreachable: eventually returned a falsy value');
    expect(after[0]?.type).toBe('stale');
    expect(after.filter((e) => e.type !== 'stale' && e.type !== 'fresh')[0]?.type).toBe('reset');
    expect(after.filter((e) => e.type === 'delete')).toEqual([]);
    const ls = await runOnce(group, 'ls', ['ls', 'users', '--json'], env);
    expect(ls.output).toContain('"id": "c"');
    process.stderr.write(
      `cli: registry restart → re-registered ${Math.round(reregisteredAfterMs)} ms after it listened (keep-alive ${keepAliveMs} ms); watch saw ${after.map((e) => `${e.type}${e.unconfirmed ? ` (unconfirmed ${e.unconfirmed.join(',')})` : ''}`).join(', ')}\n`,
    );

    c.signal('SIGTERM');
    expect((await c.exited).code).toBe(0);
    watch.signal('SIGTERM');
    second.process.signal('SIGTERM');
    expect((await watch.exited).code).toBe(0);
    expect((await second.process.exited).code).toBe(0);
  }, 90_000);

  it.each([
    [['register', '--service', 'users', '--address', '127.0.0.1:9000', '--ttl', 'soon'], '--ttl'],
    [['ls', '--bogus'], '--bogus'],
    [['registry', '--port', 'http'], '--port'],
    [['watch', 'users', '--registry', 'gopher://x'], '--registry'],
  ])('proxima %j exits 2 naming %s', async (argv, flag) => {
    const run = await runOnce(group, `bad-${flag}`, argv);
    expect(run.code).toBe(2);
    expect(run.output).toContain(`proxima ${argv[0]}: ${flag}: `);
  });
});
