import { invalidArgument } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { isMissingPackage, missingPeer } from '../../core/peer.js';
import { readPemFile } from '../../core/tls-files.js';
import { mountDashboard } from '../../dashboard/routes.js';
import {
  DEFAULT_PORT,
  startRegistryServer,
  type RegistryServer,
  type TlsOptions,
} from '../../server/index.js';
import { isLoopbackHost } from '../../server/security/request-guard.js';
import { defineCommand } from '../command.js';
import { COMMON_FLAGS, registryUrl } from '../common.js';
import { aborted } from '../../core/signals.js';
import { parsePortFlag } from '../../core/command-line/values.js';

const DEFAULT_HOST = '127.0.0.1';

/**
 * `proxima registry`: the embedded default registry server. It prints one stdout line with its URL
 * once it listens (scripts wait for it) and closes cleanly on SIGINT/SIGTERM. SIGHUP re-reads the
 * ACL file. Off loopback it refuses to run open (no ACL) or in clear (no TLS) unless `--insecure`.
 */
export const command = defineCommand({
  usage:
    '[--host HOST] [--port PORT] [--xds-port PORT] [--acl FILE] [--tls-cert FILE --tls-key FILE [--tls-ca FILE]] [--allowed-hosts H1,H2] [--insecure]',
  description: [
    'Runs the Proxima registry server: HTTP/JSON API, Server-Sent-Events watches, TTL leases.',
    'Its state is soft: after a restart, registrars re-register within a keep-alive period.',
    'Without --host/--port it listens where --registry (or $PROXIMA_REGISTRY) points when that is',
    `an http(s):// URL, else on ${DEFAULT_HOST}:${DEFAULT_PORT}. Prints "registry listening on URL" when ready.`,
    'The dashboard is served at /ui (services, instances, leases; traffic panels appear when a',
    'client reports traffic, as the demo does). Prometheus metrics (registry size, watches,',
    'requests, process) are served at /metrics when the optional package prom-client is installed.',
    'With --xds-port it also serves the registry over xDS to stock gRPC clients and prints',
    '"xds listening on HOST:PORT" (needs the optional package @grpc/grpc-js-xds; docs/xds.md).',
    'With --acl, every request needs a bearer token of the file (SIGHUP reloads it); see docs/security.md.',
    'A --host other than loopback needs --acl and --tls-cert/--tls-key, or --insecure.',
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
    acl: {
      type: 'string',
      placeholder: 'FILE',
      description:
        'token ACL (JSON: {"anonymous","tokens":[{name,token,admin,rules,limits}]}); SIGHUP reloads it',
    },
    'tls-cert': {
      type: 'string',
      placeholder: 'FILE',
      description: 'serve HTTPS with this certificate (PEM)',
    },
    'tls-key': { type: 'string', placeholder: 'FILE', description: 'private key of --tls-cert (PEM)' },
    'tls-ca': {
      type: 'string',
      placeholder: 'FILE',
      description: 'require client certificates signed by this CA (mTLS)',
    },
    'allowed-hosts': {
      type: 'string',
      placeholder: 'H1,H2',
      description:
        'host names the Host header may carry, or * (default: the bind address, plus localhost, 127.0.0.1, ::1 on loopback)',
    },
    insecure: {
      type: 'boolean',
      description:
        'allow a non-loopback --host without --acl or without TLS (anyone who can reach it can rewrite it)',
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
    const tls = tlsFromFlags(flags['tls-cert'], flags['tls-key'], flags['tls-ca']);
    refuseOpenOffLoopback(host, flags.acl !== undefined, tls !== undefined, flags.insecure);
    const server = await listenOrExplain(
      () =>
        startRegistryServer({
          host,
          port,
          logger,
          ...(xdsPort === undefined ? {} : { xds: { port: xdsPort } }),
          ...(flags.acl === undefined ? {} : { acl: flags.acl }),
          ...(tls === undefined ? {} : { tls }),
          ...(flags['allowed-hosts'] === undefined
            ? {}
            : { allowedHosts: flags['allowed-hosts'].split(',') }),
        }),
      port,
    );
    using _metrics = await mountMetricsIfInstalled(server, logger);
    using dashboard = mountDashboard(server, { acceptTraffic: true });
    const reload = (): void => {
      try {
        server.reloadAcl();
      } catch (error) {
        logger.error(
          { err: (error as Error).message },
          'acl reload failed; the previous rules stay in force',
        );
      }
    };
    process.on('SIGHUP', reload);
    try {
      stdout.write(`registry listening on ${server.url}\n`);
      stdout.write(`dashboard: ${dashboard.url}\n`);
      if (server.xds !== undefined) stdout.write(`xds listening on ${server.xds.address}\n`);
      await aborted(signal);
    } finally {
      process.off('SIGHUP', reload);
    }
    logger.info({ url: server.url }, 'shutting down');
    await server.close();
    return 0;
  },
});

/**
 * Item 8 of issue 9: reachable beyond loopback, a registry without an ACL can be rewritten by
 * anyone, and one without TLS sends tokens in clear. Refuse both unless the operator says so.
 */
function refuseOpenOffLoopback(host: string, acl: boolean, tls: boolean, insecure: boolean): void {
  if (insecure || isLoopbackHost(host) || (acl && tls)) return;
  const missing = [acl ? undefined : '--acl FILE', tls ? undefined : '--tls-cert FILE --tls-key FILE']
    .filter((m) => m !== undefined)
    .join(' and ');
  throw invalidArgument(
    '--host',
    `${host} is not loopback: refusing to start without ${missing}. ` +
      'Give them (see docs/security.md), or --insecure to run it anyway (anyone who can reach it can rewrite it).',
  );
}

function tlsFromFlags(
  cert: string | undefined,
  key: string | undefined,
  ca: string | undefined,
): TlsOptions | undefined {
  if (cert === undefined && key === undefined) {
    if (ca !== undefined) throw invalidArgument('--tls-ca', 'needs --tls-cert and --tls-key');
    return undefined;
  }
  if (cert === undefined) throw invalidArgument('--tls-cert', '--tls-key needs --tls-cert');
  if (key === undefined) throw invalidArgument('--tls-key', '--tls-cert needs --tls-key');
  return {
    cert: readPemFile(cert, '--tls-cert'),
    key: readPemFile(key, '--tls-key'),
    ...(ca === undefined ? {} : { ca: readPemFile(ca, '--tls-ca') }),
  };
}

/** The host and port of an `http(s)://` registry URL, or the defaults for anything else. */
function servedAddress(url: string): { host: string; port: number } {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
      const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
      const fallback = parsed.protocol === 'https:' ? 443 : 80;
      return { host, port: parsed.port === '' ? fallback : Number(parsed.port) };
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
