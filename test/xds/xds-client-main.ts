/**
 * A stock gRPC client in its own process (the xDS client reads its bootstrap once per process):
 * `GRPC_XDS_BOOTSTRAP_CONFIG` points it at the xDS server; it calls `Who.Ask` on `xds:///SERVICE`
 * back to back (PACE_MS apart) and prints one line per call: `ok ID` or `err CODE DETAILS`.
 */
import * as xds from '@grpc/grpc-js-xds';
import { ask, whoClient } from '../grpc/who-server.js';

xds.register();
const service = process.env.SERVICE ?? 'who';
const paceMs = Number(process.env.PACE_MS ?? '5');
const client = whoClient(`xds:///${service}`);
let stopping = false;
process.once('SIGTERM', () => {
  stopping = true;
});
let n = 0;
while (!stopping) {
  try {
    const reply = await ask(client, { n: n++ }, 5_000);
    process.stdout.write(`ok ${reply.id}\n`);
  } catch (error) {
    const e = error as { code?: number; details?: string };
    process.stdout.write(`err ${e.code ?? '?'} ${e.details ?? String(error)}\n`);
  }
  await new Promise((resolve) => setTimeout(resolve, paceMs));
}
client.close();
process.exit(0);
