import { type Server, type Socket, createServer as createNetServer } from 'node:net';
import { type Clock, sleep, systemClock } from '../../core/clock.js';
import { ProximaError, invalidArgument } from '../../core/errors.js';
import { type Logger, silentLogger } from '../../core/logger.js';
import { type Codec, CodecSet, jsonCodec, msgpackCodec } from '../wire/codec.js';
import { DEFAULT_MAX_FRAME_SIZE, FrameType, GoawayCode } from '../wire/frame.js';
import { FrameWriter, prefaceBytes } from '../wire/writer.js';
import type { FlushSchedule } from '../wire/writer.js';
import { serverCallChannel } from '../../core/diagnostics.js';
import { type ServerHandler, type ServerInterceptor, composeServer } from './context.js';
import type { ServiceImplementation } from './implement.js';
import { InFlight } from './in-flight.js';
import { type ServerLimits, type ServerLimitsInput, resolveServerLimits } from './limits.js';
import { MethodTable } from './method-table.js';
import { combineServedObservers, type ServerObserver } from './observer.js';
import type { Route } from './route.js';
import { ServerSession, type ServerSessionDeps } from './server-session.js';
import { GuardSweep } from './connection-guard.js';
import { TlsAcceptor } from '../tls/acceptor.js';
import { type ServerTlsOptions, checkServerTls } from '../tls/options.js';

/** Where the server listens; `port: 0` picks a free port. Loopback by default. */
export interface ListenOptions {
  readonly host?: string;
  readonly port?: number;
}

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  /** True when the server speaks TLS (absent: plaintext): registrations say so, clients follow them. */
  readonly tls?: boolean;
}

/**
 * The registry side of a server's life, as the server drives it: `register` once the listener is
 * up, `drain` (mark DRAINING) first thing on shutdown, `deregister` last. The registrar of
 * `src/registrar/` fits; any object with `drain()` does.
 */
export interface RegistrarHook {
  register?(address: ListenAddress): unknown;
  drain(): unknown;
  deregister?(): unknown;
}

export interface ServerOptions {
  readonly services: readonly ServiceImplementation[];
  /** Run around every method, first one outermost. */
  readonly interceptors?: readonly ServerInterceptor[];
  /**
   * Told of every call's start and end, bound once per method (metrics: `serverMetrics`). Cheaper
   * than an interceptor: no promise or closure per call.
   */
  readonly observers?: readonly ServerObserver[];
  /** Codecs the server answers in; default msgpack (id 0) and JSON (id 1). */
  readonly codecs?: readonly Codec[];
  readonly maxFrameSize?: number;
  readonly maxFramesPerFlush?: number;
  readonly flushOn?: FlushSchedule;
  /**
   * Bounds on what one peer can hold: outbound high-water mark and hard cap, streams per
   * connection, calls per server, connections, read / first-frame / idle timeouts. See
   * {@link ServerLimits} for the defaults.
   */
  readonly limits?: ServerLimitsInput;
  readonly registrar?: RegistrarHook;
  /**
   * Serve TLS (mutual TLS with `ca`): plaintext clients are refused with a GOAWAY that says so,
   * and a verified client certificate's identity reaches interceptors as `ctx.peer.identity`.
   */
  readonly tls?: ServerTlsOptions;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

export interface ShutdownOptions {
  /** How long in-flight calls may take to finish before they are cancelled; default 10 000 ms. */
  readonly graceMs?: number;
}

export type ServerState = 'new' | 'listening' | 'draining' | 'closed';

/**
 * A Proxima RPC server.
 *
 * @example
 * ```ts
 * const server = createServer({ services: [implement(UserApi, handlers)], registrar });
 * const { port } = await server.listen({ host: '127.0.0.1', port: 7000 });
 * shutdownOnSignals(server, { graceMs: 5_000, onDone: () => process.exit(0) }); // SIGTERM → shutdown()
 * ```
 */
export class RpcServer implements AsyncDisposable {
  private readonly net: Server;
  private readonly routes: MethodTable;
  private readonly sessions = new Set<ServerSession>();
  private readonly inFlight = new InFlight();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly codecs: CodecSet;
  private readonly tls: TlsAcceptor | null;
  private currentState: ServerState = 'new';
  private boundAddress: ListenAddress | null = null;
  private shutdownPromise: Promise<void> | null = null;
  private accepting = false;
  private readonly limits: ServerLimits;
  /** Connections turned away by the connection cap, still flushing their GOAWAY. */
  private refusedConnections = 0;
  /** What every session shares (one object, not one per connection). */
  private readonly sessionDeps: ServerSessionDeps;
  /** Preface + GOAWAY RESOURCE_EXHAUSTED for connections over the cap, built on the first one. */
  private refusal: Buffer | null = null;

