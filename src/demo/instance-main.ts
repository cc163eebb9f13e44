import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { lazySchema } from '../core/zod.js';
import { HttpRegistry } from '../backends/http/http-registry.js';
import { parseWith } from '../core/validate.js';
import { onShutdownSignals } from '../core/signals.js';
import { type Registrar, startRegistrar } from '../registrar/registrar.js';
import { createServer, type RegistrarHook } from '../rpc/server/server.js';
import { implement } from '../rpc/server/implement.js';
import { EchoApi } from './echo-api.js';
import { parseControl } from './control.js';
import { DEMO_SERVICE, distanceMs, type DemoPlace } from './topology.js';
import { simulatedWait } from './wait.js';

/**
 * One demo instance, as its own process (started by `proxima demo`): a Proxima RPC server for
 * `echo` that waits the simulated distance to the caller before answering, registered with a
 * short lease. It talks to the registry server through the http backend directly (not the
 * URL scheme table, which would load the etcd client: a restart should take well under a second). It takes commands on stdin (see `control.ts`), prints one JSON line
 * `{"event":"ready",…}` once registered, drains on SIGTERM, and exits when stdin closes (its
 * parent is gone), so a demo never leaves instances behind.
 */
const argsSchema = lazySchema((z) =>
  z.object({
    id: z.string().min(1),
    region: z.string().min(1),
    zone: z.string().min(1),
    port: z.coerce.number().int().min(0).max(65_535),
    registry: z.string().min(1),
    ttl: z.coerce.number().int().min(500),
  }),
);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      id: { type: 'string' },
      region: { type: 'string' },
      zone: { type: 'string' },
      port: { type: 'string', default: '0' },
      registry: { type: 'string' },
      ttl: { type: 'string', default: '3000' },
    },
    strict: true,
  });
  const args = parseWith(argsSchema(), values, 'args');
  const here: DemoPlace = { region: args.region, zone: args.zone };
  let extraMs = 0;
  const metadata = (): Record<string, string> => ({
    version: '1.0.0',
    pid: String(process.pid),
    ...(extraMs > 0 ? { delay: `+${extraMs}ms` } : {}),
  });

  const registry = new HttpRegistry({ url: args.registry });
  let registrar: Registrar | undefined;
  const registration: RegistrarHook = {
    register: async (address) => {
      registrar = await startRegistrar({
        registry,
        instance: {
          service: DEMO_SERVICE,
          id: args.id,
          host: address.host,
          port: address.port,
          locality: here,
          metadata: metadata(),
        },
        ttlMs: args.ttl,
      });
    },
    drain: () => registrar?.update({ status: 'DRAINING' }).catch(() => undefined),
    deregister: async () => {
      await registrar?.drain();
      await registry.close();
    },
  };
  const server = createServer({
    services: [
      implement(EchoApi, {
        ping: async (request, ctx) => {
          await simulatedWait(distanceMs(request, here) + extraMs, ctx.signal);
          return { id: args.id, region: here.region, zone: here.zone, seq: request.seq };
        },
      }),
    ],
    registrar: registration,
  });
  const address = await server.listen({ host: '127.0.0.1', port: args.port });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= server.shutdown({ graceMs: 2_000 }).finally(() => process.exit(0)));
  onShutdownSignals(stop);

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const command = parseControl(line);
    if (command === undefined) return;
    switch (command.kind) {
      case 'slow':
        extraMs = command.ms;
        void registrar?.update({ metadata: metadata() }).catch(() => undefined);
        break;
      case 'drain':
        void registrar?.update({ status: 'DRAINING' }).catch(() => undefined);
        break;
      case 'undrain':
        void registrar?.update({ status: 'UP' }).catch(() => undefined);
        break;
    }
  });
  // The parent closed our stdin (it exited, or was killed): leave with it.
  lines.on('close', () => void stop());

  process.stdout.write(
    `${JSON.stringify({ event: 'ready', id: args.id, address: `${address.host}:${address.port}`, pid: process.pid })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`demo instance: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
