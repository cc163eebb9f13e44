import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProximaError } from '../../src/core/errors.js';
import { openRegistry } from '../../src/backends/open.js';
import type { Registry } from '../../src/registry/registry.js';
import { WatchRecorder } from '../../src/registry/testing/watch-recorder.js';
import { type TestCertificates, makeTestCertificates } from '../support/certs.js';
import { EtcdCluster } from '../support/etcd.js';
import { ProcessGroup } from '../support/processes.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { viewOf } from './view.js';

const run = promisify(execFile);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isProximaError(error) ? error.code : `not a ProximaError: ${String(error)}`;
  }
  return 'no error';
}

describe('etcd backend: user/password auth and TLS pass through to etcd', () => {
  const group = new ProcessGroup();
  let certs: TestCertificates;
  let etcd: EtcdCluster;
  let proxy: TcpProxy;
  const opened: Registry[] = [];
  const open = async (url: string, env: Record<string, string> = {}): Promise<Registry> => {
    const registry = await openRegistry(url, { env });
    opened.push(registry);
    return registry;
  };

  beforeAll(async () => {
    certs = await makeTestCertificates();
    etcd = await EtcdCluster.start(group, {
      tls: { certFile: certs.serverCert, keyFile: certs.serverKey, caFile: certs.ca },
      // Auth tokens expire after one idle second, so the test can outlive one.
      extraArgs: ['--auth-token-ttl=1'],
    });
    proxy = await TcpProxy.start(etcd.endpoints[0] as string);
    const etcdctl = (...args: string[]): Promise<unknown> =>
      run('etcdctl', [`--endpoints=${etcd.endpoints[0]}`, ...args], {
        timeout: 10_000,
        env: { ...process.env, ETCDCTL_API: '3' },
      });
    await etcdctl('user', 'add', 'root', '--new-user-password=rootpw');
    await etcdctl('role', 'add', 'proxima');
    await etcdctl('role', 'grant-permission', 'proxima', '--prefix=true', 'readwrite', '/secure/');
    await etcdctl('user', 'add', 'app', '--new-user-password=apppw');
    await etcdctl('user', 'grant-role', 'app', 'proxima');
    await etcdctl('auth', 'enable');
  });

  afterAll(async () => {
    await Promise.allSettled(opened.map((r) => r.close()));
    await proxy?.close();
    await etcd?.stop();
    await group.killAll();
    await certs?.remove();
  });

  it('registers with a password, is refused with a wrong one or outside its prefix, and works over mutual TLS', async () => {
    const plain = etcd.members[0]?.endpoint as string;
    const secure = etcd.members[0]?.tlsEndpoint as string;
    const app = await open(`etcd://app:apppw@${plain}/secure`);
    const registration = await app.register(
      { service: 'vault', id: 'v1', address: '127.0.0.1:24000' },
      { ttlMs: 10_000 },
    );
    await registration.keepAlive();
    expect((await app.list('vault')).instances).toEqual([registration.instance]);

    expect(await codeOf((await open(`etcd://app:wrong@${plain}/secure`)).list('vault'))).toBe(
      'UNAUTHENTICATED',
    );
    expect(await codeOf((await open(`etcd://app:apppw@${plain}/elsewhere`)).list('vault'))).toBe(
      'PERMISSION_DENIED',
    );

    const tlsQuery = `ca=${certs.ca}&cert=${certs.clientCert}&key=${certs.clientKey}`;
    const overTls = await open(`etcd://app:apppw@${secure}/secure?${tlsQuery}`);
    expect((await overTls.list('vault')).instances).toEqual([registration.instance]);
    const watch = WatchRecorder.start(overTls, 'vault');
    try {
      await watch.waitForCount(1);
      await registration.update({ weight: 5 });
      await watch.waitFor((events) => viewOf(events).get('v1')?.weight === 5, 'the update over TLS');
    } finally {
      await watch.stop();
    }
    // Without a client certificate the TLS listener refuses the connection.
    const anonymous = await open(`etcd://app:apppw@${secure}/secure?ca=${certs.ca}&callTimeout=1500ms`);
    expect(await codeOf(anonymous.list('vault'))).toBe('UNAVAILABLE');
    await registration.deregister();
  }, 60_000);
  it('takes the user, password and client certificate from PROXIMA_ETCD_* and PROXIMA_TLS_*', async () => {
    const secure = etcd.members[0]?.tlsEndpoint as string;
    const env = {
      PROXIMA_ETCD_USER: 'app',
      PROXIMA_ETCD_PASSWORD: 'apppw',
      PROXIMA_TLS_CA: certs.ca,
      PROXIMA_TLS_CERT: certs.clientCert,
      PROXIMA_TLS_KEY: certs.clientKey,
    };
    const registry = await open(`etcd://${secure}/secure?tls=1`, env);
    const registration = await registry.register(
      { service: 'envcfg', id: 'e1', address: '127.0.0.1:24200' },
      { ttlMs: 10_000 },
    );
    expect((await registry.list('envcfg')).instances).toEqual([registration.instance]);
    // The same, minus the client certificate: the --client-cert-auth listener refuses it.
    const { PROXIMA_TLS_CERT: _c, PROXIMA_TLS_KEY: _k, ...noCert } = env;
    const refused = await open(`etcd://${secure}/secure?tls=1&callTimeout=1500ms`, noCert);
    expect(await codeOf(refused.list('envcfg'))).toBe('UNAVAILABLE');
    // And with a wrong password: etcd's auth refuses it.
    const wrong = await open(`etcd://${secure}/secure?tls=1`, { ...env, PROXIMA_ETCD_PASSWORD: 'wrong' });
    expect(await codeOf(wrong.list('envcfg'))).toBe('UNAUTHENTICATED');
    await registration.deregister();
  }, 60_000);

  it('a watch and a lease outlive an expired auth token (reconnect after the token expired)', async () => {
    const writer = await open(`etcd://app:apppw@${etcd.endpoints[0]}/secure`);
    const watcher = await open(`etcd://app:apppw@${proxy.endpoint}/secure`);
    const registration = await watcher.register(
      { service: 'tokens', id: 't1', address: '127.0.0.1:24100' },
      { ttlMs: 10_000 },
    );
    const watch = WatchRecorder.start(watcher, 'tokens');
    try {
      await watch.waitForCount(1);
      // Idle past the token TTL, then cut the connection: the watch must reconnect with a new token.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      proxy.dropAll();
      await registration.keepAlive();
      const other = await writer.register(
        { service: 'tokens', id: 't2', address: '127.0.0.1:24101' },
        { ttlMs: 10_000 },
      );
      await watch.waitFor((events) => viewOf(events).has('t2'), 'the write after the token expired');
      expect(watch.error).toBeUndefined();
      await other.deregister();
    } finally {
      await watch.stop();
      await registration.deregister();
    }
  }, 60_000);
});
