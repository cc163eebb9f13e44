import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { TLS_METADATA_KEY } from '../../src/core/instance.js';
import { createProximaDispatcher } from '../../src/http/index.js';
import { type TestCertificates, makeTestCertificates } from '../support/certs.js';

let certs: TestCertificates;
beforeAll(async () => {
  certs = await makeTestCertificates({ clientName: 'web' });
}, 60_000);
afterAll(() => certs?.remove());

/** A real https server requiring client certificates; answers with the client's CN. */
async function mutualTlsServer(id: string): Promise<{ server: Server; address: string }> {
  const server = createServer(
    {
      cert: readFileSync(certs.serverCert),
      key: readFileSync(certs.serverKey),
      ca: readFileSync(certs.ca),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id, client: peer.subject?.CN }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('HTTP dispatcher with TLS upstreams', () => {
  it('calls an instance registered with proxima.tls=true over https, with a client certificate (mTLS)', async () => {
    const registry = new MemoryRegistry();
    const { server, address } = await mutualTlsServer('secure-1');
    const dispatcher = await createProximaDispatcher({
      registry,
      env: {},
      probe: false,
      pool: {
        connect: {
          ca: readFileSync(certs.ca),
          cert: readFileSync(certs.clientCert),
          key: readFileSync(certs.clientKey),
        },
      },
    });
    try {
      await registry.register(
        {
          service: 'who',
          id: 'secure-1',
          address,
          protocol: 'http',
          metadata: { [TLS_METADATA_KEY]: 'true' },
        },
        { ttlMs: 60_000 },
      );
      const res = await request('http://who/who', { dispatcher });
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toEqual({ id: 'secure-1', client: 'web' });
    } finally {
      await dispatcher.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await registry.close();
    }
  });

  it('without a client certificate the same upstream refuses the request', async () => {
    const registry = new MemoryRegistry();
    const { server, address } = await mutualTlsServer('secure-2');
    const dispatcher = await createProximaDispatcher({
      registry,
      env: {},
      probe: false,
      retry: false,
      pool: { connect: { ca: readFileSync(certs.ca) } },
    });
    try {
      await registry.register(
        {
          service: 'who',
          id: 'secure-2',
          address,
          protocol: 'http',
          metadata: { [TLS_METADATA_KEY]: 'true' },
        },
        { ttlMs: 60_000 },
      );
      await expect(request('http://who/who', { dispatcher })).rejects.toThrow();
    } finally {
      await dispatcher.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await registry.close();
    }
  });
});
