import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpRegistry } from '../../src/backends/http/index.js';
import { isProximaError } from '../../src/core/errors.js';
import {
  defaultConnectionLimits,
  frontListener,
  resolveConnectionLimits,
} from '../../src/server/connection-limits.js';
import { startRegistryServer, type RegistryServer } from '../../src/server/index.js';
import { eventually } from '../support/processes.js';

/**
 * The registry server's connection bounds (issue 11, the slowloris drill of `npm run chaos`):
 * connections that send their headers or body a byte at a time, or nothing, are closed after the
 * timeouts, and one address cannot take every connection. The attacker comes from 127.0.0.2, the
 * real client from 127.0.0.1 (both loopback).
 */
const sockets: Socket[] = [];
let server: RegistryServer | undefined;

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
  server = undefined;
});

interface Held {
  readonly socket: Socket;
  readonly closed: Promise<string>;
}

/** A connection from `from` that starts a request and sends one more header byte every 100 ms. */
async function slowHeaders(port: number, from = '127.0.0.2'): Promise<Held> {
  const socket = connect({ host: '127.0.0.1', port, localAddress: from });
  sockets.push(socket);
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(answer)));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(`GET /v1/services HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: `);
  const drip = setInterval(() => (socket.writable ? socket.write('a') : clearInterval(drip)), 100);
  socket.once('close', () => clearInterval(drip));
  return { socket, closed };
}

async function healthz(port: number): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`);
  await response.arrayBuffer();
  return response.status;
}

const silent = pino({ level: 'silent' });

describe('registry server: connection limits', () => {
  it('defaults: 2,000 per address, headers within 10 s, the whole request within 30 s', () => {
    const limits = defaultConnectionLimits();
    expect(limits).toMatchObject({
      maxConnectionsPerAddress: 2_000,
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
    });
    expect(limits.maxConnections).toBeGreaterThan(0);
    expect(limits.maxConnections).toBeLessThanOrEqual(10_000);
  });

  it('bad options are INVALID_ARGUMENT naming the field', () => {
    const fieldOf = (input: unknown): string | undefined => {
      try {
        resolveConnectionLimits(input);
        return undefined;
      } catch (error) {
        return isProximaError(error) ? error.field : 'not a ProximaError';
      }
    };
    expect(fieldOf({ maxConnectionsPerAddress: 0 })).toBe('options.connections.maxConnectionsPerAddress');
    expect(fieldOf({ headersTimeoutMs: 5_000, requestTimeoutMs: 1_000 })).toBe(
      'options.connections.headersTimeoutMs',
    );
    expect(fieldOf({ bogus: 1 })).toBe('options.connections');
    // One alone moves the other's default out of its way.
    expect(resolveConnectionLimits({ requestTimeoutMs: 2_000 }).headersTimeoutMs).toBe(2_000);
    expect(resolveConnectionLimits({ headersTimeoutMs: 60_000 }).requestTimeoutMs).toBe(60_000);
  });

  it('a connection dripping its headers is closed with 408 after headersTimeoutMs; a watch outlives requestTimeoutMs', async () => {
    server = await startRegistryServer({
      port: 0,
      logger: silent,
      connections: { headersTimeoutMs: 300, requestTimeoutMs: 600 },
    });
    const registry = new HttpRegistry({ url: server.url, env: {} });
    try {
      const seen: string[] = [];
      const watching = (async () => {
        for await (const event of registry.watch('w'))
          if (event.type === 'upsert') {
            seen.push(event.instance.id);
            if (event.instance.id === 'late') return;
          }
      })();
      const slow = await slowHeaders(server.port);
      // Without the limit Node keeps such a connection for 60 s (and checks every 30 s).
      expect(await slow.closed).toMatch(/^HTTP\/1\.1 408/);
      // The watch stream lives past several request timeouts (checked every 150 ms) and still delivers.
      await new Promise((resolve) => setTimeout(resolve, 3 * 600));
      const registration = await registry.register(
        { service: 'w', id: 'late', address: '127.0.0.1:1' },
        { ttlMs: 10_000 },
      );
      await watching;
      expect(seen).toContain('late');
      await registration.deregister();
    } finally {
      await registry.close();
    }
  }, 60_000);

  it('past maxConnectionsPerAddress an address gets its next connection closed at once; other addresses are served', async () => {
    server = await startRegistryServer({
      port: 0,
      logger: silent,
      connections: { maxConnectionsPerAddress: 5, headersTimeoutMs: 60_000 },
    });
    const held = await Promise.all(Array.from({ length: 5 }, () => slowHeaders(server!.port)));
    const sixth = await slowHeaders(server.port);
    // Closed without an answer, long before any timeout.
    expect(await sixth.closed).toBe('');
    expect(held.every((h) => !h.socket.destroyed)).toBe(true);
    expect(await healthz(server.port)).toBe(200);
    // A held connection that ends frees its place.
    held[0]!.socket.destroy();
    await eventually(async () => {
      const next = await slowHeaders(server!.port);
      const outcome = await Promise.race([next.closed, new Promise((r) => setTimeout(() => r('open'), 200))]);
      return outcome === 'open';
    }, 30_000);
  }, 60_000);

  it('past maxConnections every address gets its next connection closed at once', async () => {
    server = await startRegistryServer({
      port: 0,
      logger: silent,
      connections: { maxConnections: 4, headersTimeoutMs: 60_000 },
    });
    await Promise.all(Array.from({ length: 4 }, () => slowHeaders(server!.port)));
    const fifth = await slowHeaders(server.port, '127.0.0.1');
    expect(await fifth.closed).toBe('');
  }, 60_000);

  it('a connection over the per-address cap is refused before the HTTP layer sees it (no parser, no timers)', async () => {
    // What the slowloris's reconnect storm costs the registry per refused connection: an accept and
    // a close. The HTTP server behind the front is told only of admitted connections.
    const http = createHttpServer(() => undefined);
    const seen: Socket[] = [];
    http.on('connection', (socket: Socket) => seen.push(socket));
    const front = frontListener(http, { ...defaultConnectionLimits(), maxConnectionsPerAddress: 2 }, silent);
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    http.emit('listening');
    try {
      const port = (front.address() as AddressInfo).port;
      const held = [await slowHeaders(port), await slowHeaders(port)];
      await eventually(() => expect(seen).toHaveLength(2));
      const refused = await slowHeaders(port);
      expect(await refused.closed).toBe('');
      // The held ones are still open, and the refused one never reached the HTTP server.
      expect(held.every((h) => !h.socket.destroyed)).toBe(true);
      expect(seen).toHaveLength(2);
    } finally {
      http.closeAllConnections();
      http.close();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    }
  });
});
