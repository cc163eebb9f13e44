/**
 * The ADS exchange played by hand with a raw grpc-js stream: versions and nonces per type and
 * client, ACK / NACK, stale nonces, unsubscribe and re-subscribe, per-client pushes, every bound
 * (clients, names, services, unread responses), garbage on the wire, and TLS / mTLS.
 */
import { readFile } from 'node:fs/promises';
import { credentials, Metadata, status } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../src/backends/memory/memory-registry.js';
import { type Logger, loggerOf } from '../../src/core/logger.js';
import type { Registration } from '../../src/registry/registry.js';
import { startRegistryServer } from '../../src/server/server.js';
import { TYPE_URL } from '../../src/xds/type-urls.js';
import { startXdsServer, type XdsServer, type XdsServerOptions } from '../../src/xds/xds-server.js';
import { makeTestCertificates, type TestCertificates } from '../support/certs.js';
import { eventually } from '../support/processes.js';
import { decodeResource, RawAdsClient } from './raw-ads-client.js';

interface Logged {
  readonly fields: Record<string, unknown>;
  readonly message: string;
}
function recordingLogger(): Logger & { warnings: Logged[] } {
  const warnings: Logged[] = [];
  const logger = loggerOf((level, first, message) => {
    if (level === 'warn' && typeof first === 'object')
      warnings.push({ fields: first as Record<string, unknown>, message: message ?? '' });
  });
  return { ...logger, warnings };
}

const nodeA = { id: 'a', locality: { region: 'r1', zone: 'a' } };
const nodeC = { id: 'c', locality: { region: 'r2', zone: 'c' } };

let registry: MemoryRegistry;
const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function start(
  options: Omit<XdsServerOptions, 'registry'> = {},
): Promise<{ xds: XdsServer; log: ReturnType<typeof recordingLogger> }> {
  registry = new MemoryRegistry();
  const log = recordingLogger();
  const xds = await startXdsServer({ registry, port: 0, logger: log, ...options });
  open.push(registry, xds);
  return { xds, log };
}

function client(xds: XdsServer, options: ConstructorParameters<typeof RawAdsClient>[1] = {}): RawAdsClient {
  const c = new RawAdsClient(xds.address, options);
  open.push(c);
  return c;
}

async function register(
  id: string,
  region: string,
  zone: string,
  port: number,
  service = 'who',
): Promise<Registration> {
  return await registry.register(
    { service, id, address: `127.0.0.1:${port}`, protocol: 'grpc', locality: { region, zone } },
    { ttlMs: 600_000 },
  );
}

function priorities(resource: { type_url: string; value: Uint8Array }): Record<string, number> {
  const cla = decodeResource(resource) as { endpoints: { locality: { zone: string }; priority?: number }[] };
  return Object.fromEntries(cla.endpoints.map((e) => [e.locality.zone, e.priority ?? 0]));
}

