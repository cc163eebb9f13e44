import type { IncomingMessage } from 'node:http';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { isProximaError } from '../../core/errors.js';
import { HttpError } from '../http-io.js';
import { startRegistryServer } from '../server.js';
import { AclPolicy } from './acl.js';
import { DEFAULT_LIMITS } from './limits.js';
import { RateLimiter } from './rate-limiter.js';
import { defaultAllowedHosts, guardRequest } from './request-guard.js';
import { TokenBucket } from './token-bucket.js';

const T = (name: string): string => `${name}-token-0123456789abcdef`;

function request(
  headers: Record<string, string>,
  method = 'GET',
  remoteAddress = '127.0.0.1',
): IncomingMessage {
  return { headers, method, socket: { remoteAddress } } as unknown as IncomingMessage;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('AclPolicy', () => {
  const acl = AclPolicy.from({
    tokens: [
      {
        name: 'orders',
        token: T('orders'),
        rules: [
          { service: 'orders', access: 'write' },
          { service: 'orders-*', access: 'read' },
          { service: 'orders-admin', access: 'write' },
          { service: '*', access: 'read' },
        ],
      },
      { name: 'ops', token: T('ops'), admin: true },
    ],
  });
  const orders = acl.authenticate(request({ authorization: `Bearer ${T('orders')}` }));

  it('exact names beat prefixes, longer prefixes beat shorter ones, write implies read', () => {
    expect(orders.name).toBe('orders');
    expect([orders.may('write', 'orders'), orders.may('read', 'orders')]).toEqual([true, true]);
    expect([orders.may('write', 'orders-eu'), orders.may('read', 'orders-eu')]).toEqual([false, true]);
    expect(orders.may('write', 'orders-admin')).toBe(true);
    expect([orders.may('write', 'users'), orders.may('read', 'users')]).toEqual([false, true]);
    expect(orders.may('write')).toBe(true);
    const ops = acl.authenticate(request({ authorization: `bearer ${T('ops')}` }));
    expect([ops.admin, ops.may('write', 'anything')]).toEqual([true, true]);
  });

  it('a missing, malformed or unknown token is UNAUTHENTICATED; anonymous read only when the file says so', () => {
    for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: `Bearer ${T('nobody')}` }]) {
      const error = thrown(() => acl.authenticate(request(headers)));
      expect(isProximaError(error) && error.code).toBe('UNAUTHENTICATED');
    }
    const open = AclPolicy.from({ anonymous: 'read', tokens: [] });
    const anonymous = open.authenticate(request({}, 'GET', '10.1.2.3'));
    expect([anonymous.name, anonymous.may('read', 'x'), anonymous.may('write', 'x')]).toEqual([
      'anonymous',
      true,
      false,
    ]);
    expect(anonymous.limitKey).toBe('address 10.1.2.3');
  });

  it('refuses a bad file naming the field: short token, duplicate names, bad pattern, unknown key', () => {
    const cases: Array<[unknown, string]> = [
      [{ tokens: [{ name: 'a', token: 'short' }] }, 'acl.tokens.0.token'],
      [
        {
          tokens: [
            { name: 'a', token: T('a') },
            { name: 'a', token: T('b') },
          ],
        },
        'acl.tokens.1.name',
      ],
      [
        { tokens: [{ name: 'a', token: T('a'), rules: [{ service: 'a*b', access: 'read' }] }] },
        'acl.tokens.0.rules.0.service',
      ],
      [{ tokens: [{ name: 'a', token: T('a'), limits: { leases: 0 } }] }, 'acl.tokens.0.limits.leases'],
      [{ tokens: [], anonymus: 'read' }, 'acl'],
    ];
    for (const [input, field] of cases) {
      const error = thrown(() => AclPolicy.from(input as never));
      expect(isProximaError(error) && error.field).toBe(field);
    }
  });
});

describe('rate limits', () => {
  it('a token bucket admits its burst, then one request per 1/rate', () => {
    const bucket = new TokenBucket(10, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([0, 0, 0]);
    expect(bucket.take(0)).toBe(100);
    expect(bucket.take(100)).toBe(0);
    expect(bucket.idle(100)).toBe(false);
    expect(bucket.idle(400)).toBe(true);
  });

  it('answers 429 with Retry-After, counts keep-alives apart, and keeps at most maxKeys identities', () => {
    const limits = {
      ...DEFAULT_LIMITS,
      requestsPerSecond: 1,
      requestBurst: 2,
      keepAlivesPerSecond: 1,
      keepAliveBurst: 1,
    };
    const limiter = new RateLimiter(3);
    limiter.admit('a', 'request', limits, 0);
    limiter.admit('a', 'request', limits, 0);
    const error = thrown(() => limiter.admit('a', 'request', limits, 0));
    expect(
      error instanceof HttpError && [error.status, error.headers['retry-after'], error.retryable],
    ).toEqual([429, '1', true]);
    limiter.admit('a', 'keep-alive', limits, 0);
    for (const key of ['b', 'c', 'd', 'e', 'f']) limiter.admit(key, 'request', limits, 0);
    expect(limiter.size).toBe(3);
  });

  it('without an ACL the limits apply per client address: a lease flood gets 429 at the limit', async () => {
    await using server = await startRegistryServer({
      port: 0,
      logger: pino({ level: 'silent' }),
      limits: { leases: 3 },
    });
    const grant = (): Promise<Response> =>
      fetch(`${server.url}/v1/leases`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ttlMs: 60_000 }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await grant()).status);
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
  });
});

describe('request guard', () => {
  it('allows the loopback names on a loopback bind and any host on a wildcard bind', () => {
    expect(defaultAllowedHosts('127.0.0.1')).toEqual(new Set(['127.0.0.1', 'localhost', '::1']));
    expect(defaultAllowedHosts('::')).toBe('*');
    expect(defaultAllowedHosts('10.0.0.5')).toEqual(new Set(['10.0.0.5']));
    const hosts = defaultAllowedHosts('127.0.0.1');
    expect(thrown(() => guardRequest(request({ host: '[::1]:7070' }), hosts))).toBeUndefined();
    const foreign = thrown(() => guardRequest(request({ host: 'evil.example:7070' }), hosts));
    expect(foreign instanceof HttpError && foreign.status).toBe(421);
    const missing = thrown(() => guardRequest(request({}), hosts));
    expect(missing instanceof HttpError && missing.status).toBe(421);
  });

  it('wants application/json on bodies and no body on GET/HEAD/DELETE', () => {
    const post = (headers: Record<string, string>): unknown =>
      thrown(() => guardRequest(request({ host: 'localhost', ...headers }, 'POST'), '*'));
    expect(
      post({ 'content-type': 'application/json; charset=utf-8', 'content-length': '2' }),
    ).toBeUndefined();
    expect(post({})).toBeUndefined();
    for (const headers of [
      { 'content-type': 'text/plain' },
      { 'content-length': '2' },
      { 'transfer-encoding': 'chunked' },
    ]) {
      const error = post(headers);
      expect(error instanceof HttpError && error.status).toBe(415);
    }
    const withBody = thrown(() => guardRequest(request({ 'content-length': '5' }, 'DELETE'), '*'));
    expect(withBody instanceof HttpError && [withBody.status, withBody.headers.connection]).toEqual([
      400,
      'close',
    ]);
  });
});
