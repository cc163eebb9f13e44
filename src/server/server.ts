import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../core/logger.js';
import type { Event } from '../core/event.js';
import { preloadZod } from '../core/zod.js';
import type { XdsServer } from '../xds/xds-server.js';
import type { RegistryServerOptions } from './options.js';
import type { RouteTable } from './router.js';
import type { AuthPolicy } from './seams.js';
import type { RegistryState } from './state.js';

/** A running registry server. Dispose it (or `close()`) to end watches and free the port. */
export interface RegistryServer extends AsyncDisposable {
  /** Base URL, e.g. `http://127.0.0.1:7070`: what `PROXIMA_REGISTRY` should be set to. */
  readonly url: string;
  /** The bound port (useful with `port: 0`). */
  readonly port: number;
  /** The route table: mount `/metrics`, `/ui` and friends here. */
  readonly router: RouteTable;
  /** The xDS server, when `xds` was given. */
  readonly xds: XdsServer | undefined;
  /** The registry state behind the API (for metrics and the dashboard). */
  readonly state: RegistryState;
  readonly logger: Logger;
  /**
   * Fires as each request starts, with its matched route pattern (undefined when no route
   * matched): `/metrics` counts requests and open SSE streams from it, watching `res` for the end.
   */
  readonly requests: Event<ServedRequest>;
  /** How requests are authenticated: the ACL, or open. The dashboard asks for a token when it must. */
  readonly auth: AuthPolicy;
  /**
   * Reads the ACL file again (`proxima registry` does it on SIGHUP). Open watches stay open. A bad
   * file throws and the current rules stay in force. Nothing to do without an ACL file.
   */
  reloadAcl(): void;
  close(): Promise<void>;
}

/** A request as it starts, for observers (see {@link RegistryServer.requests}). */
export interface ServedRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The route pattern, e.g. `/v1/services/:service/watch` (bounded, unlike the path). */
  readonly route: string | undefined;
}

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
