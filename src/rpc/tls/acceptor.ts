import type { Socket } from 'node:net';
import { type TLSSocket, type Server as TlsServer, createServer as createTlsServer } from 'node:tls';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { invalidArgument } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { FLAG_PROTOCOL_ERROR, FrameType, GoawayCode } from '../wire/frame.js';
import { FrameWriter } from '../wire/writer.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, type ServerTlsOptions } from './options.js';

/** The first byte of every TLS connection: a handshake record (RFC 8446 §5.1, content type 22). */
const TLS_HANDSHAKE_RECORD = 0x16;
/** How long a refused plaintext peer may take to read the refusal before its socket is destroyed. */
const REFUSAL_GUARD_MS = 2_000;

/** The message a plaintext client gets from a TLS server, in a Proxima GOAWAY it can read. */
export const PLAINTEXT_REFUSAL =
  'this server requires TLS: give the client tls options (or PROXIMA_TLS_CA), or call the instance as its registration says';

/**
 * The TLS side of an RPC server's accept loop. The listener stays a plain TCP server; each new
 * connection's first byte decides: a TLS handshake record goes to a (never listening) `tls.Server`,
 * which verifies it and hands over the secured socket; anything else is a plaintext Proxima client,
 * answered with a plaintext GOAWAY that names the problem instead of a bare reset.
 *
 * A connection that sends nothing is closed after `handshakeTimeoutMs`, and so is one whose
 * handshake takes longer.
 */
export class TlsAcceptor {
  private readonly tls: TlsServer;
  private readonly waiting = new Map<Socket, TimerHandle>();
  private readonly timeoutMs: number;

  constructor(
    options: ServerTlsOptions,
    private readonly deps: { readonly clock: Clock; readonly logger: Logger },
    onSecure: (socket: TLSSocket) => void,
  ) {
    const requestCert = options.requestCert ?? options.ca !== undefined;
    this.timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    try {
      this.tls = createTlsServer({
        cert: options.cert,
        key: options.key,
        ...(options.ca === undefined ? {} : { ca: options.ca }),
        requestCert,
        rejectUnauthorized: requestCert,
        handshakeTimeout: this.timeoutMs,
      });
    } catch (error) {
      throw invalidArgument(
        'server.tls',
        `node:tls cannot use these certificates: ${(error as Error).message}`,
      );
    }
    this.tls.on('secureConnection', onSecure);
    this.tls.on('tlsClientError', (error, socket) => {
      deps.logger.warn(
        { peer: socket.remoteAddress, code: (error as { code?: string }).code, err: error.message },
        'rpc: TLS handshake refused',
      );
      socket.destroy();
    });
  }

  /** Takes a new TCP connection: waits for its first byte, then secures or refuses it. */
  accept(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on('error', () => undefined); // 'close' follows
    const timer = this.deps.clock.setTimeout(() => socket.destroy(), this.timeoutMs);
    timer.unref?.();
    this.waiting.set(socket, timer);
    socket.once('close', () => this.settle(socket));
    socket.once('data', (chunk: Buffer) => {
      this.settle(socket);
      socket.pause();
      socket.unshift(chunk);
      if (chunk[0] === TLS_HANDSHAKE_RECORD) this.tls.emit('connection', socket);
      else this.refusePlaintext(socket);
    });
  }

  /** Destroys connections still waiting for their first byte (server shutdown). */
  close(): void {
    for (const socket of [...this.waiting.keys()]) socket.destroy();
  }

  private settle(socket: Socket): void {
    const timer = this.waiting.get(socket);
    if (timer === undefined) return;
    this.deps.clock.clearTimeout(timer);
    this.waiting.delete(socket);
  }

  private refusePlaintext(socket: Socket): void {
    this.deps.logger.warn({ peer: socket.remoteAddress }, 'rpc: plaintext client on a TLS server');
    const writer = new FrameWriter({ maxFramesPerFlush: 1 });
    // The preface first, so the client reads the GOAWAY as such (docs/protocol.md).
    writer.preface({});
    writer.control(FrameType.GOAWAY, 0, FLAG_PROTOCOL_ERROR, PLAINTEXT_REFUSAL, GoawayCode.PROTOCOL_ERROR);
    writer.attach(socket);
    socket.end();
    socket.resume(); // read and drop what it sent, so the close is a FIN and not a reset
    const guard = this.deps.clock.setTimeout(() => socket.destroy(), REFUSAL_GUARD_MS);
    guard.unref?.();
    socket.once('close', () => this.deps.clock.clearTimeout(guard));
  }
}
