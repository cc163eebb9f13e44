import { readU32 } from './bytes.js';
import { DEFAULT_MAX_FRAME_SIZE, FrameView, MIN_LENGTH, protocolError, readHeader } from './frame.js';
import { PREFACE_SIZE, checkPreface } from './preface.js';

/** Receives decoded frames. The view is reused: read it synchronously, keep nothing from it. */
export interface FrameSink {
  onFrame(frame: FrameView): void;
}

/**
 * An incremental frame decoder for a byte stream. Frames wholly inside a chunk are handed to the
 * sink as views into that chunk (no copy); only a frame split across chunks is assembled, into one
 * buffer of exactly its size. Malformed input throws PROTOCOL_ERROR from {@link push} and poisons
 * the decoder: the connection that fed it must close.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder({ onFrame: (f) => console.log(f.type, f.streamId) });
 * socket.on('data', (chunk) => decoder.push(chunk));
 * ```
 */
export class FrameDecoder {
  private readonly view = new FrameView();
  /**
   * The length prefix of a frame whose prefix is split across chunks, as a number: `headLen` of
   * its 4 bytes have arrived. (No buffer: an idle connection, one of thousands, holds none.)
   */
  private head = 0;
  private headLen = 0;
  /** A frame split across chunks, being filled. */
  private partial: Buffer | null = null;
  private partialFilled = 0;
  private stopped = false;
  /** {@link hold} was called: the loop stops before the next frame. */
  private holding = false;
  /** The rest of the chunk that was being decoded when the sink asked to hold. */
  private held: Buffer | null = null;
  /** Bytes of the peer's preface still expected (0 once it has been checked). */
  private prefaceLeft: number;
  /** The preface's first bytes, only when it arrives split across chunks. */
  private prefaceBuf: Buffer | null = null;

  /**
   * With `preface` (what sessions use), the stream must start with the peer's preface
   * (`docs/protocol.md`); a wrong magic or version throws PROTOCOL_ERROR naming both versions.
   */
  constructor(
    private readonly sink: FrameSink,
    private readonly maxFrameSize = DEFAULT_MAX_FRAME_SIZE,
    preface = false,
  ) {
    this.prefaceLeft = preface ? PREFACE_SIZE : 0;
  }

  /** Stops decoding: frames still in the current chunk are dropped (the connection is closing). */
  stop(): void {
    this.stopped = true;
    this.partial = null;
    this.prefaceBuf = null;
    this.held = null;
  }

  /**
   * Called by the sink from `onFrame`: decoding stops after the current frame, and the rest of the
   * chunk is kept (a view, no copy) until {@link resume}; when the chunk ended with that frame there
   * is nothing to keep and decoding is not held. While {@link isHeld}, the caller stops feeding
   * chunks (one that arrives anyway is queued behind the kept bytes).
   */
  hold(): void {
    this.holding = true;
  }

  /** True while decoding is held (see {@link hold}). */
  get isHeld(): boolean {
    return this.holding;
  }

  /** Decodes what {@link hold} kept (it may hold again). Throws PROTOCOL_ERROR like {@link push}. */
  resume(): void {
    if (!this.holding) return;
    this.holding = false;
    const rest = this.held;
    this.held = null;
    if (rest !== null) this.push(rest);
  }

  /** True when bytes of an unfinished frame are buffered. */
  get hasPartialFrame(): boolean {
    return (
      this.headLen > 0 || this.partial !== null || (this.prefaceLeft > 0 && this.prefaceLeft < PREFACE_SIZE)
    );
  }

  /** Feeds the next chunk. Throws PROTOCOL_ERROR on malformed input. */
  push(chunk: Buffer): void {
    if (this.stopped) return;
    if (this.holding) {
      // Bytes behind the held ones (rare: the caller pauses its source while held).
      this.held = this.held === null ? chunk : Buffer.concat([this.held, chunk]);
      return;
    }
    let offset = 0;
    try {
      if (this.prefaceLeft > 0) {
        offset = this.readPreface(chunk);
        if (this.prefaceLeft > 0) return;
      }
      if (this.headLen > 0 || this.partial !== null) {
        offset = this.continuePartial(chunk, offset);
        if (offset < 0) return;
      }
      const n = chunk.length;
      while (offset < n && !this.stopped) {
        if (this.holding) {
          this.held = chunk.subarray(offset);
          return;
        }
        const remaining = n - offset;
        if (remaining < 4) {
          for (; offset < n; offset++) this.head = this.head * 256 + chunk[offset]!;
          this.headLen = remaining;
          return;
        }
        const length = readU32(chunk, offset);
        this.checkLength(length);
        const total = 4 + length;
        if (remaining < total) {
          this.partial = Buffer.allocUnsafe(total);
          this.partialFilled = chunk.copy(this.partial, 0, offset, n);
          return;
        }
        readHeader(chunk, offset, length, this.view);
        offset += total;
        this.sink.onFrame(this.view);
      }
    } catch (error) {
      this.stop();
      throw error;
    } finally {
      this.view.release();
      if (this.held === null) this.holding = false;
    }
  }

  /** Completes a buffered frame from `chunk`; returns the offset after it, or -1 if `chunk` ran out. */
  private readPreface(chunk: Buffer): number {
    if (this.prefaceLeft === PREFACE_SIZE && chunk.length >= PREFACE_SIZE) {
      // The usual case: the whole preface in the first chunk, checked where it lies.
      this.prefaceLeft = 0;
      checkPreface(chunk.subarray(0, PREFACE_SIZE));
      return PREFACE_SIZE;
    }
    const buf = (this.prefaceBuf ??= Buffer.alloc(PREFACE_SIZE));
    const take = Math.min(this.prefaceLeft, chunk.length);
    chunk.copy(buf, PREFACE_SIZE - this.prefaceLeft, 0, take);
    this.prefaceLeft -= take;
    if (this.prefaceLeft === 0) {
      this.prefaceBuf = null;
      checkPreface(buf);
    }
    return take;
  }

  private continuePartial(chunk: Buffer, start: number): number {
    let offset = start;
    if (this.headLen > 0) {
      const n = chunk.length;
      for (; this.headLen < 4 && offset < n; this.headLen++) this.head = this.head * 256 + chunk[offset++]!;
      if (this.headLen < 4) return -1;
      const length = this.head;
      this.head = 0;
      this.headLen = 0;
      this.checkLength(length);
      this.partial = Buffer.allocUnsafe(4 + length);
      this.partial.writeUInt32BE(length, 0);
      this.partialFilled = 4;
    }
    const frame = this.partial!;
    const take = Math.min(frame.length - this.partialFilled, chunk.length - offset);
    chunk.copy(frame, this.partialFilled, offset, offset + take);
    this.partialFilled += take;
    offset += take;
    if (this.partialFilled < frame.length) return -1;
    this.partial = null;
    readHeader(frame, 0, frame.length - 4, this.view);
    this.sink.onFrame(this.view);
    return offset;
  }

  private checkLength(length: number): void {
    if (length < MIN_LENGTH)
      throw protocolError(`frame length ${length} below the ${MIN_LENGTH}-byte header`);
    if (length > this.maxFrameSize) {
      throw protocolError(`frame length ${length} over the limit of ${this.maxFrameSize} bytes`);
    }
  }
}
