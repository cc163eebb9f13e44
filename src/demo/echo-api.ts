import { z } from 'zod';
import { defineService, method } from '../rpc/service/define.js';
import { DEMO_SERVICE } from './topology.js';

/**
 * The demo's service: `echo.ping` answers with who served it. The caller says where it runs, so
 * the server can simulate the network distance between the two zones.
 */
export const EchoApi = defineService(DEMO_SERVICE, {
  ping: method({
    input: z.object({ region: z.string(), zone: z.string(), seq: z.number().int().nonnegative() }),
    output: z.object({ id: z.string(), region: z.string(), zone: z.string(), seq: z.number().int() }),
    idempotent: true,
  }),
});
