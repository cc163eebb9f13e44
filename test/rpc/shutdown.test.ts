import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isProximaError } from '../../src/core/errors.js';
import { RpcConnection, bind, createServer } from '../../src/rpc/index.js';
import { ProcessGroup } from '../support/processes.js';
import { freePort } from '../support/ports.js';
import { type Observed, TestApi, testService } from './fixtures/test-api.js';

const SERVER_MAIN = fileURLToPath(new URL('./fixtures/server-main.ts', import.meta.url));
const group = new ProcessGroup();
const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});
afterAll(() => group.killAll());

type Outcome = { ok: true } | { ok: false; code: string; unprocessed: boolean };
const outcome = (p: Promise<unknown>): Promise<Outcome> =>
  p.then(
    () => ({ ok: true }) as const,
    (e: unknown) => {
      if (!isProximaError(e)) throw e;
      return { ok: false, code: e.code, unprocessed: e.unprocessed } as const;
    },
  );

describe('graceful shutdown', () => {
  it('drains in flight calls with zero failures and refuses later ones as unprocessed', async () => {
    const events: string[] = [];
    const observed: Observed = { aborts: [], started: 0 };
    const server = createServer({
      services: [testService(observed)],
      registrar: {
        register: (address) => events.push(`register ${address.port > 0}`),
        drain: () => events.push('drain'),
        deregister: () => events.push('deregister'),
      },
    });
    const { port } = await server.listen();
    const connection = new RpcConnection({ host: '127.0.0.1', port });
    cleanup.push(() => connection.close());
    const api = bind(connection, TestApi);

    const inFlight = Array.from({ length: 40 }, () => api.wait({ ms: 300 }));
    await expect.poll(() => observed.started, { timeout: 10_000 }).toBe(40);
    const shutdown = server.shutdown({ graceMs: 10_000 });
    await expect.poll(() => connection.state).not.toBe('ready');
    const late = await Promise.all(Array.from({ length: 10 }, () => outcome(api.echo({ msg: 'late' }))));
    expect(await Promise.all(inFlight)).toEqual(Array.from({ length: 40 }, () => ({ done: true })));
    expect(late.every((o) => !o.ok && o.unprocessed && o.code === 'UNAVAILABLE')).toBe(true);
    await shutdown;
    expect(server.state).toBe('closed');
    expect(events).toEqual(['register true', 'drain', 'deregister']);
    expect(observed.aborts).toEqual([]);
  });

  it('cancels calls still running when the grace period ends', async () => {
    const observed: Observed = { aborts: [], started: 0 };
    const server = createServer({ services: [testService(observed)] });
    const { port } = await server.listen();
    const connection = new RpcConnection({ host: '127.0.0.1', port });
    cleanup.push(() => connection.close());
    const api = bind(connection, TestApi);
    const stuck = Array.from({ length: 3 }, () => outcome(api.stuck({})));
    await expect.poll(() => observed.started).toBe(3);
    await server.shutdown({ graceMs: 100 });
    expect(await Promise.all(stuck)).toEqual(
      Array.from({ length: 3 }, () => ({ ok: false, code: 'CANCELLED', unprocessed: false })),
    );
  });

  it('on SIGTERM, a server process under load finishes every started call: zero failed calls', async () => {
    const port = await freePort();
    const child = group.start('rpc-server', process.execPath, ['--import', 'tsx', SERVER_MAIN, String(port)]);
    await child.waitForLine('listening');
    const connection = new RpcConnection({ host: '127.0.0.1', port });
    cleanup.push(() => connection.close());
    const api = bind(connection, TestApi);
    let completed = 0;
    const failed: Outcome[] = [];
    let refused = 0;
    const loop = async (): Promise<void> => {
      for (;;) {
        const o = await outcome(api.wait({ ms: 20 }, { deadlineMs: 10_000 }));
        if (o.ok) completed++;
        else if (o.unprocessed) refused++;
        else failed.push(o);
        if (!o.ok) return;
      }
    };
    const loops = Array.from({ length: 8 }, () => loop());
    await expect.poll(() => completed, { timeout: 15_000 }).toBeGreaterThan(100);
    child.signal('SIGTERM');
    await Promise.all(loops);
    await child.waitForLine('shutdown complete');
    expect((await child.exited).code).toBe(0);
    expect(failed).toEqual([]);
    expect(refused).toBe(8);
  });
});
