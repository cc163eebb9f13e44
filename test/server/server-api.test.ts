import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { isProximaError } from '../../src/core/errors.js';
import { startRegistryServer, type RegistryServer } from '../../src/server/index.js';
import { rawExchange, RawClient, readSse } from './raw-client.js';

const silent = pino({ level: 'silent' });

describe('registry server API', () => {
  let server: RegistryServer;
  let raw: RawClient;
  let good: HttpRegistry;

  beforeAll(async () => {
    server = await startRegistryServer({ port: 0, logger: silent, heartbeatMs: 100, maxBodyBytes: 1024 });
    raw = new RawClient(server.url);
    good = new HttpRegistry({ url: server.url });
  });
  afterAll(async () => {
    await good.close();
    await raw[Symbol.asyncDispose]();
    await server.close();
  });

  async function lease(): Promise<string> {
    const reply = await raw.send('POST', '/v1/leases', { ttlMs: 10_000 });
    expect(reply.status).toBe(201);
    return String(reply.json?.id);
  }

  it('answers bad requests with 4xx JSON naming the problem, while a good client keeps working', async () => {
    const registration = await good.register({ service: 'steady', id: 'a', address: '127.0.0.1:9001' });
    const watched: string[] = [];
    const watching = (async () => {
      for await (const event of good.watch('steady')) {
        watched.push(event.type);
        if (event.type === 'delete') return;
      }
    })();
    const id = await lease();
    const instance = { service: 'bad', id: 'x', address: '127.0.0.1:9000' };
    const cases: Array<[string, string, unknown, number, string, string | undefined]> = [
      ['POST', '/v1/leases', '{"ttlMs": 5', 400, 'INVALID_ARGUMENT', 'body'],
      ['POST', '/v1/leases', {}, 400, 'INVALID_ARGUMENT', 'body.ttlMs'],
      ['POST', '/v1/leases', { ttlMs: 'soon' }, 400, 'INVALID_ARGUMENT', 'body.ttlMs'],
      ['POST', '/v1/leases', { ttlMs: 1000, ttl: 5 }, 400, 'INVALID_ARGUMENT', 'body'],
      ['POST', '/v1/instances', { lease: id }, 400, 'INVALID_ARGUMENT', 'body.instance'],
      ['POST', '/v1/instances', { instance }, 400, 'INVALID_ARGUMENT', 'body.lease'],
      [
        'POST',
        '/v1/instances',
        { lease: id, instance: { ...instance, locality: { zone: 7 } } },
        400,
        'INVALID_ARGUMENT',
        'body.instance.locality.zone',
      ],
      ['POST', '/v1/instances', { lease: 'gone', instance }, 404, 'LEASE_LOST', undefined],
      ['POST', '/v1/leases/gone/keepalive', undefined, 404, 'LEASE_LOST', undefined],
      [
        'PATCH',
        '/v1/services/bad/instances/x',
        { lease: id, patch: { status: 'ASLEEP' } },
        400,
        'INVALID_ARGUMENT',
        'body.patch.status',
      ],
      ['PATCH', '/v1/services/bad/instances/x', { lease: id, patch: {} }, 404, 'NOT_FOUND', undefined],
      ['DELETE', '/v1/services/bad/instances/x', undefined, 400, 'INVALID_ARGUMENT', 'lease'],
      ['GET', '/v1/services/no%20spaces', undefined, 400, 'INVALID_ARGUMENT', 'service'],
      ['GET', '/v1/services/ok/watch?fromRevision=-3', undefined, 400, 'INVALID_ARGUMENT', 'fromRevision'],
      ['GET', '/v1/nothing', undefined, 404, 'NOT_FOUND', undefined],
      ['PUT', '/v1/leases', { ttlMs: 1000 }, 405, 'UNIMPLEMENTED', undefined],
      [
        'POST',
        '/v1/leases',
        JSON.stringify({ ttlMs: 1000, pad: 'x'.repeat(2000) }),
        413,
        'RESOURCE_EXHAUSTED',
        'body',
      ],
    ];
    for (const [method, path, body, status, code, field] of cases) {
      const reply = await raw.send(method, path, body);
      expect({ method, path, status: reply.status, code: reply.json?.code }).toEqual({
        method,
        path,
        status,
        code,
      });
      expect(typeof reply.json?.message).toBe('string');
      expect(reply.json?.field).toBe(field);
    }
    expect((await raw.send('PUT', '/v1/leases', {})).headers.allow).toBe('POST');
    const unknownKey = await raw.send('POST', '/v1/leases', { ttlMs: 1000, ttl: 5 });
    expect(unknownKey.json?.message).toContain('ttl');

    // Not HTTP at all, and a body far past the limit on a raw socket.
    expect(await rawExchange(server.port, 'HELLO?\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    const huge = `POST /v1/leases HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 10000000\r\n\r\n${'{'.repeat(4096)}`;
    expect(await rawExchange(server.port, huge)).toMatch(/^HTTP\/1\.1 413/);
    const header = await rawExchange(
      server.port,
      'GET /v1/services/steady/watch HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\nlast-event-id: yesterday\r\n\r\n',
      2_000,
    );
    expect(header).toMatch(/^HTTP\/1\.1 400[\s\S]*Last-Event-ID/);

    // The good client never noticed.
    await registration.keepAlive();
    await registration.update({ status: 'DRAINING' });
    expect((await good.list('steady')).instances.map((i) => i.status)).toEqual(['DRAINING']);
    await registration.deregister();
    await watching;
    expect(watched).toEqual(['reset', 'upsert', 'delete']);
    expect((await raw.send('GET', '/healthz')).json).toMatchObject({ status: 'ok' });
  });

  it('sends the events of one revision in one SSE message, and heartbeats between them', async () => {
    const id = await lease();
    for (const n of ['a', 'b', 'c']) {
      const reply = await raw.send('POST', '/v1/instances', {
        lease: id,
        instance: { service: 'batch', id: n, address: '127.0.0.1:9000' },
      });
      expect(reply.status).toBe(200);
    }
    const revision = Number((await raw.send('GET', '/v1/services/batch')).json?.revision);
    const reading = readSse(`${server.url}/v1/services/batch/watch`, 1_000, {
      'last-event-id': String(revision),
    });
    await new Promise((r) => setTimeout(r, 300));
    expect((await raw.send('DELETE', `/v1/leases/${id}`)).status).toBe(204);
    const text = await reading;
    expect(text).toContain(': heartbeat');
    const messages = text.split('\n\n').filter((m) => m.includes('data:'));
    expect(messages).toHaveLength(1);
    const message = messages[0] ?? '';
    expect(message).toMatch(new RegExp(`^event: change\nid: [0-9a-f]{16}\\.${revision + 1}\ndata: `, 'm'));
    const data = JSON.parse(/^data: (.*)$/m.exec(message)?.[1] ?? '{}') as {
      events: Array<{ type: string }>;
    };
    expect(data.events.map((e) => e.type)).toEqual(['delete', 'delete', 'delete']);
  });

  it('resumes from Last-Event-ID or ?fromRevision=, and resets when the revision is unknown', async () => {
    const reg = await good.register({ service: 'resume', id: 'a', address: '127.0.0.1:9001' });
    const from = (await good.list('resume')).revision;
    await reg.update({ weight: 5 });
    const byHeader = await readSse(`${server.url}/v1/services/resume/watch`, 400, {
      'last-event-id': String(from),
    });
    const byQuery = await readSse(`${server.url}/v1/services/resume/watch?fromRevision=${from + 1}`, 400);
    for (const text of [byHeader, byQuery]) {
      expect(text).toMatch(new RegExp(`event: change\nid: [0-9a-f]{16}\\.${from + 1}\n`));
      expect(text).not.toContain('event: reset');
    }
    const stale = await readSse(`${server.url}/v1/services/resume/watch`, 400, { 'last-event-id': '3' });
    expect(stale).toContain('event: reset');
    await reg.deregister();
  });

  it('lets other modules mount routes on the table', async () => {
    server.router.mount({
      method: 'GET',
      path: '/extra/:name',
      handler: ({ res, params }) => void res.end(params.name),
    });
    const reply = await fetch(`${server.url}/extra/hello`);
    expect(await reply.text()).toBe('hello');
  });

  it('maps an unreachable server to UNAVAILABLE and an unknown lease to LEASE_LOST', async () => {
    const nowhere = new HttpRegistry({ url: 'http://127.0.0.1:1', requestTimeoutMs: 2_000 });
    const error = await nowhere.services().catch((e: unknown) => e);
    expect(isProximaError(error) && [error.code, error.retryable]).toEqual(['UNAVAILABLE', true]);
    await nowhere.close();

    const reg = await good.register({ service: 'lost', id: 'a', address: '127.0.0.1:9001' });
    expect((await raw.send('DELETE', `/v1/leases/${reg.lease.id}`)).status).toBe(204);
    const lost = await reg.keepAlive().catch((e: unknown) => e);
    expect(isProximaError(lost) && lost.code).toBe('LEASE_LOST');
    expect(reg.lost.aborted).toBe(true);
  });
});
