/**
 * The command line: `proxima registry --xds-port`, a standalone `proxima xds --registry URL`, and
 * a stock client started with nothing but what `proxima xds bootstrap` printed.
 */
import { readFile } from 'node:fs/promises';
import { credentials, status } from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { openRegistry } from '../../src/backends/open.js';
import { TYPE_URL } from '../../src/xds/type-urls.js';
import { startWhoServer } from '../grpc/who-server.js';
import { makeTestCertificates } from '../support/certs.js';
import { freePort } from '../support/ports.js';
import { eventually, ProcessGroup } from '../support/processes.js';
import { RawAdsClient } from './raw-ads-client.js';
import { StockClient } from './stock-client.js';

const group = new ProcessGroup();
afterAll(() => group.killAll());

describe('proxima xds', () => {
  it('serves xDS from the registry (--xds-port) and standalone (xds --registry), bootstrap from the CLI', async () => {
    const port = await freePort();
    const registryProcess = group.proxima(
      'registry',
      ['registry', '--port', String(port), '--xds-port', '0'],
      {
        PROXIMA_LOG_LEVEL: 'warn',
      },
    );
    const url = `http://127.0.0.1:${port}`;
    const builtIn = (await registryProcess.waitForLine(/^xds listening on /, 30_000)).slice(
      'xds listening on '.length,
    );
    const standalone = group.proxima('xds', ['xds', '--registry', url, '--port', '0'], {
      PROXIMA_LOG_LEVEL: 'warn',
    });
    const standaloneAddress = (await standalone.waitForLine(/^xds listening on /, 30_000)).slice(
      'xds listening on '.length,
    );

    const registry = await openRegistry(url);
    const { server, address } = await startWhoServer('a-1');
    try {
      await registry.register(
        { service: 'who', id: 'a-1', address, protocol: 'grpc', locality: { region: 'r1', zone: 'a' } },
        { ttlMs: 600_000 },
      );
      const printer = group.proxima('bootstrap', [
        'xds',
        'bootstrap',
        '--node-id',
        'cli-client',
        '--region',
        'r1',
        '--zone',
        'a',
        '--server',
        standaloneAddress,
      ]);
      expect((await printer.exited).code).toBe(0);
      const bootstrap = printer.lines.join('\n');
      expect(JSON.parse(bootstrap)).toMatchObject({
        node: { id: 'cli-client', locality: { region: 'r1', zone: 'a' } },
      });
      const client = StockClient.withBootstrap(group, 'client', bootstrap);
      await client.settlesOn('a-1', 10, 60_000);
      expect(client.errors).toEqual([]);
      await client.process.stop();

      // The registry's own xDS port serves the same, and counts it in /metrics.
      const raw = new RawAdsClient(builtIn);
      raw.send({ node: { id: 'raw' }, type_url: TYPE_URL.listener, resource_names: ['who'] });
      expect((await raw.response(1)).resources).toHaveLength(1);
      raw.close();
      const metrics = await eventually(async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return /^proxima_xds_responses_total\{type="listener"\} 1$/m.test(text) ? text : undefined;
      });
      expect(metrics).toMatch(/^proxima_xds_nacks_total\{type="endpoints"\} 0$/m);
    } finally {
      server.forceShutdown();
      await registry.close();
    }
    standalone.signal('SIGTERM');
    registryProcess.signal('SIGTERM');
    expect((await standalone.exited).code).toBe(0);
    expect((await registryProcess.exited).code).toBe(0);
  }, 150_000);

  it('serves mTLS with PROXIMA_TLS_CERT, PROXIMA_TLS_KEY and PROXIMA_TLS_CA', async () => {
    const certs = await makeTestCertificates();
    try {
      const xds = group.proxima('xds-tls', ['xds', '--registry', 'memory:', '--port', '0'], {
        PROXIMA_LOG_LEVEL: 'warn',
        PROXIMA_TLS_CERT: certs.serverCert,
        PROXIMA_TLS_KEY: certs.serverKey,
        PROXIMA_TLS_CA: certs.ca,
      });
      const address = (await xds.waitForLine(/^xds listening on /, 30_000)).slice('xds listening on '.length);
      const [ca, key, cert] = await Promise.all(
        [certs.ca, certs.clientKey, certs.clientCert].map((f) => readFile(f)),
      );
      const ok = new RawAdsClient(address, { creds: credentials.createSsl(ca!, key!, cert!) });
      ok.send({ node: { id: 'tls' }, type_url: TYPE_URL.listener, resource_names: ['who'] });
      expect((await ok.response(1)).resources).toHaveLength(1);
      ok.close();
      const plain = new RawAdsClient(address);
      plain.send({ node: { id: 'plain' }, type_url: TYPE_URL.listener, resource_names: ['who'] });
      expect((await plain.ended).code).toBe(status.UNAVAILABLE);
      plain.close();
      xds.signal('SIGTERM');
      expect((await xds.exited).code).toBe(0);
    } finally {
      await certs.remove();
    }
  }, 60_000);
});
