/**
 * One instance of `who` in its own process, so a test can SIGKILL it: a real grpc-js server that
 * registers itself (protocol grpc) in REGISTRY with ID, REGION and ZONE, TTL 2 s renewed every 500 ms, and prints
 * `ready ADDRESS`.
 */
import { openRegistry } from '../../src/registry/open.js';
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
process.stdout.write(`ready ${address}\n`);
