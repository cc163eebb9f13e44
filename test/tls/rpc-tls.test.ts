import { readFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MemoryRegistry } from '../../src/backends/memory/index.js';
import { createClient, createServer as createProximaServer } from '../../src/client/index.js';
import { type ProximaError, isProximaError } from '../../src/core/errors.js';
import { TLS_METADATA_KEY } from '../../src/core/instance.js';
import {
  type CallContext,
  type ClientTlsOptions,
  RpcConnection,
  type RpcServer,
  type ServerOptions,
  bearerToken,
  bind,
  createServer,
  defineService,
  implement,
  method,
  requireAuth,
  withInterceptors,
} from '../../src/rpc/index.js';
import { type TestCertificates, makeTestCertificates } from '../support/certs.js';

/** Answers with what the server knows about its caller. */
const PeerApi = defineService('peer', {
  who: method({
    input: z.object({}),
    output: z.object({
      tls: z.boolean(),
      commonName: z.string().optional(),
      uris: z.array(z.string()).optional(),
    }),
    idempotent: true,
  }),
});

let certs: TestCertificates;
let calls = 0;
const who = (_: unknown, ctx: CallContext) => {
  calls++;
  const id = ctx.peer.identity;
  return {
    tls: ctx.peer.tls,
    ...(id === undefined ? {} : { commonName: id.commonName, uris: [...id.uris] }),
  };
};
const pem = (file: string): Buffer => readFileSync(file);

beforeAll(async () => {
  certs = await makeTestCertificates({ clientName: 'orders' });
}, 60_000);
afterAll(() => certs?.remove());

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function serve(options: Partial<ServerOptions> = {}): Promise<{ server: RpcServer; port: number }> {
  const server = createServer({ services: [implement(PeerApi, { who })], ...options });
  const { port } = await server.listen();
  cleanup.push(() => server.shutdown({ graceMs: 0 }));
  return { server, port };
}

function connection(port: number, tls?: ClientTlsOptions): RpcConnection {
  const conn = new RpcConnection({ host: '127.0.0.1', port, ...(tls === undefined ? {} : { tls }) });
  cleanup.push(() => conn.close());
  return conn;
}

async function failure(promise: Promise<unknown>): Promise<ProximaError> {
  const error = await promise.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  if (!isProximaError(error)) throw error;
  return error;
}

const serverTls = () => ({ cert: pem(certs.serverCert), key: pem(certs.serverKey) });
const mutualTls = () => ({ ...serverTls(), ca: pem(certs.ca) });
const clientCert = () => ({ ca: pem(certs.ca), cert: pem(certs.clientCert), key: pem(certs.clientKey) });

