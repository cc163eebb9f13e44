import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { isProximaError } from '../../src/core/errors.js';
import { makeTestCertificates, type TestCertificates } from '../support/certs.js';
import { ProcessGroup } from '../support/processes.js';
import { freePort } from '../support/ports.js';

/**
 * The registry server over TLS and mTLS (`--tls-cert --tls-key [--tls-ca]`), as a real process,
 * and the http backend's `https://` client with its CA and client certificate from options or
 * `PROXIMA_TLS_*`.
 */
const group = new ProcessGroup();
let certs: TestCertificates;
let mtlsUrl: string;
let tlsUrl: string;

async function startTlsServer(withCa: boolean): Promise<string> {
  const port = await freePort();
  const server = group.proxima(
    withCa ? 'registry-mtls' : 'registry-tls',
    [
      'registry',
      '--port',
      String(port),
      '--tls-cert',
      certs.serverCert,
      '--tls-key',
      certs.serverKey,
      ...(withCa ? ['--tls-ca', certs.ca] : []),
    ],
    { PROXIMA_LOG_LEVEL: 'warn' },
  );
  const line = await server.waitForLine(/^registry listening on /, 30_000);
  return line.slice('registry listening on '.length).trim();
}

beforeAll(async () => {
  certs = await makeTestCertificates();
  [mtlsUrl, tlsUrl] = await Promise.all([startTlsServer(true), startTlsServer(false)]);
}, 60_000);

afterAll(async () => {
  await group.killAll();
  await certs?.remove();
});

const failure = async (promise: Promise<unknown>): Promise<{ code: string; message: string }> => {
  try {
    await promise;
  } catch (error) {
    if (isProximaError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a failure');
};

describe('registry server TLS (real `proxima registry` processes)', () => {
  it('serves https:// and the http backend trusts it with the CA from options', async () => {
    expect(tlsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = await readFile(certs.ca);
    await using registry = new HttpRegistry({ url: tlsUrl, tls: { ca }, env: {} });
    await registry.register({ service: 'secure', id: 's1', address: '127.0.0.1:9700' }, { ttlMs: 5_000 });
    expect((await registry.list('secure')).instances.map((i) => i.id)).toEqual(['s1']);
  });

  it('mTLS: a client without a certificate is refused at the handshake; with one from PROXIMA_TLS_* it works', async () => {
    const ca = await readFile(certs.ca);
    await using anonymous = new HttpRegistry({ url: mtlsUrl, tls: { ca }, env: {}, requestTimeoutMs: 5_000 });
    const refused = await failure(anonymous.services());
    expect(refused.code).toBe('UNAVAILABLE');
    expect(refused.message).toMatch(/other side closed|certificate|handshake|alert|socket/i);
    expect(refused.message).toMatch(/PROXIMA_TLS_CERT/);

    await using untrusted = new HttpRegistry({
      url: mtlsUrl,
      env: {
        PROXIMA_TLS_CA: certs.ca,
        PROXIMA_TLS_CERT: certs.otherClientCert,
        PROXIMA_TLS_KEY: certs.otherClientKey,
      },
    });
    expect((await failure(untrusted.services())).code).toBe('UNAVAILABLE');

    await using client = new HttpRegistry({
      url: mtlsUrl,
      env: { PROXIMA_TLS_CA: certs.ca, PROXIMA_TLS_CERT: certs.clientCert, PROXIMA_TLS_KEY: certs.clientKey },
    });
    expect(await client.services()).toEqual([]);
  });

  it('a plaintext http:// client of a TLS registry gets a clear error, not a hang', async () => {
    await using plain = new HttpRegistry({
      url: tlsUrl.replace('https:', 'http:'),
      env: {},
      requestTimeoutMs: 5_000,
    });
    const error = await failure(plain.services());
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/registry unreachable|HTTP 400/);
  });
});
