import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { lazySchema } from '../../core/zod.js';
import { parseWith } from '../../core/validate.js';

/** Options of {@link serveMetrics}. */
export interface ServeMetricsOptions {
  /** Port to listen on; 0 picks a free one (read it from `address`). */
  readonly port: number;
  /** Interface to listen on (default `127.0.0.1`; `0.0.0.0` for a scraper on another host). */
  readonly host?: string;
  /** Path of the exposition (default `/metrics`). */
  readonly path?: string;
  /** Open connections at most (default 16): a scraper needs one; more are refused. */
  readonly maxConnections?: number;
  /** A request must arrive whole within this long, ms (default 10 000). */
  readonly requestTimeoutMs?: number;
}

/** A running metrics endpoint; dispose it (or `close()`) to stop. */
export interface MetricsEndpoint extends AsyncDisposable {
  readonly address: { readonly host: string; readonly port: number };
  close(): Promise<void>;
}

export const serveMetricsOptionsSchema = lazySchema((z) =>
  z
    .object({
      port: z.number().int().min(0).max(65535),
      host: z.string().min(1).optional(),
      path: z.string().regex(/^\//, 'an absolute path like /metrics').optional(),
      maxConnections: z.number().int().min(1).max(10_000).optional(),
      requestTimeoutMs: z.number().int().min(1).optional(),
    })
    .strict(),
);

/**
 * Serves `registry` as a Prometheus text exposition on its own small HTTP server: `GET /metrics`
 * (and `HEAD`), 404 elsewhere, 405 for other methods. For a process with no HTTP server of its
 * own, or one that should not expose metrics on its public port. Throws INVALID_ARGUMENT naming
 * the field for bad options; rejects when the port cannot be bound.
 *
 * @example
 * ```ts
 * const registry = new Registry();
 * collectProcessMetrics(registry);
 * await using endpoint = await serveMetrics(registry, { port: 9464 });
 * // curl http://127.0.0.1:9464/metrics
 * ```
 */
export async function serveMetrics(
  registry: Registry,
  options: ServeMetricsOptions,
): Promise<MetricsEndpoint> {
  parseWith(serveMetricsOptionsSchema(), options, 'metrics');
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/metrics';
  const server = createServer((req, res) => void answer(registry, path, req, res));
  server.maxConnections = options.maxConnections ?? 16;
  server.requestTimeout = options.requestTimeoutMs ?? 10_000;
  server.headersTimeout = Math.min(server.requestTimeout, 10_000);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address();
  const address = { host, port: typeof bound === 'object' && bound !== null ? bound.port : options.port };
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  return { address, close, [Symbol.asyncDispose]: close };
}

async function answer(
  registry: Registry,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  if ((query < 0 ? url : url.slice(0, query)) !== path) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  try {
    const body = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(`collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}
