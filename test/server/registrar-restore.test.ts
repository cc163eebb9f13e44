import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { systemClock } from '../../src/core/clock.js';
import { type RecordingLogger, recordingLogger } from '../../src/core/testing/recording-logger.js';
import { startRegistrar, type Registrar } from '../../src/registrar/index.js';
import type { InstanceLossEvent } from '../../src/registrar/events.js';
import { OutageRegistry } from '../../src/registrar/testing/outage-registry.js';
import { eventually, ProcessGroup } from '../support/processes.js';
import { aclFor, makeTokens, writeAclFile, type Tokens } from './acl-fixture.js';
import { RawClient } from './raw-client.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

/**
 * Issue 9: an instance removed or taken over while its registrar kept renewing an empty lease stayed
 * gone for minutes. Now the keep-alive answer lists what the lease holds, and the registrar puts a
 * missing instance back at the next keep-alive — or, when the registry refuses, says so loudly.
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

async function startAlice(id: string): Promise<{
  registrar: Registrar;
  outage: OutageRegistry;
  losses: InstanceLossEvent[];
  log: RecordingLogger;
}> {
  const outage = new OutageRegistry(
    new HttpRegistry({ url: server.url, token: tokens.alice, env: {} }),
    systemClock,
  );
  const logger = recordingLogger();
  const registrar = await startRegistrar({
    registry: outage,
    instance: { service: 'orders', id, address: '127.0.0.1:9500' },
    ttlMs: 3_000,
    env: {},
    logger,
  });
  const losses: InstanceLossEvent[] = [];
  registrar.onInstanceLost((event) => losses.push(event));
  return { registrar, outage, losses, log: logger };
}

async function listed(id: string): Promise<string | undefined> {
  const reply = await raw.send('GET', '/v1/services/orders', undefined, as(tokens.reader));
  const instances = reply.json?.instances as Array<{ id: string; address: string }>;
  return instances.find((i) => i.id === id)?.address;
}

describe('registrars notice loss (real server process)', () => {
  it('an instance deregistered behind the registrar’s back is restored by the next keep-alive, same lease', async () => {
    const { registrar, outage, losses } = await startAlice('r1');
    const lease = registrar.leaseId;
    const removed = await raw.send(
      'DELETE',
      `/v1/services/orders/instances/r1?lease=${lease}`,
      undefined,
      as(tokens.admin),
    );
    expect(removed.status).toBe(204);
    expect(await listed('r1')).toBeUndefined();
    const callsAtRemoval = outage.calls.length;

    await eventually(() => losses.length > 0, 20_000);
    expect(losses[0]).toMatchObject({ restored: true, instance: { service: 'orders', id: 'r1' } });
    expect(await listed('r1')).toBe('127.0.0.1:9500');
    expect(registrar.leaseId).toBe(lease);
    // Restored right after the first keep-alive that followed the removal: within one period.
    expect(outage.calls.slice(callsAtRemoval, callsAtRemoval + 2).map((c) => c.op)).toEqual([
      'keepAlive',
      'register',
    ]);
    expect(registrar.refused).toEqual([]);
    await registrar.drain();
  });

  it('when the registry refuses to take it back (another identity holds the id), the registrar says so loudly', async () => {
    const { registrar, losses, log } = await startAlice('r2');
    const lease = registrar.leaseId;
    await raw.send('DELETE', `/v1/services/orders/instances/r2?lease=${lease}`, undefined, as(tokens.admin));
    const bob = new HttpRegistry({ url: server.url, token: tokens.bob, env: {} });
    await bob.register({ service: 'orders', id: 'r2', address: '127.0.0.1:6666' }, { ttlMs: 30_000 });

    await eventually(() => losses.length > 0, 20_000);
    expect(losses[0]).toMatchObject({ restored: false, error: { code: 'ALREADY_EXISTS' } });
    expect(registrar.refused).toHaveLength(1);
    expect(log.messages('error').join('\n')).toMatch(/refuses to take it back/);
    expect(await listed('r2')).toBe('127.0.0.1:6666');
    await bob.close();
    await registrar.drain();
  });

  it('a first registration the registry refuses (no write right, an id another identity holds) fails the start', async () => {
    const attempt = (token: string, id: string): Promise<unknown> =>
      startRegistrar({
        registry: new HttpRegistry({ url: server.url, token, env: {} }),
        instance: { service: 'orders', id, address: '127.0.0.1:9600' },
        ttlMs: 3_000,
        env: {},
      });
    await expect(attempt(tokens.reader, 'x1')).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    const alice = await attempt(tokens.alice, 'x2');
    await expect(attempt(tokens.bob, 'x2')).rejects.toMatchObject({ code: 'ALREADY_EXISTS' });
    await (alice as Registrar).drain();
  });
});
