/**
 * One calling process for the routing-change benchmark: a stock gRPC client dialling `TARGET`
 * (`xds:///who` with GRPC_XDS_BOOTSTRAP_CONFIG, or `proxima:///who` through Proxima's own resolver
 * with REGISTRY, REGION and ZONE), calling back to back PACE_MS apart and printing
 * `ok ID WALL_MS` (or `err CODE WALL_MS`) per call, WALL_MS being when the answer arrived.
 */
import { ask, whoClient } from '../../test/grpc/who-server.js';

const target = process.env.TARGET ?? 'xds:///who';
const paceMs = Number(process.env.PACE_MS ?? '2');
if (target.startsWith('xds:')) {
  (await import('@grpc/grpc-js-xds')).register();
} else {
  const { registerProximaResolver } = await import('../../src/grpc/index.js');
  await registerProximaResolver({
    registry: process.env.REGISTRY ?? '',
    locality: { region: process.env.REGION ?? '', zone: process.env.ZONE ?? '' },
    probe: false,
  });
}
const client = whoClient(target);
const wall = (): string => (performance.timeOrigin + performance.now()).toFixed(2);
process.once('SIGTERM', () => process.exit(0));
for (let n = 0; ; n++) {
  try {
    const reply = await ask(client, { n }, 5_000);
    process.stdout.write(`ok ${reply.id} ${wall()}\n`);
  } catch (error) {
    process.stdout.write(`err ${(error as { code?: number }).code ?? '?'} ${wall()}\n`);
  }
  await new Promise((resolve) => setTimeout(resolve, paceMs));
}
