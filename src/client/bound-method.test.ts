import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineService, method } from '../rpc/service/define.js';
import { createClient } from './client.js';

const Api = defineService('s', { m: method({ input: z.object({}), output: z.object({}) }) });

describe('a method bound by client.bind', () => {
  it('keeps refusing calls once the client is closed, although it resolved its channel before', async () => {
    const client = await createClient({ registry: 'memory:', env: {}, probe: false });
    const api = client.bind(Api);
    await expect(api.m({}, { deadlineMs: 100 })).rejects.toMatchObject({ code: 'NO_ENDPOINTS' });
    // A per-call idempotency override takes the unprepared path, with the same answer.
    await expect(api.m({}, { deadlineMs: 100, idempotent: true })).rejects.toMatchObject({
      code: 'NO_ENDPOINTS',
    });
    await client.close();
    await expect(api.m({})).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });
});