describe('ADS exchange', () => {
  it('answers each type with its own versions and nonces, takes ACKs, logs and counts NACKs', async () => {
    const { xds, log } = await start();
    await register('a1', 'r1', 'a', 1001);
    const c = client(xds);
    c.send({ node: nodeA, type_url: TYPE_URL.listener, resource_names: ['who'] });
    const lds = await c.response(1);
    expect(lds).toMatchObject({ type_url: TYPE_URL.listener, version_info: '1' });
    expect(lds.resources).toHaveLength(1);
    c.send({
      type_url: TYPE_URL.listener,
      resource_names: ['who'],
      version_info: '1',
      response_nonce: lds.nonce,
    });
    c.send({ type_url: TYPE_URL.cluster, resource_names: ['who'] });
    const cds = await c.response(2);
    expect(cds).toMatchObject({ type_url: TYPE_URL.cluster, version_info: '1' });
    expect(cds.nonce).not.toBe(lds.nonce);
    c.send({
      type_url: TYPE_URL.cluster,
      resource_names: ['who'],
      version_info: '1',
      response_nonce: cds.nonce,
    });
    c.send({ type_url: TYPE_URL.endpoints, resource_names: ['who'] });
    const eds = await eventually(async () => {
      const last = c.responses.at(-1);
      return last?.type_url === TYPE_URL.endpoints && last.resources.length === 1 ? last : undefined;
    });
    // NACK it: logged with the client's error_detail, counted, and not answered.
    c.send({
      type_url: TYPE_URL.endpoints,
      resource_names: ['who'],
      version_info: '',
      response_nonce: eds!.nonce,
      error_detail: { code: 3, message: 'endpoints[0]: no thanks' },
    });
    await eventually(() => xds.stats.nacks.endpoints === 1);
    expect(log.warnings).toContainEqual(
      expect.objectContaining({
        message: 'xDS client rejected a response (NACK)',
        fields: expect.objectContaining({ node: 'a', error: 'endpoints[0]: no thanks', code: 3 }),
      }),
    );
    expect(xds.stats.acks).toMatchObject({ listener: 1, cluster: 1 });
    const answered = c.responses.length;
    // The stream is alive and the next answer is the next one: nothing was sent for the NACK.
    c.send({
      type_url: TYPE_URL.listener,
      resource_names: ['who', 'other'],
      version_info: '1',
      response_nonce: lds.nonce,
    });
    const next = await c.response(answered + 1);
    expect(next.type_url).toBe(TYPE_URL.listener);
    expect(next.version_info).toBe('2');
  });

  it('ignores a request quoting an older nonce', async () => {
    const { xds } = await start();
    const c = client(xds);
    c.send({ node: nodeA, type_url: TYPE_URL.listener, resource_names: ['who'] });
    const first = await c.response(1);
    c.send({ type_url: TYPE_URL.listener, resource_names: ['who', 'x'], response_nonce: first.nonce });
    const second = await c.response(2);
    c.send({ type_url: TYPE_URL.listener, resource_names: ['who', 'x', 'y'], response_nonce: first.nonce });
    await eventually(() => xds.stats.staleNonces === 1);
    c.send({ type_url: TYPE_URL.listener, resource_names: ['who', 'x', 'z'], response_nonce: second.nonce });
    const third = await c.response(3);
    expect(third.resources.map((r) => (decodeResource(r) as { name: string }).name)).toEqual([
      'who',
      'x',
      'z',
    ]);
  });

  it('re-sends an unchanged resource after an unsubscribe and re-subscribe', async () => {
    const { xds } = await start();
    await register('a1', 'r1', 'a', 1001);
    const c = client(xds);
    c.send({ node: nodeA, type_url: TYPE_URL.endpoints, resource_names: ['who'] });
    const first = await eventually(() => c.responses.find((r) => r.resources.length === 1));
    c.send({ type_url: TYPE_URL.endpoints, resource_names: [], response_nonce: c.responses.at(-1)!.nonce });
    await eventually(() => xds.stats.requests === 2);
    c.send({
      type_url: TYPE_URL.endpoints,
      resource_names: ['who'],
      response_nonce: c.responses.at(-1)!.nonce,
    });
    const again = await c.response(c.responses.length + 1);
    expect(again.resources).toHaveLength(1);
    expect(Buffer.from(again.resources[0]!.value)).toEqual(Buffer.from(first!.resources[0]!.value));
    expect(again.version_info).not.toBe(first!.version_info);
  });

  it('pushes each client its own assignment on a change, and keeps Listeners of services that are gone', async () => {
    const { xds } = await start();
    const a1 = await register('a1', 'r1', 'a', 1001);
    await register('c1', 'r2', 'c', 1003);
    const [ca, cc] = [client(xds, { ack: true }), client(xds, { ack: true })];
    ca.send({ node: nodeA, type_url: TYPE_URL.endpoints, resource_names: ['who'] });
    cc.send({ node: nodeC, type_url: TYPE_URL.endpoints, resource_names: ['who'] });
    const zones = (c: RawAdsClient): Record<string, number> | undefined => {
      const last = c.responses.at(-1);
      return last?.resources.length === 1 ? priorities(last.resources[0]!) : undefined;
    };
    await eventually(() => zones(ca)?.a === 0 && zones(cc)?.c === 0);
    await register('b1', 'r1', 'b', 1002);
    await eventually(() => zones(ca)?.b === 1 && zones(cc)?.b === 1);
    expect(zones(ca)).toEqual({ a: 0, b: 1, c: 2 });
    expect(zones(cc)).toEqual({ c: 0, a: 1, b: 1 });
    // Every instance gone: the Listener is still served (grpc-js never recovers from a deleted one).
    await a1.deregister();
    ca.send({ type_url: TYPE_URL.listener, resource_names: ['who'] });
    const lds = await eventually(() => ca.responses.find((r) => r.type_url === TYPE_URL.listener));
    expect(lds!.resources).toHaveLength(1);
  });
});

