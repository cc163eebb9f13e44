import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../core/clock.js';
import { Emitter, type Event } from '../core/event.js';
import { joinAddress } from '../core/instance.js';
import { type Logger, withFields } from '../core/logger.js';
import { sendError, statusOf } from './http-io.js';
import { registryChecks } from './checks/registry-checks.js';
import { frontListener, httpTimeoutOptions, resolveConnectionLimits } from './connection-limits.js';
import { checkOptions, type RegistryServerOptions } from './options.js';
import { RouteTable } from './router.js';
import { adminRoutes } from './routes/admin.js';
import type { ApiDeps } from './routes/api-deps.js';
import { healthRoutes } from './routes/health.js';
import { instanceRoutes } from './routes/instances.js';
import { leaseRoutes } from './routes/leases.js';
import { watchRoutes } from './routes/watch.js';
import { AclPolicy } from './security/acl.js';
import { xdsReadAccess } from './xds-access.js';
import { Gatekeeper } from './security/gatekeeper.js';
import { DEFAULT_LIMITS, mergeLimits } from './security/limits.js';
import { defaultAllowedHosts, guardRequest, parseAllowedHosts } from './security/request-guard.js';
import { allowAll, type AuthPolicy, type TlsOptions } from './seams.js';
import { invalidArgument } from '../core/errors.js';
import { RegistryState } from './state.js';
import type { XdsServer } from '../xds/xds-server.js';
import { MemoryRegistry } from '../backends/memory/memory-registry.js';
import { createDiscoverer } from '../discovery/discoverer.js';

/** The listen backlog asked for; the kernel caps it at net.core.somaxconn (4096 by default). */
const LISTEN_BACKLOG = 4_096;

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
 * {@link startRegistryServer}'s work, in the module it loads on first use: checks the options,
 * builds the state, routes and security, and listens.
 */
