import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { ProximaError, errorFromJson, isProximaError, toProximaError } from '../../core/errors.js';
import type { CallOptions, TransportEndpoint } from '../../transport/transport.js';
import type { Codec, CodecSet } from '../wire/codec.js';
import { FrameDecoder } from '../wire/decoder.js';
import {
  FLAG_PROTOCOL_ERROR,
  FrameType,
  type FrameView,
  GoawayCode,
  goawayCodeName,
  protocolError,
} from '../wire/frame.js';
import { readSettings } from '../wire/preface.js';
import { FrameWriter, type FrameWriterOptions } from '../wire/writer.js';
import type { ClientLimits } from './client-limits.js';
import { DeadlineQueue } from '../util/deadline-queue.js';
import { FrozenWatch } from './frozen-watch.js';
import { KeepAlive, type KeepAliveOptions } from './keepalive.js';
import { StreamTable } from '../util/stream-table.js';
import { PendingCall, cancelled, deadlineExceeded, unset } from './pending-call.js';
import { type DialTls, type Dialed, dial } from '../tls/dial.js';

/** Float noise tolerated above a whole ms before a wire deadline rounds up (1 ns). */
const WIRE_DEADLINE_NOISE_MS = 1e-6;

/** Stream ids are u32 on the wire; a session stops taking calls before they wrap. */
const MAX_STREAM_ID = 0x7fffffff;

export interface ClientSessionOptions extends FrameWriterOptions {
  readonly endpoint: TransportEndpoint;
  readonly clock: Clock;
  readonly codec: Codec;
  readonly codecs: CodecSet;
  readonly connectTimeoutMs: number;
  readonly keepAlive: KeepAliveOptions | false;
  /** Speak TLS (certificates parsed once per endpoint); undefined for plaintext. */
  readonly tls?: DialTls | undefined;
  readonly limits: ClientLimits;
}

/** What a session tells the connection that owns it. */
export interface ClientSessionEvents {
  onReady(session: ClientSession): void;
  /** The session takes no new calls (GOAWAY received, ids exhausted); it finishes what it has. */
  onDraining(session: ClientSession): void;
  onClosed(session: ClientSession, error: ProximaError | null, wasReady: boolean): void;
  onRtt(ms: number): void;
}

/**
 * One TCP connection to an endpoint, from connect to close: multiplexes calls by stream id,
 * coalesces writes, answers and sends PINGs, and honours GOAWAY. Calls made while connecting are
 * queued in the writer and flushed on connect.
 */
export class ClientSession {
  private readonly socket: Socket;
  private readonly dialed: Dialed;
  private readonly writer: FrameWriter;
  private readonly decoder: FrameDecoder;
  private readonly pending = new StreamTable<PendingCall>();
  private readonly keepAlive: KeepAlive | null;
  private readonly deadlines: DeadlineQueue<PendingCall>;
  private readonly frozen: FrozenWatch | null;
  /** The server is not reading: above the outbound high-water mark since {@link congestedTimer} was set. */
  private congested = false;
  private congestedTimer: TimerHandle | null = null;
  /** Calls on the wire awaiting answers (queued ones excluded). */
  private sentInFlight = 0;
  /** The server's announced MAX_CONCURRENT_STREAMS; unlimited until its SETTINGS arrive. */
  private peerMaxStreams = Number.POSITIVE_INFINITY;
  /** Calls waiting for a stream slot, in stream-id order. */
  private readonly waiting: PendingCall[] = [];
  private waitingHead = 0;
  private nextStreamId = 1;
  private flushedThrough = 0;
  private connectTimer: TimerHandle | null;
  private ready = false;
  private draining = false;
  private closed = false;
  private closeError: ProximaError | null = null;
  /** Resolves when the socket has closed. */
  readonly done: Promise<void>;
  /**
   * The settle functions of the promise {@link call} is creating, handed over by one executor per
   * session instead of a closure per call.
   */
  private readonly captured: Pick<PendingCall, 'resolve' | 'reject'> = { resolve: unset, reject: unset };
  private readonly capture = (
    resolve: (value: unknown) => void,
    reject: (error: ProximaError) => void,
  ): void => {
    this.captured.resolve = resolve;
    this.captured.reject = reject;
  };