describe('bounds', () => {
  it('refuses streams beyond maxClients', async () => {
    const { xds } = await start({ maxClients: 2 });
    const [c1, c2] = [client(xds), client(xds)];
    for (const c of [c1, c2]) c.send({ node: nodeA, type_url: TYPE_URL.listener, resource_names: ['who'] });
    await Promise.all([c1.response(1), c2.response(1)]);
    const third = client(xds);
    third.send({ node: nodeA, type_url: TYPE_URL.listener, resource_names: ['who'] });
    expect(await third.ended).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      details: expect.stringMatching(/xds\.maxClients/),
    });
    expect(xds.stats.streamsRefused).toBe(1);
    c1.close();
    await eventually(() => xds.stats.streams === 1);
    const fourth = client(xds);
    fourth.send({ node: nodeA, type_url: TYPE_URL.listener, resource_names: ['who'] });
    await fourth.response(1);
  });

  it('ends a stream naming more than maxResourceNames', async () => {
    const { xds } = await start({ maxResourceNames: 3 });
    const c = client(xds);
    c.send({ node: nodeA, type_url: TYPE_URL.listener, resource_names: ['a', 'b', 'c', 'd'] });
    expect(await c.ended).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      details: expect.stringMatching(/xds\.maxResourceNames/),
    });
  });

  it('refuses a request larger than maxRequestBytes', async () => {
    const { xds } = await start({ maxRequestBytes: 4096 });
    const c = client(xds);
    c.send({ node: { id: 'x'.repeat(5000) }, type_url: TYPE_URL.listener, resource_names: ['who'] });
    expect((await c.ended).code).toBe(status.RESOURCE_EXHAUSTED);
    const good = client(xds);
    good.send({ node: nodeA, type_url: TYPE_URL.listener, resource_names: ['who'] });
    expect((await good.response(1)).resources).toHaveLength(1);
  });

  it('watches at most maxServices services for all clients together', async () => {
    const { xds } = await start({ maxServices: 2 });
    const c1 = client(xds);
    c1.send({ node: nodeA, type_url: TYPE_URL.endpoints, resource_names: ['s1', 's2'] });
    await c1.response(1);
    const c2 = client(xds);
    c2.send({ node: nodeA, type_url: TYPE_URL.endpoints, resource_names: ['s3'] });
    expect(await c2.ended).toMatchObject({
      code: status.RESOURCE_EXHAUSTED,
      details: expect.stringMatching(/xds\.maxServices/),
    });
    // The same services are shared, not counted again.
    const c3 = client(xds);
    c3.send({ node: nodeA, type_url: TYPE_URL.endpoints, resource_names: ['s2'] });
    await c3.response(1);
  });

  it('holds at most maxQueuedResponses unread for a client that keeps re-subscribing without reading', async () => {
    const { xds } = await start({ maxQueuedResponses: 4 });
    const slow = client(xds, { read: false });
    // Each request adds names (so each must be answered), 400 Listeners per answer: flow control
    // windows fill after the first answers, and without the bound every later one would wait in memory.
    const names = (round: number): string[] => Array.from({ length: 400 }, (_, i) => `svc-${round % 2}-${i}`);
    slow.send({ node: nodeA, type_url: TYPE_URL.listener, resource_names: names(0) });
    for (let round = 1; round <= 200; round++)
      slow.send({ type_url: TYPE_URL.listener, resource_names: names(round) });
    await eventually(() => xds.stats.requests === 201);
    expect(xds.stats.deferredWrites).toBeGreaterThan(0);
    expect(xds.stats.responses.listener).toBeLessThan(100);
    expect(xds.queuedResponses()).toBeLessThanOrEqual(4);
    // Once it reads, what waited goes out with no further request, ending on its latest subscription.
    slow.stream.resume();
    const last = await eventually(() =>
      slow.responses.length === xds.stats.responses.listener ? slow.responses.at(-1) : undefined,
    );
    expect((decodeResource(last!.resources[0]!) as { name: string }).name).toBe('svc-0-0');
  });

  it('costs one response per type for a client that never answers, and sends it the latest state when it does', async () => {
    const { xds } = await start({ maxQueuedResponses: 4 });
    // Large assignments fill HTTP/2 flow control windows quickly.
    const registrations = await Promise.all(
      Array.from({ length: 300 }, (_, i) => register(`i${i}`, 'r1', `z${i % 10}`, 2000 + i)),
    );
    const slow = client(xds, { read: false });
    slow.send({ node: nodeA, type_url: TYPE_URL.endpoints, resource_names: ['who'] });
    await eventually(() => xds.stats.responses.endpoints === 1);
    // It never answers: changes after the first response wait, coalesced, and nothing piles up.
    const changes = 200;
    for (let i = 1; i <= changes; i++) await registrations[0]!.update({ weight: i });
    await eventually(() => xds.stats.deferredWrites > 0);
    expect(xds.stats.responses.endpoints).toBe(1);
    expect(xds.queuedResponses()).toBeLessThanOrEqual(1);
    slow.stream.resume();
    const first = await slow.response(1);
    slow.send({
      type_url: TYPE_URL.endpoints,
      resource_names: ['who'],
      version_info: '1',
      response_nonce: first.nonce,
    });
    await eventually(() => {
      const last = slow.responses.at(-1);
      if (last === undefined || last.resources.length !== 1) return false;
      const cla = decodeResource(last.resources[0]!) as {
        endpoints: {
          lb_endpoints: {
            endpoint: { address: { socket_address: { port_value: number } } };
            load_balancing_weight: { value: number };
          }[];
        }[];
      };
      const first = cla.endpoints
        .flatMap((e) => e.lb_endpoints)
        .find((l) => l.endpoint.address.socket_address.port_value === 2000);
      return first?.load_balancing_weight.value === changes;
    }, 20_000);
  }, 60_000);
});

