import { invalidArgument } from '../../core/errors.js';
import type { AclPolicy } from '../../server/security/acl.js';
import type { XdsReadAccess } from '../../xds/xds-server.js';
import { tlsMaterialFromEnv } from '../../core/tls-files.js';
import { defineCommand } from '../command.js';
import { asFlagError, COMMON_FLAGS, openRegistryFlag, TOKEN_FLAGS } from '../common.js';
import { aborted } from '../../core/signals.js';
import { parsePortFlag } from '../../core/command-line/values.js';

const DEFAULT_HOST = '127.0.0.1';
const DEFAULT_XDS_PORT = 18_000;

/**
 * `proxima xds`: an xDS (ADS) server over any registry, for stock gRPC clients; `proxima xds
 * bootstrap` prints the bootstrap JSON such a client needs.
 */
export const command = defineCommand({
  usage:
    '[--registry URL] [--host HOST] [--port PORT] [--retry-on CODES] [--acl FILE] | bootstrap --node-id ID [--region R --zone Z --subzone S] [--server HOST:PORT]',
  description: [
    'Serves the registry over xDS (ADS, state of the world, v3) so stock gRPC clients (grpc-js-xds,',
    "grpc-go, grpc-java, Envoy) dial xds:///SERVICE and get Proxima's locality tiers, computed for",
    "each client from its bootstrap's node.locality. Watches --registry (memory:, http://, etcd://)",
    'through Proxima discovery. Prints "xds listening on HOST:PORT" when ready. See docs/xds.md.',
    'With $PROXIMA_TLS_CERT and $PROXIMA_TLS_KEY it serves TLS; with $PROXIMA_TLS_CA too, mTLS.',
    'With --acl, each ADS stream needs a bearer token of the file in its call metadata and is served',
    'only the services it may read (the registry ACL format; SIGHUP reloads it); see docs/security.md.',
    '`proxima xds bootstrap` prints the bootstrap JSON for GRPC_XDS_BOOTSTRAP / GRPC_XDS_BOOTSTRAP_CONFIG.',
  ].join('\n'),
  flags: {
    host: { type: 'string', placeholder: 'HOST', description: `interface to bind (default ${DEFAULT_HOST})` },
    port: {
      type: 'string',
      placeholder: 'PORT',
      description: `TCP port of the xDS server, 0 for any free one (default ${DEFAULT_XDS_PORT})`,
    },
    'retry-on': {
      type: 'string',
      placeholder: 'CODES',
      description: 'route retry policy: gRPC codes clients retry on, e.g. unavailable (default none)',
    },
    acl: {
      type: 'string',
      placeholder: 'FILE',
      description:
        'token ACL of xDS clients (the registry --acl format); its read rules apply; SIGHUP reloads it',
    },
    'node-id': { type: 'string', placeholder: 'ID', description: 'bootstrap: the node id of the client' },
    region: { type: 'string', placeholder: 'R', description: 'bootstrap: the region of the client' },
    zone: { type: 'string', placeholder: 'Z', description: 'bootstrap: the zone of the client' },
    subzone: { type: 'string', placeholder: 'S', description: 'bootstrap: the subzone of the client' },
    server: {
      type: 'string',
      placeholder: 'HOST:PORT',
      description: `bootstrap: the xDS server (default ${DEFAULT_HOST}:${DEFAULT_XDS_PORT})`,
    },
    ...COMMON_FLAGS,
    ...TOKEN_FLAGS,
  },
  positionals: [{ name: 'ACTION', description: '`bootstrap` to print a client bootstrap', required: false }],
  async run({ flags, positionals }, context) {
    const action = positionals.ACTION;
    if (action === 'bootstrap') {
      const { xdsBootstrap } = await import('../../xds/bootstrap.js');
      const nodeId = flags['node-id'];
      if (nodeId === undefined) throw invalidArgument('--node-id', 'required by bootstrap');
      const bootstrap = withFlagNames(() =>
        xdsBootstrap({
          nodeId,
          ...(flags.server === undefined ? {} : { server: flags.server }),
          ...(flags.region === undefined ? {} : { region: flags.region }),
          ...(flags.zone === undefined ? {} : { zone: flags.zone }),
          ...(flags.subzone === undefined ? {} : { subzone: flags.subzone }),
        }),
      );
      context.stdout.write(`${JSON.stringify(bootstrap, null, 2)}\n`);
      return 0;
    }
    if (action !== undefined)
      throw invalidArgument('ACTION', `expected "bootstrap" or nothing, got "${action}"`);
    const { startXdsServer } = await import('../../xds/xds-server.js');
    await using registry = await openRegistryFlag(flags, context);
    const retryOn = flags['retry-on'] === undefined ? [] : flags['retry-on'].split(',').map((c) => c.trim());
    // PROXIMA_TLS_CERT + PROXIMA_TLS_KEY serve TLS; with PROXIMA_TLS_CA, client certificates are required.
    const tls = tlsMaterialFromEnv(context.env);
    const acl = flags.acl === undefined ? undefined : await loadAcl(flags.acl);
    const server = await startXdsServer({
      registry,
      ...(tls?.cert === undefined || tls.key === undefined
        ? {}
        : { tls: { cert: tls.cert, key: tls.key, ...(tls.ca === undefined ? {} : { ca: tls.ca }) } }),
      host: flags.host ?? DEFAULT_HOST,
      port: flags.port === undefined ? DEFAULT_XDS_PORT : parsePortFlag(flags.port, '--port', true),
      logger: context.logger,
      ...(retryOn.length === 0 ? {} : { retryOn: retryOn as ['unavailable'] }),
      ...(acl === undefined ? {} : { readAccess: acl.readAccess }),
    }).catch((error: unknown) => {
      throw asFlagError(error, FLAG_NAMES);
    });
    const reload = (): void => {
      try {
        acl?.policy.reload();
        context.logger.info({ tokens: acl?.policy.size }, 'acl reloaded');
      } catch (error) {
        context.logger.error(
          { err: (error as Error).message },
          'acl reload failed; the previous rules stay in force',
        );
      }
    };
    if (acl !== undefined) process.on('SIGHUP', reload);
    try {
      context.stdout.write(`xds listening on ${server.address}\n`);
      await aborted(context.signal);
    } finally {
      process.off('SIGHUP', reload);
    }
    await server.close();
    return 0;
  },
});

const FLAG_NAMES = {
  'bootstrap.nodeId': '--node-id',
  'bootstrap.server': '--server',
  'bootstrap.region': '--region',
  'bootstrap.zone': '--zone',
  'bootstrap.subzone': '--subzone',
  'xds.retryOn': '--retry-on',
};

/** The ACL file and the xDS read-access hook over it (loaded only with --acl). */
async function loadAcl(file: string): Promise<{ policy: AclPolicy; readAccess: XdsReadAccess }> {
  const [{ AclPolicy: Policy }, { xdsReadAccess }] = await Promise.all([
    import('../../server/security/acl.js'),
    import('../../server/xds-access.js'),
  ]);
  const policy = Policy.fromFile(file);
  return { policy, readAccess: xdsReadAccess(policy) };
}

function withFlagNames<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    throw asFlagError(error, FLAG_NAMES);
  }
}