  constructor(
    private readonly options: ClientSessionOptions,
    private readonly events: ClientSessionEvents,
  ) {
    this.writer = new FrameWriter(options);
    this.writer.onFlush = () => {
      this.flushedThrough = this.nextStreamId - 1;
      this.checkOutbound();
    };
    this.decoder = new FrameDecoder(this, options.maxFrameSize, true);
    this.writer.preface(options.maxFrameSize === undefined ? {} : { maxFrameSize: options.maxFrameSize });
    this.deadlines = new DeadlineQueue(options.clock, (call) =>
      this.abandon(call, deadlineExceeded(call.deadlineMs)),
    );
    this.keepAlive =
      options.keepAlive === false
        ? null
        : new KeepAlive(
            options.clock,
            options.keepAlive,
            (id) => this.writer.control(FrameType.PING, id),
            (ms) => this.events.onRtt(ms),
            () =>
              this.destroy(
                new ProximaError('UNAVAILABLE', `${this.describe()}: keep-alive timeout`, {
                  connectionFailed: true,
                }),
              ),
          );
    this.frozen =
      options.keepAlive === false
        ? null
        : new FrozenWatch(
            options.clock,
            {
              probeAfterMs: options.keepAlive.probeAfterMs ?? 200,
              frozenTimeoutMs: options.keepAlive.frozenTimeoutMs ?? 1_000,
            },
            () => this.pending.size,
            (id) => {
              this.writer.control(FrameType.PING, id);
            },
            (silentMs) =>
              this.destroy(
                new ProximaError(
                  'UNAVAILABLE',
                  `${this.describe()}: frozen peer, no bytes for ${Math.round(silentMs)} ms after a PING with ${this.pending.size} calls pending`,
                  { connectionFailed: true },
                ),
              ),
          );
    const dialed = dial(options.endpoint, options.tls);
    this.dialed = dialed;
    this.socket = dialed.socket;
    this.connectTimer = options.clock.setTimeout(() => {
      this.destroy(
        new ProximaError('UNAVAILABLE', `${this.describe()}: connect timeout`, {
          unprocessed: true,
          connectionFailed: true,
        }),
      );
    }, options.connectTimeoutMs);
    this.done = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.once(dialed.readyEvent, this.onConnect);
    this.socket.on('data', this.onData);
    this.socket.on('error', this.onError);
    this.socket.on('drain', this.onDrain);
    this.socket.once('close', this.onClose);
  }

  /** True while new calls may be started on this session. */
  get acceptsCalls(): boolean {
    return !this.draining && !this.closed;
  }