describe('options', () => {
  it('names the bad option', async () => {
    const memory = new MemoryRegistry();
    open.push(memory);
    await expect(startXdsServer({ registry: memory, port: 0, maxClients: 0 })).rejects.toThrow(
      /^xds\.maxClients:/,
    );
    await expect(
      startXdsServer({ registry: memory, port: 0, retryOn: ['sometimes' as 'unavailable'] }),
    ).rejects.toThrow(/^xds\.retryOn\.0:/);
    await expect(startXdsServer({ port: 0 })).rejects.toThrow(/^xds\.registry:/);
  });

  it('serves a stream only the services its readAccess allows', async () => {
    const { xds } = await start({
      readAccess: (call) => {
        const token = call.metadata.get('authorization')[0];
        return (service) => token === 'Bearer reader' && service !== 'secret';
      },
    });
    await register('a1', 'r1', 'a', 1001);
    await register('s1', 'r1', 'a', 1002, 'secret');
    const metadata = new Metadata();
    metadata.set('authorization', 'Bearer reader');
    const reader = client(xds, { metadata, ack: true });
    reader.send({ node: nodeA, type_url: TYPE_URL.endpoints, resource_names: ['who', 'secret'] });
    const served = await eventually(() => reader.responses.find((r) => r.resources.length > 0));
    expect(
      served!.resources.map((r) => (decodeResource(r) as { cluster_name: string }).cluster_name),
    ).toEqual(['who']);
    const stranger = client(xds);
    stranger.send({ node: nodeA, type_url: TYPE_URL.listener, resource_names: ['who'] });
    expect((await stranger.response(1)).resources).toEqual([]);
  });
});

