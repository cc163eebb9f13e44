/**
 * One instance of `who` in its own process, so a test can SIGKILL it: a real grpc-js server that
 * registers itself (protocol grpc) in REGISTRY with ID, REGION and ZONE, TTL 2 s renewed every 500 ms, and prints
 * `ready ADDRESS`. SIGUSR1 / SIGUSR2 mark it DRAINING / UP (then it prints `status …`).
 */
import { openRegistry } from '../../src/backends/open.js';
import { startWhoServer } from '../grpc/who-server.js';

const id = process.env.ID ?? 'who-1';
const { address } = await startWhoServer(id);
const registry = await openRegistry(process.env.REGISTRY ?? 'memory:');
const registration = await registry.register(
  {
    service: process.env.SERVICE ?? 'who',
    id,
    address,
    protocol: 'grpc',
    locality: { region: process.env.REGION ?? '', zone: process.env.ZONE ?? '' },
  },
  { ttlMs: 2_000 },
);
// Kept alive like a registrar would: when the process is SIGKILLed, the lease expires within 2 s.
setInterval(() => void registration.keepAlive().catch(() => undefined), 500);
// SIGUSR1 drains it, SIGUSR2 brings it back, as an operator or a shutdown hook would.
for (const [signal, status] of [
  ['SIGUSR1', 'DRAINING'],
  ['SIGUSR2', 'UP'],
] as const)
  process.on(signal, () => {
    void registration.update({ status }).then(() => process.stdout.write(`status ${status}\n`));
  });
process.stdout.write(`ready ${address}\n`);
