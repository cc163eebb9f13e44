import type { ServerResponse } from 'node:http';
import { type Clock, systemClock } from '../core/clock.js';
import { ErrorCode } from '../core/errors.js';
import { HttpError, readJsonBody, sendNoContent } from '../server/http-io.js';
import type { Route } from '../server/router.js';
import { requireAccess } from '../server/seams.js';
import type { RegistryServer } from '../server/server.js';
import { type Asset, loadAssets } from './assets.js';
import { DashboardFeed } from './feed.js';
import { TrafficBoard, parseTrafficReport } from './traffic.js';

/** Options of {@link mountDashboard}. */
export interface DashboardOptions {
  /**
   * Accept traffic reports at `POST /ui/api/traffic` (the demo client's stats for the traffic
   * matrix). Off by default: a plain registry shows only the registry.
   */
  readonly acceptTraffic?: boolean;
  /** How often lease time left is pushed to open pages. Default 1 s. */
  readonly leaseTickMs?: number;
  /** SSE heartbeat interval. Default 10 s. */
  readonly heartbeatMs?: number;
  /** Default: the system clock (use the server's clock). */
  readonly clock?: Clock;
  /** Traffic reporters kept at once (each is a peer); a new one beyond gets 429. Default 64. */
  readonly maxReporters?: number;
  /** How much traffic history the chart keeps. Default 5 minutes. */
  readonly historyMs?: number;
  /** Where the page's files are (tests). Default: `src/dashboard/static/` of this package. */
  readonly staticDir?: string;
}

/** A mounted dashboard. Dispose it to close every open page stream. */
export interface Dashboard extends Disposable {
  /** `${server.url}/ui` */
  readonly url: string;
  /** Open page streams. */
  readonly pages: number;
}

const MAX_REPORT_BYTES = 256 * 1024;

/**
 * Mounts the dashboard on a registry server: the page at `/ui`, its files under `/ui/`, and one
 * Server-Sent-Events stream `/ui/events` that carries the registry (instances by service, lease
 * time left) and, with `acceptTraffic`, the traffic reports of demo clients.
 *
 * @example
 * ```ts
 * const server = await startRegistryServer({ port: 7070 });
 * const dashboard = mountDashboard(server, { acceptTraffic: true });
 * console.log(`dashboard: ${dashboard.url}`);
 * ```
 */
export function mountDashboard(server: RegistryServer, options: DashboardOptions = {}): Dashboard {
  const clock = options.clock ?? systemClock;
  const assets = loadAssets(options.staticDir);
  const traffic = new TrafficBoard(clock, {
    ...(options.maxReporters === undefined ? {} : { maxReporters: options.maxReporters }),
    ...(options.historyMs === undefined ? {} : { spanMs: options.historyMs }),
  });
  const feed = new DashboardFeed({
    state: server.state,
    traffic,
    clock,
    leaseTickMs: options.leaseTickMs ?? 1_000,
    heartbeatMs: options.heartbeatMs ?? 10_000,
  });
  const index = requireAsset(assets, 'index.html');
  const favicon = requireAsset(assets, 'favicon.svg');
  const routes: Route[] = [
    { method: 'GET', path: '/ui', handler: ({ res }) => sendAsset(res, index) },
    // Browsers ask for /favicon.ico whatever the page says; an SVG answers it as well.
    { method: 'GET', path: '/favicon.ico', handler: ({ res }) => sendAsset(res, favicon) },
    {
      method: 'GET',
      path: '/ui/events',
      handler: ({ req, res }) => {
        // With ACLs on, the page sends a read token (Authorization header, never in the URL) and
        // sees only what that token may read.
        if (!server.auth.requiresToken) return feed.attach(res);
        const principal = server.auth.authenticate(req);
        requireAccess(principal, { access: 'read' });
        feed.attach(res, (service) => principal.may('read', service));
      },
    },
    {
      method: 'GET',
      path: '/ui/*',
      handler: ({ res, params }) => {
        const name = params['*'] ?? '';
        const asset = name === '' ? index : assets.get(name);
        if (asset === undefined) throw new HttpError(404, ErrorCode.NOT_FOUND, `no dashboard file ${name}`);
        sendAsset(res, asset);
      },
    },
  ];
  if (options.acceptTraffic === true) {
    routes.push({
      method: 'POST',
      path: '/ui/api/traffic',
      handler: async ({ req, res }) => {
        if (server.auth.requiresToken) requireAccess(server.auth.authenticate(req), { access: 'write' });
        if (!traffic.put(parseTrafficReport(await readJsonBody(req, MAX_REPORT_BYTES)))) {
          throw new HttpError(429, ErrorCode.RESOURCE_EXHAUSTED, 'too many traffic reporters at once');
        }
        feed.publishTraffic();
        sendNoContent(res);
      },
    });
  }
  server.router.mount(...routes);
  return {
    url: `${server.url}/ui`,
    get pages() {
      return feed.size;
    },
    [Symbol.dispose]: () => feed[Symbol.dispose](),
  };
}

function requireAsset(assets: ReadonlyMap<string, Asset>, name: string): Asset {
  const asset = assets.get(name);
  if (asset === undefined) throw new HttpError(500, ErrorCode.INTERNAL, `dashboard: ${name} is missing`);
  return asset;
}

/** The page loads only its own files, and may not be framed (clickjacking). */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'",
  'x-frame-options': 'DENY',
} as const;

function sendAsset(res: ServerResponse, asset: Asset): void {
  res.writeHead(200, {
    'content-type': asset.contentType,
    'content-length': asset.body.length,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    ...PAGE_HEADERS,
  });
  res.end(asset.body);
}
