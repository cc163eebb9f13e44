import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { splitAddress } from '../../core/instance.js';

/** One check: resolves when the service is healthy, rejects (with why) when not. */
export type Probe = (signal: AbortSignal) => Promise<void>;

/**
 * HTTP check, as Consul's: a GET whose 2xx answer passes; anything else (another status, a refused
 * connection, no answer before the timeout) is a miss. The body is drained and dropped.
 */
export function httpProbe(url: string): Probe {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return (signal) =>
    new Promise<void>((resolve, reject) => {
      const req = send(
        target,
        { method: 'GET', agent: false, signal, headers: { 'user-agent': 'proxima-check' } },
        (res) => {
          res.resume();
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`HTTP ${status}`));
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) =>
        reject(new Error(signal.aborted ? 'timed out' : (error.code ?? error.message))),
      );
      req.end();
    });
}

/** TCP check: passes when a connection to `host:port` opens (it is closed at once). */
export function tcpProbe(address: string): Probe {
  const hp = splitAddress(address);
  if (hp === undefined) throw new Error(`not host:port: ${address}`);
  return (signal) =>
    new Promise<void>((resolve, reject) => {
      const socket = connect({ host: hp.host, port: hp.port });
      const onAbort = (): void => {
        socket.destroy();
        reject(new Error('timed out'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      socket.once('connect', () => {
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve();
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        signal.removeEventListener('abort', onAbort);
        reject(new Error(error.code ?? error.message));
      });
    });
}
