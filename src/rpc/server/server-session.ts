import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { ProximaError, toProximaError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { Codec, CodecSet } from '../wire/codec.js';
import { FrameDecoder } from '../wire/decoder.js';
import {
  FLAG_PROTOCOL_ERROR,
  FrameType,
  type FrameView,
  GoawayCode,
  goawayCodeName,
  HEADER_SIZE,
  protocolError,
} from '../wire/frame.js';
import { readMetadata } from '../wire/metadata.js';
import { readSettings } from '../wire/preface.js';
import { FrameWriter, type FrameWriterOptions } from '../wire/writer.js';
import {
  ConnectionGuard,
  type GuardExpiry,
  type GuardSweep,
  type GuardedConnection,
} from './connection-guard.js';
import type { Peer } from './context.js';
import type { InFlight } from './in-flight.js';
import type { ServerLimits } from './limits.js';
import type { MethodTable } from './method-table.js';
import type { Route } from './route.js';
import { ServerCall } from './server-call.js';
import { StreamTable } from '../util/stream-table.js';
import { peerOf } from '../tls/peer.js';

export interface ServerSessionDeps {
  readonly routes: MethodTable;
  readonly codecs: CodecSet;
  readonly clock: Clock;
  readonly writer: FrameWriterOptions;
  readonly maxFrameSize: number;
  readonly inFlight: InFlight;
  readonly limits: ServerLimits;
  /** The server's preface and SETTINGS, the first bytes of every connection (one shared buffer). */
  readonly preface: Buffer;
  /** The one timer queue all the server's connection guards share. */
  readonly guards: GuardSweep;
  readonly logger: Logger;
  /** How long a closing socket may take to flush before it is destroyed. */
  readonly closeGuardMs: number;
  readonly onClosed: (session: ServerSession) => void;
}

/** The session of a socket, for the socket's listeners (shared by all sessions: no closures). */
const SESSION = Symbol('proxima.serverSession');
interface SessionSocket extends Socket {
  [SESSION]: ServerSession;
}

function onSocketData(this: Socket, chunk: Buffer): void {
  (this as SessionSocket)[SESSION].read(chunk);
}
function onSocketDrain(this: Socket): void {
  (this as SessionSocket)[SESSION].drained();
}
function onSocketClose(this: Socket): void {
  (this as SessionSocket)[SESSION].closed();
}
function onResumeReading(session: ServerSession): void {
  session.resumeReading();
}
function ignore(): void {
  // 'close' follows an 'error'; the cause does not change what we do
}

/**
 * Requests started from one read before the rest of it waits a turn of the event loop: their
 * answers, if the handlers have them at once, are queued and the high-water mark checked before
 * more are started (the writer's batch). 16 until the connection's first answer, and whenever its
 * largest answer is large; more (up to 256) while half the high-water mark holds that many of its
 * largest answer. A turn per 16 requests cost a 256-call pipeline of small calls 27% of its calls/s
 * (BENCHMARKS.md); a client whose small answers turn large gets at most 256 started once.
 */
const MIN_REQUESTS_PER_TURN = 16;
const MAX_REQUESTS_PER_TURN = 256;

/**
 * The server side of one connection: decodes requests, runs them through their route, writes the
 * answers in coalesced batches, and closes the connection (and only it) on a protocol error.
 *
 * Bounded whatever the peer does: above the outbound high-water mark it stops reading (no new
 * requests) until the socket drains; above the hard cap, or not drained within the grace, it
 * closes with GOAWAY RESOURCE_EXHAUSTED; streams per connection and calls per server are capped
 * (RESOURCE_EXHAUSTED, unprocessed); the {@link ConnectionGuard} closes stalled, silent and idle
 * connections.
 */
export class ServerSession implements GuardedConnection {
  /**
   * Created with the first frame this side sends after the (shared) preface: an idle connection,
   * one of thousands, holds no writer, slab or flush closure.
   */
  private out: FrameWriter | null = null;
  private readonly decoder: FrameDecoder;
  // Small at first (and allocated with the first call): the table doubles under load.
  private readonly calls = new StreamTable<ServerCall>(16);
  /** Read from the socket with the first call (or log line) that needs it. */
  private peerInfo: Peer | null = null;
  /** The largest frame the client accepts, from its SETTINGS (0: none announced). */
  private peerMaxFrameSize = 0;
  private lastStreamId = 0;
  private goingAway = false;
  private closing = false;
  private isClosed = false;
  private closeTimer: TimerHandle | null = null;
  private readonly guard: ConnectionGuard;
  /** Reading stopped because the outbound queue is over the high-water mark. */
  private paused = false;
  /** Decoding is held: the decoder keeps the rest of a chunk (the socket is paused only if more arrives). */
  private holding = false;
  /** Requests started since reading last began or resumed (see {@link MIN_REQUESTS_PER_TURN}). */
  private startedThisTurn = 0;
  /** Requests a turn may start, from {@link largestAnswer}. */
  private requestsPerTurn = MIN_REQUESTS_PER_TURN;
  /** The largest answer (encoded bytes) sent on this connection so far. */
  private largestAnswer = 0;
  /** Frames decoded so far (tells the guard whether a chunk completed one). */
  private frames = 0;
  /** The client's preface and SETTINGS have arrived. */
  private settled = false;
  private closedPromise: Promise<void> | null = null;
  private resolveClosed: (() => void) | null = null;

  constructor(
    private readonly socket: Socket,
    private readonly deps: ServerSessionDeps,
  ) {
    socket.setNoDelay(true);
    socket.write(deps.preface);
    this.guard = new ConnectionGuard(deps.guards, this);
    this.decoder = new FrameDecoder(this, deps.maxFrameSize, true);
    (socket as SessionSocket)[SESSION] = this;
    socket.on('data', onSocketData);
    socket.on('error', ignore);
    socket.on('drain', onSocketDrain);
    socket.on('close', onSocketClose);
  }

  /** Resolves when the socket has closed. */
  get done(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return (this.closedPromise ??= new Promise((resolve) => (this.resolveClosed = resolve)));
  }

  /** For the guard: no call is in progress. */
  get noCalls(): boolean {
    return this.calls.size === 0;
  }

  get inFlight(): number {
    return this.calls.size;
  }

  /**
   * Sends GOAWAY naming the last stream this side accepted; later requests are refused as
   * unprocessed. The connection closes once its calls have finished.
   */
  goAway(reason = 'shutdown'): void {
    if (this.goingAway || this.closing) return;
    this.goingAway = true;
    const writer = this.writer();
    writer.control(FrameType.GOAWAY, this.lastStreamId, 0, reason, GoawayCode.SHUTDOWN);
    writer.flush();
    if (this.calls.size === 0) this.close();
  }

  /**
   * Aborts every call in progress with `reason`. With `answer`, the callers get `reason` as their
   * error now, whatever the handlers do later; otherwise the answer is no longer wanted (the caller
   * cancelled or the connection is gone).
   */
  cancelAll(reason: ProximaError, answer = false): void {
    for (const call of this.calls.values()) {
      if (call.aborted) continue;
      call.abort(reason);
      if (answer && !this.closing) this.sendError(call.streamId, call.codec, reason);
    }
  }

  /** Ends the connection after flushing; destroys it if the peer does not let it close in time. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.out?.flush();
    this.socket.end();
    this.closeTimer = this.deps.clock.setTimeout(() => this.socket.destroy(), this.deps.closeGuardMs);
    this.closeTimer.unref?.();
  }

  /**
   * Closes at once after a GOAWAY with `code`: for peers that broke a limit. Calls in progress are
   * aborted and their answers dropped; the socket is destroyed, freeing whatever it still queues.
   */
  abortConnection(code: GoawayCode, reason: string): void {
    if (this.closing) return;
    this.deps.logger.debug?.(
      { peer: this.peer, code: goawayCodeName(code), reason },
      'rpc: closing connection',
    );
    this.goingAway = true;
    this.closing = true;
    this.cancelAll(new ProximaError('CANCELLED', `connection closed: ${reason}`));
    if (this.paused || this.socket.writableLength > this.deps.limits.outboundHighWaterBytes) {
      // The peer does not read: the GOAWAY could never arrive, and the queue is what we must free.
      this.socket.destroy();
      return;
    }
    const writer = this.writer();
    writer.control(FrameType.GOAWAY, this.lastStreamId, 0, reason, code);
    writer.flush();
    this.socket.destroySoon();
    this.closeTimer = this.deps.clock.setTimeout(() => this.socket.destroy(), this.deps.closeGuardMs);
    this.closeTimer.unref?.();
  }

  /** Frame sink (called by the decoder). */
  onFrame(f: FrameView): void {
    this.frames++;
    if (!this.settled) {
      if (f.type !== FrameType.SETTINGS) throw protocolError('expected SETTINGS after the preface');
      this.settled = true;
      const peer = readSettings(f.buf, f.payloadStart, f.payloadEnd);
      if (peer.maxFrameSize !== undefined) {
        this.peerMaxFrameSize = peer.maxFrameSize;
        this.out?.limitFrameSize(peer.maxFrameSize);
      }
      return;
    }
    switch (f.type) {
      case FrameType.REQUEST:
        this.onRequest(f);
        return;
      case FrameType.CANCEL:
        this.calls.get(f.streamId)?.abort(new ProximaError('CANCELLED', 'cancelled by the caller'));
        return;
      case FrameType.PING:
        this.writer().control(FrameType.PONG, f.streamId);
        return;
      case FrameType.PONG:
      case FrameType.GOAWAY:
        return; // a client going away simply closes after its calls
      default:
        throw protocolError(`unexpected frame type ${f.type} from a client`);
    }
  }

  private onRequest(f: FrameView): void {
    const streamId = f.streamId;
    if (streamId <= this.lastStreamId) throw protocolError(`stream id ${streamId} reused or out of order`);
    const codec = this.deps.codecs.get(f.codecId);
    if (codec === undefined) throw protocolError(`unsupported codec id ${f.codecId}`);
    const metadata = readMetadata(f.buf, f.metaStart, f.metaEnd);
    if (this.goingAway || this.closing) {
      this.refuse(
        streamId,
        codec,
        new ProximaError('UNAVAILABLE', 'server is going away', { unprocessed: true }),
      );
      return;
    }
    this.lastStreamId = streamId;
    const limits = this.deps.limits;
    if (
      this.calls.size >= limits.maxConcurrentStreams ||
      this.deps.inFlight.size >= limits.maxInFlightCalls
    ) {
      const perConnection = this.calls.size >= limits.maxConcurrentStreams;
      const message = perConnection
        ? `too many concurrent calls on this connection (limit ${limits.maxConcurrentStreams}, limits.maxConcurrentStreams)`
        : `server busy: ${limits.maxInFlightCalls} calls in progress (limits.maxInFlightCalls)`;
      this.refuse(
        streamId,
        codec,
        new ProximaError('RESOURCE_EXHAUSTED', message, { unprocessed: true, retryable: true }),
      );
      return;
    }
    const route = this.deps.routes.lookup(f.buf, f.methodStart, f.methodEnd);
    if (route === undefined) {
      const message = `unknown method ${f.method()}`;
      this.refuse(streamId, codec, new ProximaError('UNIMPLEMENTED', message, { unprocessed: true }));
      return;
    }
    let request: unknown;
    try {
      request = codec.decode(f.buf, f.payloadStart, f.payloadEnd);
    } catch (error) {
      this.refuse(
        streamId,
        codec,
        new ProximaError('INVALID_ARGUMENT', `request: cannot decode ${codec.name} payload`, {
          field: 'request',
          cause: error,
        }),
      );
      return;
    }
    const deadlineAt = f.deadlineMs === 0 ? 0 : this.deps.clock.now() + f.deadlineMs;
    const call = new ServerCall(
      streamId,
      route.entry,
      metadata,
      this.peer,
      codec,
      this.deps.clock,
      deadlineAt,
    );
    this.calls.set(call);
    this.deps.inFlight.enter();
    void this.run(call, route, request);
    // A bound check per request: the rest of a read waits while the connection is over its mark,
    // or after a batch, so a chunk of requests for large answers cannot start all of them before
    // any answer is queued (and a peer that goes away meanwhile costs no more handlers).
    if (++this.startedThisTurn >= this.requestsPerTurn || this.paused) this.holdReading();
  }

  /** Stops decoding after the current frame (see {@link decode} for what follows). */
  private holdReading(): void {
    this.decoder.hold();
  }

  /** Decodes what was held (a turn later, or once the socket drained below the mark). */
  resumeReading(): void {
    if (!this.holding || this.paused || this.closing) return;
    this.holding = false;
    this.decode(null);
    if (!this.holding && !this.paused) this.socket.resume();
  }

  private async run(call: ServerCall, route: Route, request: unknown): Promise<void> {
    let value: unknown;
    let error: unknown;
    let failed = false;
    const observer = route.observer;
    let start = 0;
    if (observer !== undefined) {
      start = this.deps.clock.now();
      observer.started();
    }
    try {
      value = await route.chain(request, call);
    } catch (e) {
      failed = true;
      error = e;
    }
    if (observer !== undefined) {
      observer.ended(failed ? toProximaError(error) : undefined, this.deps.clock.now() - start);
    }
    call.finish();
    this.calls.delete(call);
    this.deps.inFlight.leave();
    if (this.closing) return;
    // An answer nobody waits for any more is dropped without being encoded.
    if (!call.aborted && !call.expired()) {
      if (failed) this.sendError(call.streamId, call.codec, toProximaError(error));
      else this.sendResponse(call, value);
    }
    if (this.goingAway && this.calls.size === 0) this.close();
  }

  private sendResponse(call: ServerCall, value: unknown): void {
    try {
      const answer = call.codec.encode(value);
      const size = HEADER_SIZE + answer.end - answer.start;
      if (size > this.largestAnswer) this.answerGrew(size);
      this.writer().reply(FrameType.RESPONSE, call.streamId, answer, call.codec.id);
    } catch (error) {
      this.sendError(call.streamId, call.codec, toProximaError(error));
    }
  }

  /** A new largest answer: a turn starts as many requests as half the high-water mark holds. */
  private answerGrew(size: number): void {
    this.largestAnswer = size;
    const fit = Math.floor(this.deps.limits.outboundHighWaterBytes / 2 / size);
    this.requestsPerTurn = Math.min(MAX_REQUESTS_PER_TURN, Math.max(MIN_REQUESTS_PER_TURN, fit));
  }

  private sendError(streamId: number, codec: Codec, error: ProximaError): void {
    this.writer().reply(FrameType.ERROR, streamId, codec.encode(error.toJSON()), codec.id);
  }

  /** The writer, created with the first frame after the preface. */
  private writer(): FrameWriter {
    return this.out ?? this.openWriter();
  }

  private openWriter(): FrameWriter {
    const writer = new FrameWriter({ ...this.deps.writer, maxFrameSize: this.deps.maxFrameSize });
    writer.onFlush = () => this.checkOutbound();
    if (this.peerMaxFrameSize > 0) writer.limitFrameSize(this.peerMaxFrameSize);
    writer.attach(this.socket);
    this.out = writer;
    return writer;
  }

  /** Who is on the other end (read from the socket once, when first needed). */
  private get peer(): Peer {
    return (this.peerInfo ??= peerOf(this.socket));
  }

  private refuse(streamId: number, codec: Codec, error: ProximaError): void {
    this.sendError(streamId, codec, error);
  }

  /** Bytes from the socket (its 'data' listener). */
  read(chunk: Buffer): void {
    if (this.holding) {
      // A read behind held requests: the peer sends faster than a turn starts them. It waits with
      // them, and the socket stops until they are started (at most one read is kept this way).
      this.decoder.push(chunk);
      this.socket.pause();
      return;
    }
    this.decode(chunk);
  }

  /** Feeds `chunk` to the decoder, or (null) what it held. */
  private decode(chunk: Buffer | null): void {
    const before = this.frames;
    this.startedThisTurn = 0;
    try {
      if (chunk === null) this.decoder.resume();
      else this.decoder.push(chunk);
    } catch (error) {
      const e = toProximaError(error, 'PROTOCOL_ERROR');
      this.deps.logger.warn({ peer: this.peer, code: e.code, err: e.message }, 'rpc: closing connection');
      this.goingAway = true;
      this.writer().control(
        FrameType.GOAWAY,
        this.lastStreamId,
        FLAG_PROTOCOL_ERROR,
        e.message.slice(0, 200),
        GoawayCode.PROTOCOL_ERROR,
      );
      this.cancelAll(new ProximaError('CANCELLED', 'connection closed after a protocol error'));
      this.close();
      return;
    }
    if (this.decoder.isHeld && !this.holding) {
      // The rest of the read waits: next turn, or on drain if over the mark (the socket is paused
      // then). The socket is not paused for a turn: a client waiting for its answers sends nothing
      // more, and pausing and resuming a socket on every batch cost ~10% of the calls/s of a
      // 64-call pipeline (BENCHMARKS.md). A read that does arrive meanwhile pauses it (see read).
      this.holding = true;
      if (!this.paused) setImmediate(onResumeReading, this);
    }
    this.guard.onData(this.frames !== before, this.decoder.hasPartialFrame);
  }

  /** After each flush: a bound check on what the socket still queues (no per-frame work). */
  private checkOutbound(): void {
    if (this.closing) return;
    const queued = this.socket.writableLength;
    const limits = this.deps.limits;
    if (queued > limits.outboundHardCapBytes) {
      this.abortConnection(
        GoawayCode.RESOURCE_EXHAUSTED,
        `${queued} bytes queued for a peer that does not read (limits.outboundHardCapBytes ${limits.outboundHardCapBytes})`,
      );
    } else if (!this.paused && queued > limits.outboundHighWaterBytes) {
      this.paused = true;
      this.socket.pause();
      this.guard.pause();
      this.deps.logger.debug?.(
        { peer: this.peer, queued },
        'rpc: outbound over the high-water mark, stopped reading',
      );
    }
  }

  /** The socket drained (its 'drain' listener). */
  drained(): void {
    if (!this.paused || this.closing) return;
    this.paused = false;
    this.guard.resume();
    this.deps.logger.debug?.({ peer: this.peer }, 'rpc: outbound drained, reading again');
    if (this.holding) this.resumeReading();
    else this.socket.resume();
  }

  /** The guard gave up on the connection: a timeout or a queue that did not drain. */
  expire(expiry: GuardExpiry): void {
    if (expiry.code === GoawayCode.IDLE && !this.paused) {
      // Idle is not misbehaviour: the usual GOAWAY, nothing was in flight.
      this.deps.logger.debug?.({ peer: this.peer, reason: expiry.reason }, 'rpc: closing idle connection');
      this.goingAway = true;
      this.writer().control(FrameType.GOAWAY, this.lastStreamId, 0, expiry.reason, expiry.code);
      this.close();
      return;
    }
    this.abortConnection(expiry.code, expiry.reason);
  }

  /** The socket closed (its 'close' listener). */
  closed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closing = true;
    if (this.closeTimer !== null) this.deps.clock.clearTimeout(this.closeTimer);
    this.guard.stop();
    this.decoder.stop();
    this.out?.detach();
    this.cancelAll(new ProximaError('CANCELLED', 'connection closed'));
    this.deps.onClosed(this);
    this.resolveClosed?.();
  }
}