  get isReady(): boolean {
    return this.ready && !this.closed;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Starts a call; rejects with a ProximaError (see the Transport contract). */
  call(method: string, payload: unknown, options: CallOptions | undefined): Promise<unknown> {
    const streamId = this.nextStreamId++;
    if (streamId >= MAX_STREAM_ID) this.startDraining();
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(cancelled(signal.reason, true));
    if (this.congested) return Promise.reject(this.congestion());
    let deadlineMs = 0;
    if (options?.deadlineMs !== undefined) {
      if (!(options.deadlineMs > 0)) return Promise.reject(deadlineExceeded(options.deadlineMs, true));
      // Whole ms on the wire, rounded up (the server must not give up first), but not float noise
      // above an integer: `at − startedAt` reads 300.00000000000006 where 300 was meant, and a
      // rounded-up millisecond of noise gave nested calls more time than their caller had.
      deadlineMs = Math.max(1, Math.ceil(options.deadlineMs - WIRE_DEADLINE_NOISE_MS));
    }
    const call = new PendingCall(streamId, deadlineMs);
    try {
      const codec = this.options.codec;
      const encoded = codec.encode(payload);
      if (this.sentInFlight < this.peerMaxStreams && this.waitingHead === this.waiting.length) {
        this.writer.request(streamId, deadlineMs, method, options?.metadata, encoded, codec.id);
        this.sentInFlight++;
      } else {
        // Over the server's announced stream limit: wait for a slot, in order (ids must increase).
        call.sent = false;
        call.queued = {
          method,
          metadata: options?.metadata,
          payload: Buffer.from(encoded.buf.subarray(encoded.start, encoded.end)),
          codecId: codec.id,
        };
        this.waiting.push(call);
      }
    } catch (error) {
      return Promise.reject(isProximaError(error) ? error : toProximaError(error, 'INVALID_ARGUMENT'));
    }
    const promise = new Promise<unknown>(this.capture);
    call.resolve = this.captured.resolve;
    call.reject = this.captured.reject;
    this.pending.set(call);
    this.frozen?.onCall();
    if (deadlineMs !== 0) {
      call.deadlineAt = (options?.nowMs ?? this.options.clock.now()) + deadlineMs;
      this.deadlines.add(call);
    }
    if (signal !== undefined) {
      call.signal = signal;
      call.onAbort = () => this.abandon(call, cancelled(signal.reason));
      signal.addEventListener('abort', call.onAbort, { once: true });
    }
    return promise;
  }

  /** Sends a PING now; its RTT arrives through `onRtt`. */
  ping(): void {
    if (this.isReady) this.keepAlive?.ping();
  }

  /** Fails every pending call with `error` and closes the socket. */
  destroy(error: ProximaError): void {
    if (this.closed) return;
    this.closeError ??= error;
    this.startDraining();
    this.socket.destroy();
  }

  /** Closes once the calls in flight are answered; takes no new calls meanwhile. */
  drain(): void {
    this.startDraining();
    if (this.pending.size === 0) this.socket.end();
  }

  /** Frame sink (called by the decoder). */
  onFrame(f: FrameView): void {
    switch (f.type) {
      case FrameType.RESPONSE:
      case FrameType.ERROR:
        this.settle(f);
        return;
      case FrameType.PING:
        this.writer.control(FrameType.PONG, f.streamId);
        return;
      case FrameType.PONG:
        this.keepAlive?.pong(f.streamId);
        return;
      case FrameType.SETTINGS:
        this.onSettings(f);
        return;
      case FrameType.GOAWAY:
        this.onGoaway(f.streamId, f.flags, f.payload().toString('utf8'), f.deadlineMs);
        return;
      default:
        throw protocolError(`unexpected frame type ${f.type} from a server`);
    }
  }

  /** The server's preface and SETTINGS: the connection is ready. */
  private onSettings(f: FrameView): void {
    if (this.ready) throw protocolError('SETTINGS after the first');
    const settings = readSettings(f.buf, f.payloadStart, f.payloadEnd);
    if (settings.maxFrameSize !== undefined) this.writer.limitFrameSize(settings.maxFrameSize);
    if (settings.maxConcurrentStreams !== undefined && settings.maxConcurrentStreams > 0) {
      this.peerMaxStreams = settings.maxConcurrentStreams;
    }
    this.clearConnectTimer();
    this.ready = true;
    this.keepAlive?.start();
    this.events.onReady(this);
  }

  /** Writes queued calls while the server has stream slots. */
  private pump(): void {
    while (this.sentInFlight < this.peerMaxStreams && this.waitingHead < this.waiting.length) {
      const call = this.waiting[this.waitingHead]!;
      this.waiting[this.waitingHead++] = undefined as unknown as PendingCall;
      if (this.waitingHead === this.waiting.length) {
        this.waiting.length = 0;
        this.waitingHead = 0;
      }
      const q = call.queued;
      if (q === null || this.pending.get(call.streamId) !== call) continue; // abandoned meanwhile
      call.queued = null;
      try {
        this.writer.request(
          call.streamId,
          call.deadlineMs,
          q.method,
          q.metadata,
          { buf: q.payload, start: 0, end: q.payload.length },
          q.codecId,
        );
      } catch (error) {
        this.pending.delete(call);
        this.release(call);
        call.reject(isProximaError(error) ? error : toProximaError(error, 'INVALID_ARGUMENT'));
        continue;
      }
      call.sent = true;
      this.sentInFlight++;
    }
  }

  /** A sent call is over (answered or abandoned): its slot frees. */
  private freeSlot(call: PendingCall): void {
    if (!call.sent) return;
    this.sentInFlight--;
    if (this.waitingHead < this.waiting.length && !this.closed) this.pump();
  }

  private settle(f: FrameView): void {
    const call = this.pending.get(f.streamId);
    if (call === undefined) return; // answered after its deadline or cancel: drop
    this.pending.delete(call);
    this.release(call);
    this.freeSlot(call);
    const codec = this.options.codecs.get(f.codecId);
    let value: unknown;
    try {
      if (codec === undefined) throw new Error(`unknown codec id ${f.codecId}`);
      value = codec.decode(f.buf, f.payloadStart, f.payloadEnd);
    } catch (error) {
      call.reject(
        new ProximaError('INTERNAL', `${this.describe()}: cannot decode the answer`, { cause: error }),
      );
      this.endIfDrained();
      return;
    }
    if (f.type === FrameType.RESPONSE) call.resolve(value);
    else call.reject(errorFromJson(value));
    this.endIfDrained();
  }

  private endIfDrained(): void {
    if (this.draining && this.pending.size === 0 && !this.closed) this.socket.end();
  }

  private onGoaway(lastStreamId: number, flags: number, reason: string, code: number): void {
    const protocol = (flags & FLAG_PROTOCOL_ERROR) !== 0 || code === GoawayCode.PROTOCOL_ERROR;
    const exhausted = code === GoawayCode.RESOURCE_EXHAUSTED;
    const refused = protocol ? 'PROTOCOL_ERROR' : exhausted ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE';
    // A server over a limit is in trouble (a strike); a graceful GOAWAY is not.
    const connectionFailed = protocol || exhausted;
    if (code !== GoawayCode.SHUTDOWN && code !== GoawayCode.IDLE) {
      this.closeError ??= new ProximaError(
        refused,
        `${this.describe()}: going away (${goawayCodeName(code)}: ${reason})`,
        { connectionFailed, retryable: true },
      );
    }
    for (const call of this.pending.values()) {
      if (call.streamId <= lastStreamId) continue;
      this.abandon(
        call,
        new ProximaError(
          refused,
          `${this.describe()}: going away (${goawayCodeName(code)}${reason ? `: ${reason}` : ''}), call not processed`,
          {
            unprocessed: true,
            retryable: true,
            connectionFailed,
          },
        ),
        false,
      );
    }
    this.drain();
  }

  private startDraining(): void {
    if (this.draining) return;
    this.draining = true;
    this.events.onDraining(this);
  }

  /** Removes a call and fails it; tells the server to stop working on it when it may have started. */
  private abandon(call: PendingCall, error: ProximaError, sendCancel = true): void {
    if (!this.pending.delete(call)) return;
    this.release(call);
    if (sendCancel && call.sent && !this.closed) this.writer.control(FrameType.CANCEL, call.streamId);
    this.freeSlot(call);
    call.reject(error);
    this.endIfDrained();
  }

  private release(call: PendingCall): void {
    this.deadlines.remove(call);
    if (call.onAbort !== null) call.signal?.removeEventListener('abort', call.onAbort);
  }

  /** TCP is up: the preface and any calls made meanwhile go out; readiness waits for the server's SETTINGS. */
  private readonly onConnect = (): void => {
    this.writer.attach(this.socket);
  };

  private readonly onData = (chunk: Buffer): void => {
    this.frozen?.onBytes(this.options.clock.now());
    try {
      this.decoder.push(chunk);
    } catch (error) {
      const e = toProximaError(error, 'PROTOCOL_ERROR');
      // The peer broke the protocol: the connection failed because of the endpoint.
      this.closeError ??= new ProximaError(e.code, e.message, { cause: e, connectionFailed: true });
      this.writer.control(FrameType.GOAWAY, 0, FLAG_PROTOCOL_ERROR, e.message.slice(0, 200));
      this.writer.flush();
      this.socket.end();
      this.socket.destroySoon();
    }
  };

  private readonly onError = (error: Error): void => {
    const message = this.dialed.describe(error);
    this.closeError ??= new ProximaError('UNAVAILABLE', `${this.describe()}: ${message}`, {
      cause: error,
      connectionFailed: true,
    });
  };

  private readonly onClose = (): void => {
    this.closed = true;
    this.clearConnectTimer();
    this.keepAlive?.stop();
    this.frozen?.stop();
    if (this.congestedTimer !== null) this.options.clock.clearTimeout(this.congestedTimer);
    this.deadlines.clear();
    this.decoder.stop();
    this.writer.detach();
    const base = this.closeError;
    // One cause for every call this close cuts off: they share one connection failure (the retry
    // budget charges it once, however many calls were in flight).
    const cause =
      this.pending.size === 0
        ? base
        : (base ??
          new ProximaError('UNAVAILABLE', `${this.describe()}: connection closed`, {
            connectionFailed: true,
          }));
    for (const call of this.pending.values()) {
      this.release(call);
      // Never written, or written to a server that never completed its preface: not processed.
      const unprocessed = !this.ready || !call.sent || call.streamId > this.flushedThrough;
      const message = base?.message ?? `${this.describe()}: connection closed`;
      call.reject(
        new ProximaError(base?.code ?? 'UNAVAILABLE', message, {
          cause,
          unprocessed,
          retryable: true,
          // Closed before the answer: the endpoint failed, unless this side closed it on purpose.
          connectionFailed: base?.connectionFailed ?? true,
        }),
      );
    }
    this.pending.clear();
    this.waiting.length = 0;
    this.waitingHead = 0;
    this.events.onClosed(this, base, this.ready);
  };

  /** After each flush: a bound check on what the socket still queues for a server that may not read. */
  private checkOutbound(): void {
    const queued = this.socket.writableLength;
    const limits = this.options.limits;
    if (queued > limits.outboundHardCapBytes) {
      this.destroy(
        new ProximaError(
          'UNAVAILABLE',
          `${this.describe()}: the server does not read, ${queued} bytes queued (limits.outboundHardCapBytes ${limits.outboundHardCapBytes})`,
          { connectionFailed: true },
        ),
      );
    } else if (!this.congested && queued > limits.outboundHighWaterBytes) {
      this.congested = true;
      this.congestedTimer = this.options.clock.setTimeout(() => {
        this.congestedTimer = null;
        this.destroy(
          new ProximaError(
            'UNAVAILABLE',
            `${this.describe()}: the server did not read for ${limits.drainGraceMs} ms (limits.drainGraceMs)`,
            { connectionFailed: true },
          ),
        );
      }, limits.drainGraceMs);
      this.congestedTimer.unref?.();
    }
  }

  private congestion(): ProximaError {
    return new ProximaError(
      'RESOURCE_EXHAUSTED',
      `${this.describe()}: the server is not reading (over limits.outboundHighWaterBytes ${this.options.limits.outboundHighWaterBytes})`,
      { unprocessed: true, retryable: true, connectionFailed: true },
    );
  }

  private readonly onDrain = (): void => {
    if (!this.congested) return;
    this.congested = false;
    if (this.congestedTimer !== null) this.options.clock.clearTimeout(this.congestedTimer);
    this.congestedTimer = null;
  };

  private clearConnectTimer(): void {
    if (this.connectTimer !== null) this.options.clock.clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private describe(): string {
    return `${this.options.endpoint.host}:${this.options.endpoint.port}`;
  }
}
