import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { formatRegistrarExplanation, startRegistrar, type Registrar } from '../../src/registrar/index.js';
import type { RegistrarOptions } from '../../src/registrar/options.js';
import { eventually, ProcessGroup } from '../support/processes.js';
import { aclFor, makeTokens, writeAclFile, type Tokens } from './acl-fixture.js';
import { RawClient } from './raw-client.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

/**
 * Issue 9, item 5: a registration the registry refuses (409: another identity holds the id; 403:
 * the token may not write the service) is visible in the registering process's `explain()` —
 * which instance, the status, the registry's reason, since when, what to do — and leaves it once a
 * registration succeeds. Against the real registry server with ACLs on.
 */
const group = new ProcessGroup();
let tokens: Tokens;
let acl: Awaited<ReturnType<typeof writeAclFile>>;
let server: ServerProcess;
let raw: RawClient;

beforeAll(async () => {
  tokens = makeTokens();
  acl = await writeAclFile(aclFor(tokens));
  server = await startServerProcess(group, { args: ['--acl', acl.file] });
  raw = new RawClient(server.url);
}, 60_000);

afterAll(async () => {
  await raw?.[Symbol.asyncDispose]();
  await group.killAll();
  await acl.remove();
});

const as = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const ISO = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/;

function startAlice(id: string, options: Partial<RegistrarOptions> = {}): Promise<Registrar> {
  return startRegistrar({
    registry: new HttpRegistry({ url: server.url, token: tokens.alice, env: {} }),
    instance: { service: 'orders', id, address: '127.0.0.1:9500', locality: { region: 'eu', zone: 'eu-1' } },
    ttlMs: 3_000,
    env: {},
    ...options,
  });
}

/** Lines of the explanation, printed on failure so a reader sees what a user would. */
function explained(registrar: Registrar): string {
  return formatRegistrarExplanation(registrar.explain());
}

async function removeAsAdmin(registrar: Registrar, id: string): Promise<void> {
  const removed = await raw.send(
    'DELETE',
    `/v1/services/orders/instances/${id}?lease=${registrar.leaseId}`,
    undefined,
    as(tokens.admin),
  );
  expect(removed.status).toBe(204);
}

/** Rewrites the ACL file and waits for the server to load it (counts reloads: old lines stay). */
async function reloadAcl(content: unknown): Promise<void> {
  const reloads = (): number => server.process.lines.filter((l) => l.includes('acl reloaded')).length;
  const before = reloads();
  await writeFile(acl.file, JSON.stringify(content));
  server.process.signal('SIGHUP');
  await eventually(() => reloads() > before, 15_000);
}

