import { z } from 'zod';
import { defineService, method } from '../../src/rpc/index.js';

/** The benchmark's service: echo a small object. */
export const EchoApi = defineService('bench', {
  echo: method({
    input: z.object({ msg: z.string(), n: z.number() }),
    output: z.object({ msg: z.string(), n: z.number() }),
    idempotent: true,
  }),
});

export const PAYLOAD = { msg: 'hello proxima', n: 42 };

/**
 * `proxima-client`: the `proxima` server called through the full client stack (full-stack.ts).
 * `raw-tls` / `proxima-tls`: `raw` / `proxima` over node:tls (certificates from PROXIMA_TLS_*).
 * `metrics-off` / `metrics-on`: the full stack with no hook at all, and with every metric on
 * (clientMetrics on the client, serverMetrics on the server); not in the default set, run them
 * with `--systems raw,metrics-off,metrics-on`.
 */
export type System =
  | 'raw'
  | 'proxima'
  | 'proxima-client'
  | 'moleculer'
  | 'grpc'
  | 'raw-tls'
  | 'proxima-tls'
  | 'metrics-off'
  | 'metrics-on';
/** The systems run by default (the TLS pair runs as its own benchmark: `--systems raw-tls,proxima-tls`). */
export const SYSTEMS: readonly System[] = ['raw', 'proxima', 'proxima-client', 'moleculer', 'grpc'];

/** The floor a system is compared with: raw TCP, or raw TLS for the TLS rows. */
export function floorOf(system: System): System {
  return system.endsWith('-tls') ? 'raw-tls' : 'raw';
}
