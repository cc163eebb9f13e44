import type { Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { z } from 'zod';
import { lazySchema, zod } from '../core/zod.js';
import type { Logger } from '../core/logger.js';
import { parseWith } from '../core/validate.js';
import { defaultMaxConnections } from '../rpc/server/limits.js';

/**
 * Bounds on the registry server's connections, so a slowloris (connections that send headers or a
 * body a byte at a time, or nothing) cannot hold sockets, memory and file descriptors for long:
 * Node's own defaults keep a connection that never finishes its headers for 60 s (checked every
 * 30 s), its body for 300 s, and accept connections until the fd limit.
 */
export interface ConnectionLimits {
  /** Open connections in all; the next one is closed at once. */
  readonly maxConnections: number;
  /** Open connections from one client address; the next one from it is closed at once. */
  readonly maxConnectionsPerAddress: number;
  /** Time to receive a request's headers, from its first byte; then 408 and close. */
  readonly headersTimeoutMs: number;
  /** Time to receive a whole request (headers and body); then 408 and close. Watches are not cut: their request is complete once its headers are in. */
  readonly requestTimeoutMs: number;
}

/** The defaults of {@link ConnectionLimits}. */
export function defaultConnectionLimits(): ConnectionLimits {
  return {
    maxConnections: defaultMaxConnections(),
    maxConnectionsPerAddress: 2_000,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
  };
}

const count = lazySchema((z) => z.number().int('must be an integer').min(1));

/** `connections` of the registry server options: any subset of {@link ConnectionLimits}. */
export const connectionLimitsSchema = lazySchema((z) =>
  z
    .object({
      maxConnections: count(),
      maxConnectionsPerAddress: count(),
      headersTimeoutMs: count(),
      requestTimeoutMs: count(),
    })
    .partial()
    .strict(),
);

export type ConnectionLimitsInput = z.input<ReturnType<typeof connectionLimitsSchema>>;

/**
 * Validates `input` (INVALID_ARGUMENT naming e.g. `options.connections.headersTimeoutMs`) and fills
 * the defaults. The headers must fit in the request's time.
 */
export function resolveConnectionLimits(input: unknown, root = 'options.connections'): ConnectionLimits {
  const given = parseWith(connectionLimitsSchema(), input ?? {}, root);
  const defaults = defaultConnectionLimits();
  // One of the two timeouts alone moves the other's default out of its way.
  const requestTimeoutMs =
    given.requestTimeoutMs ?? Math.max(defaults.requestTimeoutMs, given.headersTimeoutMs ?? 0);
  const limits: ConnectionLimits = {
    maxConnections: given.maxConnections ?? defaults.maxConnections,
    maxConnectionsPerAddress: given.maxConnectionsPerAddress ?? defaults.maxConnectionsPerAddress,
    headersTimeoutMs: given.headersTimeoutMs ?? Math.min(defaults.headersTimeoutMs, requestTimeoutMs),
    requestTimeoutMs,
  };
  const z = zod();
  parseWith(
    z.object({
      headersTimeoutMs: z.number().max(limits.requestTimeoutMs, 'must not exceed requestTimeoutMs'),
    }),
    { headersTimeoutMs: limits.headersTimeoutMs },
    root,
  );
  return limits;
}

/** The `node:http` server options that carry the timeouts (they must be set at creation). */
export function httpTimeoutOptions(limits: ConnectionLimits): {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
} {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // How often Node looks for expired requests: the timeouts' resolution (Node's default is 30 s).
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 2))),
  };
}

/**
 * The listening socket in front of the HTTP(S) server, applying the connection caps: the total
 * through `maxConnections` (Node closes the excess on accept, before any JavaScript object is made
 * for it), the per-address cap by closing a connection at once when its address already holds
 * `maxConnectionsPerAddress`. Admitted connections are handed to `server` (its `connection` event);
 * a refused one never reaches it, so it costs no HTTP parser, timers or TLS state: a client that
 * reconnects as fast as it is refused (the chaos suite's slowloris: ~40,000 connects a second) costs
 * the registry an accept and a close each. The map of addresses holds only addresses with an open
 * connection, so it is bounded by the total cap.
 */
export function frontListener(server: Server, limits: ConnectionLimits, logger: Logger): NetServer {
  const open = new Map<string, number>();
  let refused = 0;
  const front = createNetServer({ noDelay: true }, (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const held = open.get(address) ?? 0;
    if (held >= limits.maxConnectionsPerAddress) {
      if (refused++ % 1_000 === 0) {
        logger.warn(
          { address, limit: limits.maxConnectionsPerAddress, refused },
          'registry: connection refused, per-address cap reached',
        );
      }
      socket.destroy();
      return;
    }
    open.set(address, held + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
    server.emit('connection', socket);
  });
  front.maxConnections = limits.maxConnections;
  front.on('drop', () => {
    if (refused++ % 1_000 === 0)
      logger.warn({ limit: limits.maxConnections, refused }, 'registry: connection refused, cap reached');
  });
  return front;
}
