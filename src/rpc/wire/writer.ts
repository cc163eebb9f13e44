import { ProximaError, invalidArgument } from '../../core/errors.js';
import { DEFAULT_MAX_FRAME_SIZE, FrameType, HEADER_SIZE, MAX_SECTION } from './frame.js';
import { copyBytes, writeAscii, writeU16, writeU32 } from './bytes.js';
import type { Encoded } from './codec.js';
import { PREFACE_SIZE, type Settings, settingsSize, writePreface, writeSettings } from './preface.js';
import { type Metadata, isEmptyMetadata, metadataUpperBound, writeMetadata } from './metadata.js';

/** The slab of a writer that has written nothing yet (shared: it is never written into). */
const NO_SLAB = Buffer.alloc(0);

/** Where flushed bytes go: a `net.Socket` in practice. */
export interface ByteSink {
  write(chunk: Buffer): unknown;
}

/** When a partial batch of frames is flushed. */
export type FlushSchedule = 'microtask' | 'immediate';

export interface FrameWriterOptions {
  /** Largest frame this side sends (length field), default 4 MiB. */
  readonly maxFrameSize?: number;
  /** Flush as soon as this many frames are buffered; default 16. */
  readonly maxFramesPerFlush?: number;
  /** When a batch smaller than the cap is flushed: after the current microtasks (default) or on `setImmediate`. */
  readonly flushOn?: FlushSchedule;
  /** Size of each output slab; default 64 KiB. */
  readonly slabSize?: number;
}

/**
 * Encodes frames into a slab and writes them in batches: one `write` per batch of at most
 * `maxFramesPerFlush` frames, or whatever accumulated when the scheduled flush runs. Flushed
 * regions of the slab are never rewritten (the socket may still hold them); a full slab is
 * replaced by a new one, so the steady state allocates one slab per few thousand frames and no
 * per-frame buffers.
 *
 * Until a sink is attached (the socket is still connecting) frames accumulate and nothing flushes.
 */
export class FrameWriter {
  private slab: Buffer;
  private start = 0;
  private pos = 0;
  private frames = 0;
  private scheduled = false;
  private sink: ByteSink | null = null;
  private dead = false;
  private maxFrameSize: number;
  private readonly maxFrames: number;
  private readonly slabSize: number;
  private readonly flushOn: FlushSchedule;
  private readonly flushTask = (): void => {
    this.scheduled = false;
    this.flush();
  };
  /** Called after each flush that wrote bytes (the client records which requests left). */
  onFlush: (() => void) | null = null;

