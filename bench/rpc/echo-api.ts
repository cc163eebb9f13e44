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

/** `proxima-client`: the `proxima` server called through the full client stack (full-stack.ts). */
export type System = 'raw' | 'proxima' | 'proxima-client' | 'moleculer' | 'grpc';
export const SYSTEMS: readonly System[] = ['raw', 'proxima', 'proxima-client', 'moleculer', 'grpc'];
