// A service and a caller in one file (they would be two programs). Start a registry first:
//   npx proxima registry            (or set PROXIMA_REGISTRY to an http:// or etcd:// URL)
import { z } from 'zod';
import {
  createClient,
  createServer,
  defineService,
  formatRoutingTable,
  implement,
  method,
} from '@proxima-rpc/proxima';

const registry = process.env.PROXIMA_REGISTRY ?? 'http://127.0.0.1:7070';
const here = { region: 'eu-west', zone: 'eu-west-1a' };

// One typed definition, shared by the service and its callers (no code generation).
const Greeter = defineService('greeter', {
  hello: method({
    input: z.object({ name: z.string() }),
    output: z.object({ text: z.string() }),
    idempotent: true,
  }),
});

// The service: registered once listening, DRAINING then deregistered on shutdown.
const server = createServer({
  services: [implement(Greeter, { hello: async ({ name }) => ({ text: `hello, ${name}` }) })],
  register: { registry, instance: { service: 'greeter', host: '127.0.0.1', locality: here } },
});
await server.listen({ host: '127.0.0.1', port: 0 });

// The caller: discovery, same-zone-first routing, P2C peak-EWMA and failover are built in.
const client = await createClient({ registry, locality: here });
const greeter = client.bind(Greeter);
console.log(await greeter.hello({ name: 'Ada' }, { deadlineMs: 1_000 }));
console.log(formatRoutingTable(client.explain('greeter')));

await client.close();
await server.shutdown({ graceMs: 1_000 });