  constructor(private readonly options: ServerOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.codecs = new CodecSet(options.codecs ?? [msgpackCodec(), jsonCodec()]);
    this.limits = resolveServerLimits(options.limits, 'limits');
    const interceptors = options.interceptors ?? [];
    const routes = new Map<string, Route>();
    for (const service of options.services) {
      for (const entry of service.methods) {
        if (routes.has(entry.fullName)) throw invalidArgument('services', `${entry.fullName} defined twice`);
        const observer = combineServedObservers(
          (options.observers ?? []).map((o) =>
            o.methodOpened({ method: entry.fullName, service: entry.service, methodName: entry.methodName }),
          ),
        );
        routes.set(entry.fullName, {
          entry,
          chain: published(composeServer(interceptors, entry.invoke)),
          observer,
        });
      }
    }
    this.routes = new MethodTable(routes);
    this.tls =
      options.tls === undefined
        ? null
        : new TlsAcceptor(checkServerTls(options.tls), { clock: this.clock, logger: this.logger }, (socket) =>
            this.accept(socket),
          );
    const maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.sessionDeps = {
      routes: this.routes,
      codecs: this.codecs,
      clock: this.clock,
      writer: {
        ...(options.maxFramesPerFlush === undefined ? {} : { maxFramesPerFlush: options.maxFramesPerFlush }),
        ...(options.flushOn === undefined ? {} : { flushOn: options.flushOn }),
      },
      maxFrameSize,
      inFlight: this.inFlight,
      limits: this.limits,
      preface: prefaceBytes({ maxFrameSize, maxConcurrentStreams: this.limits.maxConcurrentStreams }),
      guards: new GuardSweep(this.clock, this.limits),
      logger: this.logger,
      closeGuardMs: 2_000,
      onClosed: (s) => this.sessions.delete(s),
    };
    const tls = this.tls;
    this.net = createNetServer({ noDelay: true }, (socket) => {
      if (tls === null || !this.accepting) this.accept(socket);
      else tls.accept(socket);
    });
  }

  get state(): ServerState {
    return this.currentState;
  }

  /** The bound address once listening. */
  get address(): ListenAddress {
    if (this.boundAddress === null) throw new ProximaError('FAILED_PRECONDITION', 'server is not listening');
    return this.boundAddress;
  }

  /** Open client connections. */
  get connectionCount(): number {
    return this.sessions.size;
  }

  /** Calls being served right now. */
  get activeCalls(): number {
    return this.inFlight.size;
  }