describe('Proxima RPC over TLS (node:tls, real sockets, certificates made by openssl)', () => {
  it('calls over TLS; the handler sees a TLS peer without identity when no client certificate is asked', async () => {
    const { port } = await serve({ tls: serverTls() });
    const api = bind(connection(port, { ca: pem(certs.ca) }), PeerApi);
    expect(await api.who({})).toEqual({ tls: true });
  });

  it('mutual TLS: the verified client certificate identity (CN, SAN URI) reaches the handler', async () => {
    const { port } = await serve({ tls: mutualTls() });
    const api = bind(connection(port, clientCert()), PeerApi);
    expect(await api.who({})).toEqual({ tls: true, commonName: 'orders', uris: ['spiffe://proxima/orders'] });
  });

  it('mutual TLS without a client certificate: the handshake is refused and the handler never runs', async () => {
    const { port } = await serve({ tls: mutualTls() });
    const before = calls;
    const error = await failure(bind(connection(port, { ca: pem(certs.ca) }), PeerApi).who({}));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/TLS handshake failed: the server requires a client certificate/);
    expect(calls).toBe(before);
  });

  it('mutual TLS with a certificate from a CA the server does not trust: refused', async () => {
    const { port } = await serve({ tls: mutualTls() });
    const before = calls;
    const tls = { ca: pem(certs.ca), cert: pem(certs.otherClientCert), key: pem(certs.otherClientKey) };
    const error = await failure(bind(connection(port, tls), PeerApi).who({}));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toContain('TLS handshake failed: the server did not accept the client certificate');
    expect(calls).toBe(before);
  });

  it('a client that does not trust the server certificate refuses it, naming the CA setting', async () => {
    const { port } = await serve({ tls: serverTls() });
    const error = await failure(bind(connection(port, { ca: pem(certs.otherCa) }), PeerApi).who({}));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/not signed by a trusted CA \(tls\.ca or PROXIMA_TLS_CA\)/);
  });

  it('a plaintext client to a TLS server gets a clear error (a GOAWAY that says TLS is required)', async () => {
    const { port } = await serve({ tls: serverTls() });
    const before = calls;
    const error = await failure(bind(connection(port), PeerApi).who({}));
    expect(error.code).toBe('PROTOCOL_ERROR');
    expect(error.unprocessed).toBe(true);
    expect(error.message).toContain('this server requires TLS');
    expect(calls).toBe(before);
  });

  it('a TLS client to a plaintext server gets a clear error', async () => {
    const { port } = await serve();
    const error = await failure(bind(connection(port, { ca: pem(certs.ca) }), PeerApi).who({}));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/TLS handshake failed: .*(does not speak TLS|plaintext server)/);
  });

  it('closes a connection that never starts its handshake after handshakeTimeoutMs', async () => {
    // The attack: connect and send nothing. Without the bound, the socket (and its slot) stays open.
    const { port } = await serve({ tls: { ...serverTls(), handshakeTimeoutMs: 200 } });
    const socket = connectTcp({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    const closed = await new Promise<boolean>((resolve) => {
      const ceiling = setTimeout(() => resolve(false), 5_000); // under the 10 s default
      socket.once('close', () => {
        clearTimeout(ceiling);
        resolve(true);
      });
    });
    expect(closed).toBe(true);
  });

  it('refuses bad TLS options naming the field', () => {
    expect(() => createServer({ services: [], tls: { cert: '', key: 'k' } })).toThrow(/server\.tls\.cert/);
    expect(() => createServer({ services: [], tls: { ...serverTls(), key: certs.serverKey } })).toThrow(
      /server\.tls\.key: expected PEM text \(-----BEGIN …\), not a file name/,
    );
    expect(() => createServer({ services: [], tls: { ...serverTls(), requestCert: true } })).toThrow(
      /server\.tls\.ca/,
    );
    expect(
      () => new RpcConnection({ host: '127.0.0.1', port: 1, tls: { cert: pem(certs.clientCert) } }),
    ).toThrow(/connection\.tls\.key/);
    // A key that belongs to another certificate: refused when the server or connection is made.
    const mismatched = { cert: pem(certs.serverCert), key: pem(certs.clientKey) };
    expect(() => createServer({ services: [], tls: mismatched })).toThrow(/server\.tls: node:tls cannot use/);
    expect(
      () => new RpcConnection({ host: '127.0.0.1', port: 1, tls: { ca: pem(certs.ca), ...mismatched } }),
    ).toThrow(/connection\.tls: node:tls cannot use/);
  });
});

describe('the auth interceptor: bearer tokens and mTLS identities', () => {
  const interceptors = [requireAuth({ identities: ['spiffe://proxima/orders'], tokens: ['s3cret'] })];

  it('admits an allowed certificate identity without a token', async () => {
    const { port } = await serve({ tls: mutualTls(), interceptors });
    expect(await bind(connection(port, clientCert()), PeerApi).who({})).toMatchObject({
      commonName: 'orders',
    });
  });

  it('refuses another identity (PERMISSION_DENIED) unless it brings a valid token', async () => {
    const { port } = await serve({
      tls: mutualTls(),
      interceptors: [requireAuth({ identities: ['spiffe://proxima/billing'], tokens: ['s3cret'] })],
    });
    const conn = connection(port, clientCert());
    const denied = await failure(bind(conn, PeerApi).who({}));
    expect(denied.code).toBe('PERMISSION_DENIED');
    expect(denied.message).toContain('"orders" is not allowed');
    const withToken = bind(withInterceptors(conn, [bearerToken('s3cret')]), PeerApi);
    expect(await withToken.who({})).toMatchObject({ commonName: 'orders' });
    const wrong = await failure(bind(withInterceptors(conn, [bearerToken('nope')]), PeerApi).who({}));
    expect(wrong.code).toBe('UNAUTHENTICATED');
  });

  it('without a certificate: a token admits, nothing is UNAUTHENTICATED', async () => {
    const { port } = await serve({ tls: serverTls(), interceptors });
    const conn = connection(port, { ca: pem(certs.ca) });
    const missing = await failure(bind(conn, PeerApi).who({}));
    expect(missing.code).toBe('UNAUTHENTICATED');
    expect(missing.message).toContain('missing bearer token or allowed client certificate');
    expect(await bind(withInterceptors(conn, [bearerToken('s3cret')]), PeerApi).who({})).toEqual({
      tls: true,
    });
  });
});

