import { EtcdLeaseInvalidError, GRPCDeadlineExceededError, GRPCUnavailableError } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { isProximaError } from '../../core/errors.js';
import { FakeClock } from '../../core/testing/fake-clock.js';
import { EtcdConnection } from './connection.js';
import { resolveEtcdOptions } from './options.js';

// The call discipline alone, on fake time: no etcd is contacted (the attempts are stand-ins).
describe('EtcdConnection.call', () => {
  const clock = new FakeClock();
  const connection = new EtcdConnection(
    resolveEtcdOptions({ endpoints: ['127.0.0.1:1'], clock, random: () => 0.5, callTimeoutMs: 2_000 }),
  );

  const codeOf = async (promise: Promise<unknown>): Promise<string> =>
    promise.then(
      () => 'ok',
      (error: unknown) => (isProximaError(error) ? error.code : String(error)),
    );

  it('retries UNAVAILABLE (dead member, deadline) on the next attempt, with backoff, until it succeeds', async () => {
    let attempts = 0;
    const result = connection.call('etcd put /k', async () => {
      attempts += 1;
      if (attempts === 1) throw new GRPCUnavailableError('14 UNAVAILABLE: connect ECONNREFUSED');
      if (attempts === 2) throw new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED');
      return 'done';
    });
    await clock.advance(1_000);
    await expect(result).resolves.toBe('done');
    expect(attempts).toBe(3);
  });

  it('never retries a lost lease, and names the operation', async () => {
    let attempts = 0;
    const error = await connection
      .call('etcd keep-alive of lease 7', async () => {
        attempts += 1;
        throw new EtcdLeaseInvalidError('7');
      })
      .catch((e: unknown) => e);
    expect(isProximaError(error) && error.code).toBe('LEASE_LOST');
    expect((error as Error).message).toMatch(/^etcd keep-alive of lease 7: /);
    expect(attempts).toBe(1);
  });

  it('gives up UNAVAILABLE once the call budget is spent', async () => {
    let attempts = 0;
    const result = codeOf(
      connection.call('etcd list users', async () => {
        attempts += 1;
        throw new GRPCUnavailableError('down');
      }),
    );
    for (let i = 0; i < 20; i++) await clock.advance(250);
    expect(await result).toBe('UNAVAILABLE');
    expect(attempts).toBeGreaterThan(3);
  });

  it('stops at once when the caller aborts, and after close', async () => {
    const controller = new AbortController();
    const pending = codeOf(
      connection.call('etcd get', () => new Promise(() => undefined), controller.signal),
    );
    controller.abort();
    expect(await pending).toBe('CANCELLED');
    connection.close();
    expect(await codeOf(connection.call('etcd get', async () => 'never'))).toBe('CANCELLED');
  });
});