  /** Binds the listener, then registers through the registrar hook (if any). */
  async listen(options: ListenOptions = {}): Promise<ListenAddress> {
    if (this.currentState !== 'new')
      throw new ProximaError('FAILED_PRECONDITION', `server is ${this.currentState}`);
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.net.once('error', reject);
      this.net.listen(options.port ?? 0, host, () => {
        this.net.off('error', reject);
        resolve();
      });
    });
    const bound = this.net.address();
    this.boundAddress = {
      host,
      port: typeof bound === 'object' && bound !== null ? bound.port : 0,
      tls: this.tls !== null,
    };
    this.currentState = 'listening';
    this.accepting = true;
    await this.options.registrar?.register?.(this.boundAddress);
    return this.boundAddress;
  }

  /**
   * Graceful shutdown: DRAINING through the registrar → stop accepting → GOAWAY on every
   * connection → in-flight calls finish, up to `graceMs` → the rest are cancelled → connections
   * close → deregister. Idempotent: later calls return the same promise.
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    this.shutdownPromise ??= this.runShutdown(options.graceMs ?? 10_000);
    return this.shutdownPromise;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ graceMs: 0 });
  }

  private async runShutdown(graceMs: number): Promise<void> {
    const wasListening = this.currentState === 'listening';
    this.currentState = 'draining';
    const registrar = this.options.registrar;
    if (wasListening) await this.hook('drain', () => registrar?.drain());
    this.accepting = false;
    this.tls?.close();
    const closed = new Promise<void>((resolve) => this.net.close(() => resolve()));
    for (const session of this.sessions) session.goAway();
    if (this.inFlight.size > 0) {
      const grace = new AbortController();
      await Promise.race([
        this.inFlight.idle(),
        sleep(this.clock, graceMs, grace.signal).catch(() => undefined),
      ]);
      grace.abort();
    }
    if (this.inFlight.size > 0) {
      this.logger.warn({ calls: this.inFlight.size, graceMs }, 'rpc: grace period over, cancelling calls');
      const reason = new ProximaError('CANCELLED', 'server shut down before the call finished');
      for (const session of this.sessions) session.cancelAll(reason, true);
    }
    for (const session of this.sessions) session.close();
    await Promise.all([...this.sessions].map((s) => s.done));
    if (wasListening) await closed;
    this.currentState = 'closed';
    if (wasListening) await this.hook('deregister', () => registrar?.deregister?.());
  }

  private async hook(name: string, fn: () => unknown): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.logger.warn(
        { err: error instanceof Error ? error.message : String(error) },
        `rpc: registrar ${name} failed`,
      );
    }
  }

  private accept(socket: Socket): void {
    if (!this.accepting) {
      socket.destroy();
      return;
    }
    if (this.sessions.size + this.refusedConnections >= this.limits.maxConnections) {
      this.refuseConnection(socket);
      return;
    }
    const session = new ServerSession(socket, this.sessionDeps);
    this.sessions.add(session);
  }

  /**
   * Over the connection cap: GOAWAY RESOURCE_EXHAUSTED at once, then close. Existing clients are
   * not touched; refused sockets count against the cap until they are gone, so a flood of them
   * cannot take more descriptors than the cap.
   */
  private refuseConnection(socket: Socket): void {
    this.refusedConnections++;
    socket.once('close', () => this.refusedConnections--);
    socket.on('error', () => undefined);
    socket.end((this.refusal ??= this.refusalBytes()));
    const timer = this.clock.setTimeout(() => socket.destroy(), 1_000);
    timer.unref?.();
    socket.once('close', () => this.clock.clearTimeout(timer));
    this.logger.debug?.({ limit: this.limits.maxConnections }, 'rpc: connection refused, cap reached');
  }

  /** The preface first, so the client reads the GOAWAY as such and not as garbage. */
  private refusalBytes(): Buffer {
    const chunks: Buffer[] = [];
    const writer = new FrameWriter({ slabSize: 256 });
    writer.preface({ maxFrameSize: this.sessionDeps.maxFrameSize });
    const reason = `too many connections (limits.maxConnections ${this.limits.maxConnections})`;
    writer.control(FrameType.GOAWAY, 0, 0, reason, GoawayCode.RESOURCE_EXHAUSTED);
    writer.attach({ write: (c: Buffer) => chunks.push(Buffer.from(c)) });
    return Buffer.concat(chunks);
  }
}

/**
 * `chain`, publishing each call on the `proxima:server:call` tracing channel while anybody
 * subscribes (one property read per call otherwise).
 */
function published(chain: ServerHandler): ServerHandler {
  return (request, ctx) => {
    if (!serverCallChannel.hasSubscribers) return chain(request, ctx);
    const message = { service: ctx.service, method: ctx.methodName, request, context: ctx };
    return serverCallChannel.tracePromise(chain, message, undefined, request, ctx);
  };
}

/** Creates a server for the given service implementations; see {@link RpcServer}. */
export function createServer(options: ServerOptions): RpcServer {
  return new RpcServer(options);
}
