import { preloadZod } from '../core/zod.js';
import type { RegistryServerOptions } from './options.js';
import type { RegistryServer } from './registry-server.js';

export type { RegistryServer, ServedRequest } from './registry-server.js';

/**
 * Starts the Proxima registry server: an HTTP/JSON API over a memory registry, with SSE watches,
 * TTL leases swept on time and a batched keep-alive per registrar session. `proxima registry` runs
 * exactly this; the API is described in `docs/registry-api.md`.
 *
 * @example
 * ```ts
 * await using server = await startRegistryServer({ port: 0 });
 * const registry = new HttpRegistry({ url: server.url });
 * ```
 *
 * The server's machinery loads on the first call, not when the package is imported.
 */
export async function startRegistryServer(options: RegistryServerOptions = {}): Promise<RegistryServer> {
  const [{ runRegistryServer }] = await Promise.all([import('./registry-server.js'), preloadZod()]);
  return runRegistryServer(options);
}
