import { connect } from 'node:net';
import { ProximaError } from '../core/errors.js';
import { splitAddress } from '../core/instance.js';
import { invalidArgument } from '../core/errors.js';

/**
 * Measures TCP connect time to `address` (`host:port`) in ms: the time from `connect()` to the
 * socket being connected, which is one network round trip plus the peer's accept. The socket is
 * closed at once. Rejects UNAVAILABLE when the connection fails, DEADLINE_EXCEEDED after
 * `timeoutMs`, or with the signal's reason when aborted.
 *
 * @example
 * ```ts
 * const ms = await tcpConnectTime('127.0.0.1:7070', { timeoutMs: 1000 });
 * ```
 */
export function tcpConnectTime(
  address: string,
  options: { readonly timeoutMs: number; readonly signal?: AbortSignal | undefined },
): Promise<number> {
  const target = splitAddress(address);
  if (target === undefined)
    return Promise.reject(invalidArgument('address', `expected host:port, got "${address}"`));
  const { signal, timeoutMs } = options;
  return new Promise<number>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const started = performance.now();
    const socket = connect({ host: target.host, port: target.port });
    let settled = false;
    const finish = (error: unknown, ms?: number): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error === undefined) resolve(ms ?? 0);
      else reject(error);
    };
    const onAbort = (): void => finish(signal?.reason);
    const timer = setTimeout(
      () => finish(new ProximaError('DEADLINE_EXCEEDED', `connect to ${address} took over ${timeoutMs}ms`)),
      timeoutMs,
    );
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish(undefined, performance.now() - started));
    socket.once('error', (error) =>
      finish(
        new ProximaError('UNAVAILABLE', `connect to ${address} failed: ${error.message}`, { cause: error }),
      ),
    );
  });
}
