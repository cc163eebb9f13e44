import { createServer as createTcpServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { isProximaError, type ProximaError } from '../../core/errors.js';
import { FakeClock } from '../../core/testing/fake-clock.js';
import { outcomeOf } from '../../resilience/outcome.js';
import { freePort } from '../../../test/support/ports.js';
import { prefaceBytes } from '../wire/writer.js';
import { RpcConnection } from './rpc-connection.js';

// Which connection errors are the endpoint's failure (a strike for health, `connectionFailed`) and
// which are not, over real sockets on loopback.

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

function connect(port: number): RpcConnection {
  const connection = new RpcConnection({
    host: '127.0.0.1',
    port,
    clock: new FakeClock(),
    random: () => 0.5,
    keepAlive: false,
  });
  cleanup.push(() => connection.close());
  return connection;
}

async function failure(promise: Promise<unknown>): Promise<ProximaError> {
  const error = await promise.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  if (!isProximaError(error)) throw error;
  return error;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return address.port;
}

describe('connection failures', () => {
  it('a refused connect fails unprocessed and connectionFailed: a strike, safe to retry anywhere', async () => {
    const connection = connect(await freePort());
    const refused = await failure(connection.call('test.echo', { msg: 'a' }, undefined));
    expect([refused.code, refused.unprocessed, refused.connectionFailed]).toEqual([
      'UNAVAILABLE',
      true,
      true,
    ]);
    expect(outcomeOf(refused, undefined)).toBe('failure');
    // During the backoff that follows, calls fail fast, and say the endpoint is unreachable.
    const fast = await failure(connection.call('test.echo', { msg: 'b' }, undefined));
    expect(fast.message).toContain('next connect attempt');
    expect([fast.unprocessed, fast.connectionFailed]).toEqual([true, true]);
  });

  it('a connection closed by the endpoint before the answer is the endpoint’s failure', async () => {
    const port = await listen(createTcpServer((socket) => socket.once('data', () => socket.destroy())));
    const connection = connect(port);
    const cut = await failure(connection.call('test.echo', { msg: 'a' }, undefined));
    expect([cut.code, cut.connectionFailed]).toEqual(['UNAVAILABLE', true]);
    expect(outcomeOf(cut, undefined)).toBe('failure');
  });

  it('a connection its owner closes is not the endpoint’s failure', async () => {
    // A server that completes the handshake (preface + SETTINGS) and then answers nothing.
    const port = await listen(
      createTcpServer((socket) => {
        socket.on('error', () => undefined);
        socket.resume();
        socket.write(prefaceBytes());
      }),
    );
    const connection = connect(port);
    await connection.connect();
    const pending = failure(connection.call('test.echo', { msg: 'a' }, undefined));
    await connection.close();
    const closed = await pending;
    expect(closed.message).toContain('closed by its owner');
    expect(closed.connectionFailed).toBe(false);
  });
});
