import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../core/clock.js';
import { parseInstance, type Instance } from '../core/instance.js';
import { seededRandom } from '../core/random.js';
import { ConnectionPool } from './connection-pool.js';

const instance = (id: string, address: string): Instance => parseInstance({ service: 's', id, address });

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

/** A listener that accepts and then says nothing; `changed` resolves at the next accept or close. */
async function silentServer(): Promise<{
  port: number;
  sockets: () => number;
  changed: () => Promise<void>;
}> {
  let open = 0;
  const waiters: Array<() => void> = [];
  const notify = (): void => {
    for (const w of waiters.splice(0)) w();
  };
  const server = createServer((socket) => {
    open++;
    notify();
    socket.on('close', () => {
      open--;
      notify();
    });
    socket.on('error', () => undefined);
    socket.resume(); // read (and drop) everything, so the peer's close is seen
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    sockets: () => open,
    changed: () => new Promise<void>((resolve) => waiters.push(resolve)),
  };
}

function pool(hooks: Partial<ConstructorParameters<typeof ConnectionPool>[3]> = {}): ConnectionPool {
  return new ConnectionPool(
    { keepAlive: false, backoff: { initialMs: 10, maxMs: 10 } },
    [],
    { clock: systemClock, random: seededRandom(1) },
    { onRtt: () => undefined, onConnectFailed: () => undefined, ...hooks },
  );
}

describe('ConnectionPool', () => {
  it('keeps one transport per endpoint, and a new one when its address changes', async () => {
    await using p = pool();
    const a = p.get(instance('a', '127.0.0.1:1001'));
    expect(p.get(instance('a', '127.0.0.1:1001'))).toBe(a);
    const moved = p.get(instance('a', '127.0.0.1:1002'));
    expect(moved).not.toBe(a);
    expect(a.state).toBe('closed');
    expect(p.size).toBe(1);
  });

  it('closes the connections of endpoints that left the snapshot', async () => {
    const server = await silentServer();
    await using p = pool();
    const a = instance('a', `127.0.0.1:${server.port}`);
    const b = instance('b', `127.0.0.1:${server.port}`);
    const ta = p.get(a);
    const tb = p.get(b);
    const calls = [ta.call('s.m', {}, { deadlineMs: 50 }), tb.call('s.m', {}, { deadlineMs: 50 })];
    await Promise.allSettled(calls); // connected, then timed out: idle connections
    while (server.sockets() < 2) await server.changed();
    const closedOne = server.changed();
    p.retain([b]);
    await closedOne;
    expect(server.sockets()).toBe(1);
    expect(ta.state).toBe('closed');
    expect(tb.state).not.toBe('closed');
    expect(p.size).toBe(1);
  });

  it('reports an endpoint it cannot connect to', async () => {
    const server = await silentServer();
    const port = server.port;
    await new Promise((resolve) => servers.pop()!.close(resolve)); // nothing listens there now
    const failed: string[] = [];
    await using p = pool({ onConnectFailed: (id) => failed.push(id) });
    await expect(p.get(instance('gone', `127.0.0.1:${port}`)).call('s.m', {})).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      unprocessed: true,
    });
    expect(failed).toEqual(['gone']);
  });

  it('refuses new endpoints once closed', async () => {
    const p = pool();
    await p.close();
    expect(() => p.get(instance('a', '127.0.0.1:1001'))).toThrow(/client closed/);
  });
});
