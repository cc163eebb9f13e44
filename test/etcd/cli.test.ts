import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdCluster } from '../support/etcd.js';
import { ProcessGroup } from '../support/processes.js';

const run = promisify(execFile);

describe('proxima register / ls / watch with --registry etcd://', () => {
  const group = new ProcessGroup();
  let etcd: EtcdCluster;

  beforeAll(async () => {
    etcd = await EtcdCluster.start(group, { members: 3 });
  });

  afterAll(async () => {
    await etcd?.stop();
    await group.killAll();
  });

  it('registers through the CLI, lists and watches it, and etcdctl get --prefix /proxima shows it', async () => {
    const registry = ['--registry', etcd.url()];
    const watch = group.proxima('watch', ['watch', 'search', '--json', ...registry, '--log-level', 'silent']);
    await watch.waitForLine('"type":"reset"', 30_000);

    const register = group.proxima('register', [
      'register',
      '--service',
      'search',
      '--id',
      'cli-1',
      '--address',
      '127.0.0.1:25000',
      '--zone',
      'eu-1',
      '--ttl',
      '3s',
      ...registry,
      '--log-level',
      'silent',
    ]);
    await register.waitForLine('registered search/cli-1', 30_000);
    await watch.waitForLine(/"type":"upsert".*cli-1/, 30_000);

    const ls = group.proxima('ls', ['ls', 'search', ...registry, '--log-level', 'silent']);
    await ls.exited;
    expect(ls.lines.join('\n')).toContain('cli-1');

    const { stdout } = await run(
      'etcdctl',
      [`--endpoints=${etcd.endpoints.join(',')}`, 'get', '--prefix', '/proxima'],
      {
        env: { ...process.env, ETCDCTL_API: '3' },
        timeout: 10_000,
      },
    );
    const [key, value] = stdout.trim().split('\n');
    expect(key).toBe('/proxima/services/search/cli-1');
    expect(JSON.parse(value ?? '{}')).toMatchObject({
      service: 'search',
      id: 'cli-1',
      address: '127.0.0.1:25000',
      locality: { zone: 'eu-1' },
      status: 'UP',
    });

    // SIGTERM: DRAINING, then gone.
    await register.stop();
    expect((await register.exited).code).toBe(0);
    await watch.waitForLine(/"type":"delete".*cli-1/, 30_000);
    await watch.stop();
  }, 90_000);
});
