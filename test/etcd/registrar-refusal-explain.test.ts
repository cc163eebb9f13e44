import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/backends/open.js';
import { formatRegistrarExplanation, startRegistrar } from '../../src/registrar/index.js';
import { EtcdCluster } from '../support/etcd.js';
import { eventually, ProcessGroup } from '../support/processes.js';

const run = promisify(execFile);

/**
 * Issue 9, item 5 on etcd: when etcd's RBAC refuses to take back an instance someone deleted, the
 * registrar's `explain()` says so — with etcd's words and etcd's remedy, no HTTP status — and the
 * line leaves once etcd lets the registrar write again.
 */
describe('etcd backend: a refused restore shows in explain()', () => {
  const group = new ProcessGroup();
  let etcd: EtcdCluster;
  let endpoint: string;
  const etcdctl = (...args: string[]): Promise<unknown> =>
    run('etcdctl', [`--endpoints=${endpoint}`, ...args], {
      timeout: 10_000,
      env: { ...process.env, ETCDCTL_API: '3' },
    });
  const asRoot = (...args: string[]): Promise<unknown> => etcdctl('--user=root:rootpw', ...args);

  beforeAll(async () => {
    etcd = await EtcdCluster.start(group);
    endpoint = etcd.endpoints[0] as string;
    await etcdctl('user', 'add', 'root', '--new-user-password=rootpw');
    await etcdctl('role', 'add', 'proxima');
    await etcdctl('role', 'grant-permission', 'proxima', '--prefix=true', 'readwrite', '/refuse/');
    await etcdctl('user', 'add', 'app', '--new-user-password=apppw');
    await etcdctl('user', 'grant-role', 'app', 'proxima');
    await etcdctl('auth', 'enable');
  });

  afterAll(async () => {
    await etcd?.stop();
    await group.killAll();
  });

  it('PERMISSION_DENIED while restoring: explain names it with the etcd remedy; gone once write is granted again', async () => {
    await using registry = await openRegistry(`etcd://app:apppw@${endpoint}/refuse`);
    await using registrar = await startRegistrar({
      registry,
      instance: {
        service: 'vault',
        id: 'v1',
        address: '127.0.0.1:24100',
        locality: { region: 'eu', zone: 'eu-1' },
      },
      ttlMs: 3_000,
      env: {},
    });
    // The role keeps read (keep-alives list the lease's keys) but loses write; then the key goes.
    await asRoot('role', 'grant-permission', 'proxima', '--prefix=true', 'read', '/refuse/');
    await asRoot('del', '/refuse/services/vault/v1');
    await eventually(() => registrar.explain().refused.length > 0, 30_000);

    const refusal = registrar.explain().refused[0];
    expect(refusal).toMatchObject({
      instance: 'vault/v1',
      code: 'PERMISSION_DENIED',
      status: undefined,
      phase: 'restore',
    });
    expect(refusal?.reason).toMatch(/permission denied/);
    expect(refusal?.action).toContain('grant its role readwrite on <prefix>/services/vault/');
    const text = formatRegistrarExplanation(registrar.explain());
    expect(text).toContain('instance vault/v1 127.0.0.1:24100 eu/eu-1 UP · refused');
    expect(text).toMatch(/^refused vault\/v1: PERMISSION_DENIED since \S+ \(/m);

    await asRoot('role', 'grant-permission', 'proxima', '--prefix=true', 'readwrite', '/refuse/');
    await eventually(() => registrar.explain().refused.length === 0, 30_000);
    expect(registrar.explain().instances[0]?.state).toBe('registered');
    expect(formatRegistrarExplanation(registrar.explain())).not.toContain('refused');
    expect((await registry.list('vault')).instances.map((i) => i.address)).toEqual(['127.0.0.1:24100']);
  }, 120_000);
});