describe('registrations say TLS, and clients follow them', () => {
  async function registeredServer(registry: MemoryRegistry, tls: false | ReturnType<typeof serverTls>) {
    const server = createProximaServer({
      services: [implement(PeerApi, { who })],
      tls,
      env: {},
      register: { registry, instance: { service: 'peer', id: tls === false ? 'plain' : 'secure' }, env: {} },
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
    cleanup.push(() => server.shutdown({ graceMs: 0 }));
  }

  async function client(registry: MemoryRegistry, options: Partial<Parameters<typeof createClient>[0]> = {}) {
    const c = await createClient({ registry, env: {}, probe: false, retry: { maxAttempts: 1 }, ...options });
    cleanup.push(() => c.close());
    return c.bind(PeerApi);
  }

  it('a TLS server registers proxima.tls=true; a client with TLS settings calls it, one without is told why', async () => {
    const registry = new MemoryRegistry();
    cleanup.push(() => registry.close());
    await registeredServer(registry, serverTls());
    const listed = await registry.list('peer');
    expect(listed.instances[0]?.metadata[TLS_METADATA_KEY]).toBe('true');

    expect(await (await client(registry, { tls: { ca: pem(certs.ca) } })).who({})).toEqual({ tls: true });

    const error = await failure((await client(registry)).who({}));
    expect(error.code).toBe('FAILED_PRECONDITION');
    expect(error.message).toContain('instance secure of peer');
    expect(error.message).toContain('serves TLS');
    expect(error.message).toContain('client.tls');
  });

  it('TLS settings from PROXIMA_TLS_CA: the client follows the registration (TLS here, plaintext there)', async () => {
    const registry = new MemoryRegistry();
    cleanup.push(() => registry.close());
    await registeredServer(registry, serverTls());
    const api = await client(registry, { env: { PROXIMA_TLS_CA: certs.ca } });
    expect(await api.who({})).toEqual({ tls: true });

    const plainRegistry = new MemoryRegistry();
    cleanup.push(() => plainRegistry.close());
    await registeredServer(plainRegistry, false);
    expect(await (await client(plainRegistry, { env: { PROXIMA_TLS_CA: certs.ca } })).who({})).toEqual({
      tls: false,
    });
  });

  it('a client given tls in code refuses a plaintext registration (no downgrade) unless allowPlaintext', async () => {
    const registry = new MemoryRegistry();
    cleanup.push(() => registry.close());
    await registeredServer(registry, false);
    const error = await failure((await client(registry, { tls: { ca: pem(certs.ca) } })).who({}));
    expect(error.code).toBe('FAILED_PRECONDITION');
    expect(error.message).toContain('serves plaintext');
    const allowed = await client(registry, { tls: { ca: pem(certs.ca), allowPlaintext: true } });
    expect(await allowed.who({})).toEqual({ tls: false });
  });

  it('a server reads PROXIMA_TLS_CERT / PROXIMA_TLS_KEY / PROXIMA_TLS_CA (mutual TLS) from its env', async () => {
    const registry = new MemoryRegistry();
    cleanup.push(() => registry.close());
    const server = createProximaServer({
      services: [implement(PeerApi, { who })],
      env: { PROXIMA_TLS_CERT: certs.serverCert, PROXIMA_TLS_KEY: certs.serverKey, PROXIMA_TLS_CA: certs.ca },
      register: { registry, instance: { service: 'peer', id: 'env' }, env: {} },
    });
    await server.listen({ host: '127.0.0.1', port: 0 });
    cleanup.push(() => server.shutdown({ graceMs: 0 }));
    const env = {
      PROXIMA_TLS_CA: certs.ca,
      PROXIMA_TLS_CERT: certs.clientCert,
      PROXIMA_TLS_KEY: certs.clientKey,
    };
    expect(await (await client(registry, { env })).who({})).toMatchObject({
      tls: true,
      commonName: 'orders',
    });
    const noCert = await failure((await client(registry, { env: { PROXIMA_TLS_CA: certs.ca } })).who({}));
    expect(noCert.message).toContain('requires a client certificate');
  });
});