export async function runRegistryServer(options: RegistryServerOptions): Promise<RegistryServer> {
  const checked = checkOptions(options);
  const connectionLimits = resolveConnectionLimits(options.connections);
  const clock = options.clock ?? systemClock;
  // pino loads only when no logger is given: importing the package must not pay for it.
  const logger = options.logger ?? (await import('pino')).pino({ name: 'proxima-registry' });
  const state = new RegistryState({
    clock,
    ...(checked.historyLimit === undefined ? {} : { historyLimit: checked.historyLimit }),
  });
  const checks = options.checks && registryChecks(state, options.checks, clock, logger);
  const closing = new AbortController();
  const acl =
    options.acl === undefined
      ? undefined
      : typeof options.acl === 'string'
        ? AclPolicy.fromFile(options.acl)
        : AclPolicy.from(options.acl);
  const auth = acl ?? options.auth ?? allowAll;
  const gate = new Gatekeeper(auth, mergeLimits(DEFAULT_LIMITS, checked.limits), clock);
  const allowedHosts =
    checked.allowedHosts === undefined
      ? defaultAllowedHosts(checked.host)
      : parseAllowedHosts(checked.allowedHosts);
  const deps: ApiDeps = {
    state,
    gate,
    clock,
    logger,
    maxBodyBytes: checked.maxBodyBytes,
    heartbeatMs: checked.heartbeatMs,
    closing: closing.signal,
  };
  const router = new RouteTable().mount(
    ...healthRoutes(deps, clock.now()),
    ...leaseRoutes(deps),
    ...instanceRoutes(deps),
    ...watchRoutes(deps),
  );
  if (options.admin === true) router.mount(...adminRoutes(deps));

  const requests = new Emitter<ServedRequest>();
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('x-content-type-options', 'nosniff');
    try {
      const method = req.method ?? 'GET';
      const url = new URL(req.url ?? '/', 'http://registry');
      const match = router.match(method, url.pathname);
      if (requests.size > 0)
        requests.emit({ req, res, route: match.kind === 'found' ? match.route.path : undefined });
      guardRequest(req, allowedHosts);
      if (match.kind !== 'found') RouteTable.refuse(match, method, url.pathname);
      await match.route.handler({ req, res, params: match.params, query: url.searchParams });
    } catch (thrown) {
      const error = sendError(res, thrown);
      const status = statusOf(error);
      if (status >= 500) logger.error({ err: thrown, method: req.method, url: req.url }, 'request failed');
      else logger.debug({ code: error.code, status, method: req.method, url: req.url }, error.message);
    }
  };
  const listener = (req: IncomingMessage, res: ServerResponse): void => void handle(req, res);
  const timeouts = httpTimeoutOptions(connectionLimits);
  const server: Server = options.tls
    ? createHttpsServer(
        {
          ...timeouts,
          ...options.tls,
          // With a CA, a client certificate it signed is required: the handshake fails without one.
          ...(options.tls.ca === undefined ? {} : { requestCert: true, rejectUnauthorized: true }),
        },
        listener,
      )
    : createHttpServer(timeouts, listener);
  // The socket that listens is the front's: it refuses over-cap connections before HTTP sees them.
  const front = frontListener(server, connectionLimits, logger);
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // A request not received within connections.headersTimeoutMs / requestTimeoutMs: 408, as Node's own.
    const status = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\n\r\n`);
    logger.debug({ err: error }, 'client error');
  });

  await new Promise<void>((resolve, reject) => {
    front.once('error', reject);
    // The kernel's accept queue as long as it allows (net.core.somaxconn caps it; Node's default is
    // 511): a burst of connects beyond it drops SYNs, and a dropped SYN costs the client a 1 s
    // retransmission — a legitimate client caught in a reconnect storm waits that second.
    front.listen({ port: checked.port, host: checked.host, backlog: LISTEN_BACKLOG }, () => {
      front.off('error', reject);
      // The HTTP server itself never listens; its 'listening' event starts what Node's HTTP layer
      // starts on listen: tracking connections for the header / request timeouts and for
      // closeAllConnections.
      server.emit('listening');
      resolve();
    });
  });
  checks?.start();
  const port = (front.address() as AddressInfo).port;
  const url = `${options.tls ? 'https' : 'http'}://${joinAddress(checked.host, port)}`;
  logger.info({ url }, 'registry listening');
  const xds =
    options.xds === undefined ? undefined : await startXds(options, checked.host, state, logger, acl);

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      closing.abort();
      checks?.close();
      await xds?.close();
      const stopped = new Promise<void>((resolve) => front.close(() => resolve()));
      // Stops the timeout checks (the server is not listening: its callback only reports that).
      server.close(() => undefined);
      server.closeAllConnections();
      await stopped;
      state.close();
      logger.info({ url }, 'registry stopped');
    })());
  return {
    url,
    port,
    router,
    xds,
    state,
    logger,
    requests: requests.event,
    auth,
    reloadAcl: () => {
      if (acl === undefined) return;
      acl.reload();
      gate.resetRates();
      logger.info({ tokens: acl.size }, 'acl reloaded');
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * The xDS port, loaded only when asked for (it loads grpc-js and the Envoy protos). It reads the
 * server's own store through a memory registry view: the store is authoritative, so no
 * self-preservation hold.
 */
async function startXds(
  options: RegistryServerOptions,
  host: string,
  state: RegistryState,
  logger: Logger,
  acl: AclPolicy | undefined,
): Promise<XdsServer> {
  const { startXdsServer } = await import('../xds/xds-server.js');
  const { retryOn, ...xds } = options.xds!;
  const registry = new MemoryRegistry({}, state.store);
  const discoverer = createDiscoverer({ registry, selfPreservation: false, logger });
  try {
    const server = await startXdsServer({
      ...xds,
      host: xds.host ?? host,
      ...(retryOn === undefined ? {} : { retryOn: [...retryOn] }),
      discoverer,
      logger: withFields(logger, { component: 'xds' }),
      ...(options.tls === undefined ? {} : { tls: xdsTls(options.tls) }),
      ...(acl === undefined ? {} : { readAccess: xdsReadAccess(acl) }),
    });
    return {
      address: server.address,
      port: server.port,
      stats: server.stats,
      queuedResponses: () => server.queuedResponses(),
      close: async () => {
        await server.close();
        await discoverer.close();
      },
      [Symbol.asyncDispose]: async () => {
        await server.close();
        await discoverer.close();
      },
    };
  } catch (error) {
    await discoverer.close();
    throw error;
  }
}

function xdsTls(tls: TlsOptions): { key: Buffer | string; cert: Buffer | string; ca?: Buffer | string } {
  const one = (value: unknown, field: string): Buffer | string => {
    if (typeof value === 'string' || Buffer.isBuffer(value)) return value;
    throw invalidArgument(`tls.${field}`, 'the xDS port takes one PEM string or Buffer');
  };
  return {
    key: one(tls.key, 'key'),
    cert: one(tls.cert, 'cert'),
    ...(tls.ca === undefined ? {} : { ca: one(tls.ca, 'ca') }),
  };
}
