import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FakeClock } from '../../core/testing/fake-clock.js';
import { RpcConnection, createServer, defineService, implement, method } from '../index.js';

// The deadline a call carries on the wire is whole milliseconds, rounded up so the server never
// gives up before the caller. A deadline computed as `at − startedAt` carries float noise
// (`(now + 300) − now` can read 300.00000000000006 when the sum crosses a power of two); rounded up
// as it was, that noise became a whole extra millisecond, and a nested call saw more time left than
// its caller had (test/client/client-memory.test.ts "passes the remaining deadline…", 300.94 > 300
// in a stress run).

const Left = defineService('left', {
  get: method({ input: z.object({}), output: z.object({ ms: z.number().nullable() }) }),
});

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('the deadline on the wire', () => {
  it('rounds up to whole ms, but not float noise above an integer', async () => {
    // The server's clock stands still: what it reports left is exactly what the wire carried.
    const server = createServer({
      clock: new FakeClock(5_000),
      services: [implement(Left, { get: (_req, ctx) => ({ ms: ctx.remainingMs() ?? null }) })],
    });
    const { port } = await server.listen({ host: '127.0.0.1' });
    cleanup.push(() => server.shutdown({ graceMs: 0 }));
    const connection = new RpcConnection({ host: '127.0.0.1', port, keepAlive: false });
    cleanup.push(() => connection.close());
    const left = async (deadlineMs: number): Promise<unknown> =>
      ((await connection.call('left.get', {}, { deadlineMs })) as { ms: number | null }).ms;

    const now = 262_143.9; // just under 2^18 ms: adding 300 crosses a power of two
    const noisy = now + 300 - now;
    expect(noisy).not.toBe(300);
    expect(await left(noisy)).toBe(300);
    expect(await left(300)).toBe(300);
    expect(await left(299.2)).toBe(300);
    expect(await left(299.9999)).toBe(300);
    expect(await left(300.01)).toBe(301);
    // (A sub-millisecond deadline goes out as 1 ms too, but a live call with it expires on the
    // caller's own timer before a loaded machine answers: a stress run showed that, so it is not
    // called here.)
  });
});
