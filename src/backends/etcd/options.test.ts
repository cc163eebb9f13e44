import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProximaError } from '../../core/errors.js';
import { DEFAULT_PREFIX, etcdEnvDefaults, parseEtcdUrl, resolveEtcdOptions } from './options.js';

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (isProximaError(error) && error.code === 'INVALID_ARGUMENT') return error.field;
    throw error;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('parseEtcdUrl', () => {
  it('reads several members, a prefix, and defaults the prefix', () => {
    expect(parseEtcdUrl('etcd://127.0.0.1:2379,127.0.0.1:22379/prod/east')).toEqual({
      endpoints: ['127.0.0.1:2379', '127.0.0.1:22379'],
      prefix: '/prod/east',
    });
    const plain = resolveEtcdOptions(parseEtcdUrl('etcd://etcd-0.etcd:2379'));
    expect(plain.endpoints).toEqual(['etcd-0.etcd:2379']);
    expect(plain.prefix).toBe(DEFAULT_PREFIX);
    expect(resolveEtcdOptions(parseEtcdUrl('etcd://h:2379/')).prefix).toBe(DEFAULT_PREFIX);
  });

  it('passes credentials, TLS files and timeouts through', () => {
    const dir = mkdtempSync(join(tmpdir(), 'proxima-etcd-url-'));
    const ca = join(dir, 'ca.pem');
    writeFileSync(ca, 'CA PEM');
    const input = parseEtcdUrl(
      `etcd://root:p%40ss@[::1]:2379/p?ca=${ca}&attemptTimeout=250ms&callTimeout=3s`,
    );
    expect(input).toMatchObject({
      endpoints: ['[::1]:2379'],
      username: 'root',
      password: 'p@ss',
      attemptTimeoutMs: 250,
      callTimeoutMs: 3000,
    });
    expect(input.tls?.ca?.toString()).toBe('CA PEM');
    expect(parseEtcdUrl('etcd://h:2379?tls=1').tls).toEqual({});
    expect(parseEtcdUrl('etcd://h:2379?tls=0').tls).toBeUndefined();
  });

  it('rejects malformed URLs naming the field', () => {
    expect(fieldOf(() => parseEtcdUrl('http://h:2379'))).toBe('url');
    expect(fieldOf(() => parseEtcdUrl('etcd://h:2379?colour=red'))).toBe('url.colour');
    expect(fieldOf(() => parseEtcdUrl('etcd://h:2379?ca=/does/not/exist.pem'))).toBe('url.ca');
    expect(fieldOf(() => parseEtcdUrl('etcd://h:2379?callTimeout=soon', 'registry'))).toBe(
      'registry.callTimeout',
    );
    expect(fieldOf(() => resolveEtcdOptions(parseEtcdUrl('etcd://h:2379,nohost/p')))).toBe(
      'etcd.endpoints.1',
    );
    expect(fieldOf(() => resolveEtcdOptions(parseEtcdUrl('etcd://h:2379/has space')))).toBe('etcd.prefix');
    expect(fieldOf(() => resolveEtcdOptions({ endpoints: [] }))).toBe('etcd.endpoints');
    expect(fieldOf(() => resolveEtcdOptions({ endpoints: ['h:1'], tls: { cert: Buffer.from('x') } }))).toBe(
      'etcd.tls.ca',
    );
  });
});

describe('etcdEnvDefaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'proxima-etcd-env-'));
  const pem = (name: string): string => {
    const file = join(dir, name);
    writeFileSync(file, `-----BEGIN ${name}-----\n`);
    return file;
  };
  const env = {
    PROXIMA_ETCD_USER: 'app',
    PROXIMA_ETCD_PASSWORD: 'pw',
    PROXIMA_TLS_CA: pem('ca'),
    PROXIMA_TLS_CERT: pem('cert'),
    PROXIMA_TLS_KEY: pem('key'),
  };

  it('takes credentials from PROXIMA_ETCD_USER / PROXIMA_ETCD_PASSWORD unless the URL has them', () => {
    expect(etcdEnvDefaults(parseEtcdUrl('etcd://h:2379'), env)).toMatchObject({
      username: 'app',
      password: 'pw',
    });
    expect(etcdEnvDefaults(parseEtcdUrl('etcd://u:p@h:2379'), env)).toMatchObject({
      username: 'u',
      password: 'p',
    });
    expect(
      fieldOf(() => etcdEnvDefaults(parseEtcdUrl('etcd://h:2379'), { PROXIMA_ETCD_PASSWORD: 'x' })),
    ).toBe('PROXIMA_ETCD_USER');
  });

  it('fills TLS files from PROXIMA_TLS_* only when the URL asks for TLS and names no file itself', () => {
    expect(etcdEnvDefaults(parseEtcdUrl('etcd://h:2379'), env).tls).toBeUndefined();
    const tls = etcdEnvDefaults(parseEtcdUrl('etcd://h:2379?tls=1'), env).tls;
    expect(tls?.ca?.toString()).toContain('BEGIN ca');
    expect(tls?.cert?.toString()).toContain('BEGIN cert');
    expect(tls?.key?.toString()).toContain('BEGIN key');
    const own = etcdEnvDefaults(parseEtcdUrl(`etcd://h:2379?ca=${pem('own')}`), env).tls;
    expect(own?.ca?.toString()).toContain('BEGIN own');
    expect(own?.cert).toBeUndefined();
  });
});
