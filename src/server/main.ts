import { isProximaError } from '../core/errors.js';
import type { FlagSpecs } from '../core/command-line/flags.js';
import { parseCommandLine } from '../core/command-line/parse.js';
import {
  parseDurationFlag,
  parseIntFlag,
  parseLogLevel,
  parsePortFlag,
} from '../core/command-line/values.js';
import { readPemFile } from '../core/tls-files.js';
import { onShutdownSignals } from '../core/signals.js';
import { startRegistryServer } from './server.js';

/**
 * A bare entry point for the registry server, for tests and benchmarks that want a server process
 * without the CLI: `node --import tsx src/server/main.ts --port 0 [--host H] [--history-limit N]
 * [--heartbeat 10s] [--admin] [--acl FILE] [--allowed-hosts a,b] [--tls-cert F --tls-key F
 * [--tls-ca F]] [--unlimited] [--log-level info]`. Logs one JSON line `registry listening` with
 * the URL; reloads the ACL on SIGHUP; exits 0 on SIGINT/SIGTERM. `proxima registry` is the
 * user-facing command (and the one that refuses an open registry off loopback).
 */
const FLAGS = {
  host: { type: 'string', placeholder: 'HOST', description: 'interface to bind', default: '127.0.0.1' },
  port: { type: 'string', placeholder: 'PORT', description: 'TCP port (0: any free one)', default: '7070' },
  'history-limit': { type: 'string', placeholder: 'N', description: 'watch events kept for resume' },
  heartbeat: { type: 'string', placeholder: 'DURATION', description: 'SSE heartbeat interval' },
  admin: { type: 'boolean', description: 'enable the admin routes (tests)' },
  acl: { type: 'string', placeholder: 'FILE', description: 'ACL file (SIGHUP reloads it)' },
  'allowed-hosts': { type: 'string', placeholder: 'A,B', description: 'accepted Host headers' },
  'tls-cert': { type: 'string', placeholder: 'FILE', description: 'TLS certificate (PEM)' },
  'tls-key': { type: 'string', placeholder: 'FILE', description: 'TLS key (PEM)' },
  'tls-ca': { type: 'string', placeholder: 'FILE', description: 'CA for client certificates (PEM)' },
  unlimited: { type: 'boolean', description: 'no rate or size limits (benchmarks)' },
  'log-level': { type: 'string', placeholder: 'LEVEL', description: 'pino level', default: 'info' },
} as const satisfies FlagSpecs;

async function main(): Promise<void> {
  // The CLI's parser and value checks: errors name the flag (`--port: expected an integer …`).
  const { flags: values } = parseCommandLine(FLAGS, [], process.argv.slice(2));
  const level = parseLogLevel(values['log-level'], '--log-level');
  const port = parsePortFlag(values.port, '--port', true);
  const { pino } = await import('pino');
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  const ca = values['tls-ca'];
  const server = await startRegistryServer({
    host: values.host,
    port,
    admin: values.admin,
    logger: pino({ name: 'proxima-registry', level }),
    ...(values['history-limit'] === undefined
      ? {}
      : {
          historyLimit: parseIntFlag(values['history-limit'], '--history-limit', 1, Number.MAX_SAFE_INTEGER),
        }),
    ...(values.heartbeat === undefined
      ? {}
      : { heartbeatMs: parseDurationFlag(values.heartbeat, '--heartbeat') }),
    ...(values.acl === undefined ? {} : { acl: values.acl }),
    ...(values['allowed-hosts'] === undefined ? {} : { allowedHosts: values['allowed-hosts'].split(',') }),
    ...(cert === undefined || key === undefined
      ? {}
      : {
          tls: {
            cert: readPemFile(cert, '--tls-cert'),
            key: readPemFile(key, '--tls-key'),
            ...(ca === undefined ? {} : { ca: readPemFile(ca, '--tls-ca') }),
          },
        }),
    // Benchmarks drive one server from one address far past a real client's rate.
    ...(values.unlimited
      ? {
          limits: {
            requestsPerSecond: 0,
            keepAlivesPerSecond: 0,
            leases: 10_000_000,
            instancesPerLease: 10_000_000,
          },
          connections: { maxConnectionsPerAddress: 10_000_000 },
        }
      : {}),
  });
  onShutdownSignals(() => server.close(), { onDone: () => process.exit(0) });
  process.on('SIGHUP', () => {
    try {
      server.reloadAcl();
    } catch (error) {
      server.logger.error(
        { err: isProximaError(error) ? error.message : String(error) },
        'acl reload failed',
      );
    }
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${isProximaError(error) ? error.message : String(error)}\n`);
  process.exit(2);
});
