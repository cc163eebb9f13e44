import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { isProximaError } from '../../src/core/errors.js';
import { eventually, ProcessGroup } from '../support/processes.js';
import { aclFor, makeTokens, writeAclFile, type Tokens } from './acl-fixture.js';
import { rawExchange, RawClient } from './raw-client.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

/**
 * Issue 9's attacks, each against a real registry server process with an ACL: what the attacker
 * tried, and that it now does no harm.
 */
const group = new ProcessGroup();
let tokens: Tokens;
let acl: Awaited<ReturnType<typeof writeAclFile>>;
let server: ServerProcess;
let raw: RawClient;
const clients: HttpRegistry[] = [];

function registryAs(token: string | undefined): HttpRegistry {
  const registry = new HttpRegistry({ url: server.url, env: {}, ...(token === undefined ? {} : { token }) });
  clients.push(registry);
  return registry;
}

const as = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

async function grant(token: string, ttlMs = 30_000): Promise<string> {
  const reply = await raw.send('POST', '/v1/leases', { ttlMs }, as(token));
  expect(reply.status).toBe(201);
  return String(reply.json?.id);
}

async function health(): Promise<{ revision: number; leases: number; instances: number }> {
  return (await raw.send('GET', '/healthz')).json as { revision: number; leases: number; instances: number };
}

beforeAll(async () => {
  tokens = makeTokens();
  acl = await writeAclFile(aclFor(tokens));
  server = await startServerProcess(group, { args: ['--acl', acl.file, '--log-level', 'debug'] });
  raw = new RawClient(server.url);
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await raw?.[Symbol.asyncDispose]();
  await group.killAll();
  await acl.remove();
});

