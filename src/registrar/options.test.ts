import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../backends/memory/index.js';
import { isProximaError } from '../core/errors.js';
import { detectHost } from './address.js';
import { localityFromEnv, resolveLocality } from '../topology/env.js';
import { resolveRegistrarOptions } from './options.js';

const iface = (address: string, internal = false, family: 'IPv4' | 'IPv6' = 'IPv4'): NetworkInterfaceInfo =>
  ({
    address,
    internal,
    family,
    netmask: '255.255.255.0',
    mac: '00:00:00:00:00:00',
    cidr: null,
  }) as NetworkInterfaceInfo;

describe('localityFromEnv', () => {
  it('reads PROXIMA_* first, then the role’s own names, and validates naming the variable', () => {
    expect(
      localityFromEnv({ PROXIMA_REGION: 'eu', SERVICE_REGION: 'us', SERVICE_ZONE: 'eu-1' }, 'service'),
    ).toEqual({
      region: 'eu',
      zone: 'eu-1',
      subzone: '',
    });
    expect(
      localityFromEnv({ CLIENT_REGION: 'us', CLIENT_ZONE: 'us-2', SERVICE_ZONE: 'x' }, 'client'),
    ).toEqual({
      region: 'us',
      zone: 'us-2',
      subzone: '',
    });
    expect(localityFromEnv({ PROXIMA_ZONE: '  ', SERVICE_ZONE: 'z' })).toMatchObject({ zone: 'z' });
    expect(localityFromEnv({})).toEqual({ region: '', zone: '', subzone: '' });
    const error = (() => {
      try {
        localityFromEnv({ SERVICE_ZONE: 'no spaces please' });
      } catch (e) {
        return e;
      }
    })();
    expect(isProximaError(error) && [error.code, error.field]).toEqual(['INVALID_ARGUMENT', 'SERVICE_ZONE']);
  });

  it('lets fields configured in code win, field by field', () => {
    expect(resolveLocality({ zone: 'b' }, { region: 'eu', zone: 'a', subzone: 's' })).toEqual({
      region: 'eu',
      zone: 'b',
      subzone: 's',
    });
  });
});

describe('address detection', () => {
  it('takes the first non-internal IPv4 address', () => {
    const interfaces = () => ({
      lo: [iface('127.0.0.1', true)],
      eth0: [iface('fe80::1', false, 'IPv6'), iface('10.1.2.3')],
      eth1: [iface('10.9.9.9')],
    });
    expect(detectHost(interfaces)).toBe('10.1.2.3');
    expect(detectHost(() => ({ lo: [iface('127.0.0.1', true)] }))).toBeUndefined();
  });

  it('builds the address and id from the detected host and the port, falling back to loopback', () => {
    const registry = new MemoryRegistry();
    const withNic = resolveRegistrarOptions({
      registry,
      instance: { service: 'users', port: 8080 },
      env: {},
      networkInterfaces: () => ({ eth0: [iface('10.1.2.3')] }),
    });
    expect(withNic.instances[0]).toMatchObject({ address: '10.1.2.3:8080', id: '10.1.2.3:8080' });
    const loopbackOnly = resolveRegistrarOptions({
      registry,
      instance: { service: 'users', port: 8080 },
      env: {},
      networkInterfaces: () => ({}),
    });
    expect(loopbackOnly.instances[0]).toMatchObject({ address: '127.0.0.1:8080' });
    const v6 = resolveRegistrarOptions({
      registry,
      instance: { service: 'users', address: '[::1]:81' },
      env: {},
    });
    expect(v6.instances[0]).toMatchObject({ address: '[::1]:81', id: '1:81' });
    expect(() =>
      resolveRegistrarOptions({
        registry,
        instance: { service: 'users', address: '127.0.0.1:1', port: 2 },
        env: {},
      }),
    ).toThrow(/options\.instance\.address/);
  });

  it('accepts process.env itself as the environment', () => {
    const config = resolveRegistrarOptions({
      registry: new MemoryRegistry(),
      instance: { service: 'users', address: '127.0.0.1:1' },
      env: process.env,
    });
    expect(config.instances[0]?.service).toBe('users');
  });

  it('fills defaults: TTL 10 s, retry 500 ms .. 30 s, breaker 5 failures / 10 s', () => {
    const config = resolveRegistrarOptions({
      registry: new MemoryRegistry(),
      instance: { service: 'users', address: '127.0.0.1:1' },
      env: {},
    });
    expect(config).toMatchObject({
      ttlMs: 10_000,
      retry: { initialMs: 500, maxMs: 30_000 },
      breaker: { failures: 5, openMs: 10_000, maxOpenMs: 60_000 },
      drainDelayMs: 0,
      awaitRegistration: true,
    });
  });
});
