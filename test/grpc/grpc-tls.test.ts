import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { TLS_METADATA_KEY } from '../../src/core/instance.js';
import { registerProximaResolver } from '../../src/grpc/index.js';
import { type TestCertificates, makeTestCertificates } from '../support/certs.js';
import { ask, startWhoServer, whoClient } from './who-server.js';

let certs: TestCertificates;
beforeAll(async () => {
  certs = await makeTestCertificates({ clientName: 'grpc-caller' });
}, 60_000);
afterAll(() => certs?.remove());

describe('gRPC through proxima:/// with TLS upstreams', () => {
  it('a stock grpc-js client with SSL credentials (mutual TLS) reaches real grpc-js TLS servers', async () => {
    const registry = new MemoryRegistry();
    const serverCredentials = grpc.ServerCredentials.createSsl(
      readFileSync(certs.ca),
      [{ cert_chain: readFileSync(certs.serverCert), private_key: readFileSync(certs.serverKey) }],
      true, // client certificates required
    );
    const servers = await Promise.all(['tls-1', 'tls-2'].map((id) => startWhoServer(id, serverCredentials)));
    const proxima = await registerProximaResolver({
      registry,
      locality: { region: 'eu', zone: 'eu-a' },
      probe: false,
    });
    const ssl = (withCert: boolean): grpc.ChannelCredentials =>
      withCert
        ? grpc.credentials.createSsl(
            readFileSync(certs.ca),
            readFileSync(certs.clientKey),
            readFileSync(certs.clientCert),
          )
        : grpc.credentials.createSsl(readFileSync(certs.ca));
    // The target `proxima:///who` names a service, not a host: the server certificate is checked
    // against the name it carries (localhost), as with any name-resolved gRPC target.
    const options = { 'grpc.ssl_target_name_override': 'localhost' };
    const client = whoClient('proxima:///who', ssl(true), options);
    const noCert = whoClient('proxima:///who', ssl(false), options);
    const insecure = whoClient('proxima:///who');
    try {
      for (const [i, { address }] of servers.entries()) {
        await registry.register(
          {
            service: 'who',
            id: `tls-${i + 1}`,
            address,
            protocol: 'grpc',
            locality: { region: 'eu', zone: 'eu-a' },
            metadata: { [TLS_METADATA_KEY]: 'true' },
          },
          { ttlMs: 60_000 },
        );
      }
      const seen = new Set<string>();
      // Concurrent batches: P2C peak-EWMA keeps a lone sequential caller on its cheapest endpoint,
      // while pending calls spread the load over both (each TLS upstream must be reachable).
      for (let batch = 0; batch < 20 && seen.size < 2; batch++) {
        const answers = await Promise.all(Array.from({ length: 20 }, (_, n) => ask(client, { n })));
        for (const a of answers) seen.add(a.id);
      }
      expect([...seen].sort()).toEqual(['tls-1', 'tls-2']);
      await expect(ask(noCert, { n: 0 }, 3_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      await expect(ask(insecure, { n: 0 }, 3_000)).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      for (const c of [client, noCert, insecure]) c.close();
      await proxima.close();
      for (const { server } of servers) server.forceShutdown();
      await registry.close();
    }
  }, 30_000);
});