describe('explain() shows a refused registration (real server process, ACLs on)', () => {
  it('409: another identity took the id — named in explain with status, holder, since, what to do; gone once restored', async () => {
    const registrar = await startAlice('e1');
    expect(registrar.explain()).toMatchObject({ state: 'registered', refused: [] });
    expect(explained(registrar)).toContain('instance orders/e1 127.0.0.1:9500 eu/eu-1 UP · registered');
    expect(explained(registrar)).not.toContain('refused');

    await removeAsAdmin(registrar, 'e1');
    const bob = new HttpRegistry({ url: server.url, token: tokens.bob, env: {} });
    const bobs = await bob.register(
      { service: 'orders', id: 'e1', address: '127.0.0.1:6666' },
      { ttlMs: 30_000 },
    );
    const before = Date.now();
    await eventually(() => registrar.explain().refused.length > 0, 20_000);

    const x = registrar.explain();
    expect(x.state).toBe('registered');
    expect(x.instances).toEqual([expect.objectContaining({ instance: 'orders/e1', state: 'refused' })]);
    expect(x.refused).toHaveLength(1);
    const refusal = x.refused[0];
    expect(refusal).toMatchObject({
      instance: 'orders/e1',
      code: 'ALREADY_EXISTS',
      status: 409,
      phase: 'restore',
    });
    expect(refusal?.reason).toMatch(/registered by "bob"; "alice" may not replace it/);
    expect(Date.parse(refusal?.since ?? '')).toBeGreaterThanOrEqual(before - 1_000);
    expect(refusal?.action).toMatch(/another identity's live lease holds this service\/id/);
    expect(refusal?.action).toMatch(/retried at every keep-alive \(every 1s\)/);

    const text = explained(registrar);
    expect(text).toContain('instance orders/e1 127.0.0.1:9500 eu/eu-1 UP · refused');
    const line = text.split('\n').find((l) => l.startsWith('refused orders/e1:'));
    expect(line, text).toBeDefined();
    expect(line).toMatch(new RegExp(`^refused orders/e1: 409 ALREADY_EXISTS since ${ISO.source} \\(`));
    expect(line).toContain('is registered by "bob"; "alice" may not replace it');
    expect(line).toContain('→ another identity');
    // Still refused at the next keep-alives: the same start, a growing count.
    const since = refusal?.since;
    await eventually(() => (registrar.explain().refused[0]?.count ?? 0) >= 2, 20_000);
    expect(registrar.explain().refused[0]?.since).toBe(since);

    // Bob leaves: the next keep-alive registers e1 again, and the refusal leaves explain().
    await bobs.lease.revoke();
    await eventually(() => registrar.explain().refused.length === 0, 20_000);
    expect(registrar.explain().instances).toEqual([
      expect.objectContaining({ instance: 'orders/e1', state: 'registered' }),
    ]);
    expect(explained(registrar)).not.toContain('refused');
    expect(registrar.refused).toEqual([]);
    await bob.close();
    await registrar.drain();
  }, 90_000);

  it('403: the token lost its write right — explain names the missing access; gone once the ACL allows it again', async () => {
    const registrar = await startAlice('e2');
    const original = aclFor(tokens);
    // alice keeps a write right elsewhere (so her keep-alives still pass) but may no longer write orders.
    await reloadAcl({
      ...original,
      tokens: original.tokens.map((t) =>
        t.name === 'alice' ? { ...t, rules: [{ service: 'alice-scratch', access: 'write' }] } : t,
      ),
    });
    await removeAsAdmin(registrar, 'e2');
    await eventually(() => registrar.explain().refused.length > 0, 20_000);

    const refusal = registrar.explain().refused[0];
    expect(refusal).toMatchObject({ instance: 'orders/e2', code: 'PERMISSION_DENIED', status: 403 });
    expect(refusal?.reason).toContain('"alice" lacks write access to service "orders"');
    expect(refusal?.action).toMatch(
      /grant its identity write access .* ACL file \(then SIGHUP the registry\)/,
    );
    const text = explained(registrar);
    expect(text).toMatch(new RegExp(`refused orders/e2: 403 PERMISSION_DENIED since ${ISO.source}`));
    expect(text).toContain('"alice" lacks write access to service "orders"');

    await reloadAcl(original);
    await eventually(() => registrar.explain().refused.length === 0, 20_000);
    expect(registrar.explain().instances[0]?.state).toBe('registered');
    expect(explained(registrar)).not.toContain('refused');
    await registrar.drain();
  }, 90_000);

  it('a re-registration after a lost lease that the registry refuses (409) shows while retried, and leaves once it succeeds', async () => {
    const registrar = await startAlice('e3', {
      retry: { initialMs: 100, maxMs: 400 },
      breaker: { failures: 1_000 },
    });
    const revoked = await raw.send('DELETE', `/v1/leases/${registrar.leaseId}`, undefined, as(tokens.admin));
    expect(revoked.status).toBe(204);
    const bob = new HttpRegistry({ url: server.url, token: tokens.bob, env: {} });
    const bobs = await bob.register(
      { service: 'orders', id: 'e3', address: '127.0.0.1:6667' },
      { ttlMs: 30_000 },
    );
    await eventually(() => registrar.explain().refused.length > 0, 20_000);

    const x = registrar.explain();
    expect(x.state).toBe('registering');
    expect(x.leaseId).toBeUndefined();
    expect(x.refused[0]).toMatchObject({
      instance: 'orders/e3',
      code: 'ALREADY_EXISTS',
      status: 409,
      phase: 'register',
    });
    expect(x.refused[0]?.action).toMatch(/retried with backoff/);
    expect(registrar.refused).toEqual([
      expect.objectContaining({
        restored: false,
        error: expect.objectContaining({ code: 'ALREADY_EXISTS' }),
      }),
    ]);
    const text = explained(registrar);
    expect(text).toMatch(/^registrar registering · no lease/);
    expect(text).toMatch(new RegExp(`refused orders/e3: 409 ALREADY_EXISTS since ${ISO.source}`));

    await bobs.lease.revoke();
    await eventually(
      () => registrar.state === 'registered' && registrar.explain().refused.length === 0,
      20_000,
    );
    expect(explained(registrar)).not.toContain('refused');
    await bob.close();
    await registrar.drain();
  }, 90_000);

  it('a refused first registration (awaitRegistration: false) stays in explain, marked not retried', async () => {
    const registrar = await startRegistrar({
      registry: new HttpRegistry({ url: server.url, token: tokens.reader, env: {} }),
      instance: { service: 'orders', id: 'e4', address: '127.0.0.1:9501' },
      ttlMs: 3_000,
      env: {},
      awaitRegistration: false,
    });
    await eventually(() => registrar.state === 'closed', 20_000);
    const refusal = registrar.explain().refused[0];
    expect(refusal).toMatchObject({ instance: 'orders/e4', code: 'PERMISSION_DENIED', status: 403 });
    expect(refusal?.reason).toContain('"reader" lacks write access');
    expect(refusal?.action).toMatch(/not retried: a refused first registration stops the registrar/);
    await registrar.drain();
  }, 90_000);
});
