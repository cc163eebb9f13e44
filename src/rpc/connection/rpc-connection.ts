import { type Clock, type TimerHandle, systemClock } from '../../core/clock.js';
import { Emitter, type Event } from '../../core/event.js';
import { ProximaError } from '../../core/errors.js';
import { type Random, systemRandom } from '../../core/random.js';
import type { CallOptions, Transport, TransportEndpoint, TransportState } from '../../transport/transport.js';
import { type Codec, CodecSet, jsonCodec, msgpackCodec } from '../wire/codec.js';
import type { FlushSchedule } from '../wire/writer.js';
import {
  type ClientLimits,
  type ClientLimitsInput,
  resolveClientLimits,
  validateKeepAlive,
} from './client-limits.js';
import { ClientSession, type ClientSessionEvents } from './client-session.js';
import type { KeepAliveOptions } from './keepalive.js';
import { type ClientTlsOptions, checkClientTls } from '../tls/options.js';
import { type DialTls, prepareTls } from '../tls/dial.js';

export interface RpcConnectionOptions extends TransportEndpoint {
  /** Payload codec of outgoing calls; default msgpack. Answers are read in whatever codec they use. */
  readonly codec?: Codec;
  /** Largest frame sent or accepted; default 4 MiB. */
  readonly maxFrameSize?: number;
  /** Flush as soon as this many frames are buffered; default 16. */
  readonly maxFramesPerFlush?: number;
  /** When a partial batch is flushed; default `microtask`. */
  readonly flushOn?: FlushSchedule;
  /** Default 5 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Full-jitter exponential backoff after failed connects: delay = random(0, min(initial·2^(n-1), max)). */
  readonly backoff?: { readonly initialMs?: number; readonly maxMs?: number };
  /**
   * PING/PONG keep-alive (default on, every 15 s) and frozen-peer detection (with calls pending, a
   * PING after 200 quiet ms, failed after 1 s without a byte); `false` turns both off.
   */
  readonly keepAlive?: KeepAliveOptions | false;
  /** Outbound high-water mark, hard cap and drain grace toward a server that does not read. */
  readonly limits?: ClientLimitsInput;
  /** Receives each PING round trip in ms: feed it to the router's prober. */
  readonly onRtt?: (ms: number) => void;
  /** Speak TLS to the endpoint (verify it against `ca`; `cert` + `key` for mutual TLS). */
  readonly tls?: ClientTlsOptions;
  readonly clock?: Clock;
  readonly random?: Random;
}

/**
 * The Proxima RPC transport for one endpoint: one multiplexed, pipelined TCP connection, opened
 * lazily on the first call. A failed connect puts it in `backoff` (full jitter) during which calls
 * fail fast as unprocessed; a GOAWAY moves new calls to a fresh connection while the old one
 * finishes the calls it accepted.
 *
 * @example
 * ```ts
 * await using conn = new RpcConnection({ host: '127.0.0.1', port: 7000, onRtt: (ms) => prober.sample(ms) });
 * const user = await conn.call('users.get', { id: '42' }, { deadlineMs: 500 });
 * ```
 */
export class RpcConnection implements Transport {
  private current: ClientSession | null = null;
  private readonly sessions = new Set<ClientSession>();
  private currentState: TransportState = 'idle';
  private readonly changed = new Emitter<TransportState>();
  private failures = 0;
  private backoffTimer: TimerHandle | null = null;
  private backoffUntil = 0;
  /** The connection failure that started the current backoff. */
  private backoffCause: ProximaError | undefined = undefined;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly codec: Codec;
  private readonly codecs: CodecSet;
  private readonly sessionEvents: ClientSessionEvents;
  private readonly tls: DialTls | undefined;
  private readonly limits: ClientLimits;

  constructor(private readonly options: RpcConnectionOptions) {
    this.tls =
      options.tls === undefined
        ? undefined
        : prepareTls(checkClientTls(options.tls, 'connection.tls'), 'connection.tls');
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.codec = options.codec ?? msgpackCodec();
    this.limits = resolveClientLimits(options.limits, 'limits');
    validateKeepAlive(options.keepAlive, 'keepAlive');
    const json = jsonCodec();
    this.codecs = new CodecSet(this.codec.id === json.id ? [msgpackCodec(), this.codec] : [json, this.codec]);
    this.sessionEvents = {
      onReady: (s) => this.onReady(s),
      onDraining: (s) => this.detach(s),
      onClosed: (s, error, wasReady) => this.onClosed(s, error, wasReady),
      onRtt: (ms) => this.options.onRtt?.(ms),
    };
  }

