import { parseArgs } from 'node:util';
import { isProximaError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
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
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '7070' },
      'history-limit': { type: 'string' },
      heartbeat: { type: 'string' },
      admin: { type: 'boolean', default: false },
      acl: { type: 'string' },
      'allowed-hosts': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'tls-ca': { type: 'string' },
      unlimited: { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'info' },
    },
    strict: true,
  });
  const { pino } = await import('pino');
  const cert = values['tls-cert'];
  const key = values['tls-key'];
  const ca = values['tls-ca'];
  const server = await startRegistryServer({
    host: values.host,
    port: Number(values.port),
    admin: values.admin,
    logger: pino({ name: 'proxima-registry', level: values['log-level'] }),
    ...(values['history-limit'] === undefined ? {} : { historyLimit: Number(values['history-limit']) }),
    ...(values.heartbeat === undefined
      ? {}
      : { heartbeatMs: parseDuration(values.heartbeat, '--heartbeat') }),
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