  constructor(options: FrameWriterOptions = {}) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.maxFrames = Math.max(1, options.maxFramesPerFlush ?? 16);
    this.slabSize = options.slabSize ?? 64 * 1024;
    this.flushOn = options.flushOn ?? 'microtask';
    // No slab until the first frame, then a small one (1 KiB): an idle connection, one of
    // thousands, holds none; the first batch that needs more takes a full-size one.
    this.slab = NO_SLAB;
  }

  /** Starts writing to `sink`, flushing what accumulated. */
  attach(sink: ByteSink): void {
    this.sink = sink;
    this.flush();
  }

  /** Stops writing for good (the socket closed); buffered and later frames are dropped. */
  detach(): void {
    this.sink = null;
    this.dead = true;
    this.start = this.pos;
    this.frames = 0;
  }

  /** Lowers the largest frame sent to what the peer announced it accepts. */
  limitFrameSize(peerMax: number): void {
    if (peerMax > 0 && peerMax < this.maxFrameSize) this.maxFrameSize = Math.max(peerMax, HEADER_SIZE);
  }

  /** Appends this side's preface and its SETTINGS frame: the first bytes of every connection. */
  preface(settings: Settings): void {
    const size = settingsSize(settings);
    const buf = this.reserve(PREFACE_SIZE + HEADER_SIZE + size);
    writePreface(buf, this.pos);
    const p = this.pos + PREFACE_SIZE;
    writeSettings(buf, p + HEADER_SIZE, settings);
    this.pos = p;
    this.commit(buf, p, p + HEADER_SIZE + size, FrameType.SETTINGS, 0, 0, 0, 0, 0);
  }

  /** Bytes encoded and not yet flushed. */
  get buffered(): number {
    return this.pos - this.start;
  }

  /**
   * Appends a REQUEST. Throws INVALID_ARGUMENT (bad method or metadata) or RESOURCE_EXHAUSTED
   * (frame over the limit) without writing anything.
   */
  request(
    streamId: number,
    deadlineMs: number,
    method: string,
    metadata: Metadata | undefined,
    payload: Encoded,
    codecId: number,
  ): void {
    const size = payload.end - payload.start;
    const hasMeta = metadata !== undefined && !isEmptyMetadata(metadata);
    const bound = HEADER_SIZE + 3 * method.length + (hasMeta ? metadataUpperBound(metadata) : 0) + size;
    const buf = this.reserve(bound);
    const p = this.pos;
    let methodLen = writeAscii(method, buf, p + HEADER_SIZE);
    if (methodLen < 0) methodLen = buf.write(method, p + HEADER_SIZE, 'utf8');
    if (methodLen === 0 || methodLen > MAX_SECTION) throw invalidArgument('method', 'must be 1-65535 bytes');
    let q = p + HEADER_SIZE + methodLen;
    const metaLen = hasMeta ? writeMetadata(buf, q, metadata) : 0;
    q += metaLen;
    copyBytes(payload.buf, payload.start, payload.end, buf, q);
    this.commit(buf, p, q + size, FrameType.REQUEST, codecId, streamId, deadlineMs, methodLen, metaLen);
  }

  /** Appends a RESPONSE, or an ERROR when `type` says so; `payload` is codec-encoded. */
  reply(
    type: typeof FrameType.RESPONSE | typeof FrameType.ERROR,
    streamId: number,
    payload: Encoded,
    codecId: number,
  ): void {
    const size = payload.end - payload.start;
    const buf = this.reserve(HEADER_SIZE + size);
    const p = this.pos;
    copyBytes(payload.buf, payload.start, payload.end, buf, p + HEADER_SIZE);
    this.commit(buf, p, p + HEADER_SIZE + size, type, codecId, streamId, 0, 0, 0);
  }

  /**
   * Appends a CANCEL, PING, PONG or GOAWAY; `reason` is a UTF-8 payload and `code` a
   * {@link GoawayCode} in the deadline field (GOAWAY only).
   */
  control(type: FrameType, streamId: number, flags = 0, reason = '', code = 0): void {
    const buf = this.reserve(HEADER_SIZE + 3 * reason.length);
    const p = this.pos;
    const n = reason.length === 0 ? 0 : buf.write(reason, p + HEADER_SIZE, 'utf8');
    this.commit(buf, p, p + HEADER_SIZE + n, type, flags, streamId, code, 0, 0);
  }

  /** Writes everything buffered now (no-op while detached or empty). */
  flush(): void {
    if (this.sink === null || this.pos === this.start) return;
    const chunk = this.slab.subarray(this.start, this.pos);
    this.start = this.pos;
    this.frames = 0;
    this.sink.write(chunk);
    this.onFlush?.();
  }

  private reserve(bound: number): Buffer {
    if (this.pos + bound <= this.slab.length) return this.slab;
    const pending = this.pos - this.start;
    const size = this.slab === NO_SLAB ? Math.min(this.slabSize, 1024) : this.slabSize;
    const next = Buffer.allocUnsafe(Math.max(size, bound + pending));
    if (pending > 0) this.slab.copy(next, 0, this.start, this.pos);
    this.slab = next;
    this.start = 0;
    this.pos = pending;
    return next;
  }

  private commit(
    buf: Buffer,
    p: number,
    end: number,
    type: FrameType,
    flags: number,
    streamId: number,
    deadlineMs: number,
    methodLen: number,
    metaLen: number,
  ): void {
    const length = end - p - 4;
    if (length > this.maxFrameSize) {
      throw new ProximaError(
        'RESOURCE_EXHAUSTED',
        `frame of ${length} bytes over the limit of ${this.maxFrameSize} bytes`,
        { unprocessed: true },
      );
    }
    if (this.dead) return;
    writeU32(buf, p, length);
    buf[p + 4] = type;
    buf[p + 5] = flags;
    writeU32(buf, p + 6, streamId);
    writeU32(buf, p + 10, deadlineMs);
    writeU16(buf, p + 14, methodLen);
    writeU16(buf, p + 16, metaLen);
    this.pos = end;
    if (++this.frames >= this.maxFrames) {
      this.flush();
    } else if (!this.scheduled && this.sink !== null) {
      this.scheduled = true;
      if (this.flushOn === 'microtask') queueMicrotask(this.flushTask);
      else setImmediate(this.flushTask);
    }
  }
}

/** One side's preface and SETTINGS as bytes (for peers that write them by hand, and tests). */
export function prefaceBytes(settings: Settings = {}): Buffer {
  const chunks: Buffer[] = [];
  const writer = new FrameWriter({ slabSize: 256 });
  writer.preface(settings);
  writer.attach({ write: (c: Buffer) => chunks.push(Buffer.from(c)) });
  return Buffer.concat(chunks);
}