describe('malformed and hostile clients', () => {
  it('ends a stream sending garbage and keeps serving others', async () => {
    const { xds } = await start();
    const bad = client(xds);
    bad.sendBytes(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]));
    expect((await bad.ended).code).not.toBe(status.OK);
    const odd = client(xds);
    // Unknown types, invalid names, no node at all: ignored or not served, never a crash.
    odd.send({
      type_url: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
      resource_names: ['who'],
    });
    odd.send({ type_url: TYPE_URL.listener, resource_names: ['not a service name', '', 'x'.repeat(300)] });
    const answer = await odd.response(1);
    expect(answer.resources).toEqual([]);
    expect(xds.stats.unknownTypes).toBe(1);
    const good = client(xds);
    good.send({ node: nodeA, type_url: TYPE_URL.listener, resource_names: ['who'] });
    expect((await good.response(1)).resources).toHaveLength(1);
  });

  it('survives a client that NACKs everything', async () => {
    const { xds } = await start();
    await register('a1', 'r1', 'a', 1001);
    const c = client(xds);
    c.stream.on('data', () => {
      const last = c.responses.at(-1)!;
      c.send({
        type_url: last.type_url,
        resource_names: ['who'],
        response_nonce: last.nonce,
        error_detail: { code: 13, message: 'never' },
      });
    });
    for (const type_url of [TYPE_URL.listener, TYPE_URL.cluster, TYPE_URL.endpoints])
      c.send({ node: nodeA, type_url, resource_names: ['who'] });
    await eventually(
      () => xds.stats.nacks.listener >= 1 && xds.stats.nacks.cluster >= 1 && xds.stats.nacks.endpoints >= 1,
    );
    // A NACK is not answered: the exchange comes to rest instead of looping.
    const settled = xds.stats.responses.endpoints;
    await register('a2', 'r1', 'a', 1002);
    await eventually(() => xds.stats.responses.endpoints === settled + 1);
    await eventually(() => xds.stats.nacks.endpoints === settled + 1);
  });
});

describe('TLS', () => {
  let certs: TestCertificates;
  beforeAll(async () => {
    certs = await makeTestCertificates();
  });
  afterAll(async () => {
    await certs.remove();
  });

  it('serves the registry TLS settings on the xDS port: mTLS clients in, others out', async () => {
    const [ca, key, cert, clientKey, clientCert, otherKey, otherCert] = await Promise.all(
      [
        certs.ca,
        certs.serverKey,
        certs.serverCert,
        certs.clientKey,
        certs.clientCert,
        certs.otherClientKey,
        certs.otherClientCert,
      ].map((f) => readFile(f)),
    );
    const server = await startRegistryServer({
      port: 0,
      logger: (await import('pino')).pino({ level: 'silent' }),
      tls: { key: key!, cert: cert!, ca: ca! },
      xds: { port: 0 },
    });
    open.push(server);
    const xds = server.xds!;
    const ok = client(xds, { creds: credentials.createSsl(ca!, clientKey!, clientCert!) });
    ok.send({ node: nodeA, type_url: TYPE_URL.listener, resource_names: ['who'] });
    expect((await ok.response(1)).resources).toHaveLength(1);
    for (const creds of [
      credentials.createSsl(ca!), // no client certificate
      credentials.createSsl(ca!, otherKey!, otherCert!), // signed by another CA
      credentials.createInsecure(),
    ]) {
      const refused = client(xds, { creds });
      refused.send({ node: nodeA, type_url: TYPE_URL.listener, resource_names: ['who'] });
      expect((await refused.ended).code).toBe(status.UNAVAILABLE);
      expect(refused.responses).toEqual([]);
    }
  });
});