describe('registry security (real server process, ACL on)', () => {
  it('hijack: another identity registering a live service/id gets 409 naming the holder, never its token', async () => {
    const alice = registryAs(tokens.alice);
    await alice.register({ service: 'orders', id: 'o1', address: '127.0.0.1:9001' }, { ttlMs: 30_000 });
    const bobLease = await grant(tokens.bob);
    const hijack = await raw.send(
      'POST',
      '/v1/instances',
      { lease: bobLease, instance: { service: 'orders', id: 'o1', address: '127.0.0.1:6666' } },
      as(tokens.bob),
    );
    expect(hijack.status).toBe(409);
    expect(hijack.json?.code).toBe('ALREADY_EXISTS');
    expect(String(hijack.json?.message)).toContain('"alice"');
    expect(JSON.stringify(hijack.json)).not.toContain(tokens.alice);
    const listed = await alice.list('orders');
    expect(listed.instances.find((i) => i.id === 'o1')?.address).toBe('127.0.0.1:9001');

    // The same identity replaces its own instance at once (a restarted process, new lease).
    const restarted = registryAs(tokens.alice);
    const again = await restarted.register(
      { service: 'orders', id: 'o1', address: '127.0.0.1:9002' },
      { ttlMs: 30_000 },
    );
    expect(again.instance.address).toBe('127.0.0.1:9002');
  });

  it('lease ids are 128 random bits in base64url; guessed ids get 404 and change nothing', async () => {
    const ids = [await grant(tokens.alice), await grant(tokens.alice)];
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(ids[0]).not.toBe(ids[1]);
    const before = await health();
    const guesses = [
      ...Array.from({ length: 50 }, () => randomBytes(16).toString('base64url')),
      '00000001',
      // A neighbour of a real id: its last character (2 bits of the 128) changed, never kept.
      `${(ids[0] ?? '').slice(0, 21)}${(ids[0] ?? '').endsWith('A') ? 'Q' : 'A'}`,
    ];
    for (const guess of guesses) {
      const keep = await raw.send('POST', `/v1/leases/${guess}/keepalive`, undefined, as(tokens.admin));
      const revoke = await raw.send('DELETE', `/v1/leases/${guess}`, undefined, as(tokens.admin));
      expect([keep.status, keep.json?.code, revoke.status, revoke.json?.code]).toEqual([
        404,
        'LEASE_LOST',
        404,
        'LEASE_LOST',
      ]);
    }
    const after = await health();
    expect(after).toMatchObject({
      revision: before.revision,
      leases: before.leases,
      instances: before.instances,
    });
  });

  it('a text/plain or form POST (a cross-site simple request) gets 415 and creates nothing', async () => {
    const before = await health();
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const reply = await raw.send('POST', '/v1/leases', JSON.stringify({ ttlMs: 30_000 }), {
        ...as(tokens.alice),
        'content-type': type,
      });
      expect([reply.status, reply.json?.code, reply.json?.field]).toEqual([
        415,
        'INVALID_ARGUMENT',
        'Content-Type',
      ]);
    }
    expect((await health()).leases).toBe(before.leases);
  });

  it('a foreign Host header (DNS rebinding) gets 421; every answer carries nosniff', async () => {
    const request = (host: string): string =>
      `GET /v1/services HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer ${tokens.reader}\r\nconnection: close\r\n\r\n`;
    const foreign = await rawExchange(server.port, request(`rebound.example:${server.port}`));
    expect(foreign).toMatch(/^HTTP\/1\.1 421/);
    expect(foreign).toMatch(/x-content-type-options: nosniff/i);
    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `[::1]:${server.port}`]) {
      expect(await rawExchange(server.port, request(host))).toMatch(/^HTTP\/1\.1 200/);
    }
  });

  it('a body on GET or DELETE is refused unread and the connection closed', async () => {
    const reply = await rawExchange(
      server.port,
      `GET /v1/services HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${tokens.reader}\r\ncontent-length: 100000\r\n\r\n{`,
    );
    expect(reply).toMatch(/^HTTP\/1\.1 400[\s\S]*connection: close[\s\S]*not allowed on GET/i);
  });

  it('no token or an unknown token is 401; a token without the right is 403 naming service and access', async () => {
    const none = await raw.send('GET', '/v1/services');
    expect([none.status, none.json?.code]).toEqual([401, 'UNAUTHENTICATED']);
    const unknown = await raw.send('GET', '/v1/services', undefined, as('not-a-token-of-this-registry'));
    expect([unknown.status, unknown.json?.code]).toEqual([401, 'UNAUTHENTICATED']);
    const readerLease = await raw.send('POST', '/v1/leases', { ttlMs: 30_000 }, as(tokens.reader));
    expect([readerLease.status, readerLease.json?.code]).toEqual([403, 'PERMISSION_DENIED']);
    const lease = await grant(tokens.flood);
    const wrongService = await raw.send(
      'POST',
      '/v1/instances',
      { lease, instance: { service: 'orders', id: 'x', address: '127.0.0.1:1' } },
      as(tokens.flood),
    );
    expect(wrongService.status).toBe(403);
    expect(String(wrongService.json?.message)).toMatch(/"flood" lacks write access to service "orders"/);
    const reading = registryAs(tokens.reader);
    await expect(reading.register({ service: 'orders', id: 'r', address: '127.0.0.1:1' })).rejects.toSatisfy(
      (e) => isProximaError(e) && e.code === 'PERMISSION_DENIED',
    );
  });

  it('list, services and watch show only what the token may read', async () => {
    const flood = registryAs(tokens.flood);
    await flood.register({ service: 'flood-visible', id: 'f', address: '127.0.0.1:1' }, { ttlMs: 30_000 });
    expect(await registryAs(tokens.reader).services()).toEqual(
      expect.arrayContaining(['orders', 'flood-visible']),
    );
    expect(await registryAs(tokens.ordersReader).services()).toEqual(['orders']);
    const denied = await raw.send('GET', '/v1/services/flood-visible', undefined, as(tokens.ordersReader));
    expect(denied.status).toBe(403);
    const watch = await raw.send(
      'GET',
      '/v1/services/flood-visible/watch',
      undefined,
      as(tokens.ordersReader),
    );
    expect(watch.status).toBe(403);
  });

  it('token A deregistering (or updating) B’s instance gets 403 and the instance stays', async () => {
    const alice = registryAs(tokens.alice);
    const registration = await alice.register(
      { service: 'orders', id: 'victim', address: '127.0.0.1:9100' },
      { ttlMs: 30_000 },
    );
    const path = '/v1/services/orders/instances/victim';
    const bobLease = await grant(tokens.bob);
    const withOwnLease = await raw.send('DELETE', `${path}?lease=${bobLease}`, undefined, as(tokens.bob));
    expect([withOwnLease.status, withOwnLease.json?.code]).toEqual([403, 'PERMISSION_DENIED']);
    const aliceLease = registration.lease.id;
    const withStolenLease = await raw.send(
      'DELETE',
      `${path}?lease=${aliceLease}`,
      undefined,
      as(tokens.bob),
    );
    expect([withStolenLease.status, withStolenLease.json?.code]).toEqual([403, 'PERMISSION_DENIED']);
    const patch = await raw.send(
      'PATCH',
      path,
      { lease: aliceLease, patch: { status: 'DOWN' } },
      as(tokens.bob),
    );
    expect(patch.status).toBe(403);
    const keepAlive = await raw.send('POST', `/v1/leases/${aliceLease}/keepalive`, undefined, as(tokens.bob));
    expect(keepAlive.status).toBe(403);
    const revoke = await raw.send('DELETE', `/v1/leases/${aliceLease}`, undefined, as(tokens.bob));
    expect(revoke.status).toBe(403);
    const victim = (await alice.list('orders')).instances.find((i) => i.id === 'victim');
    expect(victim).toMatchObject({ address: '127.0.0.1:9100', status: 'UP' });
    await registration.deregister();
  });

  it('a lease flood stops with 429 at the limit (20 for this token) and frees up as leases go', async () => {
    const statuses: number[] = [];
    const granted: string[] = [];
    for (let i = 0; i < 25; i++) {
      const reply = await raw.send('POST', '/v1/leases', { ttlMs: 3_600_000 }, as(tokens.flooder));
      statuses.push(reply.status);
      if (reply.status === 201) granted.push(String(reply.json?.id));
      else expect(reply.json?.code).toBe('RESOURCE_EXHAUSTED');
    }
    expect(statuses.slice(0, 20).every((s) => s === 201)).toBe(true);
    expect(statuses.slice(20)).toEqual([429, 429, 429, 429, 429]);
    const tooLong = await raw.send('POST', '/v1/leases', { ttlMs: 3_600_001 }, as(tokens.alice));
    expect([tooLong.status, tooLong.json?.field]).toEqual([400, 'body.ttlMs']);
    const tooShort = await raw.send('POST', '/v1/leases', { ttlMs: 10 }, as(tokens.alice));
    expect(tooShort.json?.ttlMs).toBe(1_000);
    await raw.send('DELETE', `/v1/leases/${granted[0]}`, undefined, as(tokens.flooder));
    expect((await raw.send('POST', '/v1/leases', { ttlMs: 1_000 }, as(tokens.flooder))).status).toBe(201);
  });

  it('the request rate is limited per token with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: unknown;
    for (let i = 0; i < 8; i++) {
      const reply = await raw.send('GET', '/v1/services', undefined, as(tokens.chatty));
      statuses.push(reply.status);
      if (reply.status === 429) retryAfter = reply.headers['retry-after'];
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // Another identity is not slowed down by it.
    expect((await raw.send('GET', '/v1/services', undefined, as(tokens.reader))).status).toBe(200);
  });

  it('SIGHUP reloads the ACL file without dropping open watches', async () => {
    const watcher = registryAs(tokens.reader);
    const seen: string[] = [];
    const controller = new AbortController();
    const watching = (async () => {
      for await (const event of watcher.watch('orders', { signal: controller.signal })) {
        seen.push(event.type === 'upsert' ? `upsert ${event.instance.id}` : event.type);
      }
    })();
    await eventually(() => (seen.includes('reset') ? true : undefined), 15_000);
    const newcomer = randomBytes(24).toString('base64url');
    const next = aclFor(tokens);
    await writeFile(
      acl.file,
      JSON.stringify({
        ...next,
        tokens: [
          ...next.tokens,
          { name: 'carol', token: newcomer, rules: [{ service: 'orders', access: 'write' }] },
        ],
      }),
    );
    expect((await raw.send('GET', '/v1/services', undefined, as(newcomer))).status).toBe(401);
    server.process.signal('SIGHUP');
    await server.process.waitForLine('acl reloaded');
    const carol = registryAs(newcomer);
    await carol.register({ service: 'orders', id: 'carol-1', address: '127.0.0.1:9300' }, { ttlMs: 30_000 });
    await eventually(() => (seen.includes('upsert carol-1') ? true : undefined), 15_000);
    expect(seen.filter((s) => s === 'reset')).toHaveLength(1);
    controller.abort();
    await watching;

    // A broken file leaves the rules in force.
    await writeFile(acl.file, '{ not json');
    server.process.signal('SIGHUP');
    await server.process.waitForLine('acl reload failed');
    expect((await raw.send('GET', '/v1/services', undefined, as(newcomer))).status).toBe(200);
  });

  it('never writes a token to its log, even at debug level', () => {
    const log = server.process.lines.join('\n');
    expect(log).toContain('"msg":"unknown token"');
    for (const token of Object.values(tokens)) expect(log).not.toContain(token);
    expect(log).not.toMatch(/Bearer (?!<token>)/);
  });
});
