import { parseArgs } from 'node:util';
import { isProximaError } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import { startRegistryServer } from './server.js';

/**
 * A bare entry point for the registry server, for tests and benchmarks that want a server process
 * without the CLI: `node --import tsx src/server/main.ts --port 0 [--host H] [--history-limit N]
 * [--heartbeat 10s] [--admin] [--log-level info]`. Logs one JSON line `registry listening` with
 * the URL; exits 0 on SIGINT/SIGTERM. `proxima registry` is the user-facing command.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '7070' },
      'history-limit': { type: 'string' },
      heartbeat: { type: 'string' },
      admin: { type: 'boolean', default: false },
      'log-level': { type: 'string', default: 'info' },
    },
    strict: true,
  });
  const { pino } = await import('pino');
  const server = await startRegistryServer({
    host: values.host,
    port: Number(values.port),
    admin: values.admin,
    logger: pino({ name: 'proxima-registry', level: values['log-level'] }),
    ...(values['history-limit'] === undefined ? {} : { historyLimit: Number(values['history-limit']) }),
    ...(values.heartbeat === undefined
      ? {}
      : { heartbeatMs: parseDuration(values.heartbeat, '--heartbeat') }),
  });
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${isProximaError(error) ? error.message : String(error)}\n`);
  process.exit(2);
});
