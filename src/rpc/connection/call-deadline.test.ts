import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../core/testing/fake-clock.js';
import { prefaceBytes } from '../wire/writer.js';
import { RpcConnection } from './rpc-connection.js';

// A call's deadline on the client, over a real socket to a server that never answers; time moves
// only on a FakeClock.

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function silentServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.write(prefaceBytes()); // completes the handshake, then never answers
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(resolve);
      }),
  );
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return address.port;
}

async function connected(clock: FakeClock): Promise<RpcConnection> {
  const connection = new RpcConnection({
    host: '127.0.0.1',
    port: await silentServer(),
    clock,
    keepAlive: false,
  });
  cleanup.push(() => connection.close());
  await connection.connect();
  return connection;
}

describe('call deadlines', () => {
  it('fail the call with DEADLINE_EXCEEDED once deadlineMs has passed', async () => {
    const clock = new FakeClock(1_000);
    const connection = await connected(clock);
    const settled: unknown[] = [];
    connection.call('test.wait', {}, { deadlineMs: 100 }).catch((e: unknown) => settled.push(e));
    await clock.advance(99);
    expect(settled).toEqual([]);
    await clock.advance(1);
    expect(settled).toMatchObject([{ code: 'DEADLINE_EXCEEDED' }]);
  });

  it('count deadlineMs from the caller’s clock reading (nowMs) when it passes one', async () => {
    const clock = new FakeClock(1_000);
    const connection = await connected(clock);
    const settled: unknown[] = [];
    // The caller read the clock 60 ms before calling: 100 ms from then leaves 40 ms.
    connection
      .call('test.wait', {}, { deadlineMs: 100, nowMs: clock.now() - 60 })
      .catch((e: unknown) => settled.push(e));
    await clock.advance(39);
    expect(settled).toEqual([]);
    await clock.advance(1);
    expect(settled).toMatchObject([{ code: 'DEADLINE_EXCEEDED' }]);
  });
});
