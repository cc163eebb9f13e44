import type { Logger } from 'pino';
import { invalidArgument } from '../../core/errors.js';
import { isMissingPackage, missingPeer } from '../../core/peer.js';
import { mountDashboard } from '../../dashboard/routes.js';
import { DEFAULT_PORT, startRegistryServer, type RegistryServer } from '../../server/index.js';
import { defineCommand } from '../command.js';
import { COMMON_FLAGS, registryUrl } from '../common.js';
import { aborted } from '../shutdown.js';
import { parsePortFlag } from '../values.js';

const DEFAULT_HOST = '127.0.0.1';

/**
 * `proxima registry`: the embedded default registry server. It prints one stdout line with its URL
 * once it listens (scripts wait for it) and closes cleanly on SIGINT/SIGTERM.
 */
export const command = defineCommand({
  usage: '[--host HOST] [--port PORT] [--xds-port PORT]',
  description: [
    'Runs the Proxima registry server: HTTP/JSON API, Server-Sent-Events watches, TTL leases.',
    'Its state is soft: after a restart, registrars re-register within a keep-alive period.',
    'Without --host/--port it listens where --registry (or $PROXIMA_REGISTRY) points when that is',
    `an http:// URL, else on ${DEFAULT_HOST}:${DEFAULT_PORT}. Prints "registry listening on URL" when ready.`,
    'The dashboard is served at /ui (services, instances, leases; traffic panels appear when a',
    'client reports traffic, as the demo does). Prometheus metrics (registry size, watches,',
    'requests, process) are served at /metrics when the optional package prom-client is installed.',
    'With --xds-port it also serves the registry over xDS to stock gRPC clients and prints',
    '"xds listening on HOST:PORT" (needs the optional package @grpc/grpc-js-xds; docs/xds.md).',
  ].join('\n'),
  flags: {
    host: { type: 'string', placeholder: 'HOST', description: `interface to bind (default ${DEFAULT_HOST})` },
    port: {
      type: 'string',
      placeholder: 'PORT',
      description: `TCP port, 0 for any free one (default ${DEFAULT_PORT})`,
    },
    'xds-port': {
      type: 'string',
      placeholder: 'PORT',
      description:
        'also serve xDS (ADS) to stock gRPC clients on this port, 0 for any free one (docs/xds.md)',
    },
    ...COMMON_FLAGS,
  },
  positionals: [],
  async run({ flags }, { stdout, env, logger, signal }) {
    const served = servedAddress(registryUrl(flags.registry, env));
    const port = flags.port === undefined ? served.port : parsePortFlag(flags.port, '--port', true);
    const host = flags.host ?? served.host;
    const xdsPort =
      flags['xds-port'] === undefined ? undefined : parsePortFlag(flags['xds-port'], '--xds-port', true);
    const server = await listenOrExplain(
      () =>
        startRegistryServer({
          host,
          port,
          logger,
          ...(xdsPort === undefined ? {} : { xds: { port: xdsPort } }),
        }),
      port,
    );
    using _metrics = await mountMetricsIfInstalled(server, logger);
    using dashboard = mountDashboard(server, { acceptTraffic: true });
    stdout.write(`registry listening on ${server.url}\n`);
    stdout.write(`dashboard: ${dashboard.url}\n`);
    if (server.xds !== undefined) stdout.write(`xds listening on ${server.xds.address}\n`);
    await aborted(signal);
    logger.info({ url: server.url }, 'shutting down');
    await server.close();
    return 0;
  },
});

/** The host and port of an `http://` registry URL, or the defaults for anything else. */
function servedAddress(url: string): { host: string; port: number } {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:') {
      const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
      return { host, port: parsed.port === '' ? 80 : Number(parsed.port) };
    }
  } catch {
    // not a URL: the defaults apply, other commands report the bad value
  }
  return { host: DEFAULT_HOST, port: DEFAULT_PORT };
}

/** A taken port is the user's to fix (exit 2), said in words rather than as `listen EADDRINUSE`. */
async function listenOrExplain(listen: () => Promise<RegistryServer>, port: number): Promise<RegistryServer> {
  try {
    return await listen();
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EADDRINUSE') {
      throw invalidArgument('--port', `port ${port} is in use; pass --port 0 for any free port`);
    }
    throw error;
  }
}

/**
 * `/metrics` needs prom-client, an optional peer dependency: without it the registry runs and says
 * once on stderr what to install.
 */
async function mountMetricsIfInstalled(server: RegistryServer, logger: Logger): Promise<Disposable> {
  try {
    const [{ Registry }, { collectProcessMetrics }, { mountMetrics }, { collectXdsMetrics }] =
      await Promise.all([
        import('prom-client'),
        import('../../observability/metrics/process-metrics.js'),
        import('../../observability/metrics/registry-server-metrics.js'),
        import('../../observability/metrics/xds-metrics.js'),
      ]);
    const metrics = new Registry();
    collectProcessMetrics(metrics);
    if (server.xds !== undefined) collectXdsMetrics(server.xds, metrics);
    return mountMetrics(server, metrics);
  } catch (error) {
    if (!isMissingPackage(error, 'prom-client')) throw error;
    logger.warn(missingPeer('prom-client', 'serving /metrics').message);
    return { [Symbol.dispose]: () => undefined };
  }
}