  get state(): TransportState {
    return this.currentState;
  }

  get stateChanged(): Event<TransportState> {
    return this.changed.event;
  }

  /** Calls in flight over all of this endpoint's connections. */
  get inFlight(): number {
    let n = 0;
    for (const s of this.sessions) n += s.inFlight;
    return n;
  }

  call(method: string, payload: unknown, options?: CallOptions): Promise<unknown> {
    let session = this.current;
    if (session === null || !session.acceptsCalls) session = this.open();
    if (session === null) return Promise.reject(this.refusal());
    return session.call(method, payload, options);
  }

  /** Sends a PING on the live connection now (RTT through `onRtt`); no-op when not connected. */
  ping(): void {
    this.current?.ping();
  }

  /** Connects now instead of on the first call; resolves when ready, rejects on failure. */
  async connect(): Promise<void> {
    const session = this.current ?? this.open();
    if (session === null) throw this.refusal();
    if (session.isReady) return;
    await new Promise<void>((resolve, reject) => {
      const sub = this.changed.event((state) => {
        if (state === 'ready' || state === 'backoff' || state === 'closed' || state === 'idle') {
          sub[Symbol.dispose]();
          if (state === 'ready') resolve();
          else reject(this.refusal());
        }
      });
    });
  }

  async close(): Promise<void> {
    if (this.currentState !== 'closed') {
      this.setState('closed');
      if (this.backoffTimer !== null) this.clock.clearTimeout(this.backoffTimer);
      this.current = null;
      for (const s of this.sessions)
        s.destroy(new ProximaError('UNAVAILABLE', 'connection closed by its owner'));
    }
    await Promise.all([...this.sessions].map((s) => s.done));
    this.changed.clear();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private open(): ClientSession | null {
    if (this.currentState === 'closed' || this.currentState === 'backoff') return null;
    const o = this.options;
    const session = new ClientSession(
      {
        endpoint: { host: o.host, port: o.port },
        clock: this.clock,
        codec: this.codec,
        codecs: this.codecs,
        connectTimeoutMs: o.connectTimeoutMs ?? 5_000,
        keepAlive: o.keepAlive ?? {},
        tls: this.tls,
        limits: this.limits,
        ...(o.maxFrameSize === undefined ? {} : { maxFrameSize: o.maxFrameSize }),
        ...(o.maxFramesPerFlush === undefined ? {} : { maxFramesPerFlush: o.maxFramesPerFlush }),
        ...(o.flushOn === undefined ? {} : { flushOn: o.flushOn }),
      },
      this.sessionEvents,
    );
    this.sessions.add(session);
    this.current = session;
    this.setState('connecting');
    return session;
  }

  private onReady(session: ClientSession): void {
    this.failures = 0;
    if (session === this.current) this.setState('ready');
  }

  private detach(session: ClientSession): void {
    if (session !== this.current) return;
    this.current = null;
    if (this.currentState !== 'closed') this.setState('idle');
  }

  private onClosed(session: ClientSession, error: ProximaError | null, wasReady: boolean): void {
    this.sessions.delete(session);
    if (session !== this.current) return;
    this.current = null;
    if (this.currentState === 'closed') return;
    if (wasReady) {
      this.setState('idle');
      return;
    }
    this.failures++;
    this.backoffCause = error ?? undefined;
    const o = this.options.backoff;
    const cap = Math.min((o?.initialMs ?? 100) * 2 ** (this.failures - 1), o?.maxMs ?? 10_000);
    const delay = this.random() * cap;
    this.backoffUntil = this.clock.now() + delay;
    this.setState('backoff');
    this.backoffTimer = this.clock.setTimeout(() => {
      this.backoffTimer = null;
      if (this.currentState === 'backoff') this.setState('idle');
    }, delay);
    this.backoffTimer.unref?.();
  }

  private refusal(): ProximaError {
    const where = `${this.options.host}:${this.options.port}`;
    if (this.currentState === 'closed') {
      return new ProximaError('UNAVAILABLE', `${where}: connection closed`, { unprocessed: true });
    }
    const wait = Math.max(0, Math.round(this.backoffUntil - this.clock.now()));
    // Every call refused during one backoff shares its cause: one connection failure, not many
    // (the retry budget charges it once).
    return new ProximaError('UNAVAILABLE', `${where}: unreachable, next connect attempt in ${wait} ms`, {
      unprocessed: true,
      connectionFailed: true,
      cause: this.backoffCause,
    });
  }

  private setState(state: TransportState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    this.changed.emit(state);
  }
}
